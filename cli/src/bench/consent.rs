//! `locker bench consent`: the policy's decision time with 1,000 artefacts in the ledger and
//! 20,000 records to decide on; releasing 1,000 records through the policy against the same
//! release without it (the release recorded durably in the audit log, as any must be, and the
//! same records read out; same store, same run); and 500 decisions made offline, then
//! synced to the sandbox's consent manager with a fifth of the calls failing, where none may be
//! lost or applied twice.

use super::{print_figures, round, timed};
use crate::{CliResult, Failure};
use locker_core::consent::{
    AccessMode, CareContextRef, ConsentStatus, Frequency, FrequencyUnit, Grant, Permission, RecordFacts, Release,
    ReleaseAsk, ReleaseChannel, UseHistory, Verification, decide,
};
use locker_core::{Backbone, BackboneConfig, DatabaseKey, Gender, HiType, ImportOptions, Locker, NewProfile};
use locker_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;
use std::time::{Duration, Instant};

const PATIENT: &str = "bench.citizen@sbx";
const HIU: &str = "sbx-hiu-city-hospital";
const DAY: i64 = 86_400_000;

pub fn run(artefacts: usize, records: usize, decisions: usize, json: bool) -> CliResult {
    if artefacts == 0 || records == 0 || decisions == 0 {
        return Err(Failure::usage("--artefacts, --records and --decisions must be at least 1"));
    }
    let mut f = serde_json::Map::new();
    eprintln!("deciding on {records} records with {artefacts} artefacts in the ledger…");
    let (p50, p99) = decide_times(artefacts, records);
    f.insert("artefacts".into(), json!(artefacts));
    f.insert("records".into(), json!(records));
    f.insert("decide_p50_us".into(), json!(round(p50, 2)));
    f.insert("decide_p99_us".into(), json!(round(p99, 2)));
    crate::enrol::block_on(async {
        eprintln!("releasing 1,000 records with the policy and without it…");
        let (with_ms, without_ms) = release_times().await?;
        f.insert("release_1000_ms".into(), json!(round(with_ms, 2)));
        f.insert("release_1000_without_policy_ms".into(), json!(round(without_ms, 2)));
        f.insert("release_1000_ratio".into(), json!(round(without_ms / with_ms, 3)));
        eprintln!("{decisions} decisions made offline, then synced with a fifth of the calls failing…");
        let (synced, lost, duplicated) = offline_decisions(decisions).await?;
        f.insert("decisions".into(), json!(decisions));
        f.insert("decisions_synced".into(), json!(synced));
        f.insert("lost".into(), json!(lost));
        f.insert("duplicated".into(), json!(duplicated));
        print_figures(&f, json);
        if lost as u64 + duplicated > 0 {
            return Err(Failure::new(format!("{lost} decisions lost and {duplicated} applied twice")));
        }
        Ok(())
    })
}

/// A ledger of `n` artefacts over 100 HIUs, every status and a spread of types, dates and care
/// contexts, as the policy reads them.
fn ledger(n: usize) -> Vec<Grant> {
    (0..n)
        .map(|i| Grant {
            id: format!("artefact-{i}"),
            request_id: None,
            status: if i % 7 == 0 { ConsentStatus::Revoked } else { ConsentStatus::Granted },
            patient: PATIENT.into(),
            hiu: format!("hiu-{}", i % 100),
            hip: "hip-1".into(),
            hi_types: HiType::ALL.iter().copied().skip(i % 3).step_by(2).collect(),
            care_contexts: (0..5)
                .map(|c| CareContextRef {
                    patient_reference: "pt".into(),
                    care_context_reference: format!("cc-{}", (i * 5 + c) % 4000),
                })
                .collect(),
            permission: Permission {
                access_mode: if i % 2 == 0 { AccessMode::View } else { AccessMode::Store },
                date_from_ms: (i % 10) as i64 * 365 * DAY,
                date_to_ms: (i % 10 + 5) as i64 * 365 * DAY,
                erase_at_ms: 60 * 365 * DAY,
                frequency: Frequency { unit: FrequencyUnit::Hour, value: 10, repeats: 1000 },
            },
            verification: Verification::Verified,
        })
        .collect()
}

/// Each of `records` records decided alone (one release of one record to one HIU), against
/// every artefact in the ledger: p50 and p99 in µs.
fn decide_times(artefacts: usize, records: usize) -> (f64, f64) {
    let grants = ledger(artefacts);
    let uses = UseHistory::new();
    let now = 40 * 365 * DAY;
    let mut samples: Vec<Duration> = Vec::with_capacity(records);
    let mut permitted = 0usize;
    for i in 0..records {
        let release = Release {
            hiu: format!("hiu-{}", i % 100),
            consent_id: None,
            mode: AccessMode::View,
            date_range: None,
            records: vec![RecordFacts {
                id: format!("r{i}"),
                patient: PATIENT.into(),
                hi_type: HiType::ALL[i % HiType::ALL.len()],
                date_ms: (i % 15) as i64 * 365 * DAY,
                care_context: format!("cc-{}", i % 4000),
            }],
        };
        let t = Instant::now();
        let d = decide(&grants, &uses, &release, now);
        samples.push(t.elapsed());
        permitted += d.permitted.len();
    }
    eprintln!("  {permitted} of {records} permitted");
    let mut us = |p: f64| super::percentile_ms(&mut samples, p) * 1000.0;
    (us(50.0), us(99.0))
}

fn client(url: &str, config: &SandboxConfig) -> CliResult<Backbone> {
    let mut c = BackboneConfig::local(url, &config.client_id, &config.client_secret);
    c.read_timeout = Duration::from_millis(800);
    c.connect_timeout = Duration::from_secs(2);
    c.initial_backoff = Duration::from_millis(20);
    c.max_backoff = Duration::from_millis(400);
    Ok(Backbone::new(c)?)
}

/// A citizen's phone signed in to `sandbox`'s consent manager.
fn phone(dir: &std::path::Path, sandbox: &Sandbox) -> CliResult<(Locker, String)> {
    let locker = Locker::create(dir, DatabaseKey::generate()?)?;
    let owner = locker.profiles().add(&NewProfile {
        name: "Bench Citizen".into(),
        gender: Gender::Female,
        birth_date: "1980-01-01".into(),
        abha_number: None,
        abha_address: Some(PATIENT.into()),
        relation: "self".into(),
        is_owner: true,
    })?;
    locker.consent().sign_in(PATIENT, &sandbox.phr_login(PATIENT), 86_400)?;
    Ok((locker, owner.id))
}

fn request(sandbox: &Sandbox, types: &[&str]) -> String {
    let mut r = sandbox.sample_consent_request(PATIENT, HIU);
    r["hiTypes"] = json!(types);
    r["permission"] = json!({
        "accessMode": "VIEW",
        "dateRange": {"from": "1990-01-01T00:00:00.000Z", "to": "2030-12-31T23:59:59.999Z"},
        "dataEraseAt": "2099-12-31T00:00:00.000Z",
        "frequency": {"unit": "HOUR", "value": 100000, "repeats": 100000},
    });
    sandbox.raise_consent_request(r)
}

/// 1,000 records released under one artefact that covers them all, through the policy, against
/// the same 1,000 read out without it; best of 15 rounds each, interleaved: (with, without) ms.
async fn release_times() -> CliResult<(f64, f64)> {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone())?;
    let bb = client(&sandbox.url(), &config)?;
    let tmp = tempfile::tempdir()?;
    let (locker, owner) = phone(&tmp.path().join("store"), &sandbox)?;
    let mut g = locker_fixtures::Generator::new(77);
    let mut ids = Vec::with_capacity(1000);
    while ids.len() < 1000 {
        match locker.records().import(&owner, &g.next_bundle().json, &ImportOptions::default()) {
            Ok(r) => ids.push(r.id),
            Err(locker_core::Error::Duplicate { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let all: Vec<&str> = HiType::ALL.iter().map(|t| t.as_str()).collect();
    let id = request(&sandbox, &all);
    locker.consent().refresh(&bb).await?;
    let choice = locker.consent().proposal(&id)?;
    locker.consent().approve(&id, &[choice])?;
    locker.outbox().drain(&bb).await?;
    let ask = ReleaseAsk {
        hiu: HIU.into(),
        consent_id: None,
        mode: AccessMode::View,
        date_range: None,
        records: ids.clone(),
        channel: ReleaseChannel::Share,
    };
    let (mut with, mut without) = (f64::MAX, f64::MAX);
    for _ in 0..15 {
        let (released, t) = timed(|| locker.consent().release(&ask));
        let released = released?;
        if released.records.len() != ids.len() {
            return Err(Failure::new(format!("the grant covered {} of {} records", released.records.len(), ids.len())));
        }
        with = with.min(t.as_secs_f64() * 1000.0);
        let (read, t) = timed(|| locker_core::bench_support::release_without_policy(&locker, &ids));
        read?;
        without = without.min(t.as_secs_f64() * 1000.0);
    }
    Ok((with, without))
}

/// `n` requests answered offline (approvals and denials alternately), then synced with a fifth of
/// the consent manager's answers failing: (synced, lost, applied twice).
async fn offline_decisions(n: usize) -> CliResult<(usize, usize, u64)> {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone())?;
    let bb = client(&sandbox.url(), &config)?;
    let tmp = tempfile::tempdir()?;
    let (locker, _) = phone(&tmp.path().join("store"), &sandbox)?;
    let ids: Vec<String> = (0..n).map(|_| request(&sandbox, &["Prescription", "DiagnosticReport"])).collect();
    locker.consent().refresh(&bb).await?;
    for (i, id) in ids.iter().enumerate() {
        if i % 2 == 0 {
            let mut choice = locker.consent().proposal(id)?;
            choice.hi_types = vec![HiType::Prescription];
            choice.care_contexts =
                vec![CareContextRef { patient_reference: PATIENT.into(), care_context_reference: format!("cc-{i}") }];
            locker.consent().approve(id, &[choice])?;
        } else {
            locker.consent().deny(id, Some("not now"))?;
        }
    }
    super::fifth_failing(&sandbox, "/api/hiecm/consent/v3/request/*", 31);
    for _ in 0..10_000 {
        let report = locker.outbox().drain(&bb).await?;
        if report.waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sandbox.clear_faults();
    let mut synced = 0;
    let mut lost = 0;
    for (i, id) in ids.iter().enumerate() {
        let want = if i % 2 == 0 { "GRANTED" } else { "DENIED" };
        let theirs = sandbox.consent_request(id).map(|v| v["status"].as_str().unwrap_or("").to_string());
        let here = locker.consent().request(id)?;
        if theirs.as_deref() == Some(want) && here.pending.is_none() {
            synced += 1;
        } else {
            lost += 1;
        }
    }
    let stats = sandbox.stats();
    let applied = stats.consent_approvals + stats.consent_denials;
    Ok((synced, lost, applied.saturating_sub(n as u64)))
}
