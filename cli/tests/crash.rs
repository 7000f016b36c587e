//! The app killed mid-write, for real: a child `locker` process SIGKILLed at random moments.
//! After every kill the store opens, passes `locker check`, and holds every import the child
//! reported as done.

mod common;

use common::*;
use locker_core::{DatabaseKey, Error, Locker};
use std::collections::HashSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn key_of(path: &std::path::Path) -> DatabaseKey {
    DatabaseKey::from_hex(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn imports_killed_at_random_moments_never_lose_a_reported_record() {
    const PER_RUN: usize = 150;
    let s = Setup::new();
    // Each run mostly brings new files (and a few it already saw), so every run has real work
    // for the kill to interrupt.
    let files = s.fixtures(52 * 100 + PER_RUN, 11);
    let mut rng = Rng::from_env_or_clock("import kill test");
    let args = |run: usize| -> Vec<String> {
        let mut a = vec!["records".to_string(), "import".into(), "--json".into()];
        a.extend(files[run * 100..run * 100 + PER_RUN].iter().map(|p| p.display().to_string()));
        a
    };
    // How long an uninterrupted run takes, so the kills land all through one.
    let t = Instant::now();
    let probe: Vec<String> = args(51);
    let first = s.cmd(&probe.iter().map(String::as_str).collect::<Vec<_>>()).output().unwrap();
    let mut span = t.elapsed().as_micros() as u64;
    let mut reported: HashSet<String> = HashSet::new();
    collect(&first.stdout, &mut reported);

    // Until 50 kills have landed mid-run. The probe's timing is only a first guess (a loaded
    // machine runs slower or faster than it did): a run that finished before its kill narrows
    // the window for the next ones.
    let (mut killed, mut kills) = (0, 0);
    while killed < 50 && kills < 400 {
        let a = args(kills % 51);
        let mut child = s
            .cmd(&a.iter().map(String::as_str).collect::<Vec<_>>())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(span + span / 4)));
        let _ = child.kill();
        kills += 1;
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            span = (span * 3 / 4).max(1_000);
        } else {
            killed += 1;
        }
        collect(&out.stdout, &mut reported);
        // Every kill: the store opens, passes its check, and holds all it reported.
        ok(&s.run(&["check"]));
        let locker = Locker::open(&s.store, key_of(&s.key)).unwrap();
        let records = locker.records();
        for id in &reported {
            records.get(id).unwrap_or_else(|e| panic!("a reported import is missing after kill {kills}: {e}"));
        }
    }
    eprintln!("{kills} kills, {killed} mid-run, {} records reported", reported.len());
    assert!(killed >= 50, "too few kills landed mid-run ({killed} of {kills}); the test would prove little");
    assert!(reported.len() > 500);
}

fn collect(stdout: &[u8], into: &mut HashSet<String>) {
    for line in String::from_utf8_lossy(stdout).lines() {
        // A kill can cut the last line short; only whole lines were reported.
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
            && v["status"] == "imported"
        {
            into.insert(v["id"].as_str().unwrap().to_owned());
        }
    }
}

#[test]
fn a_rekey_killed_at_any_moment_leaves_a_store_one_of_the_two_keys_opens() {
    let s = Setup::new();
    let files = s.fixtures(400, 12);
    let mut a = vec!["records".to_string(), "import".into()];
    a.extend(files.iter().map(|p| p.display().to_string()));
    ok(&s.cmd(&a.iter().map(String::as_str).collect::<Vec<_>>()).output().unwrap());
    let mut rng = Rng::from_env_or_clock("rekey kill test");
    let mut current = s.key.clone();
    let probe_key = s.key_file("probe.key");
    let t = Instant::now();
    ok(&s.cmd(&["rekey", "--key-file", path_str(&current), "--new-key-file", path_str(&probe_key)]).output().unwrap());
    let mut span = t.elapsed().as_micros() as u64;
    current = probe_key;
    // At least 30 kills, and on until some landed before the switch and some after: while one
    // side is missing, the window moves toward it (the probe's timing is only a first guess).
    let (mut moved, mut stayed) = (0, 0);
    let mut i = 0;
    while (i < 30 || moved == 0 || stayed == 0) && i < 200 {
        i += 1;
        let next = s.key_file(&format!("k{i}.key"));
        let mut child = s
            .cmd(&["rekey", "--key-file", path_str(&current), "--new-key-file", path_str(&next)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(span + span / 4)));
        let _ = child.kill();
        child.wait().unwrap();
        match Locker::open(&s.store, key_of(&current)) {
            Ok(l) => {
                stayed += 1;
                if moved == 0 {
                    span += span / 2;
                }
                assert!(l.check().unwrap().is_ok());
                drop(l);
                let other = Locker::open(&s.store, key_of(&next));
                assert!(
                    matches!(other, Err(Error::WrongKey)),
                    "the new key after a rolled-back rekey: {:?}",
                    other.err()
                );
            }
            Err(Error::WrongKey) => {
                let l = Locker::open(&s.store, key_of(&next)).expect("neither key opens the store");
                assert!(l.check().unwrap().is_ok());
                assert_eq!(l.records().count().unwrap(), 400);
                moved += 1;
                current = next;
                if stayed == 0 {
                    span = (span * 2 / 3).max(1_000);
                }
            }
            Err(e) => panic!("after a killed rekey the store is {e:?}"),
        }
    }
    eprintln!("{i} killed rekeys: {moved} completed, {stayed} rolled back");
    assert!(moved > 0 && stayed > 0, "the kills did not land on both sides of the switch");
}
