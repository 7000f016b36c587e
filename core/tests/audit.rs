//! The audit log: every change recorded, tamper-evident, and free of personal data.

mod common;

use common::*;
use locker_core::{AuditVerification, ProfileUpdate};

#[test]
fn every_change_is_in_the_log_and_the_log_names_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let (mut s, owner) = store_with_owner(dir.path(), &k);
    let son = s.add_profile(&member("Arjun Narayanan", "child")).unwrap();
    s.update_profile(&son.id, &ProfileUpdate { name: Some("Arjun N".into()), ..Default::default() }).unwrap();
    let r = s
        .import_bundle(
            &owner.id,
            &tiny_bundle("a1", "373942005", "Discharge summary", "2019-09-09"),
            &Default::default(),
        )
        .unwrap();
    s.export_bundle(&r.id, &mut Vec::new()).unwrap();
    s.delete_record(&r.id).unwrap();
    s.remove_profile(&son.id).unwrap();
    s.rekey(key()).unwrap();
    let actions: Vec<String> = s.audit_entries(100).unwrap().into_iter().rev().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            "store.create",
            "profile.add",
            "profile.add",
            "profile.update",
            "record.import",
            "record.export",
            "record.delete",
            "profile.remove",
            "key.rekey"
        ]
    );
    assert_eq!(s.verify_audit().unwrap(), AuditVerification::Intact { entries: 9 });
    for e in s.audit_entries(100).unwrap() {
        let text = format!("{e:?}");
        for personal in ["Lakshmi", "Arjun", "Narayanan", "6285", "lakshmi.n", "Discharge", "1984"] {
            assert!(!text.contains(personal), "audit entry names {personal}: {text}");
        }
    }
}

#[test]
fn a_changed_audit_entry_fails_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let (s, _) = store_with_owner(dir.path(), &k);
    drop(s);
    raw_connection(dir.path(), &k).execute("UPDATE audit_log SET subject = 'someone-else' WHERE seq = 2", []).unwrap();
    let s = locker_core::Store::open(dir.path(), locker_core::store::Keying::Key(k)).unwrap();
    let report = s.check().unwrap();
    assert!(!report.is_ok());
    assert_eq!(report.audit, AuditVerification::Broken { at_seq: 2, reason: "an entry was changed".into() });
}
