//! Records: import, duplicates, listing, filters, search, pagination, export, delete.

mod common;

use base64::Engine;
use common::*;
use locker_core::{Error, HiType, ImportOptions, RecordQuery};

fn opts() -> ImportOptions {
    ImportOptions::default()
}

#[test]
fn an_imported_bundle_is_classified_indexed_and_comes_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let bundle = tiny_bundle("rx-1", "440545006", "Prescription for fever", "2024-03-05T10:15:00+05:30");
    let r = l.records().import(&owner.id, &bundle, &opts()).unwrap();
    assert_eq!(r.hi_type, HiType::Prescription);
    assert_eq!(r.date.as_deref(), Some("2024-03-05"));
    assert_eq!(r.title, "Prescription for fever");
    assert_eq!(r.facility.as_deref(), Some("PHC Rampur"), "resolved from the custodian reference");
    assert_eq!(r.author.as_deref(), Some("Dr. Arvind Rao"));
    assert_eq!(l.records().get(&r.id).unwrap(), r);
    let mut out = Vec::new();
    l.records().export(&r.id, &mut out).unwrap();
    assert_eq!(out, bundle);
}

#[test]
fn the_same_record_imported_twice_is_a_duplicate_not_a_second_copy() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let b = tiny_bundle("dup", "371530004", "Consultation", "2024-01-01");
    let first = l.records().import(&owner.id, &b, &opts()).unwrap();
    // Same identifier, different content.
    let b2 = tiny_bundle("dup", "371530004", "Consultation (amended)", "2024-01-01");
    for again in [b.clone(), b2] {
        match l.records().import(&owner.id, &again, &opts()) {
            Err(Error::Duplicate { existing }) => assert_eq!(existing, first.id),
            other => panic!("expected a duplicate, got {other:?}"),
        }
    }
    // No identifier at all: the same content, formatted differently, is still caught.
    let mut v: serde_json::Value = serde_json::from_slice(&tiny_bundle("x", "440545006", "Rx", "2024-02-02")).unwrap();
    v.as_object_mut().unwrap().remove("identifier");
    let anonymous = l.records().import(&owner.id, &serde_json::to_vec(&v).unwrap(), &opts()).unwrap();
    match l.records().import(&owner.id, &serde_json::to_vec_pretty(&v).unwrap(), &opts()) {
        Err(Error::Duplicate { existing }) => assert_eq!(existing, anonymous.id),
        other => panic!("expected a duplicate, got {other:?}"),
    }
    v["entry"][0]["resource"]["title"] = "Rx (second visit)".into();
    l.records().import(&owner.id, &serde_json::to_vec(&v).unwrap(), &opts()).unwrap();
    assert_eq!(l.records().count().unwrap(), 3);
}

#[test]
fn malformed_bundles_get_a_clear_reason_and_do_not_stop_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let good = tiny_bundle("ok", "371530004", "Consultation", "2024-01-01");
    let mut collection: serde_json::Value = serde_json::from_slice(&good).unwrap();
    collection["type"] = "collection".into();
    let mut no_comp: serde_json::Value = serde_json::from_slice(&good).unwrap();
    no_comp["entry"].as_array_mut().unwrap().remove(0);
    let unknown = tiny_bundle("u", "12345678", "Something", "2024-01-01");
    let patient = br#"{"resourceType":"Patient","name":[{"text":"Asha"}]}"#.to_vec();
    let cut = good[..good.len() / 2].to_vec();
    let collection = serde_json::to_vec(&collection).unwrap();
    let no_comp = serde_json::to_vec(&no_comp).unwrap();
    let batch: Vec<&[u8]> = vec![&collection, &no_comp, &unknown, &patient, &cut, &good];
    let results = l.records().import_many(&owner.id, &batch, &opts()).unwrap();
    let reasons: Vec<String> = results[..5]
        .iter()
        .map(|r| match r {
            Err(Error::InvalidInput(m)) => m.clone(),
            other => panic!("expected InvalidInput, got {other:?}"),
        })
        .collect();
    assert!(reasons[0].contains("type document"), "{}", reasons[0]);
    assert!(reasons[1].contains("Composition"), "{}", reasons[1]);
    assert!(reasons[2].contains("record type"), "{}", reasons[2]);
    assert!(reasons[3].contains("Bundle"), "{}", reasons[3]);
    assert!(reasons[4].contains("JSON"), "{}", reasons[4]);
    for r in &reasons {
        assert!(!r.contains("Lakshmi") && !r.contains("Asha"), "personal data in an error: {r}");
    }
    assert!(results[5].is_ok());
    assert_eq!(l.records().count().unwrap(), 1);
}

#[test]
fn lists_are_newest_first_filtered_and_paged_without_gaps_or_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let child = l.profiles().add(&member("Arjun Narayanan", "child")).unwrap();
    let codes = ["371530004", "440545006", "721981007"];
    for i in 0..120 {
        let who = if i % 4 == 0 { &child.id } else { &owner.id };
        let date = format!("20{:02}-{:02}-{:02}", 10 + i % 14, 1 + i % 12, 1 + i % 28);
        let title = if i % 10 == 0 { format!("Haemoglobin test {i}") } else { format!("Visit {i}") };
        l.records().import(who, &tiny_bundle(&format!("l{i}"), codes[i % 3], &title, &date), &opts()).unwrap();
    }
    // Every record exactly once across pages, newest first.
    let mut seen = Vec::new();
    let mut q = RecordQuery { limit: 7, ..Default::default() };
    loop {
        let page = l.records().list(&q).unwrap();
        seen.extend(page.records.iter().map(|r| (r.sort_ms, r.id.clone())));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 120);
    assert!(seen.windows(2).all(|w| w[0].0 >= w[1].0), "newest first");
    let unique: std::collections::HashSet<_> = seen.iter().map(|x| &x.1).collect();
    assert_eq!(unique.len(), 120);

    let child_only = l
        .records()
        .list(&RecordQuery { profile_id: Some(child.id.clone()), limit: 500, ..Default::default() })
        .unwrap();
    assert_eq!(child_only.records.len(), 30);
    assert!(child_only.records.iter().all(|r| r.profile_id == child.id));

    let reports = l
        .records()
        .list(&RecordQuery { hi_types: vec![HiType::DiagnosticReport], limit: 500, ..Default::default() })
        .unwrap();
    assert_eq!(reports.records.len(), 40);

    let in_2015 = l
        .records()
        .list(&RecordQuery {
            from_date: Some("2015-01-01".into()),
            to_date: Some("2015-12-31".into()),
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    assert!(!in_2015.records.is_empty());
    assert!(in_2015.records.iter().all(|r| r.date.as_deref().unwrap().starts_with("2015")));

    for text in ["haemoglobin", "HAEMO", "haemoglobin test"] {
        let found =
            l.records().list(&RecordQuery { text: Some(text.into()), limit: 500, ..Default::default() }).unwrap();
        assert_eq!(found.records.len(), 12, "{text}");
        assert!(found.records.iter().all(|r| r.title.starts_with("Haemoglobin")));
    }
    let by_facility =
        l.records().list(&RecordQuery { text: Some("rampur".into()), limit: 5, ..Default::default() }).unwrap();
    assert_eq!(by_facility.records.len(), 5);
    let nothing = l.records().list(&RecordQuery { text: Some("tuberculosis".into()), ..Default::default() }).unwrap();
    assert!(nothing.records.is_empty() && nothing.next_cursor.is_none());
    assert!(matches!(
        l.records().list(&RecordQuery { cursor: Some("bogus".into()), ..Default::default() }),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        l.records().list(&RecordQuery { from_date: Some("2015".into()), ..Default::default() }),
        Err(Error::InvalidInput(_))
    ));
}

fn bundle_with_pdf(id: &str, pdf: &[u8], encoded: &str) -> Vec<u8> {
    let _ = pdf;
    serde_json::to_vec(&serde_json::json!({
        "resourceType": "Bundle", "type": "document",
        "identifier": {"system": "http://hip.test", "value": id},
        "entry": [
            {"resource": {"resourceType": "Composition", "title": "Scan report", "date": "2021-06-01",
                "type": {"coding": [{"system": "http://snomed.info/sct", "code": "721981007"}]}}},
            {"resource": {"resourceType": "DocumentReference", "content": [
                {"attachment": {"contentType": "application/pdf", "data": encoded}}]}}
        ]
    }))
    .unwrap()
}

#[test]
fn large_inline_data_moves_to_an_attachment_and_export_puts_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let empty_len = std::fs::metadata(dir.path().join("locker.db")).unwrap().len();
    let pdf: Vec<u8> = b"%PDF-1.4\n".iter().copied().chain((0..300_000u32).map(|i| (i * 7 % 256) as u8)).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&pdf);
    let bundle = bundle_with_pdf("big", &pdf, &b64);
    let r = l.records().import(&owner.id, &bundle, &opts()).unwrap();
    assert_eq!(r.attachments, 1);
    let atts = l.attachments().list(&owner.id).unwrap();
    assert_eq!(atts.len(), 1);
    assert_eq!(atts[0].media_type, "application/pdf");
    assert_eq!(atts[0].record_id.as_deref(), Some(r.id.as_str()));
    assert_eq!(atts[0].size, pdf.len() as u64, "stored decoded");
    let mut content = Vec::new();
    std::io::Read::read_to_end(&mut l.attachments().open(&atts[0].id).unwrap(), &mut content).unwrap();
    assert_eq!(content, pdf);
    let mut out = Vec::new();
    l.records().export(&r.id, &mut out).unwrap();
    assert_eq!(out, bundle);
    // The database row holds the bundle less its data (300 KB, 400 KB as base64): the file grew
    // by far less than that over the store as it was made.
    let db_len = std::fs::metadata(dir.path().join("locker.db")).unwrap().len();
    let grown = db_len.saturating_sub(empty_len);
    assert!(grown < 150_000, "the data stayed in the database: it grew {grown} bytes");
}

#[test]
fn inline_data_in_an_unusual_encoding_is_still_returned_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let pdf: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&pdf);
    // Line-wrapped with escaped breaks and escaped slashes, as some HIS exports do.
    let wrapped: Vec<String> = b64.as_bytes().chunks(76).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
    let odd = wrapped.join("\r\n").replace('/', "\\/");
    let raw = String::from_utf8(bundle_with_pdf("odd", &pdf, "PLACEHOLDER"))
        .unwrap()
        .replace("PLACEHOLDER", &odd.replace("\r\n", "\\r\\n"));
    let r = l.records().import(&owner.id, raw.as_bytes(), &opts()).unwrap();
    assert_eq!(r.attachments, 1);
    let mut out = Vec::new();
    l.records().export(&r.id, &mut out).unwrap();
    assert_eq!(out, raw.as_bytes());
    let att = &l.attachments().list(&owner.id).unwrap()[0];
    let mut content = Vec::new();
    std::io::Read::read_to_end(&mut l.attachments().open(&att.id).unwrap(), &mut content).unwrap();
    assert_eq!(content, pdf, "read back decoded");
}

#[test]
fn deleting_a_record_removes_its_attachments_and_search_terms() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let b64 = base64::engine::general_purpose::STANDARD.encode(vec![9u8; 200_000]);
    let r = l.records().import(&owner.id, &bundle_with_pdf("del", &[], &b64), &opts()).unwrap();
    let files = walk(&dir.path().join("attachments"));
    assert_eq!(files.len(), 1);
    l.records().delete(&r.id).unwrap();
    assert!(matches!(l.records().get(&r.id), Err(Error::NotFound(_))));
    assert!(walk(&dir.path().join("attachments")).is_empty());
    let q = RecordQuery { text: Some("scan".into()), ..Default::default() };
    assert!(l.records().list(&q).unwrap().records.is_empty());
    assert!(matches!(l.records().delete(&r.id), Err(Error::NotFound(_))));
    assert!(l.check().unwrap().is_ok());
}

#[test]
fn a_bundle_saved_with_a_byte_order_mark_imports_and_exports_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let mut bundle = b"\xEF\xBB\xBF".to_vec();
    bundle.extend(tiny_bundle("bom", "440545006", "Prescription from Notepad", "2024-02-01"));
    let r = l.records().import(&owner.id, &bundle, &opts()).unwrap();
    assert_eq!(r.hi_type, HiType::Prescription);
    let mut out = Vec::new();
    l.records().export(&r.id, &mut out).unwrap();
    assert_eq!(out, bundle, "byte for byte, the mark included");
}

#[test]
fn real_world_bundles_that_stray_from_r4_still_import() {
    // Our own output is R4 (tests/fhir/run checks it); what arrives from hospitals is read
    // leniently: here an R5-style list where R4 has one Encounter.serviceType.
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let mut v: serde_json::Value =
        serde_json::from_slice(&tiny_bundle("r5ish", "371530004", "Fever consult", "2024-02-01")).unwrap();
    v["entry"].as_array_mut().unwrap().push(serde_json::json!({"fullUrl": "Encounter/e1", "resource": {
        "resourceType": "Encounter", "id": "e1", "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "serviceType": [{"text": "Dermatology"}]}}));
    let r = l.records().import(&owner.id, &serde_json::to_vec(&v).unwrap(), &opts()).unwrap();
    let q = RecordQuery { text: Some("dermatology".into()), ..Default::default() };
    assert_eq!(l.records().list(&q).unwrap().records[0].id, r.id, "its text is searchable");
}
