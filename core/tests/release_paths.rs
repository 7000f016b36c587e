//! Every way a record's content can leave this device, listed, and proof that none bypasses the
//! consent policy. The content of a record is produced in one place (`records::bundle`, read by
//! `Records::read`); this test walks the sources of the core, the bindings and the CLI and
//! fails on any call that reaches it from somewhere not listed here, with why it may.

use std::path::{Path, PathBuf};

/// Calls that hand out a record's content, and where each may be made.
const ALLOWED: &[(&str, &str, &str)] = &[
    // The primitives: only the records domain touches them.
    ("core/src/records/mod.rs", "bundle::locate(", "Records::read finds the bundle"),
    ("core/src/records/mod.rs", ".write_to(&", "Records::read writes it out"),
    // The one release path: the policy decides, the use is recorded, then the records are read.
    ("core/src/consent/release.rs", "records().read(", "Consents::release, after policy::decide"),
    // The owner's own view and copy on their own device: not a release to anyone.
    ("bindings/src/records.rs", "records().read(", "Records.read: the app shows the owner a record"),
    ("bindings/src/records.rs", "records().export(", "Records.export: the owner's own copy, audited"),
    ("bindings/src/records.rs", "records().export_to(", "Records.exportTo: the owner's own copy, audited"),
    ("cli/src/records.rs", "records().export_to(", "locker records export --out: the owner's own copy"),
    ("cli/src/records.rs", "records().export(", "locker records export: the owner's terminal"),
    ("cli/src/records.rs", "records.read(", "locker records show: the owner's terminal"),
    ("cli/src/demo/mod.rs", "records.export(", "the demo proves export is byte-exact"),
    ("cli/src/demo/records.rs", "records().read(", "the demo shows the owner a record that arrived"),
    // Measurement only (feature `bench`, never in a shipped build).
    ("cli/src/bench/sync.rs", "records().read(", "bench sync proves by content nothing was lost or doubled"),
    ("core/src/bench_support.rs", "records().read(", "bench consent's baseline without the policy"),
];

const CALLS: &[&str] = &[
    "bundle::locate(",
    ".write_to(&",
    "records().read(",
    "records().export(",
    "records().export_to(",
    "records.export(",
    "records.read(",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_way_a_record_leaves_is_listed_and_the_release_path_asks_the_policy_first() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for dir in ["core/src", "bindings/src", "cli/src"] {
        sources(&root.join(dir), &mut files);
    }
    let mut unlisted = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in &files {
        let rel = f.strip_prefix(root).unwrap().display().to_string();
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for call in CALLS.iter().filter(|c| line.contains(**c)) {
                match ALLOWED.iter().find(|(file, c, _)| *file == rel && c == call) {
                    Some(a) => {
                        seen.insert((a.0, a.1));
                    }
                    None => unlisted.push(format!("{rel}:{}: {call}", n + 1)),
                }
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "record content reached from places not listed (route them through Consents::release):\n{}",
        unlisted.join("\n")
    );
    let stale: Vec<_> = ALLOWED.iter().filter(|(f, c, _)| !seen.contains(&(*f, *c))).collect();
    assert!(stale.is_empty(), "listed but no longer there (update the list): {stale:?}");

    // In the release path the decision comes before any read, and only permitted records are read.
    let release = std::fs::read_to_string(root.join("core/src/consent/release.rs")).unwrap();
    let decide = release.find("policy::decide(").expect("the release asks the policy");
    let read = release.find("records().read(").unwrap();
    assert!(decide < read, "the policy decides before any record is read");
    assert!(release[decide..read].contains("decision.permitted"), "only what the policy permitted is read");
}
