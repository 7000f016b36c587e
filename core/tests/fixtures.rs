//! Realistic ABDM bundles of every type, generated and hand-written, through the store.

mod common;

use common::*;
use locker_core::{Error, HiType, RecordQuery};
use locker_fixtures::{Generator, Kind};

fn hi(kind: Kind) -> HiType {
    HiType::parse(kind.hi_type()).unwrap()
}

#[test]
fn every_kind_of_record_is_classified_and_indexed_as_its_sender_wrote_it() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let mut g = Generator::new(99);
    for round in 0..25 {
        for kind in Kind::ALL {
            let b = g.bundle(kind);
            let r = l.records().import(&owner.id, &b.json, &Default::default()).unwrap();
            assert_eq!(r.hi_type, hi(kind), "round {round}");
            assert_eq!(r.title, b.title);
            assert_eq!(r.facility.as_deref(), Some(b.facility.as_str()));
            assert_eq!(r.author.as_deref(), Some(b.author.as_str()));
            assert_eq!(r.care_context.as_deref(), Some(b.care_context.as_str()));
            assert_eq!(r.date.as_deref(), Some(&b.date[..10]));
            for term in &b.search_terms {
                let q = RecordQuery { text: Some(term.clone()), limit: 500, ..Default::default() };
                let found = l.records().list(&q).unwrap().records;
                assert!(found.iter().any(|x| x.id == r.id), "{term:?} does not find its record");
            }
        }
    }
}

#[test]
fn large_attachments_in_binary_and_document_reference_both_move_out_and_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let mut g = Generator::new(5);
    for kind in Kind::ALL {
        let b = g.bundle_with_attachment(kind, 70_000 + kind as usize * 10_000);
        let r = l.records().import(&owner.id, &b.json, &Default::default()).unwrap();
        assert_eq!(r.attachments, 1, "{kind:?}");
        let mut out = Vec::new();
        l.records().export(&r.id, &mut out).unwrap();
        assert_eq!(out, b.json, "{kind:?}");
    }
    let atts = l.attachments().list(&owner.id).unwrap();
    assert_eq!(atts.len(), 8);
    assert!(atts.iter().all(|a| a.media_type == "application/pdf"));
    assert!(l.check().unwrap().is_ok());
}

const SAMPLES: &[(&str, HiType)] = &[
    ("op-consultation.json", HiType::OPConsultation),
    ("prescription.json", HiType::Prescription),
    ("discharge-summary.json", HiType::DischargeSummary),
    ("diagnostic-report.json", HiType::DiagnosticReport),
    ("immunization.json", HiType::ImmunizationRecord),
    ("health-document.json", HiType::HealthDocumentRecord),
    ("wellness.json", HiType::WellnessRecord),
    ("invoice.json", HiType::Invoice),
];

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../fixtures/bundles/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_hand_written_samples_import_as_their_type_and_export_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    for (name, ty) in SAMPLES {
        let bytes = sample(name);
        let r = l.records().import(&owner.id, &bytes, &Default::default()).unwrap();
        assert_eq!(r.hi_type, *ty, "{name}");
        assert!(r.date.is_some() && r.facility.is_some() && r.author.is_some(), "{name}: {r:?}");
        let mut out = Vec::new();
        l.records().export(&r.id, &mut out).unwrap();
        assert_eq!(out, bytes, "{name}");
    }
}

#[test]
fn the_invalid_samples_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    for (name, reason) in [
        ("not-a-bundle.json", "not a FHIR Bundle"),
        ("collection-bundle.json", "type document"),
        ("first-entry-not-composition.json", "not a Composition"),
        ("unknown-composition-type.json", "not an ABDM record type"),
        ("truncated.json", "not valid JSON"),
    ] {
        match l.records().import(&owner.id, &sample(&format!("invalid/{name}")), &Default::default()) {
            Err(Error::InvalidInput(m)) => assert!(m.contains(reason), "{name}: {m}"),
            other => panic!("{name}: expected InvalidInput, got {other:?}"),
        }
    }
    assert_eq!(l.records().count().unwrap(), 0);
}
