//! README's table of exit codes, each triggered through the real binary: scripts tell failures
//! apart by these numbers, so each one is held to what the table says.

mod common;

use common::field::key_of;
use common::*;
use locker_sandbox::{Sandbox, SandboxConfig};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

fn code(o: &std::process::Output) -> Option<i32> {
    o.status.code()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One imported record's id.
fn imported(s: &Setup) -> String {
    let bundle = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/bundles/prescription.json");
    let out = ok(&s.run(&["records", "import", "--json", bundle]));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    v["id"].as_str().unwrap().to_string()
}

#[test]
fn every_code_in_readmes_table_comes_from_the_case_it_names() {
    let s = Setup::new();
    let id = imported(&s);
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/bundles");

    // 0: done.
    assert_eq!(code(&s.run(&["records", "show", &id])), Some(0));

    // 1: something else: here the device is full under standard output.
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let o = s.cmd(&["records", "export", &id]).stdout(full).output().unwrap();
    assert_eq!(code(&o), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("out of storage space"), "{}", stderr(&o));

    // 2: bad input: a file that is not a bundle, a bad value, a bad argument.
    let o = s.run(&["records", "import", &format!("{samples}/invalid/not-a-bundle.json")]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    let o = s.run(&["profile", "add", "--name", "Ravi", "--gender", "X", "--birth-date", "2012"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert_eq!(code(&s.run(&["records", "list", "--limit", "many"])), Some(2));

    // 3: wrong key.
    let wrong = s.key_file("wrong.key");
    assert_eq!(code(&s.run(&["records", "list", "--key-file", path_str(&wrong)])), Some(3));

    // 6: not found: a record, a key file.
    assert_eq!(code(&s.run(&["records", "show", "no-such-record"])), Some(6));
    let o = s.run(&["records", "list", "--key-file", path_str(&s.tmp.path().join("no.key"))]);
    assert_eq!(code(&o), Some(6), "{}", stderr(&o));

    // 7: already there: the same bundle again; `init` where a store is.
    let o = s.run(&["records", "import", &format!("{samples}/prescription.json")]);
    assert_eq!(code(&o), Some(7), "{}", stderr(&o));
    assert!(stderr(&o).contains(&id), "names the record it duplicates: {}", stderr(&o));
    assert_eq!(code(&s.run(&["init"])), Some(7));

    // 8: the store is open in another process (here, this one).
    {
        let _held = locker_core::Locker::open(&s.store, key_of(&s.key)).unwrap();
        let o = s.run(&["records", "list"]);
        assert_eq!(code(&o), Some(8), "{}", stderr(&o));
    }

    // 11: the consent policy let nothing go (no grant to this HIU covers the record).
    let shared = s.tmp.path().join("shared");
    let o = s.run(&["consent", "release", "--hiu", "sbx-hiu-city-hospital", "--out", path_str(&shared), &id]);
    assert_eq!(code(&o), Some(11), "{}", stderr(&o));
    assert!(stderr(&o).contains("no grant covers"), "{}", stderr(&o));

    // 12: a scanned code was not accepted (not a patient's code; a signed code that does not verify).
    ok(&s.run(&["counter", "open", "IN3410000260", "OPD-1"]));
    let o = s.run(&["counter", "scan", "{\"name\":\"no ABHA\"}"]);
    assert_eq!(code(&o), Some(12), "{}", stderr(&o));
    assert!(stderr(&o).contains("not an ABHA card's code"), "{}", stderr(&o));

    // 141: standard output closed early, as for any Unix tool (SIGPIPE).
    let many = s.fixtures(120, 4);
    let mut a = vec!["records", "import"];
    a.extend(many.iter().map(|p| path_str(p)));
    ok(&s.run(&a));
    let mut child = s.cmd(&["records", "list", "--limit", "500", "--json"]).stdout(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc_sigpipe()), "{status:?}");

    // 5: the store is from a newer version.
    let conn = raw(&s);
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let o = s.run(&["records", "list"]);
    assert_eq!(code(&o), Some(5), "{}", stderr(&o));
    let conn = raw(&s);
    conn.pragma_update(None, "user_version", 4).unwrap();
    drop(conn);

    // 4: damaged: here a store whose database file is gone.
    std::fs::remove_file(s.store.join("locker.db")).unwrap();
    let o = s.run(&["records", "list"]);
    assert_eq!(code(&o), Some(4), "{}", stderr(&o));
}

#[test]
fn network_failures_and_refusals_have_codes_of_their_own() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let s = Setup::new();
    // 9: nothing listens there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let o = s.run(&["enrol", "session", "--worker", "w1", "--device", "d1", "--backbone", &url]);
    assert_eq!(code(&o), Some(9), "{}", stderr(&o));
    // 10: the backbone refuses our credentials.
    let o = s.run(&[
        "enrol",
        "session",
        "--worker",
        "w1",
        "--device",
        "d1",
        "--backbone",
        &sandbox.url(),
        "--client-secret",
        "not-the-secret",
    ]);
    assert_eq!(code(&o), Some(10), "{}", stderr(&o));
    assert!(stderr(&o).contains("refused the client credentials"), "{}", stderr(&o));
}

/// The store's database, opened past the store (playing a newer version of locker).
fn raw(s: &Setup) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(s.store.join("locker.db")).unwrap();
    let key = key_of(&s.key);
    c.execute_batch(&format!("PRAGMA key = \"x'{}'\"; PRAGMA cipher_compatibility = 4;", *key.to_hex())).unwrap();
    c
}

fn libc_sigpipe() -> i32 {
    13 // SIGPIPE on Linux, Android, macOS and iOS alike
}
