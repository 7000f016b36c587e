//! Changing the key: everything survives, and only the new key opens the store afterwards.
//! (Killing a rekey at random moments is tested against the real binary in cli/tests.)

mod common;

use common::*;
use locker_core::{Error, Locker, RecordQuery};
use std::io::Read;

#[test]
fn after_a_key_change_everything_is_there_under_the_new_key_only() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (key(), key());
    let (l, owner) = locker_with_owner(dir.path(), &old);
    for i in 0..50 {
        let b = tiny_bundle(&format!("k{i}"), "371530004", &format!("Asthma review {i}"), "2020-02-02");
        l.records().import(&owner.id, &b, &Default::default()).unwrap();
    }
    let a = l.attachments().add(&owner.id, "application/pdf", &mut &vec![3u8; 200_000][..]).unwrap();
    l.rekey(new.clone()).unwrap();
    // The open store goes on working.
    assert_eq!(l.records().count().unwrap(), 50);
    drop(l);
    assert!(matches!(Locker::open(dir.path(), old.clone()), Err(Error::WrongKey)));
    let l = Locker::open(dir.path(), new).unwrap();
    assert_eq!(l.records().count().unwrap(), 50);
    let q = RecordQuery { text: Some("asthma".into()), limit: 100, ..Default::default() };
    assert_eq!(l.records().list(&q).unwrap().records.len(), 50);
    let mut content = Vec::new();
    l.attachments().open(&a.id).unwrap().read_to_end(&mut content).unwrap();
    assert_eq!(content, vec![3u8; 200_000]);
    assert!(l.check().unwrap().is_ok());
    assert!(!dir.path().join("locker.db.next").exists());
}

#[test]
fn a_half_built_rekey_copy_left_by_a_crash_is_discarded_and_the_old_key_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let old = key();
    drop(locker_with_owner(dir.path(), &old));
    std::fs::write(dir.path().join("locker.db.next"), vec![0x5a; 8192]).unwrap();
    let l = Locker::open(dir.path(), old).unwrap();
    assert!(!dir.path().join("locker.db.next").exists());
    assert!(l.check().unwrap().is_ok());
}
