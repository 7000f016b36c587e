//! `locker bench enrol`: a field worker's day at scale. Offline capture (validate, seal the
//! Aadhaar number, queue, all in one durable transaction) against a durable write of the same
//! store and a bare seal; draining the queue to an in-process sandbox over loopback against
//! the same client's plainest call; and the same drain with a fifth of the calls failing in
//! every way the sandbox knows. Nothing may be lost or duplicated, faults or not.

use super::{percentile_ms, print_figures, round, timed};
use crate::{CliResult, Failure};
use locker_core::{
    Backbone, BackboneConfig, CitizenDetails, ConsentCapture, DatabaseKey, EnrolmentOutcome, EnrolmentState, Gender,
    Locker,
};
use locker_sandbox::{Fault, FaultRule, Sandbox, SandboxConfig};
use serde_json::json;
use std::collections::{HashMap, HashSet};

const DEMOGRAPHIC: &str = "/abha/api/v1/hid/benefit/createHealthId/demo/auth";
const FIRST: [&str; 16] = [
    "Asha", "Ravi", "Sunita", "Imran", "Kavya", "Mohan", "Lakshmi", "Arjun", "Farida", "Gopal", "Meena", "Suresh",
    "Anjali", "Vikram", "Pooja", "Harish",
];
const LAST: [&str; 12] =
    ["Devi", "Kumar", "Begum", "Iyer", "Singh", "Patel", "Reddy", "Das", "Nair", "Yadav", "Khan", "Rao"];

/// The `i`-th made-up citizen: distinct mobile and Aadhaar numbers, plausible details.
pub fn citizen(i: u64) -> (CitizenDetails, String) {
    let details = CitizenDetails {
        name: format!("{} {}", FIRST[i as usize % FIRST.len()], LAST[(i as usize / FIRST.len()) % LAST.len()]),
        gender: if i.is_multiple_of(2) { Gender::Female } else { Gender::Male },
        birth_date: format!("{}-{:02}-{:02}", 1950 + i % 50, 1 + i % 12, 1 + i % 28),
        mobile: format!("9{:09}", 100_000_000 + i),
        address: format!("House {}, Ward {}, Rampur village", 1 + i % 200, 1 + i % 9),
        state_code: "9".into(),
        district_code: "150".into(),
        pin_code: "262001".into(),
    };
    (details, locker_sandbox::test_aadhaar(1_000_000 + i))
}

fn consent() -> ConsentCapture {
    ConsentCapture { language: "hi".into(), text_version: "1.4".into() }
}

/// What one drain of a session's queue came to.
struct Drain {
    per_s: f64,
    drains: u32,
}

/// Drains `session` until nothing is queued (a call can exhaust its tries under heavy faults).
async fn drain(locker: &Locker, bb: &Backbone, session: &str, n: usize) -> CliResult<Drain> {
    let (r, t) = super::timed_async(async {
        let mut drains = 0;
        loop {
            drains += 1;
            let report = locker.enrolment().submit(bb, Some(session)).await?;
            if report.still_queued == 0 || drains == 20 {
                return CliResult::Ok(drains);
            }
        }
    })
    .await;
    Ok(Drain { per_s: n as f64 / t.as_secs_f64(), drains: r? })
}

/// Faults on the demographic route, one rule per kind, together hitting a fifth of the calls
/// (each rule's chance is conditioned on the ones before it missing).
fn faults(sandbox: &Sandbox) {
    let kinds = [
        Fault::Status { status: 503 },
        Fault::DropBefore,
        Fault::DropAfter,
        Fault::RateLimit { retry_after: 1 },
        Fault::Delay { ms: 50 },
    ];
    let mut left = 1.0;
    for (i, f) in kinds.into_iter().enumerate() {
        sandbox.set_fault(FaultRule::new(DEMOGRAPHIC, f).probability(0.04 / left, 7 + i as u64));
        left -= 0.04;
    }
}

pub fn run(n: usize, json: bool) -> CliResult {
    if n == 0 {
        return Err(Failure::usage("--count must be at least 1"));
    }
    crate::enrol::block_on(run_async(n, json))
}

async fn run_async(n: usize, json: bool) -> CliResult {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone())?;
    let tmp = tempfile::tempdir()?;
    let locker = Locker::create(&tmp.path().join("store"), DatabaseKey::generate()?)?;
    let bb = Backbone::new(BackboneConfig::local(&sandbox.url(), &config.client_id, &config.client_secret))?;
    locker.enrolment().refresh_backbone_key(&bb).await?;

    // Baselines: a bare seal, and a durable write of the same store (a profile and its audit entry).
    let key = bb.public_key().await?;
    let mut seals = Vec::with_capacity(n);
    for i in 0..n as u64 {
        let aadhaar = locker_sandbox::test_aadhaar(i);
        let (r, t) = timed(|| key.seal(aadhaar.as_bytes()));
        r?;
        seals.push(t);
    }
    let mut writes = Vec::with_capacity(n);
    {
        let baseline = Locker::create(&tmp.path().join("baseline"), DatabaseKey::generate()?)?;
        for i in 0..n {
            let p = crate::demo::sample_member(&format!("Member {}", FIRST[i % FIRST.len()]), "other");
            let (r, t) = timed(|| baseline.profiles().add(&p));
            r?;
            writes.push(t);
        }
    }

    eprintln!("capturing {n} citizens offline…");
    let clean = locker.enrolment().start_session("bench-worker", "bench-device", None)?;
    let mut captures = Vec::with_capacity(n);
    let mut expected: HashMap<String, String> = HashMap::new(); // enrolment id → mobile
    for i in 0..n as u64 {
        let (details, aadhaar) = citizen(i);
        let mobile = details.mobile.clone();
        let (e, t) = timed(|| locker.enrolment().capture(&clean.id, details, aadhaar, &consent()));
        expected.insert(e?.id, mobile);
        captures.push(t);
    }

    // The same client's plainest call, same headers and session: what loopback HTTP costs.
    let (r, t) = super::timed_async(async {
        for _ in 0..n {
            bb.public_key().await?;
        }
        CliResult::Ok(())
    })
    .await;
    r?;
    let loopback_per_s = n as f64 / t.as_secs_f64();

    eprintln!("submitting them to the sandbox…");
    let plain = drain(&locker, &bb, &clean.id, n).await?;

    eprintln!("capturing {n} more, and submitting them with a fifth of the calls failing…");
    let faulty = locker.enrolment().start_session("bench-worker", "bench-device-2", None)?;
    for i in n as u64..2 * n as u64 {
        let (details, aadhaar) = citizen(i);
        let mobile = details.mobile.clone();
        expected.insert(locker.enrolment().capture(&faulty.id, details, aadhaar, &consent())?.id, mobile);
    }
    faults(&sandbox);
    let rough = drain(&locker, &bb, &faulty.id, n).await?;
    sandbox.clear_faults();

    let (lost, duplicated) = audit_outcome(&locker, &sandbox, &expected)?;
    let mut f = serde_json::Map::new();
    let p50 = percentile_ms(&mut captures, 50.0);
    let write_p50 = percentile_ms(&mut writes, 50.0);
    f.insert("count".into(), json!(n));
    f.insert("capture_p50_ms".into(), json!(round(p50, 3)));
    f.insert("capture_p99_ms".into(), json!(round(percentile_ms(&mut captures, 99.0), 3)));
    f.insert("seal_only_p50_ms".into(), json!(round(percentile_ms(&mut seals, 50.0), 3)));
    f.insert("durable_write_p50_ms".into(), json!(round(write_p50, 3)));
    f.insert("capture_ratio".into(), json!(round(p50 / write_p50, 2)));
    f.insert("loopback_per_s".into(), json!(round(loopback_per_s, 1)));
    f.insert("submit_per_s".into(), json!(round(plain.per_s, 1)));
    f.insert("submit_ratio".into(), json!(round(plain.per_s / loopback_per_s, 3)));
    f.insert("submit_faulty_per_s".into(), json!(round(rough.per_s, 1)));
    f.insert("submit_faulty_ratio".into(), json!(round(rough.per_s / plain.per_s, 3)));
    f.insert("drains".into(), json!(plain.drains));
    f.insert("faulty_drains".into(), json!(rough.drains));
    f.insert("lost".into(), json!(lost));
    f.insert("duplicated".into(), json!(duplicated));
    print_figures(&f, json);
    if lost + duplicated > 0 {
        return Err(Failure::new(format!("{lost} citizens lost and {duplicated} duplicated")));
    }
    Ok(())
}

/// Citizens lost (no account at the sandbox, or not reconciled here) and duplicated (a second
/// enrolment applied at the sandbox, or reconciled twice here).
pub(super) fn audit_outcome(
    locker: &Locker,
    sandbox: &Sandbox,
    expected: &HashMap<String, String>,
) -> CliResult<(u64, u64)> {
    let accounts: HashSet<String> = sandbox.accounts().into_iter().map(|a| a.mobile).collect();
    let mut reconciled: HashMap<String, u32> = HashMap::new();
    for e in locker.audit_entries(u32::MAX)? {
        if e.action == "enrolment.submitted"
            && let Some(id) = e.subject
        {
            *reconciled.entry(id).or_default() += 1;
        }
    }
    let mut lost = 0;
    let mut duplicated = sandbox.stats().duplicates;
    let mut seen = HashSet::new();
    for (id, mobile) in expected {
        let e = locker.enrolment().get(id)?;
        let ok = e.state == EnrolmentState::Submitted && e.outcome == Some(EnrolmentOutcome::Created);
        if !ok || !accounts.contains(mobile) || !seen.insert(mobile) {
            lost += 1;
        }
        let times = reconciled.get(id).copied().unwrap_or(0);
        duplicated += u64::from(times.saturating_sub(1));
    }
    Ok((lost, duplicated))
}
