//! A captured citizen's submission, as the outbox delivers it: the demographic enrolment call
//! built from the enrolment's own row at the moment it is sent (the queue holds no personal
//! data), and each answer recorded on the enrolment in the transaction that completes, wedges,
//! re-arms or discards its outbox item.

use super::rows::{self, Erasure};
use super::{CitizenDetails, EnrolmentOutcome, EnrolmentState, Personal};
use crate::Locker;
use crate::crypto::seal::Sealed;
use crate::error::{Error, Result};
use crate::outbox::{OutboxItem, queue};
use crate::store::Tx;
use crate::sync::Backbone;
use crate::sync::abha_api::Demographics;
use crate::sync::retry::code_of;

/// Sends `item`'s enrolment by demographics under the item's REQUEST-ID and, once answered,
/// records the ABHA and completes the item in one transaction. Failures come back for the
/// outbox to classify; an item whose enrolment is no longer queued (cancelled, expired) leaves
/// the queue unsent.
pub(crate) async fn deliver(locker: &Locker, backbone: &Backbone, item: &OutboxItem) -> Result<()> {
    let row = locker.read(|r| rows::get(r.conn(), &item.subject))?;
    if row.state != EnrolmentState::Queued || row.erased_at.is_some() {
        return locker.write(|tx| {
            if queue::still_current(tx, item)? {
                queue::complete(tx, item.id)?;
            }
            Ok(())
        });
    }
    let answer = {
        let personal = Personal::read(&row)?;
        let (Some(d), Some(sealed)) = (personal.details.as_ref(), personal.sealed_aadhaar.as_ref()) else {
            return Err(Error::Corrupt("a queued enrolment lacks its details".into()));
        };
        let demographics = demographics(
            d,
            sealed,
            row.consent_version.as_deref().unwrap_or(""),
            row.consent_language.as_deref().unwrap_or(""),
            row.consent_at.unwrap_or(row.created_at),
        );
        backbone.enrol_by_demographics(&item.request_id, &demographics).await?
    };
    locker.write(|tx| {
        // Checked again inside the transaction: the worker may have corrected the details
        // (queued anew, as another request) or cancelled the enrolment while the call was in
        // flight. Then this answer settles nothing here: the corrected request goes on its own,
        // and a cancelled citizen is forgotten (the ABHA exists; this device no longer knows whose).
        if !queue::still_current(tx, item)? {
            return Ok(());
        }
        queue::complete(tx, item.id)?;
        let mut row = rows::get(tx, &item.subject)?;
        if row.state != EnrolmentState::Queued || row.erased_at.is_some() {
            return Ok(());
        }
        let mut personal = Personal::read(&row)?;
        let outcome = if answer.is_new { EnrolmentOutcome::Created } else { EnrolmentOutcome::AlreadyExisted };
        personal.profile = Some(answer.profile.clone());
        personal.token = answer.token.as_ref().map(|t| t.to_string());
        personal.write(&mut row)?;
        row.state = EnrolmentState::Submitted;
        row.outcome = Some(outcome);
        row.last_error = None;
        row.updated_at = tx.now();
        rows::update(tx, &row, Some(("enrolment.submitted", &format!("outcome={}", outcome.code()))))
    })
}

/// The demographic enrolment call's body for a citizen whose Aadhaar number is `sealed`, with the
/// consent they gave (text version, language, when).
pub(crate) fn demographics<'a>(
    d: &'a CitizenDetails,
    sealed: &'a Sealed,
    consent_version: &'a str,
    consent_language: &'a str,
    consent_at_ms: i64,
) -> Demographics<'a> {
    Demographics {
        sealed_aadhaar: sealed,
        name: &d.name,
        gender: d.gender.code(),
        birth_date: &d.birth_date,
        mobile: &d.mobile,
        address: &d.address,
        state_code: &d.state_code,
        district_code: &d.district_code,
        pin_code: &d.pin_code,
        consent_version,
        consent_language,
        consent_at_ms,
    }
}

/// The backbone refused `item`: its enrolment is rejected with what the worker can do about it
/// (also the item's reason, returned).
pub(crate) fn refused(tx: &Tx<'_>, item: &OutboxItem, e: &Error) -> Result<String> {
    let reason = rejection_reason(e);
    let mut row = rows::get(tx, &item.subject)?;
    if row.state == EnrolmentState::Queued && row.erased_at.is_none() {
        row.state = EnrolmentState::Rejected;
        row.outcome = Some(EnrolmentOutcome::Rejected);
        row.reason = Some(reason.clone());
        row.last_error = Some(code_of(e));
        row.updated_at = tx.now();
        let detail = format!("outcome=rejected code={}", code_of(e));
        rows::update(tx, &row, Some(("enrolment.submitted", &detail)))?;
    }
    Ok(reason)
}

/// The worker sends a refused submission again, unchanged: the enrolment is queued again.
pub(crate) fn retried(tx: &Tx<'_>, item: &OutboxItem) -> Result<()> {
    let mut row = rows::get(tx, &item.subject)?;
    row.expect_state(&[EnrolmentState::Rejected])?;
    row.state = EnrolmentState::Queued;
    row.outcome = None;
    row.reason = None;
    row.updated_at = tx.now();
    rows::update(tx, &row, Some(("enrolment.requeued", "")))
}

/// The worker gave a refused submission up: the citizen's details are erased at once.
pub(crate) fn discarded(tx: &Tx<'_>, item: &OutboxItem) -> Result<bool> {
    let row = rows::get(tx, &item.subject)?;
    if row.erased_at.is_some() {
        return Ok(false);
    }
    rows::erase(tx, &item.subject, EnrolmentState::Cancelled, Erasure::Cancelled)?;
    Ok(true)
}

/// What the worker can do about a refusal (never personal data).
fn rejection_reason(e: &Error) -> String {
    match e {
        Error::SealedValueRejected => {
            "the backbone's key changed since capture: capture the Aadhaar number again".into()
        }
        Error::Backbone { code, .. } if code == "ABDM-1115" => {
            "the details do not match the Aadhaar record: check name, year of birth and gender".into()
        }
        Error::Backbone { code, .. } if code == "ABDM-1117" => "a required detail is missing or impossible".into(),
        Error::Backbone { code, .. } if code == "ABDM-1114" => {
            "the Aadhaar number is not valid: capture it again".into()
        }
        Error::Corrupt(_) => "its details on this device cannot be read: discard it and capture again".into(),
        Error::Backbone { status, .. } if *status >= 500 => {
            format!("the backbone failed it again and again ({}): send it again later", code_of(e))
        }
        Error::UnreadableAnswer { .. } => {
            format!("the backbone's answers to it could not be read ({}): send it again later", code_of(e))
        }
        other => format!("the backbone refused it ({})", code_of(other)),
    }
}
