//! The outbox: one persisted queue of every call the backbone must hear, and its delivery.
//!
//! A domain queues a call only inside the transaction of the local change it reports
//! ([`queue::enqueue`]), so nothing is ever done here and not queued, or queued and not done.
//! The call's REQUEST-ID is fixed then, and every try carries it: the backbone's idempotency key,
//! so a call whose answer was lost is answered again, never applied twice. Items of one lane go
//! strictly in order (a revoke behind the approval it revokes); lanes and lane-less items go in
//! parallel, a few at a time.
//!
//! A drain ([`Outbox::drain`]) sends what is due and settles each answer with the one
//! classification of `sync::retry`: done (the domain records what the answer changed and the item
//! leaves the queue, in one transaction); tried again later with the same REQUEST-ID; the drain
//! stopped (no network, not the backbone, our credentials refused, a pause asked for); or wedged
//! (the backbone refused this item: kept with its reason until the user retries or discards it).
//!
//! What is not queued: calls a person waits on (an OTP request, a verification): sent later
//! they help nobody, so they go out at once, under the same retry policy and classification.

pub(crate) mod drain;
pub(crate) mod queue;

pub use drain::DrainReport;

use crate::Locker;
use crate::error::{Error, Result};
use crate::sync::Backbone;
use std::collections::BTreeMap;

/// What a queued call is for. Each kind belongs to a domain, which builds the call from its own
/// rows when it is sent (nothing personal is copied into the queue) and records its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    /// A field worker's captured citizen, enrolled by demographics (`abha::enrolment`).
    EnrolmentSubmit,
    /// The citizen's approval of a consent request, as narrowed (`consent`).
    ConsentApprove,
    /// The citizen's denial of a consent request.
    ConsentDeny,
    /// The citizen's revocation of a request's artefacts (or of one artefact).
    ConsentRevoke,
    /// The citizen's auto-approval setting for their own requests.
    ConsentAutoApproval,
    /// A patient's profile shared with a facility's counter (`share::sharing`); it has a
    /// deadline, past which it is dropped.
    ShareProfile,
    /// An OPD counter's link-token request for a patient it registered (`share::counter`).
    CounterLinkToken,
    /// The locker's own consent request for its citizen's records (`PATRQT`, `exchange::pull`).
    PullConsent,
    /// A request, as a HIU, for the records one artefact grants, with a key made on the phone.
    PullRequest,
    /// The notify of a transfer received: a status per care context.
    PullNotify,
    /// A doctor's data request answered as a HIP: acknowledged, records pushed page by page,
    /// notified (`exchange::answer`).
    HipAnswer,
}

impl ItemKind {
    pub const ALL: [ItemKind; 11] = [
        ItemKind::EnrolmentSubmit,
        ItemKind::ConsentApprove,
        ItemKind::ConsentDeny,
        ItemKind::ConsentRevoke,
        ItemKind::ConsentAutoApproval,
        ItemKind::ShareProfile,
        ItemKind::CounterLinkToken,
        ItemKind::PullConsent,
        ItemKind::PullRequest,
        ItemKind::PullNotify,
        ItemKind::HipAnswer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ItemKind::EnrolmentSubmit => "enrolment.submit",
            ItemKind::ConsentApprove => "consent.approve",
            ItemKind::ConsentDeny => "consent.deny",
            ItemKind::ConsentRevoke => "consent.revoke",
            ItemKind::ConsentAutoApproval => "consent.auto-approval",
            ItemKind::ShareProfile => "share.profile",
            ItemKind::CounterLinkToken => "counter.link-token",
            ItemKind::PullConsent => "pull.consent",
            ItemKind::PullRequest => "pull.request",
            ItemKind::PullNotify => "pull.notify",
            ItemKind::HipAnswer => "hip.answer",
        }
    }

    pub(crate) fn from_code(s: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.code() == s)
    }
}

crate::store::sql_enum::stored_as_text!(ItemKind);

/// Where an item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemState {
    /// To be sent (again) when due.
    Waiting,
    /// Refused by the backbone; kept until the user retries or discards it.
    Wedged,
}

impl ItemState {
    pub fn code(self) -> &'static str {
        match self {
            ItemState::Waiting => "waiting",
            ItemState::Wedged => "wedged",
        }
    }

    pub(crate) fn from_code(s: &str) -> Option<ItemState> {
        [ItemState::Waiting, ItemState::Wedged].into_iter().find(|k| k.code() == s)
    }
}

crate::store::sql_enum::stored_as_text!(ItemState);

/// One queued call. Nothing in it is personal: `subject` is the id of the domain's object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: ItemKind,
    pub subject: String,
    /// Fixed when queued (a retry of a wedged item makes a new request, with a new one).
    pub request_id: String,
    pub lane: Option<String>,
    pub state: ItemState,
    /// Tries that failed.
    pub attempts: u32,
    pub next_attempt_at_ms: i64,
    /// The last failure, as a code.
    pub last_error: Option<String>,
    /// For a wedged item: what the user can do about it.
    pub reason: Option<String>,
    /// After this the call is of no use, and the domain settles it without sending.
    pub deadline_ms: Option<i64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// How many items of one kind wait and are wedged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindCount {
    pub kind: ItemKind,
    pub waiting: u32,
    pub wedged: u32,
}

/// A wedged item, as the user sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WedgedItem {
    pub id: i64,
    pub kind: ItemKind,
    pub subject: String,
    pub reason: String,
    pub last_error: Option<String>,
}

/// The outbox at a glance, for the user.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct OutboxStatus {
    pub waiting: u32,
    pub wedged: u32,
    pub by_kind: Vec<KindCount>,
    /// How long the oldest waiting item has waited (ms on the locker's clock).
    pub oldest_waiting_age_ms: Option<i64>,
    pub wedged_items: Vec<WedgedItem>,
}

/// What the backbone must hear: the room [`Locker::outbox`] hands out.
pub struct Outbox<'a>(pub(crate) &'a Locker);

impl Outbox<'_> {
    /// Every item, oldest first.
    pub fn items(&self) -> Result<Vec<OutboxItem>> {
        self.0.read(|r| queue::all(r.conn()))
    }

    /// Counts by state and kind, the age of the oldest waiting item, each wedged item's reason.
    pub fn status(&self) -> Result<OutboxStatus> {
        let now = self.0.now_ms();
        let items = self.items()?;
        let mut by_kind: BTreeMap<ItemKind, (u32, u32)> = BTreeMap::new();
        let mut s = OutboxStatus::default();
        for i in &items {
            let counts = by_kind.entry(i.kind).or_default();
            match i.state {
                ItemState::Waiting => {
                    s.waiting += 1;
                    counts.0 += 1;
                    let age = (now - i.created_at_ms).max(0);
                    s.oldest_waiting_age_ms = Some(s.oldest_waiting_age_ms.map_or(age, |a| a.max(age)));
                }
                ItemState::Wedged => {
                    s.wedged += 1;
                    counts.1 += 1;
                    s.wedged_items.push(WedgedItem {
                        id: i.id,
                        kind: i.kind,
                        subject: i.subject.clone(),
                        reason: i.reason.clone().unwrap_or_default(),
                        last_error: i.last_error.clone(),
                    });
                }
            }
        }
        s.by_kind = by_kind.into_iter().map(|(kind, (waiting, wedged))| KindCount { kind, waiting, wedged }).collect();
        Ok(s)
    }

    /// Sends every item that is due, a few at a time, and settles each answer (see the module
    /// documentation). Stops at the first failure every item would meet; nothing is lost.
    pub async fn drain(&self, backbone: &Backbone) -> Result<DrainReport> {
        drain::drain(self.0, backbone, &drain::Scope::All).await
    }

    /// Settles, with no network, every item past its deadline (a share the patient is no longer
    /// at the counter for): what a drain does first. Returns how many.
    pub fn expire(&self) -> Result<u32> {
        let mut report = DrainReport::default();
        drain::settle_deadlines(self.0, &mut report)?;
        Ok(report.expired)
    }

    /// Sends a wedged item again, as a new request (a new REQUEST-ID: the backbone answered the
    /// old one), after the user mended what its reason said.
    pub fn retry(&self, id: i64) -> Result<OutboxItem> {
        self.0.write(|tx| {
            let item = queue::get(tx, id)?;
            if item.state != ItemState::Wedged {
                return Err(Error::WrongStep { state: item.state.code().into() });
            }
            queue::rearm(tx, id)?;
            drain::on_retry(tx, &item)?;
            tx.audit("outbox.retry", Some(&item.subject), Some(item.kind.code()))?;
            queue::get(tx, id)
        })
    }

    /// Gives a wedged item up: it leaves the queue, and its domain settles what it was for (a
    /// refused enrolment is erased from the device).
    pub fn discard(&self, id: i64) -> Result<()> {
        let scrub = self.0.write(|tx| {
            let item = queue::get(tx, id)?;
            if item.state != ItemState::Wedged {
                return Err(Error::WrongStep { state: item.state.code().into() });
            }
            queue::complete(tx, id)?;
            tx.audit("outbox.discard", Some(&item.subject), Some(item.kind.code()))?;
            drain::on_discard(tx, &item)
        })?;
        if scrub {
            self.0.scrub_wal()?;
        }
        Ok(())
    }
}
