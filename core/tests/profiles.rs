//! Family profiles: add, update, list, remove — and removal takes everything of theirs.

mod common;

use common::*;
use locker_core::{Error, Gender, ProfileUpdate, RecordQuery};

#[test]
fn a_family_is_added_listed_and_updated() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let son = l.profiles().add(&member("Arjun Narayanan", "child")).unwrap();
    let mother = l.profiles().add(&member("Kamala Iyer", "parent")).unwrap();
    let listed: Vec<String> = l.profiles().list().unwrap().into_iter().map(|p| p.id).collect();
    assert_eq!(listed, vec![owner.id.clone(), son.id.clone(), mother.id.clone()]);
    assert_eq!(owner.abha_number.as_deref(), Some("91-6285-4575-5116"));
    let u = ProfileUpdate {
        name: Some("Kamala Narayanan".into()),
        gender: Some(Gender::Female),
        abha_number: Some(Some("15363806846247".into())),
        ..Default::default()
    };
    let updated = l.profiles().update(&mother.id, &u).unwrap();
    assert_eq!(updated.name, "Kamala Narayanan");
    assert_eq!(updated.gender, Gender::Female);
    assert_eq!(updated.abha_number.as_deref(), Some("15-3638-0684-6247"), "stored dashed");
    let cleared =
        l.profiles().update(&mother.id, &ProfileUpdate { abha_number: Some(None), ..Default::default() }).unwrap();
    assert_eq!(cleared.abha_number, None);
}

#[test]
fn bad_profile_data_is_refused_without_repeating_it() {
    let dir = tempfile::tempdir().unwrap();
    let (l, _) = locker_with_owner(dir.path(), &key());
    let bads = [
        member("", "child"),
        member("Ravi", "neighbour"),
        {
            let mut p = member("Ravi", "child");
            p.birth_date = "31-12-2001".into();
            p
        },
        {
            let mut p = member("Ravi", "child");
            p.birth_date = "2999-01-01".into();
            p
        },
        {
            let mut p = member("Ravi", "child");
            p.abha_number = Some("12345".into());
            p
        },
        {
            let mut p = member("Ravi", "child");
            p.abha_address = Some("r@".into());
            p
        },
        {
            let mut p = owner();
            p.name = "Second Owner".into();
            p
        },
        {
            let mut p = member("Ravi", "self");
            p.is_owner = false;
            p
        },
    ];
    for p in bads {
        match l.profiles().add(&p) {
            Err(Error::InvalidInput(msg)) => {
                assert!(!msg.contains("Ravi") && !msg.contains("12345") && !msg.contains("31-12-2001"), "{msg}")
            }
            other => panic!("expected InvalidInput for {p:?}, got {other:?}"),
        }
    }
    assert_eq!(l.profiles().list().unwrap().len(), 1);
}

#[test]
fn removing_a_member_removes_their_records_and_files_and_nobody_elses() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let son = l.profiles().add(&member("Arjun Narayanan", "child")).unwrap();
    for (who, n) in [(&owner.id, 3), (&son.id, 4)] {
        for i in 0..n {
            let b = tiny_bundle(&format!("{who}-{i}"), "41000179103", "Immunization BCG", "2013-01-10");
            l.records().import(who, &b, &Default::default()).unwrap();
            l.attachments().add(who, "image/png", &mut &[7u8; 5000][..]).unwrap();
        }
    }
    l.profiles().remove(&son.id).unwrap();
    assert!(matches!(l.profiles().get(&son.id), Err(Error::NotFound(_))));
    let left = l.records().list(&RecordQuery { limit: 100, ..Default::default() }).unwrap().records;
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|r| r.profile_id == owner.id));
    assert_eq!(walk(&dir.path().join("attachments")).len(), 3);
    let wal = dir.path().join("locker.db-wal");
    assert_eq!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), 0, "the WAL was scrubbed");
    let search = l.records().list(&RecordQuery { text: Some("bcg".into()), limit: 100, ..Default::default() }).unwrap();
    assert_eq!(search.records.len(), 3);
    assert!(l.check().unwrap().is_ok());
    assert!(matches!(l.profiles().remove(&son.id), Err(Error::NotFound(_))));
}

#[test]
fn abha_numbers_and_addresses_follow_enrolments_rules_and_belong_to_one_profile() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    // The parser enrolment uses: dashes only between the 2-4-4-4 groups; a lenient address.
    for (number, address) in [
        (Some("9-16285-4575-5116"), None),
        (Some("91-6285-45755-116"), None),
        (None, Some("ravi@")),
        (None, Some("ra@sbx")),
    ] {
        let mut p = member("Ravi Kumar", "child");
        p.abha_number = number.map(str::to_owned);
        p.abha_address = address.map(str::to_owned);
        assert!(matches!(l.profiles().add(&p), Err(Error::InvalidInput(_))), "{number:?} {address:?}");
    }
    // A number that fails the Luhn check is kept: a warning for the shell, not a refusal.
    let mut child = member("Ravi Kumar", "child");
    child.abha_number = Some("12345678901234".into());
    child.abha_address = Some("Ravi.Kumar_7@SBX".into());
    let child = l.profiles().add(&child).unwrap();
    assert_eq!(child.abha_number.as_deref(), Some("12-3456-7890-1234"));
    assert_eq!(child.abha_address.as_deref(), Some("Ravi.Kumar_7@sbx"));
    assert!(!locker_core::abha::AbhaNumber::parse("12345678901234").unwrap().passes_luhn());

    // One ABHA number (or address) on two profiles of one store is refused, naming the holder.
    let mut twin = member("Ravi Kumar Jr", "child");
    twin.abha_number = Some("12 3456 7890 1234".into());
    assert!(matches!(l.profiles().add(&twin), Err(Error::Duplicate { existing }) if existing == child.id));
    let mut twin = member("Ravi Kumar Jr", "child");
    twin.abha_address = Some("ravi.kumar_7@sbx".into());
    assert!(matches!(l.profiles().add(&twin), Err(Error::Duplicate { existing }) if existing == child.id));
    let steal = ProfileUpdate { abha_number: Some(owner.abha_number.clone()), ..Default::default() };
    assert!(
        matches!(l.profiles().update(&child.id, &steal), Err(Error::Duplicate { existing }) if existing == owner.id)
    );
    assert_eq!(
        l.profiles().get(&child.id).unwrap().abha_number.as_deref(),
        Some("12-3456-7890-1234"),
        "nothing changed"
    );
    // Saving a profile with its own number again is no conflict.
    l.profiles().update(&owner.id, &ProfileUpdate::from(&owner)).unwrap();
    assert_eq!(l.profiles().list().unwrap().len(), 2);
}

#[test]
fn a_birth_date_that_does_not_exist_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (l, _) = locker_with_owner(dir.path(), &key());
    let mut p = member("Ravi Kumar", "child");
    p.birth_date = "1971-02-29".into();
    match l.profiles().add(&p) {
        Err(Error::InvalidInput(m)) => assert!(m.contains("no such date") && !m.contains("1971"), "{m}"),
        other => panic!("{other:?}"),
    }
}
