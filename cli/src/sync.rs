//! `locker sync`: everything pending with the backbone in one call, as a phone makes it when the
//! network is there (the outbox sent, consent, links and tokens fetched, pulls moved on, the
//! mailbox read: records imported, doctors' requests answered), within a time and byte budget,
//! its progress on standard error and its report at the end. `--watch` syncs again and again
//! until Ctrl-C.
//!
//! Ctrl-C during a sync lets it finish (it is bounded by --max-seconds) and then stops; a second
//! Ctrl-C abandons it at once. Either way nothing is lost: everything the sync applied was applied
//! whole, and what it did not reach waits for the next one.

use crate::CliResult;
use crate::args::BackboneArgs;
use crate::enrol::{Net, block_on};
use crate::pulls::{hip_request_json, hip_request_line, pull_json, pull_line};
use crate::store::Context;
use clap::Args;
use locker_core::exchange::{HipRequest, Pull, PullState};
use locker_core::{Locker, SyncBudget, SyncListener, SyncProgress, SyncReport, SyncStage};
use serde_json::{Value, json};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

/// `locker sync`
#[derive(Args)]
pub struct SyncArgs {
    /// Sync again every --every seconds, until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
    /// Seconds between syncs with --watch.
    #[arg(long, default_value_t = 30, requires = "watch", value_parser = clap::value_parser!(u64).range(1..))]
    pub every: u64,
    /// Start no new work after this many seconds (a phone's background time). Default: 540.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_seconds: Option<u64>,
    /// Read no more than this many MB of records and messages (a metered connection); the rest
    /// waits for the next sync. Default: 64.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_mb: Option<u64>,
    /// One JSON object per sync (a line each with --watch).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

pub fn run(ctx: &Context, args: SyncArgs) -> CliResult {
    let locker = ctx.open()?;
    let net = Net::new(&args.backbone)?;
    let default = SyncBudget::default();
    let budget = SyncBudget {
        max_millis: args.max_seconds.map_or(default.max_millis, |s| s.saturating_mul(1000)),
        max_bytes: args.max_mb.map_or(default.max_bytes, |m| m.saturating_mul(1 << 20)),
    };
    block_on(async {
        let mut interrupts = Interrupts::start();
        if args.watch && !args.json {
            eprintln!("syncing every {} s until Ctrl-C", args.every);
        }
        loop {
            let before = Seen::now(&locker)?;
            let progress = Progress::new();
            let round = locker.sync(&net.backbone, budget, &progress);
            tokio::pin!(round);
            let report = loop {
                tokio::select! {
                    r = &mut round => break Some(r),
                    () = interrupts.next() => {
                        progress.clear();
                        if interrupts.count() >= 2 {
                            break None;
                        }
                        eprintln!("Ctrl-C: this sync finishes, then locker stops (Ctrl-C again stops it now)");
                    }
                }
            };
            progress.clear();
            let Some(report) = report else {
                eprintln!(
                    "stopped: the sync was left half-way; what it applied is kept, the rest goes at the next sync"
                );
                return Ok(());
            };
            let report = report?;
            let after = Seen::now(&locker)?;
            show(&report, &before, &after, args.json, args.watch);
            let outcome = outcome(&net, &report);
            if !args.watch {
                return outcome;
            }
            if let Err(f) = outcome {
                // Watching goes on: the next sync tries again.
                eprintln!("warning: {}", f.message());
            }
            if interrupts.count() > 0 {
                return Ok(());
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(args.every)) => {}
                () = interrupts.next() => return Ok(()),
            }
        }
    })
}

/// What a sync that ended early, or a stage that failed, means for the exit code: the budget
/// spent is not a failure (the rest goes next time); the network or the backbone is.
fn outcome(net: &Net, r: &SyncReport) -> CliResult {
    match r.stopped.as_deref() {
        Some("time-budget" | "byte-budget") | None => {}
        Some(code) => return Err(net.halted("the sync", code)),
    }
    if let Some((stage, code)) = r.failed.first().and_then(|f| f.split_once(':')) {
        return Err(net.halted(&format!("the sync's {stage} stage"), code));
    }
    // The consent manager needs a citizen to sign in again: what is theirs waits, the rest went.
    match r.outbox.halted.as_deref() {
        Some(code @ "sign-in-needed") => Err(net.halted("sending what waits", code)),
        _ => Ok(()),
    }
}

/// Pulls and doctors' requests before a sync, to say what it changed.
struct Seen {
    pulls: Vec<Pull>,
    requests: Vec<HipRequest>,
}

impl Seen {
    fn now(locker: &Locker) -> CliResult<Seen> {
        Ok(Seen { pulls: locker.exchange().pulls()?, requests: locker.exchange().hip_requests()? })
    }

    /// Pulls that changed in the sync or are still under way; doctors' requests that changed.
    fn news<'a>(&self, after: &'a Seen) -> (Vec<&'a Pull>, Vec<&'a HipRequest>) {
        let pulls = after
            .pulls
            .iter()
            .filter(|p| !matches!(p.state, PullState::Done | PullState::Failed) || !self.pulls.iter().any(|q| q == *p))
            .collect();
        let requests = after.requests.iter().filter(|h| !self.requests.iter().any(|q| q == *h)).collect();
        (pulls, requests)
    }
}

fn show(r: &SyncReport, before: &Seen, after: &Seen, json: bool, watch: bool) {
    let (pulls, requests) = before.news(after);
    if json {
        let o = &r.outbox;
        let m = &r.mailbox;
        let v = json!({
            "at_ms": crate::enrol::now_ms(),
            "outbox": {"delivered": o.delivered, "retrying": o.retrying, "wedged": o.wedged, "expired": o.expired,
                "waiting": o.waiting, "halted": o.halted},
            "consent_changed": r.consent_changed, "links_new": r.links_new, "tokens": r.tokens,
            "mailbox": {"messages": m.messages, "bytes": m.bytes, "pages": m.pages,
                "records_imported": m.records_imported, "already_held": m.already_held,
                "entries_failed": m.entries_failed, "checksum_warnings": m.checksum_warnings,
                "data_requests": m.data_requests, "duplicates": m.duplicates, "budget_spent": m.budget_spent},
            "pull_requests": r.pull_requests, "items": r.items, "bytes": r.bytes,
            "stopped": r.stopped, "failed": r.failed,
            "pulls": pulls.iter().map(|p| pull_json(p)).collect::<Vec<Value>>(),
            "doctors_requests": requests.iter().map(|h| hip_request_json(h)).collect::<Vec<Value>>(),
        });
        println!("{v}");
        return;
    }
    if watch {
        println!("sync at {}", crate::records::format_ms(crate::enrol::now_ms()));
    }
    let o = &r.outbox;
    println!(
        "sent {} (to try again {}, wedged {}, still waiting {}); consent: {} change(s); links: {} new; tokens: {}",
        o.delivered, o.retrying, o.wedged, o.waiting, r.consent_changed, r.links_new, r.tokens
    );
    let m = &r.mailbox;
    let mut mail = format!(
        "mailbox: {} message(s), {}: {} record(s) imported from {} page(s)",
        m.messages,
        size(m.bytes),
        m.records_imported,
        m.pages
    );
    if m.already_held > 0 {
        mail.push_str(&format!(", {} already held", m.already_held));
    }
    if m.data_requests > 0 {
        mail.push_str(&format!("; {} doctor's request(s) taken in", m.data_requests));
    }
    if m.entries_failed > 0 {
        mail.push_str(&format!("; {} entr(ies) failed their check (kept for another try)", m.entries_failed));
    }
    if m.checksum_warnings > 0 {
        mail.push_str(&format!("; {} checksum warning(s)", m.checksum_warnings));
    }
    println!("{mail}");
    for p in pulls {
        println!("{}", pull_line(p));
    }
    for h in requests {
        println!("{}", hip_request_line(h));
    }
    match r.stopped.as_deref() {
        Some("time-budget") => println!("stopped at --max-seconds: the rest goes at the next sync"),
        Some("byte-budget") => println!("stopped at --max-mb: the rest waits on the relay for the next sync"),
        _ => {}
    }
}

/// `12 B`, `3.4 KB`, `5.6 MB`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1 << 20 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
    }
}

/// The sync's progress on standard error: one line redrawn in place on a terminal, a line per
/// stage elsewhere (a log).
struct Progress {
    terminal: bool,
    /// What was last shown, and whether a line is on the terminal to clear.
    shown: Mutex<(Option<SyncProgress>, bool)>,
}

impl Progress {
    fn new() -> Progress {
        Progress { terminal: std::io::stderr().is_terminal(), shown: Mutex::new((None, false)) }
    }

    fn clear(&self) {
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        if shown.1 {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
            shown.1 = false;
        }
    }
}

impl SyncListener for Progress {
    fn progress(&self, p: SyncProgress) {
        if p.stage == SyncStage::Done {
            return;
        }
        let line = format!("[{}] items {} · {}", p.stage.code(), p.items, size(p.bytes));
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        if self.terminal {
            eprint!("\r\x1b[2K{line}");
            let _ = std::io::stderr().flush();
            shown.1 = true;
            shown.0 = Some(p);
        } else if shown.0.map_or(p.items > 0, |s| s.stage != p.stage && s.items != p.items) {
            // A log gets a line when something was settled since the last: an idle sync writes none.
            eprintln!("{line}");
            shown.0 = Some(p);
        }
    }
}

/// Ctrl-C, counted, from the moment the command starts (so none is missed between syncs).
struct Interrupts {
    count: tokio::sync::watch::Receiver<u32>,
}

impl Interrupts {
    fn start() -> Interrupts {
        let (tx, count) = tokio::sync::watch::channel(0u32);
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                tx.send_modify(|n| *n += 1);
            }
        });
        Interrupts { count }
    }

    fn count(&self) -> u32 {
        *self.count.borrow()
    }

    /// The next Ctrl-C (never, if Ctrl-C cannot be listened for).
    async fn next(&mut self) {
        if self.count.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_in_the_largest_fitting_unit() {
        assert_eq!(super::size(28), "28 B");
        assert_eq!(super::size(97_000), "94.7 KB");
        assert_eq!(super::size(5 << 20), "5.0 MB");
    }
}
