//! Opening a store: the right key opens it, and nothing else ever changes a byte of it.

mod common;

use common::*;
use locker_core::{Error, Locker, OpenNotice};
use std::fs;

#[test]
fn a_citizen_reopens_their_locker_offline_and_finds_everything() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let (l, owner) = locker_with_owner(dir.path(), &k);
    l.records()
        .import(&owner.id, &tiny_bundle("a", "371530004", "Fever consult", "2024-02-01"), &Default::default())
        .unwrap();
    drop(l);
    let l = Locker::open(dir.path(), k).unwrap();
    assert_eq!(l.profiles().list().unwrap(), vec![owner]);
    assert_eq!(l.records().count().unwrap(), 1);
    assert!(l.check().unwrap().is_ok());
}

#[test]
fn a_wrong_key_is_reported_as_such_and_leaves_every_byte_alone() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    drop(locker_with_owner(dir.path(), &k));
    let before = fingerprint(dir.path());
    for _ in 0..3 {
        assert!(matches!(Locker::open(dir.path(), key()), Err(Error::WrongKey)));
    }
    assert_eq!(fingerprint(dir.path()), before);
    Locker::open(dir.path(), k).unwrap();
}

#[test]
fn without_its_key_check_a_store_still_tells_a_wrong_key_from_damage() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    drop(locker_with_owner(dir.path(), &k));
    fs::remove_file(dir.path().join("locker.keycheck")).unwrap();
    let db_before = fingerprint(dir.path())["locker.db"].clone();
    assert!(matches!(Locker::open(dir.path(), key()), Err(Error::WrongKey)));
    assert_eq!(fingerprint(dir.path())["locker.db"], db_before);
    // The right key opens it, the key check is written again, and the user hears of it.
    let l = Locker::open(dir.path(), k.clone()).unwrap();
    assert_eq!(l.notices().unwrap(), [OpenNotice::KeyCheckRewritten { was_damaged: false }]);
    assert_eq!(l.audit_entries(1).unwrap()[0].action, "keycheck.rewritten");
    drop(l);
    assert!(dir.path().join("locker.keycheck").exists());
    assert!(matches!(Locker::open(dir.path(), key()), Err(Error::WrongKey)));
    // A damaged one is told apart from a missing one; a store opened as it was left says nothing.
    let mut bytes = fs::read(dir.path().join("locker.keycheck")).unwrap();
    bytes[8] ^= 0xff;
    fs::write(dir.path().join("locker.keycheck"), bytes).unwrap();
    let l = Locker::open(dir.path(), k.clone()).unwrap();
    assert_eq!(l.notices().unwrap(), [OpenNotice::KeyCheckRewritten { was_damaged: true }]);
    assert!(l.notices().unwrap()[0].to_string().contains("damaged"));
    drop(l);
    assert!(Locker::open(dir.path(), k).unwrap().notices().unwrap().is_empty());
}

#[test]
fn a_store_that_lost_its_database_is_damaged_and_nothing_is_built_over_what_remains() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let (l, owner) = locker_with_owner(dir.path(), &k);
    l.attachments().add(&owner.id, "application/pdf", &mut &b"a scanned report"[..]).unwrap();
    l.close();
    fs::remove_file(dir.path().join("locker.db")).unwrap();
    let before = fingerprint(dir.path());

    // Not "no store": that would invite a new one over the attachments and the key check.
    let reason = match Locker::open(dir.path(), k.clone()) {
        Err(Error::Corrupt(reason)) => reason,
        other => panic!("{:?}", other.err()),
    };
    assert!(reason.contains("locker.keycheck") && reason.contains("attachments/ (1 file)"), "{reason}");
    assert!(reason.contains("locker.db is missing") && !reason.contains("init"), "{reason}");
    for other_key in [k.clone(), key()] {
        match Locker::create(dir.path(), other_key.clone()) {
            Err(Error::StoreExists { found }) => assert_eq!(found, "locker.keycheck, attachments/ (1 file)"),
            other => panic!("{:?}", other.err()),
        }
        assert!(matches!(Locker::open_or_create(dir.path(), other_key), Err(Error::Corrupt(_))));
    }
    let mut after = fingerprint(dir.path());
    after.remove("locker.lock");
    let mut before = before;
    before.remove("locker.lock");
    assert_eq!(after, before, "every file is as it was");
}

#[test]
fn a_store_can_be_made_where_a_crashed_create_left_only_its_own_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("attachments")).unwrap();
    fs::write(dir.path().join("locker.lock"), b"").unwrap();
    fs::write(dir.path().join("locker.db.next"), b"half a database").unwrap();
    let k = key();
    drop(Locker::open_or_create(dir.path(), k.clone()).unwrap());
    assert!(!dir.path().join("locker.db.next").exists());
    Locker::open(dir.path(), k).unwrap();
}

#[test]
fn a_truncated_database_is_corrupt_and_left_as_found() {
    for keep in [0.5, 0.9] {
        let dir = tempfile::tempdir().unwrap();
        let k = key();
        let (l, owner) = locker_with_owner(dir.path(), &k);
        for i in 0..200 {
            let b = tiny_bundle(&format!("t{i}"), "440545006", &format!("Prescription {i}"), "2023-05-01");
            l.records().import(&owner.id, &b, &Default::default()).unwrap();
        }
        drop(l);
        let db = dir.path().join("locker.db");
        let len = fs::metadata(&db).unwrap().len();
        let f = fs::OpenOptions::new().write(true).open(&db).unwrap();
        f.set_len(((len as f64 * keep) as u64 / 4096) * 4096 + 100).unwrap();
        drop(f);
        let before = fs::read(&db).unwrap();
        assert!(matches!(Locker::open(dir.path(), k.clone()), Err(Error::Corrupt(_))), "kept {keep}");
        assert_eq!(fs::read(&db).unwrap(), before);
        // Cut on a page boundary instead: SQLite sees fewer pages than its header promises.
        let f = fs::OpenOptions::new().write(true).open(&db).unwrap();
        f.set_len(((len as f64 * keep) as u64 / 4096) * 4096).unwrap();
        drop(f);
        let before = fs::read(&db).unwrap();
        let outcome = Locker::open(dir.path(), k.clone());
        assert!(matches!(outcome, Err(Error::Corrupt(_))), "kept {keep} on a page boundary");
        assert_eq!(fs::read(&db).unwrap(), before);
    }
}

#[test]
fn a_flipped_byte_anywhere_in_the_database_is_damage_never_a_wrong_key_nor_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let (l, owner) = locker_with_owner(dir.path(), &k);
    for i in 0..100 {
        let b = tiny_bundle(&format!("f{i}"), "721981007", &format!("Lipid profile {i}"), "2022-11-11");
        l.records().import(&owner.id, &b, &Default::default()).unwrap();
    }
    drop(l);
    let db = dir.path().join("locker.db");
    let pristine = fs::read(&db).unwrap();
    let pages = pristine.len() / 4096;
    for page in 0..pages {
        for offset in [0, 17, 2000, 4095] {
            let mut bytes = pristine.clone();
            bytes[page * 4096 + offset] ^= 0x40;
            fs::write(&db, &bytes).unwrap();
            let found = match Locker::open(dir.path(), k.clone()) {
                Err(e) => Some(e),
                Ok(l) => match l.check() {
                    Ok(report) => {
                        assert!(!report.is_ok(), "page {page} offset {offset}: check missed the damage");
                        None
                    }
                    Err(e) => Some(e),
                },
            };
            if let Some(e) = found {
                assert!(matches!(e, Error::Corrupt(_)), "page {page} offset {offset}: {e:?}");
            }
            assert_eq!(fs::read(&db).unwrap(), bytes, "page {page}: a damaged file was rewritten");
        }
    }
}

#[test]
fn a_store_from_a_newer_version_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    drop(locker_with_owner(dir.path(), &k));
    raw_connection(dir.path(), &k).pragma_update(None, "user_version", 99).unwrap();
    let before = fingerprint(dir.path());
    match Locker::open(dir.path(), k) {
        Err(Error::IncompatibleVersion { found: 99, supported }) => assert!(supported < 99),
        other => panic!("expected IncompatibleVersion, got {:?}", other.err()),
    }
    assert_eq!(fingerprint(dir.path()), before);
}

#[test]
fn two_processes_cannot_hold_the_store_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let (_l, _) = locker_with_owner(dir.path(), &k);
    assert!(matches!(Locker::open(dir.path(), k), Err(Error::Busy)));
}

#[test]
fn creating_over_an_existing_store_is_refused_and_opening_nothing_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    drop(locker_with_owner(dir.path(), &k));
    assert!(matches!(Locker::create(dir.path(), key()), Err(Error::StoreExists { .. })));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(Locker::open(empty.path(), k), Err(Error::NotFound(_))));
}
