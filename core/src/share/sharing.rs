//! The patient's side of Scan & Share: they scan a counter's code, their profile goes to that
//! facility, and a token comes back. The share is kept and queued in one transaction, so it
//! goes the moment there is a network; one that could not go within
//! [`SHARE_DEADLINE_MS`](super::tokens::SHARE_DEADLINE_MS) is dropped and the patient told (they
//! are no longer at the counter). Scanning the same counter again while a token holds gives that
//! token, with no call; while a share is on its way, that share.
//!
//! Every share is a release of the profile: it is recorded among the consent ledger's uses
//! (channel `scan-share`, to the facility, by reference) and in the audit log, so "what left my
//! phone, and to whom" has one answer for records and profiles alike.

use super::facility_qr::FacilityQr;
use super::tokens::SHARE_DEADLINE_MS;
use super::wire::{self, ShareAnswer, ShareContact};
use crate::Locker;
use crate::consent::ConsentUse;
use crate::consent::ledger;
use crate::crypto::random_uid;
use crate::error::{Error, Result};
use crate::outbox::{ItemKind, OutboxItem, queue};
use crate::profiles;
use crate::store::Tx;
use crate::sync::Backbone;
use rusqlite::{Connection, OptionalExtension, Row, params};

crate::consent::codes! {
    /// Where a share is.
    ShareStatus {
        /// Queued: it goes when there is a network.
        Waiting = "waiting",
        /// The consent manager took it; the facility's token has not been read yet.
        Sent = "sent",
        /// The facility gave a token.
        Token = "token",
        /// The facility or the consent manager refused it.
        Failed = "failed",
        /// It could not go out in time and was dropped unsent.
        Dropped = "dropped",
    }
}

/// A share of a profile at a facility's counter. Nothing personal: ids, codes and times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    pub id: String,
    pub profile_id: String,
    pub hip_id: String,
    pub counter_id: String,
    pub status: ShareStatus,
    /// As the facility wrote it (`"0007"`).
    pub token_number: Option<String>,
    /// When the token stops holding (ms on the locker's clock).
    pub valid_until_ms: Option<i64>,
    /// ABDM's code, for a refused share.
    pub error_code: Option<String>,
    pub created_at_ms: i64,
    /// Unsent by then, it is dropped.
    pub deadline_ms: i64,
}

impl Share {
    /// What the patient is told, when there is something to tell.
    pub fn notice(&self) -> Option<String> {
        match self.status {
            ShareStatus::Dropped => Some(format!(
                "your profile could not be sent within {} minutes and was not sent: scan the counter's code again",
                SHARE_DEADLINE_MS / 60_000
            )),
            ShareStatus::Failed => Some(format!(
                "the counter did not accept your profile ({}): ask at the counter",
                self.error_code.as_deref().unwrap_or("failed")
            )),
            _ => None,
        }
    }
}

const COLUMNS: &str = "s.id, p.uid, s.hip_id, s.counter_id, s.status, s.token_number, s.valid_until, s.error_code,
    s.created_at, s.deadline";

fn from_row(r: &Row) -> rusqlite::Result<Share> {
    Ok(Share {
        id: r.get(0)?,
        profile_id: r.get(1)?,
        hip_id: r.get(2)?,
        counter_id: r.get(3)?,
        status: r.get(4)?,
        token_number: r.get(5)?,
        valid_until_ms: r.get(6)?,
        error_code: r.get(7)?,
        created_at_ms: r.get(8)?,
        deadline_ms: r.get(9)?,
    })
}

pub(crate) fn get(conn: &Connection, id: &str) -> Result<Share> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM shares s JOIN profiles p ON p.id = s.profile_id WHERE s.id = ?1"
    ))?
    .query_row([id], from_row)
    .optional()?
    .ok_or(Error::NotFound("share"))
}

/// The share at this counter that still stands for the patient: a token that holds, or a share
/// still on its way.
fn standing(tx: &Tx<'_>, profile: i64, facility: &FacilityQr) -> Result<Option<Share>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM shares s JOIN profiles p ON p.id = s.profile_id
             WHERE s.profile_id = ?1 AND s.hip_id = ?2 AND s.counter_id = ?3
               AND ((s.status = 'token' AND s.valid_until > ?4) OR (s.status IN ('waiting', 'sent') AND s.deadline > ?4))
             ORDER BY s.created_at DESC LIMIT 1"
        ))?
        .query_row(params![profile, facility.hip_id, facility.counter_id, tx.now()], from_row)
        .optional()?)
}

fn contact_of(conn: &Connection, profile: i64) -> Result<ShareContact> {
    Ok(conn
        .prepare_cached(
            "SELECT mobile, address_line, district, state, pincode FROM share_contacts WHERE profile_id = ?1",
        )?
        .query_row([profile], |r| {
            Ok(ShareContact {
                mobile: r.get(0)?,
                address_line: r.get(1)?,
                district: r.get(2)?,
                state: r.get(3)?,
                pincode: r.get(4)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

fn digits(s: &Option<String>, n: usize, what: &str) -> Result<Option<String>> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) if v.len() == n && v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(v.to_string())),
        Some(_) => Err(Error::InvalidInput(format!("a {what} is {n} digits"))),
    }
}

fn line(s: &Option<String>, what: &str) -> Result<Option<String>> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() <= 200 && !v.chars().any(char::is_control) => Ok(Some(v.to_string())),
        Some(_) => Err(Error::InvalidInput(format!("{what} is at most 200 printable characters"))),
    }
}

/// The patient's shares at counters: the room [`Locker::share`] hands out.
pub struct Shares<'a>(pub(crate) &'a Locker);

impl Shares<'_> {
    /// Keeps what a counter is told of `profile_id` besides its ABHA details.
    pub fn set_contact(&self, profile_id: &str, c: &ShareContact) -> Result<()> {
        let c = ShareContact {
            mobile: digits(&c.mobile, 10, "mobile number")?,
            address_line: line(&c.address_line, "an address")?,
            district: line(&c.district, "a district")?,
            state: line(&c.state, "a state")?,
            pincode: digits(&c.pincode, 6, "PIN code")?,
        };
        self.0.write(|tx| {
            let profile = profiles::rowid(tx, profile_id)?;
            tx.execute(
                "INSERT INTO share_contacts (profile_id, mobile, address_line, district, state, pincode, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (profile_id) DO UPDATE SET mobile = excluded.mobile, address_line = excluded.address_line,
                     district = excluded.district, state = excluded.state, pincode = excluded.pincode,
                     updated_at = excluded.updated_at",
                params![profile, c.mobile, c.address_line, c.district, c.state, c.pincode, tx.now()],
            )?;
            tx.audit("share.contact", Some(profile_id), None)
        })
    }

    /// What a counter is told of `profile_id` besides its ABHA details.
    pub fn contact(&self, profile_id: &str) -> Result<ShareContact> {
        self.0.read(|r| contact_of(r.conn(), profiles::rowid(r.conn(), profile_id)?))
    }

    /// Shares `profile_id`'s profile with the counter `facility` names. Offline, the share waits
    /// in the outbox until its deadline. A token that still holds at this counter, or a share
    /// still on its way there, is returned instead of sharing again.
    pub fn scan(&self, profile_id: &str, facility: &FacilityQr) -> Result<Share> {
        self.0.write(|tx| {
            let profile = profiles::get(tx, profile_id)?;
            if profile.abha_address.is_none() {
                return Err(Error::InvalidInput("sharing a profile needs its ABHA address: add it first".into()));
            }
            let row = profiles::rowid(tx, profile_id)?;
            if let Some(s) = standing(tx, row, facility)? {
                tx.audit("share.rescan", Some(&s.id), None)?;
                return Ok(s);
            }
            let id = random_uid()?;
            let deadline = tx.now() + SHARE_DEADLINE_MS;
            let request_id = queue::enqueue(tx, ItemKind::ShareProfile, &id, None, Some(deadline))?;
            tx.execute(
                "INSERT INTO shares (id, profile_id, hip_id, counter_id, request_id, status, created_at, deadline,
                     updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'waiting', ?6, ?7, ?6)",
                params![id, row, facility.hip_id, facility.counter_id, request_id, tx.now(), deadline],
            )?;
            let at_ms = ledger::observe(tx, tx.now())?;
            ledger::record_use(
                tx,
                &ConsentUse {
                    artefact: id.clone(),
                    hiu: facility.hip_id.clone(),
                    channel: "scan-share".into(),
                    records: vec![format!("profile:{profile_id}")],
                    at_ms,
                },
            )?;
            let detail = format!("hip={} counter={}", facility.hip_id, facility.counter_id);
            tx.audit("share.profile", Some(&id), Some(&detail))?;
            get(tx, &id)
        })
    }

    /// [`Shares::scan`] from the counter code's text (its link or JSON); `phr_url` is the PHR
    /// host configured (`BackboneConfig::phr_url`), whose links are read too.
    pub fn scan_code(&self, profile_id: &str, code: &str, phr_url: Option<&str>) -> Result<Share> {
        self.scan(profile_id, &FacilityQr::parse_for(code, phr_url)?)
    }

    /// Shares, newest first, of one profile or of all.
    pub fn list(&self, profile_id: Option<&str>) -> Result<Vec<Share>> {
        self.0.read(|r| {
            let mut st = r.conn().prepare_cached(&format!(
                "SELECT {COLUMNS} FROM shares s JOIN profiles p ON p.id = s.profile_id
                 WHERE ?1 IS NULL OR p.uid = ?1 ORDER BY s.created_at DESC, s.id"
            ))?;
            let rows = st.query_map([profile_id], from_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// One share.
    pub fn get(&self, id: &str) -> Result<Share> {
        self.0.read(|r| get(r.conn(), id))
    }

    /// Reads the tokens of shares sent and not yet answered, from the consent manager's token
    /// list (a phone has no bridge for the facility's answer to reach). Returns how many changed.
    pub async fn refresh(&self, backbone: &Backbone) -> Result<u32> {
        let patients: Vec<String> = self.0.read(|r| {
            let mut st = r.conn().prepare_cached(
                "SELECT DISTINCT p.abha_address FROM shares s JOIN profiles p ON p.id = s.profile_id
                 WHERE s.status = 'sent' AND p.abha_address IS NOT NULL",
            )?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        let mut changed = 0;
        for patient in patients {
            let token = crate::consent::token_of(self.0, &patient)?;
            let list = wire::read_token_list(&backbone.share_tokens(&token).await?)?;
            changed += self.0.write(|tx| apply(tx, &list))?;
        }
        Ok(changed)
    }
}

/// Takes the facility's answers to shares this device sent; returns how many changed.
fn apply(tx: &Tx<'_>, answers: &[(String, ShareAnswer)]) -> Result<u32> {
    let mut changed = 0;
    for (request_id, answer) in answers {
        let id: Option<String> = tx
            .query_row("SELECT id FROM shares WHERE request_id = ?1 AND status = 'sent'", [request_id], |r| r.get(0))
            .optional()?;
        let Some(id) = id else { continue };
        match answer {
            ShareAnswer::Token { number, valid_for_s } => {
                let until = tx.now().saturating_add(i64::try_from(*valid_for_s).unwrap_or(0).saturating_mul(1000));
                tx.execute(
                    "UPDATE shares SET status = 'token', token_number = ?2, valid_until = ?3, updated_at = ?4 WHERE id = ?1",
                    params![id, number, until, tx.now()],
                )?;
                tx.audit("share.token", Some(&id), None)?;
            }
            ShareAnswer::Failed { code } => {
                tx.execute(
                    "UPDATE shares SET status = 'failed', error_code = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, code, tx.now()],
                )?;
                tx.audit("share.failed", Some(&id), Some(code))?;
            }
            ShareAnswer::Pending => continue,
        }
        changed += 1;
    }
    Ok(changed)
}

/// Sends the share `item.subject`, then reads the token list once: a facility usually answers
/// within seconds, and the patient is standing at its counter.
pub(crate) async fn deliver(locker: &Locker, backbone: &Backbone, item: &OutboxItem) -> Result<()> {
    let (share, body, patient) = locker.read(|r| {
        let share = get(r.conn(), &item.subject)?;
        let profile = profiles::get(r.conn(), &share.profile_id)?;
        let contact = contact_of(r.conn(), profiles::rowid(r.conn(), &share.profile_id)?)?;
        let body = wire::share_body(&share.hip_id, &share.counter_id, &profile, &contact);
        Ok((share, body, profile.abha_address.unwrap_or_default()))
    })?;
    if share.status != ShareStatus::Waiting {
        return locker.write(|tx| queue::complete(tx, item.id));
    }
    let token = crate::consent::token_of(locker, &patient)?;
    let answer = backbone.share_profile(&item.request_id, &token, body).await?;
    let answered = locker.write(|tx| {
        if !queue::still_current(tx, item)? {
            return Ok(true);
        }
        queue::complete(tx, item.id)?;
        tx.execute("UPDATE shares SET status = 'sent', updated_at = ?2 WHERE id = ?1", params![share.id, tx.now()])?;
        tx.audit("share.sent", Some(&share.id), None)?;
        // Some consent managers pass the facility's answer straight back.
        let direct: Vec<_> = answer.as_object().and_then(wire::read_answer).into_iter().collect();
        Ok(apply(tx, &direct)? > 0)
    })?;
    // Else the token, if the facility has answered already; if not, `refresh` reads it later.
    if !answered
        && let Ok(v) = backbone.share_tokens(&token).await
        && let Ok(list) = wire::read_token_list(&v)
    {
        locker.write(|tx| apply(tx, &list))?;
    }
    Ok(())
}

/// The backbone refused the share: it is failed, and there is nothing to send again.
pub(crate) fn refused(tx: &Tx<'_>, item: &OutboxItem, e: &Error) -> Result<String> {
    let code = crate::sync::retry::code_of(e);
    tx.execute(
        "UPDATE shares SET status = 'failed', error_code = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'waiting'",
        params![item.subject, code, tx.now()],
    )?;
    tx.audit("share.failed", Some(&item.subject), Some(&code))?;
    Ok("the consent manager refused the share: scan the counter's code again, or ask at the counter".into())
}

/// The share could not go out before its deadline: dropped, and the patient told.
pub(crate) fn expired(tx: &Tx<'_>, item: &OutboxItem) -> Result<()> {
    tx.execute(
        "UPDATE shares SET status = 'dropped', updated_at = ?2 WHERE id = ?1 AND status = 'waiting'",
        params![item.subject, tx.now()],
    )?;
    tx.audit("share.dropped", Some(&item.subject), None)
}
