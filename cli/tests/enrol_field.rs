//! A field worker's device, through the real `locker` binary against an in-process sandbox:
//! citizens captured with no network survive a killed submission and every fault the backbone
//! can throw, each ends with exactly one ABHA, and once handed over nothing of them is left.

mod common;

use common::field::*;
use common::*;
use locker_core::{EnrolmentOutcome, EnrolmentState};
use locker_sandbox::{Fault, FaultRule, Resident};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn a_submission_killed_mid_way_resumes_without_a_second_abha() {
    let f = Field::new();
    let citizens: Vec<Citizen> = (0..10).map(citizen).collect();
    let ids: Vec<String> = (0..10).map(|i| f.capture_offline(i)).collect();
    let mut rng = Rng::from_env_or_clock("submission kill test");
    // Slow enough that the kill lands with some submissions applied and others not.
    f.sandbox.set_fault(FaultRule::new(DEMOGRAPHIC, Fault::Delay { ms: 250 }));
    for (round, at_least) in [(1, 1u64), (2, 4)] {
        let mut child =
            f.cmd(&["enrol", "submit", "--json"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let t = Instant::now();
        while f.sandbox.stats().demographic_applied < at_least {
            assert!(t.elapsed() < Duration::from_secs(60), "round {round}: nothing was applied");
            assert!(child.try_wait().unwrap().is_none(), "round {round}: the submission ended before the kill");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(rng.below(250)));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(!status.success(), "round {round}: the kill landed after the submission finished");
        let applied = f.sandbox.stats().demographic_applied;
        eprintln!("round {round}: killed with {applied} of 10 applied");
        assert!(applied < 10, "round {round}: everything was applied before the kill; the test proves little");
    }
    f.sandbox.clear_faults();
    let report = f.submit();
    assert_eq!(report["still_queued"], 0, "{report}");
    assert_eq!(report["rejected"], 0, "{report}");
    f.assert_each_enrolled_once(&citizens, &ids);
    let locker = f.open();
    for id in &ids {
        let e = locker.enrolment().get(id).unwrap();
        assert_eq!(e.state, EnrolmentState::Submitted);
        assert_eq!(e.outcome, Some(EnrolmentOutcome::Created), "a resumed call is answered as first applied");
    }
    assert_eq!(f.sandbox.stats().demographic_applied, 10);
}

#[test]
fn every_backbone_fault_during_submission_loses_and_duplicates_nobody() {
    let f = Field::new();
    let faults = [
        Fault::Delay { ms: 300 },
        Fault::Status { status: 503 },
        Fault::Status { status: 500 },
        Fault::RateLimit { retry_after: 1 },
        Fault::DropBefore,
        Fault::DropAfter,
        Fault::UnauthorizedEmpty,
        Fault::TrailingColon,
    ];
    let mut citizens = Vec::new();
    let mut ids = Vec::new();
    let mut next = 0;
    for fault in faults {
        let batch: Vec<u64> = (next..next + 3).collect();
        next += 3;
        for &i in &batch {
            ids.push(f.capture_offline(i));
            citizens.push(citizen(i));
        }
        // Twice in a row: a call's own retries meet the fault again.
        f.sandbox.set_fault(FaultRule::new(DEMOGRAPHIC, fault.clone()).times(2));
        let mut created = 0;
        for _ in 0..5 {
            let report = f.submit();
            assert_eq!(report["rejected"], 0, "{fault:?}: {report}");
            created += report["created"].as_u64().unwrap();
            if report["still_queued"] == 0 {
                break;
            }
        }
        f.sandbox.clear_faults();
        assert_eq!(created, 3, "{fault:?}");
        eprintln!("{fault:?}: 3 created");
    }
    // Across all routes at once, and a refusal whose code carries a trailing ": ".
    let mismatched = citizen(next);
    f.sandbox.add_resident(Resident {
        aadhaar: mismatched.aadhaar.clone(),
        name: "Somebody Else".into(),
        gender: "M".into(),
        year_of_birth: 1950,
        mobile: "9000000001".into(),
    });
    let rejected = f.capture_offline(next);
    f.sandbox.set_fault(FaultRule::new("*", Fault::TrailingColon));
    let report = f.submit();
    f.sandbox.clear_faults();
    assert_eq!(report["rejected"], 1, "{report}");
    let e = &report["enrolments"][0];
    assert_eq!(e["state"], "rejected");
    assert!(e["reason"].as_str().unwrap().contains("do not match the Aadhaar record"), "{e}");

    f.assert_each_enrolled_once(&citizens, &ids);
    assert_eq!(f.sandbox.accounts().len(), citizens.len());
    assert_eq!(f.reconciliations().get(&rejected), Some(&1));
    for q in f.queue() {
        assert!(q["state"] == "submitted" || q["id"] == rejected.as_str(), "{q}");
    }
}

#[test]
fn after_handover_nothing_of_the_citizens_is_left_on_the_device() {
    let f = Field::new();
    let citizens: Vec<Citizen> = (40..43).map(citizen).collect();
    let ids: Vec<String> = (40..43).map(|i| f.capture_offline(i)).collect();
    // The worker's list shows names (their work), never an Aadhaar or mobile number.
    let listed = ok(&f.run(&["enrol", "queue", "--json"]));
    for c in &citizens {
        assert!(listed.contains(&c.name));
        assert!(!listed.contains(&c.mobile) && !listed.contains(&c.aadhaar));
    }
    let report = f.submit();
    assert_eq!(report["created"], 3, "{report}");

    // Before the handover the decrypted database holds the names and mobiles (so the search
    // below can find them), but never a clear Aadhaar number: it is sealed at capture.
    let scratch = tempfile::tempdir().unwrap();
    let before = decrypted_database(&f.store, &key_of(&f.key), scratch.path());
    for c in &citizens {
        assert!(contains(&before, &c.name) && contains(&before, &c.mobile), "the search would find nothing");
        assert!(!contains(&before, &c.aadhaar));
    }

    let card = f.tmp.path().join("card.png");
    let out = ok(&f.run(&["enrol", "handover", &ids[0], "--card", path_str(&card)]));
    assert!(out.contains("erased"), "{out}");
    assert!(std::fs::read(&card).unwrap().starts_with(b"\x89PNG"));
    let qr = ok(&f.run(&["enrol", "handover", &ids[1], "--qr"]));
    let payload: serde_json::Value = serde_json::from_str(qr.lines().next().unwrap()).unwrap();
    assert_eq!(payload["name"], citizens[1].name.as_str());
    ok(&f.run(&["enrol", "handover", &ids[2]]));
    // Handed over once is handed over: a second time is refused.
    assert!(!f.run(&["enrol", "handover", &ids[2]]).status.success());

    for q in f.queue() {
        assert_eq!(q["state"], "handed_over");
        assert_eq!(q["erased"], true);
        assert!(q["name"].is_null());
    }
    let mut needles = Vec::new();
    for c in &citizens {
        needles.extend([c.name.clone(), c.mobile.clone(), c.aadhaar.clone()]);
    }
    for n in &needles {
        assert_eq!(files_containing(&f.store, n), Vec::<std::path::PathBuf>::new(), "a file holds {n} in clear");
    }
    let after = decrypted_database(&f.store, &key_of(&f.key), scratch.path());
    assert!(after.len() > 4096);
    for n in &needles {
        assert!(!contains(&after, n), "the decrypted database still holds {n}");
    }
    let locker = f.open();
    for id in &ids {
        let e = locker.enrolment().get(id).unwrap();
        assert!(e.erased && e.name.is_none() && e.abha_number.is_none());
        assert_eq!(e.outcome, Some(EnrolmentOutcome::Created), "what became of it is kept");
    }
}

#[test]
fn the_enrolment_bench_prints_every_figure_and_loses_nobody() {
    let out =
        ok(&std::process::Command::new(BIN).args(["bench", "enrol", "--count", "25", "--json"]).output().unwrap());
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for k in [
        "capture_p50_ms",
        "capture_p99_ms",
        "seal_only_p50_ms",
        "durable_write_p50_ms",
        "capture_ratio",
        "loopback_per_s",
        "submit_per_s",
        "submit_ratio",
        "submit_faulty_per_s",
        "submit_faulty_ratio",
    ] {
        assert!(v[k].as_f64().is_some_and(|x| x > 0.0), "{k} missing or not positive in {v}");
    }
    assert_eq!(v["lost"], 0, "{v}");
    assert_eq!(v["duplicated"], 0, "{v}");
}

#[test]
fn a_submission_that_stops_for_want_of_a_network_says_so_and_why() {
    let f = Field::new();
    let id = f.capture_offline(50);
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);

    // The report still prints; the one line on standard error and the exit code say it stopped.
    let o = f.run(&["enrol", "submit", "--backbone", &nobody]);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(9), "no network is exit 9: {err}");
    assert!(out.contains("1 still queued"), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("stopped early") && err.contains(&nobody) && err.contains("could not be reached (offline)"),
        "{err}"
    );

    let o = f.run(&["enrol", "submit", "--json", "--backbone", &nobody]);
    assert_eq!(o.status.code(), Some(9));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["halted"], "offline", "{v}");
    assert_eq!(v["still_queued"], 1, "{v}");

    // With the network back, nothing halts and nothing was lost.
    let v = f.submit();
    assert!(v["halted"].is_null(), "{v}");
    assert_eq!(v["created"], 1, "{v}");
    assert_eq!(f.reconciliations().get(&id), Some(&1));
}

#[test]
fn the_outbox_bench_prints_every_figure_and_loses_and_doubles_nothing_under_every_fault() {
    let out = ok(&std::process::Command::new(BIN)
        .args(["bench", "outbox", "--items", "40", "--queued", "60", "--json"])
        .output()
        .unwrap());
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for k in ["drain_per_s", "raw_per_s", "drain_ratio", "faulty_drain_per_s", "queued_10k_peak_rss_mb"] {
        assert!(v[k].as_f64().is_some_and(|x| x > 0.0), "{k} missing or not positive in {v}");
    }
    assert_eq!((v["items"].as_u64(), v["queued_delivered"].as_u64()), (Some(40), Some(60)), "{v}");
    assert_eq!(v["lost"], 0, "{v}");
    assert_eq!(v["duplicated"], 0, "{v}");
}
