//! A drain: what is due goes out, a few at a time, the head of each lane only, each item at most
//! once per drain; each answer is settled by the one classification (`sync::retry::classify`).

use super::{ItemKind, OutboxItem, queue};
use crate::Locker;
use crate::abha::enrolment::submit as enrolment;
use crate::consent::deliver as consent;
use crate::error::{Error, Result};
use crate::store::Tx;
use crate::sync::Backbone;
use crate::sync::retry::{self, Disposition};
use futures_util::StreamExt;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

/// Calls in flight at once: a slow answer or a `Retry-After` holds up one item, not the queue.
const IN_FLIGHT: usize = 4;

/// Items read from the queue at a time.
const BATCH: u32 = 64;

/// Tries that failed for the backbone's trouble (5xx, unreadable answers) after which an item
/// is wedged rather than tried for ever: with the backoff's cap, days of failing. Its reason says
/// so, and the user can send it again.
const GIVE_UP_AFTER: u32 = 10;

/// Which items a drain may send.
pub(crate) enum Scope<'a> {
    All,
    /// Only items of this kind about these subjects (a worker session's enrolments).
    Subjects(ItemKind, &'a HashSet<String>),
}

impl Scope<'_> {
    fn admits(&self, item: &OutboxItem) -> bool {
        match self {
            Scope::All => true,
            Scope::Subjects(kind, subjects) => item.kind == *kind && subjects.contains(&item.subject),
        }
    }
}

/// What one drain came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Answered by the backbone and recorded.
    pub delivered: u32,
    /// Failed for the backbone's trouble: to be tried again, same REQUEST-ID.
    pub retrying: u32,
    /// Refused by the backbone: kept with their reasons.
    pub wedged: u32,
    /// Past their deadline: settled by their domains without being sent.
    pub expired: u32,
    /// Why the drain stopped early, as a code (`offline`, `unauthorized`, …), if it did.
    pub halted: Option<String>,
    /// Still waiting once the drain ended.
    pub waiting: u32,
    /// The subjects this drain settled or tried, for the domains to report on.
    pub touched: Vec<String>,
}

pub(crate) async fn drain(locker: &Locker, backbone: &Backbone, scope: &Scope<'_>) -> Result<DrainReport> {
    // One drain at a time per store: two would send the same item twice at once.
    let _one = locker.drain_lock().lock().await;
    crate::network::with_backbone(locker, backbone, run(locker, backbone, scope)).await
}

async fn run(locker: &Locker, backbone: &Backbone, scope: &Scope<'_>) -> Result<DrainReport> {
    let mut report = DrainReport::default();
    settle_deadlines(locker, &mut report)?;
    let halted = AtomicBool::new(false);
    let mut tried: HashSet<i64> = HashSet::new();
    // The queue is read forward a page at a time. A lane's next item becomes its head only once
    // the one before it is delivered: then the queue is read again from its start.
    let mut after = 0i64;
    let mut lane_moved = false;
    while !halted.load(Ordering::SeqCst) {
        let page = locker.read(|r| queue::due(r.conn(), locker.now_ms(), after, BATCH))?;
        let Some(last) = page.last() else {
            if std::mem::take(&mut lane_moved) {
                after = 0;
                continue;
            }
            break;
        };
        after = last.id;
        let batch: Vec<OutboxItem> = page.into_iter().filter(|i| scope.admits(i) && tried.insert(i.id)).collect();
        let halted = &halted;
        let mut answers = futures_util::stream::iter(batch)
            .map(|item| async move {
                // Once one failure every other item would meet too has come back, no more go.
                if halted.load(Ordering::SeqCst) {
                    return (item, None);
                }
                let answer = deliver(locker, backbone, &item).await;
                if answer.as_ref().is_err_and(|e| retry::classify(e) == Disposition::Halt) {
                    halted.store(true, Ordering::SeqCst);
                }
                (item, Some(answer))
            })
            .buffer_unordered(IN_FLIGHT);
        while let Some((item, answer)) = answers.next().await {
            let Some(answer) = answer else { continue };
            report.touched.push(item.subject.clone());
            lane_moved |= answer.is_ok() && item.lane.is_some();
            settle(locker, backbone, &item, answer, &mut report)?;
        }
    }
    report.waiting = locker.read(|r| {
        Ok(r.conn().query_row("SELECT count(*) FROM outbox WHERE state = 'waiting'", [], |r| r.get::<_, i64>(0))?
            as u32)
    })?;
    Ok(report)
}

/// Sends one item: its domain builds the call from its rows and, when answered, records the
/// answer and completes the item in one transaction.
async fn deliver(locker: &Locker, backbone: &Backbone, item: &OutboxItem) -> Result<()> {
    match item.kind {
        ItemKind::EnrolmentSubmit => enrolment::deliver(locker, backbone, item).await,
        ItemKind::ConsentApprove => consent::approve(locker, backbone, item).await,
        ItemKind::ConsentDeny => consent::deny(locker, backbone, item).await,
        ItemKind::ConsentRevoke => consent::revoke(locker, backbone, item).await,
        ItemKind::ConsentAutoApproval => crate::consent::auto::deliver(locker, backbone, item).await,
        ItemKind::ShareProfile => crate::share::sharing::deliver(locker, backbone, item).await,
        ItemKind::CounterLinkToken => crate::share::counter::deliver(locker, backbone, item).await,
        ItemKind::PullConsent => crate::exchange::pull::deliver_consent(locker, backbone, item).await,
        ItemKind::PullRequest => crate::exchange::pull::deliver_request(locker, backbone, item).await,
        ItemKind::PullNotify => crate::exchange::pull::deliver_notify(locker, backbone, item).await,
        ItemKind::HipAnswer => crate::exchange::answer::deliver(locker, backbone, item).await,
    }
}

/// Records what a try that did not succeed means for its item, unless the item was replaced or
/// removed while its call was in flight (a correction, a cancellation): then the answer was to
/// a request nobody wants any more, and settles nothing.
fn settle(
    locker: &Locker,
    backbone: &Backbone,
    item: &OutboxItem,
    answer: Result<()>,
    report: &mut DrainReport,
) -> Result<()> {
    let e = match answer {
        Ok(()) => {
            report.delivered += 1;
            return Ok(());
        }
        Err(e) => e,
    };
    let code = retry::code_of(&e);
    let disposition = match retry::classify(&e) {
        // This item's own rows cannot be read: no try mends that, and the others can still go.
        Disposition::Local if matches!(e, Error::Corrupt(_)) => Disposition::Wedge,
        Disposition::Retry if item.attempts + 1 >= GIVE_UP_AFTER => Disposition::Wedge,
        Disposition::Local => return Err(e),
        d => d,
    };
    let settled = locker.write(|tx| {
        if !queue::still_current(tx, item)? {
            return Ok(false);
        }
        match disposition {
            Disposition::Retry => {
                let pause = retry::retry_after(&e).unwrap_or_else(|| backbone.policy().backoff(item.attempts + 1));
                queue::reschedule(tx, item.id, tx.now() + millis(pause), &code, true)?;
            }
            // Not this item's doing: it may go as soon as the trouble passes, and the try does
            // not count against it.
            Disposition::Halt => {
                let pause = retry::retry_after(&e).unwrap_or_default();
                queue::reschedule(tx, item.id, tx.now() + millis(pause), &code, false)?;
            }
            _ => {
                let reason = on_refused(tx, item, &e)?;
                queue::wedge(tx, item.id, &code, &reason)?;
            }
        }
        Ok(true)
    })?;
    match disposition {
        Disposition::Halt => {
            report.halted.get_or_insert(code);
        }
        _ if !settled => {}
        Disposition::Retry => report.retrying += 1,
        _ => report.wedged += 1,
    }
    Ok(())
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Items past their deadline are settled by their domains, never sent.
pub(super) fn settle_deadlines(locker: &Locker, report: &mut DrainReport) -> Result<()> {
    let now = locker.now_ms();
    for item in locker.read(|r| queue::past_deadline(r.conn(), now))? {
        locker.write(|tx| {
            queue::complete(tx, item.id)?;
            on_expired(tx, &item)
        })?;
        report.expired += 1;
        report.touched.push(item.subject);
    }
    Ok(())
}

/// The backbone refused `item`: its domain records the refusal; returns what the user can do.
fn on_refused(tx: &Tx<'_>, item: &OutboxItem, e: &Error) -> Result<String> {
    match item.kind {
        ItemKind::EnrolmentSubmit => enrolment::refused(tx, item, e),
        ItemKind::ConsentApprove | ItemKind::ConsentDeny | ItemKind::ConsentRevoke | ItemKind::ConsentAutoApproval => {
            consent::refused(tx, item, e)
        }
        ItemKind::ShareProfile => crate::share::sharing::refused(tx, item, e),
        ItemKind::CounterLinkToken => {
            Ok("the backbone refused the facility's link-token request for this patient".into())
        }
        ItemKind::PullConsent | ItemKind::PullRequest | ItemKind::PullNotify => {
            crate::exchange::pull::refused(tx, item, e)
        }
        ItemKind::HipAnswer => Ok("the backbone refused this answer to a data request".into()),
    }
}

/// The user sends a wedged `item` again.
pub(super) fn on_retry(tx: &Tx<'_>, item: &OutboxItem) -> Result<()> {
    match item.kind {
        ItemKind::EnrolmentSubmit => enrolment::retried(tx, item),
        // The decision is still in the ledger, as made: it goes again as it is.
        ItemKind::ConsentApprove | ItemKind::ConsentDeny | ItemKind::ConsentRevoke | ItemKind::ConsentAutoApproval => {
            Ok(())
        }
        // A refused share is over (the patient scans again); a link-token request goes again.
        ItemKind::ShareProfile | ItemKind::CounterLinkToken => Ok(()),
        // A pull's step or an answer goes again from where it stopped.
        ItemKind::PullConsent | ItemKind::PullRequest | ItemKind::PullNotify | ItemKind::HipAnswer => Ok(()),
    }
}

/// The user gave a wedged `item` up; returns whether personal data was erased (so the
/// write-ahead log should be scrubbed).
pub(super) fn on_discard(tx: &Tx<'_>, item: &OutboxItem) -> Result<bool> {
    match item.kind {
        ItemKind::EnrolmentSubmit => enrolment::discarded(tx, item),
        // A decision given up stays in force on this device (a revoke keeps refusing every
        // release); only the consent manager does not hear it.
        ItemKind::ConsentApprove | ItemKind::ConsentDeny | ItemKind::ConsentRevoke | ItemKind::ConsentAutoApproval => {
            Ok(false)
        }
        ItemKind::ShareProfile | ItemKind::CounterLinkToken => Ok(false),
        ItemKind::PullConsent | ItemKind::PullRequest | ItemKind::PullNotify | ItemKind::HipAnswer => Ok(false),
    }
}

/// `item` passed its deadline unsent.
fn on_expired(tx: &Tx<'_>, item: &OutboxItem) -> Result<()> {
    match item.kind {
        // Enrolments carry no deadline (their retention purge erases them, queue and all).
        ItemKind::EnrolmentSubmit => Ok(()),
        // Decisions carry no deadline: the consent manager's own expiry settles a late one.
        ItemKind::ConsentApprove | ItemKind::ConsentDeny | ItemKind::ConsentRevoke | ItemKind::ConsentAutoApproval => {
            Ok(())
        }
        // The patient has left the counter: the share is dropped and they are told.
        ItemKind::ShareProfile => crate::share::sharing::expired(tx, item),
        ItemKind::CounterLinkToken => Ok(()),
        ItemKind::PullConsent | ItemKind::PullRequest | ItemKind::PullNotify | ItemKind::HipAnswer => Ok(()),
    }
}
