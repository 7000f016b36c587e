//! Shared by the integration tests: stores in temporary directories, and file fingerprints.
#![allow(dead_code)]

pub mod field;

use locker_core::{DatabaseKey, Gender, Locker, NewProfile, Profile};
use ring::digest::{SHA256, digest};
use std::collections::BTreeMap;
use std::path::Path;

pub fn key() -> DatabaseKey {
    DatabaseKey::generate().unwrap()
}

pub fn owner() -> NewProfile {
    NewProfile {
        name: "Lakshmi Narayanan".into(),
        gender: Gender::Female,
        birth_date: "1984-07-19".into(),
        abha_number: Some("91-6285-4575-5116".into()),
        abha_address: Some("lakshmi.n@sbx".into()),
        relation: "self".into(),
        is_owner: true,
    }
}

pub fn member(name: &str, relation: &str) -> NewProfile {
    NewProfile {
        name: name.into(),
        gender: Gender::Male,
        birth_date: "2012".into(),
        abha_number: None,
        abha_address: None,
        relation: relation.into(),
        is_owner: false,
    }
}

/// A new store in `dir` with its owner.
pub fn locker_with_owner(dir: &Path, key: &DatabaseKey) -> (Locker, Profile) {
    let l = Locker::create(dir, key.clone()).unwrap();
    let p = l.profiles().add(&owner()).unwrap();
    (l, p)
}

/// SHA-256 of every file under `dir`, by relative path.
pub fn fingerprint(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap();
        out.insert(entry.strip_prefix(dir).unwrap().display().to_string(), hex::encode(digest(&SHA256, &bytes)));
    }
    out
}

pub fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// A minimal ABDM document bundle of the given Composition SNOMED code.
pub fn tiny_bundle(id: &str, code: &str, title: &str, date: &str) -> Vec<u8> {
    serde_json::json!({
        "resourceType": "Bundle",
        "identifier": {"system": "http://hip.test", "value": id},
        "type": "document",
        "timestamp": "2024-01-01T00:00:00+05:30",
        "entry": [
            {"fullUrl": "Composition/c1", "resource": {
                "resourceType": "Composition", "id": "c1", "status": "final",
                "type": {"coding": [{"system": "http://snomed.info/sct", "code": code}]},
                "title": title, "date": date,
                "custodian": {"reference": "Organization/o1"},
                "author": [{"reference": "Practitioner/p1", "display": "Dr. Arvind Rao"}]
            }},
            {"fullUrl": "Organization/o1", "resource": {"resourceType": "Organization", "id": "o1", "name": "PHC Rampur"}},
            {"fullUrl": "Patient/pt", "resource": {"resourceType": "Patient", "id": "pt",
                "name": [{"text": "Lakshmi Narayanan"}]}}
        ]
    })
    .to_string()
    .into_bytes()
}

/// A raw SQLCipher connection to a store's database, bypassing the store: for tests that play
/// the part of damage, or of a newer version.
pub fn raw_connection(dir: &Path, key: &DatabaseKey) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(dir.join("locker.db")).unwrap();
    c.execute_batch(&format!("PRAGMA key = \"x'{}'\"; PRAGMA cipher_compatibility = 4;", *key.to_hex())).unwrap();
    c
}
