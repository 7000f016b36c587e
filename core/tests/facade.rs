//! The `Locker` facade as the shells use it: uploads piece by piece, files by path, closing.

mod common;

use common::*;
use locker_core::{Error, ImportOptions, Locker, ProfileUpdate};
use std::fs;

fn temporaries(dir: &std::path::Path) -> usize {
    walk(&dir.join("attachments")).iter().filter(|p| p.extension().is_some_and(|e| e == "tmp")).count()
}

#[test]
fn a_scan_uploaded_piece_by_piece_reads_back_piece_by_piece() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let content: Vec<u8> = (0..700_001u32).map(|i| (i % 251) as u8).collect();
    let mut up = l.attachments().begin(&owner.id, "application/pdf").unwrap();
    for piece in content.chunks(100_000) {
        // Another caller is served while the upload is in progress.
        assert_eq!(l.profiles().list().unwrap().len(), 1);
        up.write_chunk(piece).unwrap();
    }
    assert_eq!(temporaries(dir.path()), 1);
    let info = l.attachments().commit(&mut up).unwrap();
    assert_eq!((info.size, temporaries(dir.path())), (700_001, 0));
    assert!(matches!(up.write_chunk(b"more"), Err(Error::InvalidInput(_))));
    assert!(matches!(l.attachments().commit(&mut up), Err(Error::InvalidInput(_))));

    let mut r = l.attachments().open(&info.id).unwrap();
    let mut back = Vec::new();
    loop {
        let piece = r.read_chunk(300_000).unwrap();
        if piece.is_empty() {
            break;
        }
        assert!(piece.len() == 300_000 || back.len() + piece.len() == content.len());
        back.extend(piece);
    }
    assert_eq!(back, content);
}

#[test]
fn an_abandoned_upload_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let mut up = l.attachments().begin(&owner.id, "image/jpeg").unwrap();
    up.write_chunk(&[1; 5000]).unwrap();
    up.abort();
    assert_eq!(temporaries(dir.path()), 0);
    assert!(matches!(l.attachments().commit(&mut up), Err(Error::InvalidInput(_))));

    let mut dropped = l.attachments().begin(&owner.id, "image/jpeg").unwrap();
    dropped.write_chunk(&[2; 5000]).unwrap();
    drop(dropped);
    assert_eq!(temporaries(dir.path()), 0);
    assert!(l.attachments().list(&owner.id).unwrap().is_empty());
}

#[test]
fn an_upload_for_a_profile_removed_meanwhile_is_refused_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let (l, _) = locker_with_owner(dir.path(), &key());
    let child = l.profiles().add(&member("Arjun Narayanan", "child")).unwrap();
    let mut up = l.attachments().begin(&child.id, "image/png").unwrap();
    up.write_chunk(&[3; 1000]).unwrap();
    l.profiles().remove(&child.id).unwrap();
    assert!(matches!(l.attachments().commit(&mut up), Err(Error::NotFound("profile"))));
    assert!(walk(&dir.path().join("attachments")).is_empty());
}

#[test]
fn files_go_in_and_come_out_by_path_whole() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());

    let scan = outside.path().join("scan.pdf");
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 7) as u8).collect();
    fs::write(&scan, &content).unwrap();
    let info = l.attachments().add_file(&owner.id, "application/pdf", &scan).unwrap();
    let saved = outside.path().join("saved.pdf");
    assert_eq!(l.attachments().save_to(&info.id, &saved).unwrap(), 300_000);
    assert_eq!(fs::read(&saved).unwrap(), content);

    let bundle_path = outside.path().join("in.json");
    let bundle = tiny_bundle("b-1", "371530004", "Clinical consultation report", "2024-03-01");
    fs::write(&bundle_path, &bundle).unwrap();
    let r = l.records().import_file(&owner.id, &bundle_path, &ImportOptions::default()).unwrap();
    let out = outside.path().join("out.json");
    fs::write(&out, b"an older export").unwrap();
    assert_eq!(l.records().export_to(&r.id, &out).unwrap(), bundle.len() as u64);
    assert_eq!(fs::read(&out).unwrap(), bundle);

    // A failed export leaves the destination as it was and no partial file.
    assert!(matches!(l.records().export_to("no-such-record", &out), Err(Error::NotFound(_))));
    assert_eq!(fs::read(&out).unwrap(), bundle);
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 4);
    assert!(matches!(
        l.records().import_file(&owner.id, &outside.path().join("missing.json"), &ImportOptions::default()),
        Err(Error::Io(_))
    ));
}

#[test]
fn an_edited_profile_is_saved_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let mut edited = owner.clone();
    edited.name = "Lakshmi N. Iyer".into();
    edited.abha_address = None;
    let saved = l.profiles().update(&owner.id, &ProfileUpdate::from(&edited)).unwrap();
    assert_eq!((saved.name.as_str(), saved.abha_address), ("Lakshmi N. Iyer", None));
    assert_eq!(saved.abha_number, owner.abha_number);
}

#[test]
fn a_closed_locker_refuses_work_and_frees_the_store_for_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let (l, owner) = locker_with_owner(dir.path(), &k);
    let mut up = l.attachments().begin(&owner.id, "image/png").unwrap();
    up.write_chunk(&[4; 100]).unwrap();
    l.close();
    l.close();
    assert!(matches!(l.profiles().list(), Err(Error::Closed)));
    assert!(matches!(l.attachments().commit(&mut up), Err(Error::Closed)));
    let again = Locker::open(dir.path(), k).unwrap();
    assert_eq!(again.profiles().list().unwrap(), vec![owner]);
    assert_eq!(temporaries(dir.path()), 0);
}

#[test]
fn an_app_starting_opens_its_store_or_makes_it_the_first_time() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let first = Locker::open_or_create(dir.path(), k.clone()).unwrap();
    let me = first.profiles().add(&owner()).unwrap();
    first.close();
    assert!(matches!(Locker::open_or_create(dir.path(), key()), Err(Error::WrongKey)));
    let later = Locker::open_or_create(dir.path(), k).unwrap();
    assert_eq!(later.profiles().list().unwrap(), vec![me]);
}
