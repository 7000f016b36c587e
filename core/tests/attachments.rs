//! Attachments: streamed in and out with bounded memory, and any change on disk is tampering.

mod common;

use common::*;
use locker_core::{Error, Locker};
use std::fs;
use std::io::{self, Read};

/// A reader of `n` pseudo-random bytes that never holds more than one buffer.
struct Pattern {
    left: u64,
    state: u64,
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.left as usize);
        for b in &mut buf[..n] {
            self.state = self.state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *b = (self.state >> 56) as u8;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn pattern(n: u64) -> Pattern {
    Pattern { left: n, state: 42 }
}

fn pattern_bytes(n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    pattern(n).read_to_end(&mut out).unwrap();
    out
}

fn read_all(l: &Locker, id: &str) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    l.attachments().open(id)?.read_to_end(&mut out).map_err(Error::from)?;
    Ok(out)
}

fn file_of(dir: &std::path::Path, id: &str) -> std::path::PathBuf {
    dir.join("attachments").join(format!("{id}.hla"))
}

#[test]
fn a_scan_streams_in_and_out_intact_at_any_size() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    for n in [0u64, 1, 65_535, 65_536, 65_537, 3_000_001] {
        let a = l.attachments().add(&owner.id, "image/jpeg", &mut pattern(n)).unwrap();
        assert_eq!(a.size, n);
        let mut expected = Vec::new();
        pattern(n).read_to_end(&mut expected).unwrap();
        assert_eq!(read_all(&l, &a.id).unwrap(), expected, "size {n}");
    }
    assert!(l.check().unwrap().is_ok());
}

#[test]
fn any_change_to_an_attachment_file_is_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let a = l.attachments().add(&owner.id, "application/pdf", &mut pattern(300_000)).unwrap();
    let b = l.attachments().add(&owner.id, "application/pdf", &mut pattern(300_000)).unwrap();
    let (pa, pb) = (file_of(dir.path(), &a.id), file_of(dir.path(), &b.id));
    let pristine = fs::read(&pa).unwrap();
    let chunk = 65_536 + 16;
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("flipped byte", {
            let mut x = pristine.clone();
            x[100_000] ^= 1;
            x
        }),
        ("truncated mid-chunk", pristine[..pristine.len() - 10].to_vec()),
        ("truncated on a chunk boundary", pristine[..20 + 2 * chunk].to_vec()),
        ("extended", [pristine.clone(), vec![0; 17]].concat()),
    ];
    let mut swapped = pristine.clone();
    let first = swapped[20..20 + chunk].to_vec();
    swapped.copy_within(20 + chunk..20 + 2 * chunk, 20);
    swapped[20 + chunk..20 + 2 * chunk].copy_from_slice(&first);
    cases.push(("chunks swapped", swapped));
    for (what, bytes) in cases {
        fs::write(&pa, &bytes).unwrap();
        assert!(matches!(read_all(&l, &a.id), Err(Error::Tampered)), "{what}");
        let report = l.check().unwrap();
        assert_eq!(report.damaged_attachments, vec![a.id.clone()], "{what}");
    }
    // One attachment's file put in place of another's.
    fs::write(&pa, fs::read(&pb).unwrap()).unwrap();
    assert!(matches!(read_all(&l, &a.id), Err(Error::Tampered)), "swapped files");
    fs::write(&pa, &pristine).unwrap();
    assert!(l.check().unwrap().is_ok());
}

#[test]
fn opening_settles_what_a_crash_left_and_touches_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let (l, owner) = locker_with_owner(dir.path(), &k);
    let kept = l.attachments().add(&owner.id, "image/png", &mut pattern(1000)).unwrap();
    let lost = l.attachments().add(&owner.id, "image/png", &mut pattern(1000)).unwrap();
    let unrenamed = l.attachments().add(&owner.id, "image/png", &mut pattern(3000)).unwrap();
    drop(l);
    let att = dir.path().join("attachments");
    // A write killed before its row committed; one killed between its commit and its rename; a
    // file no row names; a file of another name; a file that vanished (outside damage).
    fs::write(att.join("0b9c1f7e-0000-4000-8000-000000000001.tmp"), b"half").unwrap();
    fs::rename(file_of(dir.path(), &unrenamed.id), att.join(format!("{}.tmp", unrenamed.id))).unwrap();
    fs::write(att.join("0b9c1f7e-0000-4000-8000-000000000002.hla"), b"orphan").unwrap();
    fs::write(att.join("notes.txt"), b"mine").unwrap();
    fs::write(dir.path().join("README.txt"), b"mine too").unwrap();
    fs::remove_file(file_of(dir.path(), &lost.id)).unwrap();

    let l = Locker::open(dir.path(), k).unwrap();
    let mut names: Vec<String> =
        walk(&att).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut expected = vec![
        "0b9c1f7e-0000-4000-8000-000000000002.hla".to_string(),
        format!("{}.hla", kept.id),
        format!("{}.hla", unrenamed.id),
        "notes.txt".to_string(),
    ];
    expected.sort();
    assert_eq!(names, expected, "only the uncommitted temporary went; the committed one was put in place");
    assert_eq!(read_all(&l, &unrenamed.id).unwrap(), pattern_bytes(3000));
    assert!(dir.path().join("README.txt").exists());
    // Every row stays, the vanished file's too: `check` reports it instead of opening forgetting it.
    assert_eq!(l.attachments().list(&owner.id).unwrap().len(), 3);
    let report = l.check().unwrap();
    assert_eq!(report.damaged_attachments, vec![lost.id.clone()]);
    assert_eq!(
        report.stray_files,
        vec!["README.txt", "attachments/0b9c1f7e-0000-4000-8000-000000000002.hla", "attachments/notes.txt"]
    );
    assert!(report.notes[0].contains("3 files") && report.notes[0].contains("left alone"), "{:?}", report.notes);
    assert!(!report.is_ok());
}

#[test]
fn an_attachment_committed_but_not_yet_renamed_is_read_from_its_temporary_name() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    let a = l.attachments().add(&owner.id, "application/pdf", &mut pattern(70_000)).unwrap();
    let att = dir.path().join("attachments");
    fs::rename(file_of(dir.path(), &a.id), att.join(format!("{}.tmp", a.id))).unwrap();
    assert_eq!(read_all(&l, &a.id).unwrap(), pattern_bytes(70_000));
    assert!(l.check().unwrap().is_ok(), "{:?}", l.check().unwrap().problems);
}

#[test]
fn a_record_whose_inline_data_vanished_fails_export_instead_of_coming_back_short() {
    let dir = tempfile::tempdir().unwrap();
    let k = key();
    let (l, owner) = locker_with_owner(dir.path(), &k);
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, vec![1u8; 100_000]);
    let bundle = serde_json::to_vec(&serde_json::json!({"resourceType":"Bundle","type":"document","entry":[
        {"resource":{"resourceType":"Composition","title":"X-ray","date":"2020-01-01",
          "type":{"coding":[{"system":"http://snomed.info/sct","code":"419891008"}]}}},
        {"resource":{"resourceType":"Binary","contentType":"image/jpeg","data":b64}}]}))
    .unwrap();
    let r = l.records().import(&owner.id, &bundle, &Default::default()).unwrap();
    let spliced = l.attachments().list(&owner.id).unwrap();
    drop(l);
    for f in walk(&dir.path().join("attachments")) {
        fs::remove_file(f).unwrap();
    }
    let l = Locker::open(dir.path(), k).unwrap();
    assert!(matches!(l.records().export(&r.id, &mut Vec::new()), Err(Error::Corrupt(_))));
    let report = l.check().unwrap();
    assert_eq!(report.damaged_attachments, vec![spliced[0].id.clone()]);
    assert!(!report.is_ok());
}

#[test]
fn bad_media_types_and_unknown_profiles_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    assert!(matches!(l.attachments().add(&owner.id, "pdf", &mut pattern(1)), Err(Error::InvalidInput(_))));
    assert!(matches!(l.attachments().add("nobody", "image/png", &mut pattern(1)), Err(Error::NotFound(_))));
    assert!(matches!(l.attachments().open("nothing"), Err(Error::NotFound(_))));
    assert!(walk(&dir.path().join("attachments")).is_empty());
}
