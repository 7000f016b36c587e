//! The command line as a person meets it: a whole session, and errors that are one clear line.

mod common;

use common::*;

#[test]
fn a_person_imports_lists_searches_exports_and_deletes_from_the_command_line() {
    let s = Setup::new();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/bundles");
    let samples: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(samples.len(), 8);
    let mut a = vec!["records", "import", "--json"];
    a.extend(samples.iter().map(String::as_str));
    let out = ok(&s.run(&a));
    let ids: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .inspect(|v| assert_eq!(v["status"], "imported", "{v}"))
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 8);
    let again = s.run(&a);
    assert_eq!(again.status.code(), Some(7), "duplicates exit as duplicates, as README's table says");
    assert!(String::from_utf8_lossy(&again.stdout).lines().all(|l| l.contains("\"duplicate\"")));

    let listed: serde_json::Value =
        serde_json::from_str(&ok(&s.run(&["records", "list", "--json", "--limit", "3"]))).unwrap();
    assert_eq!(listed["records"].as_array().unwrap().len(), 3);
    let cursor = listed["next_cursor"].as_str().unwrap();
    let rest: serde_json::Value =
        serde_json::from_str(&ok(&s.run(&["records", "list", "--json", "--limit", "10", "--cursor", cursor]))).unwrap();
    assert_eq!(rest["records"].as_array().unwrap().len(), 5);
    let typed: serde_json::Value =
        serde_json::from_str(&ok(&s.run(&["records", "list", "--json", "--type", "Prescription"]))).unwrap();
    assert_eq!(typed["records"].as_array().unwrap().len(), 1);

    let exported = s.tmp.path().join("out.json");
    ok(&s.run(&["records", "export", &ids[3], "--out", path_str(&exported)]));
    // Ids were printed in the order the files were given.
    assert_eq!(std::fs::read(&exported).unwrap(), std::fs::read(&samples[3]).unwrap());
    ok(&s.run(&["records", "show", &ids[0]]));
    ok(&s.run(&["records", "delete", &ids[0]]));
    let after: serde_json::Value = serde_json::from_str(&ok(&s.run(&["records", "list", "--json"]))).unwrap();
    assert_eq!(after["records"].as_array().unwrap().len(), 7);
    let check = ok(&s.run(&["check"]));
    assert!(check.contains("all checks passed"));
    let audit = ok(&s.run(&["audit"]));
    assert!(audit.contains("record.delete") && audit.contains("chain intact"));
}

fn one_line_error(o: &std::process::Output) -> String {
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr).trim().to_owned();
    assert_eq!(err.lines().count(), 1, "one line, got: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace") && !err.contains("RUST_BACKTRACE"), "{err}");
    err
}

#[test]
fn mistakes_get_one_clear_line_and_a_non_zero_exit() {
    let s = Setup::new();
    let wrong = s.key_file("wrong.key");
    let o = s.cmd(&["records", "list", "--key-file", path_str(&wrong)]).output().unwrap();
    assert!(one_line_error(&o).contains("key does not open"));
    assert_eq!(o.status.code(), Some(3));

    let o = s.cmd(&["records", "list"]).env_remove("LOCKER_KEY_FILE").output().unwrap();
    assert!(one_line_error(&o).contains("--key-file"));

    let o = s.cmd(&["records", "list", "--store", path_str(&s.tmp.path().join("nowhere"))]).output().unwrap();
    assert!(one_line_error(&o).contains("locker init"));

    let o = s.run(&["records", "show", "no-such-record"]);
    assert!(one_line_error(&o).contains("not found"));

    let bad = s.tmp.path().join("bad.json");
    std::fs::write(&bad, br#"{"resourceType":"Patient","name":[{"text":"Farida Begum"}]}"#).unwrap();
    let o = s.run(&["records", "import", path_str(&bad)]);
    let err = one_line_error(&o);
    assert!(!err.contains("Farida"), "personal data in an error: {err}");
    assert!(err.contains("bad.json") && err.contains("not a FHIR Bundle"), "the reason is on standard error: {err}");
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());

    let o = s.run(&["keygen", path_str(&s.key)]);
    assert!(one_line_error(&o).contains("never overwritten"));

    let o = s.run(&["profile", "add", "--name", "X", "--gender", "M", "--birth-date", "tomorrow"]);
    assert!(one_line_error(&o).contains("birth date"));

    let o = s.run(&["records", "list", "--no-such-flag"]);
    assert!(one_line_error(&o).contains("--no-such-flag"));
    assert_eq!(o.status.code(), Some(2));
    let o = s.run(&["records"]);
    one_line_error(&o);
    assert!(s.run(&["--help"]).status.success());
}

#[test]
fn check_fails_loudly_on_a_damaged_store() {
    let s = Setup::new();
    let files = s.fixtures(50, 3);
    let mut a = vec!["records", "import"];
    a.extend(files.iter().map(|p| path_str(p)));
    ok(&s.run(&a));
    let db = s.store.join("locker.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let at = bytes.len() - 3000;
    bytes[at] ^= 0xff;
    std::fs::write(&db, &bytes).unwrap();
    let o = s.run(&["check"]);
    let err = one_line_error(&o);
    assert!(err.contains("failed its check") || err.contains("damaged"), "{err}");
    assert_eq!(o.status.code(), Some(4));
}

#[test]
fn the_store_bench_prints_every_figure_the_issue_names() {
    let s = Setup::new();
    let out = ok(&s.run(&["bench", "store", "--records", "120", "--attach-mib", "2", "--child-mib", "4", "--json"]));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for k in [
        "records",
        "import_per_s_encrypted",
        "import_per_s_plain",
        "import_ratio",
        "latest50_p50_ms",
        "latest50_p99_ms",
        "search_p50_ms",
        "open_first_page_ms",
        "attach_write_mb_s",
        "attach_read_mb_s",
        "aead_raw_mb_s",
        "attach_ratio",
        "attach_write_vs_disk",
        "attach_read_vs_raw",
        "latest50_during_import_p50_ms",
        "latest50_during_import_reads",
        "attach_peak_rss_mb",
    ] {
        assert!(v[k].as_f64().is_some_and(|x| x > 0.0), "{k} missing or not positive in {v}");
    }
    assert_eq!(v["records"], 120);
}
