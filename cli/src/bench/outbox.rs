//! `locker bench outbox`: the outbox delivering a field worker's queue to an in-process sandbox
//! over loopback, against the very same requests sent by a plain loop over the same client
//! (same concurrency, no store, no queue); the same drain under every fault the sandbox injects
//! (5xx, 429 with `Retry-After`, a connection dropped before and after the call was applied, an
//! answer slower than the timeout), where nothing may be lost or sent twice; and the peak memory
//! of a fresh process queueing and draining 10,000 items.

use super::enrol::{audit_outcome, citizen};
use super::{print_figures, round, timed_async};
use crate::{CliResult, Failure};
use futures_util::StreamExt;
use locker_core::bench_support::RawSubmission;
use locker_core::{Backbone, BackboneConfig, ConsentCapture, DatabaseKey, Locker};
use locker_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

const DEMOGRAPHIC: &str = "/abha/api/v1/hid/benefit/createHealthId/demo/auth";

/// What a drain keeps in flight (outbox/drain.rs), so the plain loop gets the same.
const IN_FLIGHT: usize = 4;

/// The client: a read timeout the slow-answer fault can overrun.
fn backbone(url: &str, config: &SandboxConfig) -> CliResult<Backbone> {
    let mut c = BackboneConfig::local(url, &config.client_id, &config.client_secret);
    c.read_timeout = Duration::from_millis(800);
    c.connect_timeout = Duration::from_secs(2);
    Ok(Backbone::new(c)?)
}

fn consent() -> ConsentCapture {
    ConsentCapture { language: "hi".into(), text_version: "1.4".into() }
}

/// A store with a worker session and the backbone's key, and citizens `range` captured offline;
/// returns enrolment id → mobile.
async fn queued(
    locker: &Locker,
    bb: &Backbone,
    worker: &str,
    range: std::ops::Range<u64>,
) -> CliResult<HashMap<String, String>> {
    locker.enrolment().refresh_backbone_key(bb).await?;
    let session = locker.enrolment().start_session(worker, "bench-tab", None)?;
    let mut ids = HashMap::new();
    for i in range {
        let (details, aadhaar) = citizen(i);
        let mobile = details.mobile.clone();
        ids.insert(locker.enrolment().capture(&session.id, details, aadhaar, &consent())?.id, mobile);
    }
    Ok(ids)
}

/// Drains until nothing waits, sleeping until the next item is due when none is; items/s.
async fn drain_all(locker: &Locker, bb: &Backbone, n: usize) -> CliResult<f64> {
    let (r, t) = timed_async(async {
        for _ in 0..10_000 {
            let report = locker.outbox().drain(bb).await?;
            if report.waiting == 0 {
                return Ok(());
            }
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
            let next = locker.outbox().items()?.iter().map(|i| i.next_attempt_at_ms).min().unwrap_or(now);
            tokio::time::sleep(Duration::from_millis((next - now).clamp(5, 2000) as u64)).await;
        }
        Err(Failure::new("the outbox never emptied"))
    })
    .await;
    r?;
    Ok(n as f64 / t.as_secs_f64())
}

pub fn run(n: usize, queued_child: usize, json: bool) -> CliResult {
    if n == 0 || queued_child == 0 {
        return Err(Failure::usage("--items and --queued must be at least 1"));
    }
    crate::enrol::block_on(run_async(n, queued_child, json))
}

async fn run_async(n: usize, queued_child: usize, json: bool) -> CliResult {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone())?;
    let bb = backbone(&sandbox.url(), &config)?;
    let tmp = tempfile::tempdir()?;
    let locker = Locker::create(&tmp.path().join("store"), DatabaseKey::generate()?)?;
    let n64 = n as u64;

    eprintln!("queueing {n} citizens, then draining them…");
    let mut expected = queued(&locker, &bb, "bench-worker", 0..n64).await?;
    let drain_per_s = drain_all(&locker, &bb, n).await?;

    eprintln!("the same requests, {n} more citizens, by a plain loop over the same client…");
    let key = bb.public_key().await?;
    let raw: Vec<RawSubmission> = (n64..2 * n64)
        .map(|i| {
            let (details, aadhaar) = citizen(i);
            RawSubmission::new(details, aadhaar, &key)
        })
        .collect::<locker_core::Result<_>>()?;
    let ids: Vec<String> =
        (0..n).map(|_| locker_core::bench_support::request_id()).collect::<locker_core::Result<_>>()?;
    let (sent, t) = timed_async(async {
        let mut calls =
            futures_util::stream::iter(raw.iter().zip(&ids)).map(|(r, id)| r.send(&bb, id)).buffer_unordered(IN_FLIGHT);
        while let Some(r) = calls.next().await {
            r?;
        }
        CliResult::Ok(())
    })
    .await;
    sent?;
    let raw_per_s = n as f64 / t.as_secs_f64();

    eprintln!("queueing {n} more, and draining them with a fifth of the calls failing…");
    expected.extend(queued(&locker, &bb, "bench-worker-2", 2 * n64..3 * n64).await?);
    super::fifth_failing(&sandbox, DEMOGRAPHIC, 11);
    let faulty_per_s = drain_all(&locker, &bb, n).await?;
    sandbox.clear_faults();
    let (lost, duplicated) = audit_outcome(&locker, &sandbox, &expected)?;

    eprintln!("peak memory of a fresh process queueing and draining {queued_child} items…");
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["bench", "outbox-child", "--items", &queued_child.to_string(), "--backbone", &sandbox.url()])
        .output()?;
    if !out.status.success() {
        return Err(Failure::new(format!("the outbox child failed: {}", String::from_utf8_lossy(&out.stderr).trim())));
    }
    let child: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|_| Failure::new("the outbox child printed no figures"))?;

    let mut f = serde_json::Map::new();
    f.insert("items".into(), json!(n));
    f.insert("drain_per_s".into(), json!(round(drain_per_s, 1)));
    f.insert("raw_per_s".into(), json!(round(raw_per_s, 1)));
    f.insert("drain_ratio".into(), json!(round(drain_per_s / raw_per_s, 3)));
    f.insert("faulty_drain_per_s".into(), json!(round(faulty_per_s, 1)));
    f.insert("lost".into(), json!(lost));
    f.insert("duplicated".into(), json!(duplicated));
    // Named for the 10,000 items the target speaks of; `queued_items` says how many it was.
    f.insert("queued_10k_peak_rss_mb".into(), json!(round(child["peak_rss_mb"].as_f64().unwrap_or(f64::NAN), 1)));
    f.insert("queued_items".into(), json!(queued_child));
    f.insert("queued_delivered".into(), child["delivered"].clone());
    print_figures(&f, json);
    if lost + duplicated > 0 {
        return Err(Failure::new(format!("{lost} items lost and {duplicated} duplicated")));
    }
    Ok(())
}

/// In a fresh process: queue `items` citizens in a new store and drain them to the sandbox at
/// `url`; print `{"peak_rss_mb": …, "delivered": …}`.
pub fn child(items: usize, url: &str) -> CliResult {
    crate::enrol::block_on(async {
        let config = SandboxConfig::default();
        let bb = backbone(url, &config)?;
        let tmp = tempfile::tempdir()?;
        let locker = Locker::create(&tmp.path().join("store"), DatabaseKey::generate()?)?;
        queued(&locker, &bb, "bench-worker-10k", 10_000_000..10_000_000 + items as u64).await?;
        drain_all(&locker, &bb, items).await?;
        let delivered = items - locker.outbox().status()?.waiting as usize;
        println!("{}", json!({ "peak_rss_mb": super::attach::peak_rss_mb()?, "delivered": delivered }));
        Ok(())
    })
}
