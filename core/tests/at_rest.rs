//! Nothing readable at rest: after an import, no file the store writes — database, WAL, shared
//! memory, key check, attachments, temporaries — holds the patient's name or any record text.

mod common;

use base64::Engine;
use common::*;

fn needles(pdf: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut n: Vec<(String, Vec<u8>)> = [
        "Savitribai Kulkarni",
        "Savitribai",
        "Kulkarni",
        "Gestational diabetes",
        "Metformin 500",
        "Sassoon General Hospital",
        "Dr. Meenakshi Sundaram",
        "+919822012345",
        "91-6285-4575-5116",
        "Postnatal review",
    ]
    .iter()
    .map(|s| (s.to_string(), s.as_bytes().to_vec()))
    .collect();
    n.push(("attachment bytes".into(), pdf[1000..1064].to_vec()));
    n.push((
        "attachment base64".into(),
        base64::engine::general_purpose::STANDARD.encode(&pdf[..3000]).into_bytes()[100..180].to_vec(),
    ));
    n
}

fn assert_nothing_in_clear(dir: &std::path::Path, needles: &[(String, Vec<u8>)]) {
    let files = walk(dir);
    assert!(files.iter().any(|f| f.ends_with("locker.db")));
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        for (what, needle) in needles {
            let hit = bytes.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle));
            assert!(!hit, "{what} found in clear in {}", f.display());
        }
    }
}

#[test]
fn no_file_in_the_store_holds_a_name_or_record_text_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let (l, owner) = locker_with_owner(dir.path(), &k);
    let pdf: Vec<u8> = b"%PDF-1.4 Savitribai Kulkarni discharge ".iter().copied().cycle().take(150_000).collect();
    let bundle = serde_json::to_vec(&serde_json::json!({
        "resourceType": "Bundle", "type": "document",
        "identifier": {"system": "https://sassoon.example", "value": "pnc-2024-77"},
        "entry": [
            {"fullUrl": "urn:uuid:c", "resource": {"resourceType": "Composition", "status": "final",
                "type": {"coding": [{"system": "http://snomed.info/sct", "code": "371530004"}]},
                "title": "Postnatal review", "date": "2024-04-02",
                "subject": {"reference": "urn:uuid:p", "display": "Savitribai Kulkarni"},
                "author": [{"reference": "urn:uuid:d", "display": "Dr. Meenakshi Sundaram"}],
                "custodian": {"display": "Sassoon General Hospital"}}},
            {"fullUrl": "urn:uuid:p", "resource": {"resourceType": "Patient", "name": [{"text": "Savitribai Kulkarni"}],
                "telecom": [{"system": "phone", "value": "+919822012345"}],
                "identifier": [{"value": "91-6285-4575-5116"}]}},
            {"fullUrl": "urn:uuid:x", "resource": {"resourceType": "Condition",
                "code": {"text": "Gestational diabetes"}}},
            {"fullUrl": "urn:uuid:m", "resource": {"resourceType": "MedicationRequest",
                "medicationCodeableConcept": {"text": "Metformin 500 mg"}}},
            {"fullUrl": "urn:uuid:r", "resource": {"resourceType": "DocumentReference", "content": [
                {"attachment": {"contentType": "application/pdf",
                    "data": base64::engine::general_purpose::STANDARD.encode(&pdf)}}]}}
        ]
    }))
    .unwrap();
    let r = l.records().import(&owner.id, &bundle, &Default::default()).unwrap();
    assert_eq!(r.attachments, 1);
    l.profiles().add(&member("Savitribai Kulkarni", "parent")).unwrap();
    // While open, with the write-ahead log full of fresh pages.
    assert_nothing_in_clear(dir.path(), &needles(&pdf));
    l.rekey(key()).unwrap();
    drop(l);
    assert_nothing_in_clear(dir.path(), &needles(&pdf));
}
