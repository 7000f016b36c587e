//! The audit log: every change recorded, tamper-evident, and free of personal data.

mod common;

use common::*;
use locker_core::{AuditVerification, Locker, ProfileUpdate};

#[test]
fn every_change_is_in_the_log_and_the_log_names_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let (l, owner) = locker_with_owner(dir.path(), &k);
    let son = l.profiles().add(&member("Arjun Narayanan", "child")).unwrap();
    l.profiles().update(&son.id, &ProfileUpdate { name: Some("Arjun N".into()), ..Default::default() }).unwrap();
    let r = l
        .records()
        .import(&owner.id, &tiny_bundle("a1", "373942005", "Discharge summary", "2019-09-09"), &Default::default())
        .unwrap();
    l.records().export(&r.id, &mut Vec::new()).unwrap();
    l.records().delete(&r.id).unwrap();
    l.profiles().remove(&son.id).unwrap();
    l.rekey(key()).unwrap();
    let actions: Vec<String> = l.audit_entries(100).unwrap().into_iter().rev().map(|e| e.action).collect();
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
    assert_eq!(l.verify_audit().unwrap(), AuditVerification::Intact { entries: 9 });
    for e in l.audit_entries(100).unwrap() {
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
    let (l, _) = locker_with_owner(dir.path(), &k);
    drop(l);
    raw_connection(dir.path(), &k).execute("UPDATE audit_log SET subject = 'someone-else' WHERE seq = 2", []).unwrap();
    let l = Locker::open(dir.path(), k).unwrap();
    let report = l.check().unwrap();
    assert!(!report.is_ok());
    assert_eq!(report.audit, AuditVerification::Broken { at_seq: 2, reason: "an entry was changed".into() });
}
