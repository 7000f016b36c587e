//! `locker bench size` on the library the workspace's debug build left beside the binary: the
//! figures' shape, never their values (a debug library says nothing about the release size).

mod common;

use common::*;
use std::path::PathBuf;
use std::process::Command;

/// The debug cdylib next to the `locker` binary under test.
fn debug_library() -> PathBuf {
    let dir = std::path::Path::new(BIN).parent().expect("the binary sits in a target directory");
    let lib = dir.join(format!("{}locker_ffi{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX));
    assert!(
        lib.is_file(),
        "{} is missing: build the workspace first (`cargo build`), this test builds nothing",
        lib.display()
    );
    lib
}

#[test]
fn a_release_engineer_sees_which_crates_fill_the_library() {
    let lib = debug_library();
    let out =
        Command::new(BIN).args(["bench", "size", "--json", "--top", "40", "--lib", path_str(&lib)]).output().unwrap();
    let f: serde_json::Value = serde_json::from_str(&ok(&out)).expect("one JSON object");

    let stripped = f["cdylib_stripped_bytes"].as_u64().unwrap();
    let unstripped = f["cdylib_unstripped_bytes"].as_u64().unwrap();
    assert!(0 < stripped && stripped < unstripped, "stripping must shrink the copy: {stripped} vs {unstripped}");
    assert_eq!(unstripped, std::fs::metadata(&lib).unwrap().len(), "the original is read, not changed");
    assert_eq!(f["target_mb"], 8);
    assert_eq!(f["within_target"].as_bool(), Some(stripped <= 8_000_000));
    assert!(f["attributed_bytes"].as_u64().unwrap() > 0);
    assert!(f["unattributed_bytes"].is_u64());
    assert!(f["note"].as_str().is_some_and(|n| n.contains("heuristic")));

    let top = f["top_crates"].as_array().expect("top_crates is a list");
    assert!(!top.is_empty());
    let named: Vec<&serde_json::Value> = top.iter().filter(|c| c["crate"] != "other").collect();
    let bytes: Vec<u64> = named.iter().map(|c| c["bytes"].as_u64().unwrap()).collect();
    assert!(bytes.windows(2).all(|w| w[0] >= w[1]), "sorted, largest first: {bytes:?}");
    let crates: Vec<&str> = named.iter().map(|c| c["crate"].as_str().unwrap()).collect();
    for expected in ["sqlcipher (C)", "openssl (C)"] {
        assert!(crates.contains(&expected), "{expected} missing from {crates:?}");
    }
    assert!(crates.contains(&"std") || crates.contains(&"core"), "no Rust standard library in {crates:?}");
    let shares: f64 = top.iter().map(|c| c["share"].as_f64().unwrap()).sum();
    assert!(shares <= 1.0 + 1e-3, "shares add up to {shares}");
}

#[test]
fn a_file_that_is_not_a_library_is_one_clear_line() {
    let out = Command::new(BIN)
        .args(["bench", "size", "--json", "--lib", concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")])
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: ") && err.contains("Cargo.toml"), "{err}");
}
