//! One sync: everything pending, in one call the shell makes when the network is there — the
//! outbox drained, consent, links and tokens fetched, pulls moved on (their data requests sent),
//! the mailbox read (records imported, doctors' requests taken in), and the outbox drained again
//! for what that queued (notifies, answers) — within
//! the time and bytes the shell allows, with progress told to a listener as it goes.
//!
//! It stops cleanly when the network goes: a failure every other call would meet too (no
//! network, an untrusted server, refused credentials, a pause asked for) ends the round with its
//! code, and nothing is lost — queued work stays queued, unread messages stay on the relay. A
//! failure of one stage alone (a citizen who must sign in again) is reported and the rest go on.

use crate::Locker;
use crate::error::{Error, Result};
use crate::exchange::MailboxReport;
use crate::outbox::DrainReport;
use crate::sync::Backbone;
use crate::sync::retry::{self, Disposition};
use std::time::Instant;

/// What the shell allows one sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncBudget {
    /// Stop starting new work past this (Android gives a worker about ten minutes, iOS a
    /// background task about thirty seconds).
    pub max_millis: u64,
    /// Stop reading the mailbox past this many bytes (a metered connection).
    pub max_bytes: u64,
}

impl Default for SyncBudget {
    fn default() -> Self {
        SyncBudget { max_millis: 9 * 60 * 1000, max_bytes: 64 << 20 }
    }
}

/// The stage a sync is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncStage {
    Outbox,
    Consent,
    Links,
    Tokens,
    Mailbox,
    Pulls,
    Done,
}

impl SyncStage {
    pub fn code(self) -> &'static str {
        match self {
            SyncStage::Outbox => "outbox",
            SyncStage::Consent => "consent",
            SyncStage::Links => "links",
            SyncStage::Tokens => "tokens",
            SyncStage::Mailbox => "mailbox",
            SyncStage::Pulls => "pulls",
            SyncStage::Done => "done",
        }
    }
}

/// Progress so far: items settled (calls delivered, messages applied) and bytes read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncProgress {
    pub stage: SyncStage,
    pub items: u64,
    pub bytes: u64,
}

/// Hears a sync's progress (a progress bar, a notification). Called on the syncing thread.
pub trait SyncListener: Send + Sync {
    fn progress(&self, progress: SyncProgress);
}

/// A listener that hears nothing.
pub struct Quiet;

impl SyncListener for Quiet {
    fn progress(&self, _: SyncProgress) {}
}

/// What one sync came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub outbox: DrainReport,
    pub consent_changed: u32,
    pub links_new: u32,
    pub tokens: u32,
    pub mailbox: MailboxReport,
    /// Data requests queued for pulls whose grant came.
    pub pull_requests: u32,
    pub items: u64,
    pub bytes: u64,
    /// Why the round ended early, as a code (`offline`, `time-budget`, `byte-budget`, …).
    pub stopped: Option<String>,
    /// Stages that failed on their own, as `stage:code`; the others went on.
    pub failed: Vec<String>,
}

struct Round<'a> {
    listener: &'a dyn SyncListener,
    started: Instant,
    budget: SyncBudget,
    report: SyncReport,
}

impl Round<'_> {
    fn tell(&self, stage: SyncStage) {
        self.listener.progress(SyncProgress { stage, items: self.report.items, bytes: self.report.bytes });
    }

    fn out_of_time(&mut self) -> bool {
        if self.started.elapsed().as_millis() as u64 >= self.budget.max_millis {
            self.report.stopped.get_or_insert_with(|| "time-budget".into());
        }
        self.report.stopped.is_some()
    }

    /// Settles a stage's outcome: `Ok(None)` to go on, `Ok(Some)` with its value, the round
    /// stopped on a failure everything would meet, an error only for local trouble.
    fn settle<T>(&mut self, stage: SyncStage, r: Result<T>) -> Result<Option<T>> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e) => match retry::classify(&e) {
                Disposition::Halt if !matches!(e, Error::SignInNeeded) => {
                    self.report.stopped = Some(retry::code_of(&e));
                    Ok(None)
                }
                Disposition::Local => Err(e),
                _ => {
                    self.report.failed.push(format!("{}:{}", stage.code(), retry::code_of(&e)));
                    Ok(None)
                }
            },
        }
    }
}

impl Locker {
    /// Does everything pending with the backbone, within `budget`, telling `listener` how it goes.
    pub async fn sync(
        &self,
        backbone: &Backbone,
        budget: SyncBudget,
        listener: &dyn SyncListener,
    ) -> Result<SyncReport> {
        let mut round = Round { listener, started: Instant::now(), budget, report: SyncReport::default() };
        self.drain_into(backbone, &mut round).await?;
        if !round.out_of_time() {
            round.tell(SyncStage::Consent);
            if let Some(c) = round.settle(SyncStage::Consent, self.consent().refresh(backbone).await)? {
                round.report.consent_changed = c.requests_changed + c.artefacts_changed;
            }
        }
        if !round.out_of_time() {
            round.tell(SyncStage::Links);
            if let Some(n) = round.settle(SyncStage::Links, self.links().refresh(backbone).await)? {
                round.report.links_new = n;
            }
        }
        if !round.out_of_time() {
            round.tell(SyncStage::Tokens);
            if let Some(n) = round.settle(SyncStage::Tokens, self.share().refresh(backbone).await)? {
                round.report.tokens = n;
            }
        }
        if !round.out_of_time() {
            round.tell(SyncStage::Pulls);
            let advanced = crate::network::with_backbone(self, backbone, self.exchange().advance(backbone)).await;
            if let Some(n) = round.settle(SyncStage::Pulls, advanced)? {
                round.report.pull_requests = n;
            }
        }
        self.drain_into(backbone, &mut round).await?;
        if !round.out_of_time() {
            round.tell(SyncStage::Mailbox);
            let left = budget.max_bytes.saturating_sub(round.report.bytes);
            let (items, bytes) = (round.report.items, round.report.bytes);
            let mut read = 0u64;
            let mut seen = 0u64;
            let mut tell = |b: u64| {
                seen += 1;
                read += b;
                listener.progress(SyncProgress { stage: SyncStage::Mailbox, items: items + seen, bytes: bytes + read });
            };
            let mailbox = crate::network::with_backbone(
                self,
                backbone,
                crate::exchange::mailbox::read_all(self, backbone, left, &mut tell),
            )
            .await;
            if let Some(m) = round.settle(SyncStage::Mailbox, mailbox)? {
                round.report.items += u64::from(m.messages);
                round.report.bytes += m.bytes;
                if m.budget_spent {
                    round.report.stopped = Some("byte-budget".into());
                }
                round.report.mailbox = m;
            }
            round.settle(SyncStage::Mailbox, crate::exchange::pages::retry_kept(self))?;
        }
        self.drain_into(backbone, &mut round).await?;
        round.tell(SyncStage::Done);
        Ok(round.report)
    }

    async fn drain_into(&self, backbone: &Backbone, round: &mut Round<'_>) -> Result<()> {
        if round.out_of_time() {
            return Ok(());
        }
        round.tell(SyncStage::Outbox);
        if let Some(d) = round.settle(SyncStage::Outbox, self.outbox().drain(backbone).await)? {
            round.report.items += u64::from(d.delivered + d.expired);
            if let Some(code) = &d.halted
                && code != "sign-in-needed"
            {
                round.report.stopped = Some(code.clone());
            }
            let r = &mut round.report.outbox;
            r.delivered += d.delivered;
            r.retrying += d.retrying;
            r.wedged += d.wedged;
            r.expired += d.expired;
            r.waiting = d.waiting;
            r.halted = d.halted.or(r.halted.take());
        }
        Ok(())
    }
}
