//! What a newcomer met, from README on a fresh clone, and what they meet now: `init` never
//! builds over a store that lost its database, a closed pipe is not an "internal error",
//! errors say which file and what is wrong with it, answers are checked as they are typed, and
//! one ABHA number belongs to one profile.

mod common;

use common::field::{Field, citizen};
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn following_the_advice_after_a_lost_database_never_deletes_attachments() {
    let s = Setup::new();
    // A scanned report inside a bundle, large enough to be kept as an attachment file.
    let pdf: String = std::iter::repeat_n("JVBERi0xLjQKJcfs", 8_000).collect();
    let bundle = s.tmp.path().join("scan.json");
    std::fs::write(
        &bundle,
        serde_json::json!({"resourceType": "Bundle", "type": "document", "entry": [
            {"resource": {"resourceType": "Composition", "title": "Scanned discharge card", "date": "2018-03-01",
              "type": {"coding": [{"system": "http://snomed.info/sct", "code": "419891008"}]}}},
            {"resource": {"resourceType": "Binary", "contentType": "application/pdf", "data": pdf}}]})
        .to_string(),
    )
    .unwrap();
    ok(&s.run(&["records", "import", path_str(&bundle)]));
    let before: Vec<_> = std::fs::read_dir(s.store.join("attachments")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(before.len(), 1);
    let keycheck = std::fs::read(s.store.join("locker.keycheck")).unwrap();
    std::fs::rename(s.store.join("locker.db"), s.tmp.path().join("moved.db")).unwrap();

    let o = s.run(&["records", "list"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(!stderr(&o).contains("init") && stderr(&o).contains("locker.db is missing"), "{}", stderr(&o));
    let o = s.run(&["check"]);
    assert_eq!(o.status.code(), Some(4));
    // Even told to, `init` refuses, naming what it found; under another key too.
    for key in [s.key.clone(), s.key_file("other.key")] {
        let o = s.run(&["init", "--key-file", path_str(&key)]);
        assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
        assert!(stderr(&o).contains("locker.keycheck") && stderr(&o).contains("attachments/"), "{}", stderr(&o));
    }
    for f in &before {
        assert!(f.exists(), "{} was deleted", f.display());
    }
    assert_eq!(std::fs::read(s.store.join("locker.keycheck")).unwrap(), keycheck, "the key check was rewritten");
    // Put back, everything is there.
    std::fs::rename(s.tmp.path().join("moved.db"), s.store.join("locker.db")).unwrap();
    assert!(ok(&s.run(&["check"])).contains("all checks passed"));
}

#[test]
fn a_closed_pipe_ends_every_listing_quietly() {
    let s = Setup::new();
    let files = s.fixtures(600, 11);
    let mut a = vec!["records", "import"];
    a.extend(files.iter().map(|p| path_str(p)));
    ok(&s.run(&a));
    let first: serde_json::Value =
        serde_json::from_str(&ok(&s.run(&["records", "list", "--json", "--limit", "1"]))).unwrap();
    let id = first["records"][0]["id"].as_str().unwrap().to_string();
    for args in [
        vec!["records", "list", "--limit", "500", "--json"],
        vec!["records", "list", "--limit", "500"],
        vec!["records", "show", &id],
        vec!["audit", "--limit", "600"],
    ] {
        // `… | head -1`: read one line, then close the pipe.
        let mut child = s.cmd(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(!line.is_empty());
        assert!(out.stderr.is_empty(), "{args:?}: {}", stderr(&out));
        assert!(
            out.status.success() || out.status.signal() == Some(13),
            "{args:?} ended by {:?}, not quietly by SIGPIPE",
            out.status
        );
    }
    // A limit beyond one page is read page by page, not cut short in silence.
    let all: serde_json::Value =
        serde_json::from_str(&ok(&s.run(&["records", "list", "--json", "--limit", "100000"]))).unwrap();
    assert_eq!(all["records"].as_array().unwrap().len(), 600);
    assert!(all["next_cursor"].is_null());
    let ids = ok(&s.run(&["records", "list", "--ids", "--limit", "550"]));
    assert_eq!(ids.lines().count(), 550);
}

#[test]
fn errors_say_which_file_and_what_is_wrong_with_it() {
    let s = Setup::new();
    let o = s.run(&["profile", "add", "--name", "Ravi Kumar"]);
    let e = stderr(&o);
    assert!(e.contains("--gender") && e.contains("--birth-date") && e.contains("locker profile add --help"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");

    let missing = s.tmp.path().join("nowhere.json");
    let o = s.run(&["records", "import", path_str(&missing)]);
    assert!(stderr(&o).contains("nowhere.json") && stderr(&o).contains("no such file"), "{}", stderr(&o));
    assert_eq!(o.status.code(), Some(6));
    let o = s.run(&["records", "list", "--key-file", path_str(s.tmp.path())]);
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
    let garbage = s.tmp.path().join("garbage.key");
    std::fs::write(&garbage, [0xff, 0xfe, 0x00]).unwrap();
    let o = s.run(&["records", "list", "--key-file", path_str(&garbage)]);
    assert!(stderr(&o).contains("garbage.key") && !stderr(&o).contains("invalid data"), "{}", stderr(&o));
    for raw in ["entity not found", "invalid data", "(os error"] {
        assert!(!stderr(&o).contains(raw), "{}", stderr(&o));
    }

    let o = s.run(&["profile", "add", "--name", "Ravi Kumar", "--gender", "M", "--birth-date", "1971-02-29"]);
    assert!(stderr(&o).contains("no such date"), "{}", stderr(&o));

    // A bundle saved by Notepad, with a byte order mark.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/bundles/invoice.json")).unwrap());
    let file = s.tmp.path().join("notepad.json");
    std::fs::write(&file, &bom).unwrap();
    ok(&s.run(&["records", "import", path_str(&file)]));
}

#[test]
fn a_key_file_others_can_read_is_used_with_a_warning_and_a_rewritten_key_check_is_told() {
    let s = Setup::new();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&s.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = s.run(&["records", "list"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("warning:") && stderr(&o).contains("chmod 600"), "{}", stderr(&o));
    std::fs::set_permissions(&s.key, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(stderr(&s.run(&["records", "list"])).is_empty());

    std::fs::remove_file(s.store.join("locker.keycheck")).unwrap();
    let o = s.run(&["records", "list"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("note:") && stderr(&o).contains("locker.keycheck was missing"), "{}", stderr(&o));
    assert!(stderr(&s.run(&["records", "list"])).is_empty(), "told once");
}

#[test]
fn check_adds_nothing_to_the_store() {
    let s = Setup::new();
    let entries = |s: &Setup| ok(&s.run(&["audit", "--limit", "1000"])).lines().count();
    let before = entries(&s);
    for _ in 0..3 {
        ok(&s.run(&["check"]));
    }
    assert_eq!(entries(&s), before);
}

#[test]
fn one_abha_number_belongs_to_one_profile_and_a_suspicious_one_is_warned_about() {
    let s = Setup::new();
    let add = |name: &str, number: &str| {
        s.run(&["profile", "add", "--name", name, "--gender", "M", "--birth-date", "2012", "--abha-number", number])
    };
    let o = add("Arjun Begum", "12345678901234");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning:") && stderr(&o).contains("typo"), "{}", stderr(&o));
    let o = add("Kabir Begum", "12-3456-7890-1234");
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert!(stderr(&o).contains("already has this ABHA number"), "{}", stderr(&o));
    let o = add("Kabir Begum", "1-23456-7890-1234");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = add("Kabir Begum", "91-6285-4575-5116");
    assert!(o.status.success() && stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn a_field_worker_is_asked_again_at_once_for_an_answer_that_cannot_be_right() {
    let f = Field::new();
    let c = citizen(5);
    // Piped, one line per question: each wrong answer is followed by its correction.
    let answers = [
        "R2D2",
        &c.name,
        "X",
        "F",
        "1971-02-29",
        "1987-06-21",
        "12345",
        &c.mobile,
        "Ward 2, Wadgaon village",
        "Maharashtra",
        "27",
        "502",
        "",
        "442401",
        "1234",
        &c.aadhaar,
        "",
        "",
    ];
    let mut child = f
        .cmd(&["enrol", "--assisted", "--worker", "ASHA-7", "--device", "tab-3", "--offline"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for a in answers {
        writeln!(stdin, "{a}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let (o, e) = (String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(out.status.success(), "{e}\n{o}");
    assert_eq!(e.matches("please answer again").count(), 7, "{e}");
    assert!(e.contains("no such date") && e.contains("male, female or other"), "{e}");
    assert!(!e.contains(&c.aadhaar) && !e.contains("1234;"), "no answer is repeated back: {e}");
    assert!(o.contains("queued as"), "{o}");
    assert_eq!(f.queue().len(), 1);
}
