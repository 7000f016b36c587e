//! `locker bench sync` at a tiny size: every figure printed, and the pull killed and resumed
//! loses and doubles nothing.

const BIN: &str = env!("CARGO_BIN_EXE_locker");

#[test]
fn the_sync_bench_prints_every_figure_and_a_killed_pull_loses_and_doubles_nothing() {
    let out = std::process::Command::new(BIN)
        .args(["bench", "sync", "--records", "40", "--kill-records", "20", "--kills", "3", "--page-entries", "5"])
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in [
        "pull_records_per_s",
        "import_records_per_s",
        "decrypt_mb_s",
        "decrypt_b64_mb_s",
        "aead_raw_mb_s",
        "decrypt_ratio",
        "pull_peak_rss_mb",
        "fidelius_exchange_us",
        "kill_rounds_ms",
    ] {
        assert!(v[k].as_f64().is_some_and(|x| x > 0.0), "{k} missing or not positive in {v}");
    }
    assert_eq!((v["records"].as_u64(), v["kill_records"].as_u64()), (Some(40), Some(20)), "{v}");
    assert!(v["kills"].as_u64().is_some_and(|k| k >= 3), "{v}");
    assert_eq!(v["lost"], 0, "{v}");
    assert_eq!(v["duplicated"], 0, "{v}");
}
