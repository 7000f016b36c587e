//! For the enrolment stories: an in-process sandbox backbone, a store with its key, and the
//! real binary pointed at both; made-up citizens; and ways to look at what the store holds.

use super::{BIN, ok, path_str};
use locker_core::{DatabaseKey, Locker};
use locker_sandbox::{Sandbox, SandboxConfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const DEMOGRAPHIC: &str = "/abha/api/v1/hid/benefit/createHealthId/demo/auth";

/// A made-up citizen: distinct name, mobile and Aadhaar number for each `i`.
#[derive(Clone, Debug)]
pub struct Citizen {
    pub name: String,
    pub mobile: String,
    pub aadhaar: String,
}

const FIRST: [&str; 12] =
    ["Asha", "Bhavna", "Chitra", "Deepa", "Esha", "Gauri", "Hema", "Indira", "Jaya", "Kamala", "Latha", "Malini"];
const LAST: [&str; 6] = ["Kulkarni", "Deshmukh", "Pawar", "Jadhav", "Shinde", "Gaikwad"];

pub fn citizen(i: u64) -> Citizen {
    Citizen {
        name: format!("{} {}", FIRST[i as usize % FIRST.len()], LAST[(i as usize / FIRST.len()) % LAST.len()]),
        mobile: format!("98{:08}", 31_415_000 + i),
        aadhaar: locker_sandbox::test_aadhaar(7_000_000 + i),
    }
}

/// A field worker's device: a store and its key, and a sandbox backbone.
pub struct Field {
    pub sandbox: Sandbox,
    pub tmp: tempfile::TempDir,
    pub store: PathBuf,
    pub key: PathBuf,
}

impl Field {
    /// A store, and a worker session that has fetched the backbone's key.
    pub fn new() -> Field {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let f = Field { store: tmp.path().join("store"), key: tmp.path().join("key"), tmp, sandbox };
        ok(&f.run(&["keygen", path_str(&f.key)]));
        ok(&f.run(&["enrol", "session", "--worker", "ASHA-7", "--device", "tab-3"]));
        f
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.env("LOCKER_STORE", &self.store)
            .env("LOCKER_KEY_FILE", &self.key)
            .env("LOCKER_BACKBONE_URL", self.sandbox.url())
            .env_remove("LOCKER_CLIENT_ID")
            .env_remove("LOCKER_CLIENT_SECRET")
            .env_remove("RUST_BACKTRACE")
            .args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Captures citizen `i` with no network; returns the enrolment's id.
    pub fn capture_offline(&self, i: u64) -> String {
        let c = citizen(i);
        let out = ok(&self.run(&[
            "enrol",
            "--assisted",
            "--worker",
            "ASHA-7",
            "--device",
            "tab-3",
            "--offline",
            "--name",
            &c.name,
            "--gender",
            "F",
            "--birth-date",
            "1987-06-21",
            "--mobile",
            &c.mobile,
            "--address",
            "Ward 2, Wadgaon village",
            "--state-code",
            "27",
            "--district-code",
            "502",
            "--pin-code",
            "442401",
            "--aadhaar",
            &c.aadhaar,
            "--consent-language",
            "mr",
            "--consent-version",
            "1.4",
        ]));
        out.split(" queued as ").nth(1).and_then(|s| s.split_whitespace().next()).expect("the id is printed").into()
    }

    /// `locker enrol submit --json`, parsed.
    pub fn submit(&self) -> serde_json::Value {
        serde_json::from_str(&ok(&self.run(&["enrol", "submit", "--json"]))).unwrap()
    }

    /// `locker enrol queue --json`, parsed.
    pub fn queue(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&ok(&self.run(&["enrol", "queue", "--json"]))).unwrap()
    }

    pub fn open(&self) -> Locker {
        Locker::open(&self.store, key_of(&self.key)).unwrap()
    }

    /// How many times each enrolment was reconciled with a backbone answer (audit log).
    pub fn reconciliations(&self) -> HashMap<String, u32> {
        let locker = self.open();
        let mut n = HashMap::new();
        for e in locker.audit_entries(u32::MAX).unwrap() {
            if e.action == "enrolment.submitted" {
                *n.entry(e.subject.unwrap()).or_default() += 1;
            }
        }
        n
    }

    /// Every citizen of `ids` has exactly one account at the sandbox, applied once, and was
    /// reconciled here exactly once.
    pub fn assert_each_enrolled_once(&self, citizens: &[Citizen], ids: &[String]) {
        let accounts = self.sandbox.accounts();
        for c in citizens {
            let mine: Vec<_> = accounts.iter().filter(|a| a.mobile == c.mobile).collect();
            assert_eq!(mine.len(), 1, "{} has {} accounts", c.name, mine.len());
            assert_eq!(mine[0].request_ids.len(), 1, "{} was enrolled under several REQUEST-IDs", c.name);
        }
        assert_eq!(self.sandbox.stats().duplicates, 0);
        let reconciled = self.reconciliations();
        for id in ids {
            assert_eq!(reconciled.get(id), Some(&1), "enrolment {id} reconciled {:?} times", reconciled.get(id));
        }
    }
}

pub fn key_of(path: &Path) -> DatabaseKey {
    DatabaseKey::from_hex(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every file under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if contains(&std::fs::read(&p).unwrap(), needle) {
                hits.push(p);
            }
        }
    }
    hits
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The whole database decrypted into a plain SQLite file in `out_dir`, as bytes: what anyone
/// holding the key could read.
pub fn decrypted_database(store: &Path, key: &DatabaseKey, out_dir: &Path) -> Vec<u8> {
    let plain = out_dir.join("plain.db");
    let _ = std::fs::remove_file(&plain);
    let c = rusqlite::Connection::open(store.join("locker.db")).unwrap();
    c.execute_batch(&format!("PRAGMA key = \"x'{}'\"; PRAGMA cipher_compatibility = 4;", *key.to_hex())).unwrap();
    c.execute("ATTACH DATABASE ?1 AS plain KEY ''", [path_str(&plain)]).unwrap();
    c.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(())).unwrap();
    c.execute_batch("DETACH DATABASE plain").unwrap();
    drop(c);
    std::fs::read(&plain).unwrap()
}
