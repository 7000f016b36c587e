//! A pull killed at random moments and resumed: a child `locker` process opens the same store
//! (same key) and syncs; this process SIGKILLs it after a random delay (seeded), looks at how far
//! the pull got, and starts it again, until the pull is done (and the kills asked for have
//! struck: a pull that ended sooner is followed by another, which must bring nothing twice).
//! Then what the store holds is compared, bundle by bundle, with what the hospital holds:
//! nothing may be lost or held twice.

use super::sync::{Sizes, audit, child_command, hospital, prepare};
use crate::{CliResult, Failure};
use locker_core::{DatabaseKey, Locker};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Runs before giving up (a pull that never finishes under kills).
const MAX_RUNS: usize = 1000;

pub struct KillOutcome {
    pub records: usize,
    pub kills: usize,
    pub runs: usize,
    /// Pulls it took to strike `kills` times (a second one when the first ended too soon).
    pub pulls: usize,
    pub lost: usize,
    pub duplicated: usize,
    /// Calls the backbone saw again after a kill and answered as already applied (same
    /// REQUEST-ID): the outbox resending what it could not know had arrived.
    pub replays: u64,
    pub total_ms: f64,
    /// The longest delay any kill could have come after.
    pub delay_max_ms: f64,
    /// Kills by the pull's state (and its transfer's, `pull/transfer`) when they struck (`none`:
    /// before the pull was even asked).
    pub states: BTreeMap<String, usize>,
    /// Records imported when each kill struck.
    pub at_records: Vec<u32>,
}

/// splitmix64: seeded, so the same seed kills at the same delays.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `startup_ms`, `pull_ms`: how long a child takes to start and to do this whole pull
/// uninterrupted. Each delay is uniform over [0, 2·left/(kills to go + 2)], `left` being the
/// start-up and the part of the pull not done yet (by records imported), so the kills strike
/// all through the pull as it advances run by run.
pub fn run(sizes: &Sizes, startup_ms: f64, pull_ms: f64) -> CliResult<KillOutcome> {
    let h = hospital(sizes.kill_records, sizes.page_entries)?;
    let tmp = tempfile::tempdir()?;
    let (store, key) = prepare(&h, tmp.path())?;
    let url = h.sandbox.url();
    let mut rng = Rng(sizes.seed);
    let mut out = KillOutcome {
        records: h.records.len(),
        kills: 0,
        runs: 0,
        pulls: 1,
        lost: 0,
        duplicated: 0,
        replays: 0,
        total_ms: 0.0,
        delay_max_ms: 0.0,
        states: BTreeMap::new(),
        at_records: Vec::new(),
    };
    let replays_before = h.sandbox.stats().replays;
    let started = Instant::now();
    loop {
        if out.runs >= MAX_RUNS {
            return Err(Failure::new(format!("the pull was not done after {MAX_RUNS} runs")));
        }
        out.runs += 1;
        let done = f64::from(out.at_records.last().copied().unwrap_or(0)) / out.records.max(1) as f64;
        let left_ms = startup_ms + (1.0 - done).max(0.0) * pull_ms;
        let delay_max_ms = 2.0 * left_ms / (sizes.kills.saturating_sub(out.kills) + 2) as f64;
        let delay = (out.kills < sizes.kills).then(|| {
            out.delay_max_ms = out.delay_max_ms.max(delay_max_ms);
            Duration::from_secs_f64(rng.next_f64() * delay_max_ms / 1000.0)
        });
        let mut child = child_command(&store, &url).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        let t = Instant::now();
        let finished = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if delay.is_some_and(|d| t.elapsed() >= d) {
                child.kill()?; // SIGKILL
                child.wait()?;
                break None;
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        match finished {
            None => {
                out.kills += 1;
                let (state, imported) = progress(&store, &key)?;
                *out.states.entry(state).or_default() += 1;
                out.at_records.push(imported);
            }
            Some(status) if status.success() && out.kills >= sizes.kills => break,
            Some(status) if status.success() => {
                // Done before enough kills struck: pull again (everything is held now, so this
                // one must bring nothing twice) and go on killing.
                let locker = Locker::open(&store, key.clone())?;
                let owner = locker.profiles().owner()?.ok_or_else(|| Failure::new("the store has no owner"))?;
                locker.exchange().pull(&owner.id, &[], None)?;
                out.pulls += 1;
            }
            Some(status) => {
                return Err(Failure::new(format!("a resumed pull failed ({status}): {}", stderr(&mut child).trim())));
            }
        }
    }
    out.total_ms = started.elapsed().as_secs_f64() * 1000.0;
    out.replays = h.sandbox.stats().replays - replays_before;
    let (_, lost, duplicated) = audit(&store, &key, &h.records)?;
    out.lost = lost;
    out.duplicated = duplicated;
    Ok(out)
}

/// How far the pull in the store got: its state and the records imported so far.
fn progress(store: &Path, key: &DatabaseKey) -> CliResult<(String, u32)> {
    let locker = Locker::open(store, key.clone())?;
    Ok(match locker.exchange().pulls()?.into_iter().next() {
        None => ("none".into(), 0),
        Some(p) => {
            let state = match p.transfers.first() {
                Some(t) => format!("{}/{}", p.state.code(), t.state),
                None => p.state.code().into(),
            };
            (state, p.transfers.iter().map(|t| t.records_imported).sum())
        }
    })
}

fn stderr(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}
