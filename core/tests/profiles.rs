//! Family profiles: add, update, list, remove — and removal takes everything of theirs.

mod common;

use common::*;
use locker_core::{Error, Gender, ProfileUpdate, RecordQuery};

#[test]
fn a_family_is_added_listed_and_updated() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, owner) = store_with_owner(dir.path(), &key());
    let son = s.add_profile(&member("Arjun Narayanan", "child")).unwrap();
    let mother = s.add_profile(&member("Kamala Iyer", "parent")).unwrap();
    let listed: Vec<String> = s.profiles().unwrap().into_iter().map(|p| p.id).collect();
    assert_eq!(listed, vec![owner.id.clone(), son.id.clone(), mother.id.clone()]);
    assert_eq!(owner.abha_number.as_deref(), Some("91-6285-4575-5116"));
    let u = ProfileUpdate {
        name: Some("Kamala Narayanan".into()),
        gender: Some(Gender::Female),
        abha_number: Some(Some("15363806846247".into())),
        ..Default::default()
    };
    let updated = s.update_profile(&mother.id, &u).unwrap();
    assert_eq!(updated.name, "Kamala Narayanan");
    assert_eq!(updated.gender, Gender::Female);
    assert_eq!(updated.abha_number.as_deref(), Some("15-3638-0684-6247"), "stored dashed");
    let cleared =
        s.update_profile(&mother.id, &ProfileUpdate { abha_number: Some(None), ..Default::default() }).unwrap();
    assert_eq!(cleared.abha_number, None);
}

#[test]
fn bad_profile_data_is_refused_without_repeating_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = store_with_owner(dir.path(), &key());
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
        match s.add_profile(&p) {
            Err(Error::InvalidInput(msg)) => {
                assert!(!msg.contains("Ravi") && !msg.contains("12345") && !msg.contains("31-12-2001"), "{msg}")
            }
            other => panic!("expected InvalidInput for {p:?}, got {other:?}"),
        }
    }
    assert_eq!(s.profiles().unwrap().len(), 1);
}

#[test]
fn removing_a_member_removes_their_records_and_files_and_nobody_elses() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, owner) = store_with_owner(dir.path(), &key());
    let son = s.add_profile(&member("Arjun Narayanan", "child")).unwrap();
    for (who, n) in [(&owner.id, 3), (&son.id, 4)] {
        for i in 0..n {
            let b = tiny_bundle(&format!("{who}-{i}"), "41000179103", "Immunization BCG", "2013-01-10");
            s.import_bundle(who, &b, &Default::default()).unwrap();
            s.add_attachment(who, "image/png", &mut &[7u8; 5000][..]).unwrap();
        }
    }
    s.remove_profile(&son.id).unwrap();
    assert!(matches!(s.profile(&son.id), Err(Error::NotFound(_))));
    let left = s.list_records(&RecordQuery { limit: 100, ..Default::default() }).unwrap().records;
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|r| r.profile_id == owner.id));
    assert_eq!(walk(&dir.path().join("attachments")).len(), 3);
    let wal = dir.path().join("locker.db-wal");
    assert_eq!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), 0, "the WAL was scrubbed");
    let search = s.list_records(&RecordQuery { text: Some("bcg".into()), limit: 100, ..Default::default() }).unwrap();
    assert_eq!(search.records.len(), 3);
    assert!(s.check().unwrap().is_ok());
    assert!(matches!(s.remove_profile(&son.id), Err(Error::NotFound(_))));
}
