//! `locker bench …`: figures measured, never asserted. Each speed is also given as a ratio
//! against a baseline measured in the same run on the same machine, so the figures travel.

mod attach;
mod consent;
mod enrol;
mod frames;
mod outbox;
mod qr;
mod qr_signed;
mod size;
mod store;
mod sync;
mod sync_crypto;
mod sync_kills;

use crate::CliResult;
use crate::args::BenchCmd;
use std::time::{Duration, Instant};

pub fn run(cmd: BenchCmd) -> CliResult {
    match cmd {
        BenchCmd::Store { records, attach_mib, child_mib, json } => store::run(records, attach_mib, child_mib, json),
        BenchCmd::Size { lib, top, json } => size::run(lib, top, json),
        BenchCmd::Enrol { count, json } => enrol::run(count, json),
        BenchCmd::Outbox { items, queued, json } => outbox::run(items, queued, json),
        BenchCmd::Consent { artefacts, records, decisions, json } => consent::run(artefacts, records, decisions, json),
        BenchCmd::Qr { seed, keep, json } => qr::run(seed, keep, json),
        BenchCmd::Sync { records, kill_records, kills, page_entries, seed, json } => {
            sync::run(sync::Sizes { records, kill_records, kills, page_entries, seed }, json)
        }
        BenchCmd::SyncChild { store, key_file, backbone } => sync::child(&store, &key_file, &backbone),
        BenchCmd::OutboxChild { items, backbone } => outbox::child(items, &backbone),
        BenchCmd::AttachChild { mib } => attach::child(mib),
    }
}

/// Every fault the sandbox injects on `route`, one rule per kind (5xx, 429 with `Retry-After`, a
/// connection dropped before and after the call was applied, an answer slower than the client's
/// timeout), together hitting a fifth of the calls, seeded from `seed`.
pub fn fifth_failing(sandbox: &locker_sandbox::Sandbox, route: &str, seed: u64) {
    use locker_sandbox::{Fault, FaultRule};
    let kinds = [
        Fault::Status { status: 503 },
        Fault::RateLimit { retry_after: 1 },
        Fault::DropBefore,
        Fault::DropAfter,
        Fault::Delay { ms: 1200 },
    ];
    let mut left = 1.0;
    for (i, f) in kinds.into_iter().enumerate() {
        sandbox.set_fault(FaultRule::new(route, f).probability(0.04 / left, seed + i as u64));
        left -= 0.04;
    }
}

/// Runs `f`, returning its result and how long it took.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

/// Awaits `f`, returning its result and how long it took.
pub async fn timed_async<T>(f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let t = Instant::now();
    let r = f.await;
    (r, t.elapsed())
}

/// The `p`-th percentile (0–100) of durations, in milliseconds.
pub fn percentile_ms(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort_unstable();
    let i = ((samples.len() - 1) as f64 * p / 100.0).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

/// Rounds for printing: figures, not noise.
pub fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// Prints the figures as one JSON object, or as aligned lines for a person.
pub fn print_figures(figures: &serde_json::Map<String, serde_json::Value>, json: bool) {
    if json {
        println!("{}", serde_json::Value::Object(figures.clone()));
    } else {
        for (k, v) in figures {
            println!("{k:<26} {v}");
        }
    }
}
