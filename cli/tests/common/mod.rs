//! Runs the real `locker` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_locker");

/// A store directory, its key file and the binary pointed at them.
pub struct Setup {
    pub tmp: tempfile::TempDir,
    pub store: PathBuf,
    pub key: PathBuf,
}

impl Setup {
    /// A store with an owner.
    pub fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let s = Setup { store: tmp.path().join("store"), key: tmp.path().join("key"), tmp };
        ok(&s.run(&["keygen", s.key.to_str().unwrap()]));
        ok(&s.run(&["init"]));
        ok(&s.run(&["profile", "add", "--name", "Farida Begum", "--gender", "F", "--birth-date", "1979-02-14"]));
        s
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.env("LOCKER_STORE", &self.store).env("LOCKER_KEY_FILE", &self.key).env_remove("RUST_BACKTRACE").args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Writes `n` generated bundles; returns their paths.
    pub fn fixtures(&self, n: usize, seed: u64) -> Vec<PathBuf> {
        let dir = self.tmp.path().join(format!("fixtures-{seed}"));
        ok(&self.run(&[
            "fixtures",
            "generate",
            "--count",
            &n.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
            dir.to_str().unwrap(),
        ]));
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        files
    }

    pub fn key_file(&self, name: &str) -> PathBuf {
        let p = self.tmp.path().join(name);
        ok(&self.run(&["keygen", p.to_str().unwrap()]));
        p
    }
}

pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// A small deterministic generator, seeded from the clock and printed, so a failure can be
/// replayed with LOCKER_TEST_SEED.
pub struct Rng(u64);

impl Rng {
    pub fn from_env_or_clock(label: &str) -> Rng {
        let seed = std::env::var("LOCKER_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        });
        eprintln!("{label}: LOCKER_TEST_SEED={seed}");
        Rng(seed | 1)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub mod field;
