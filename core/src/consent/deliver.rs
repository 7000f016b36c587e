//! The citizen's decisions as the outbox delivers them: each call built from the ledger when it
//! is sent, each answer recorded in the transaction that completes its item. When the consent
//! manager disagrees (the request expired meanwhile, or was answered from another device), its
//! answer wins: the ledger takes the consent manager's status and the citizen is told why.

use super::decide::PENDING_PREFIX;
use super::ledger::{self, PendingDecision, Source};
use super::model::{ConsentStatus, GrantChoice, Party, Verification};
use super::refresh::{Verifier, check_all};
use super::{token_of as token, wire};
use crate::Locker;
use crate::error::{Error, Result};
use crate::outbox::{OutboxItem, queue};
use crate::store::Tx;
use crate::sync::Backbone;
use crate::sync::retry::code_of;

/// Whether the consent manager refused the call for what it knows of the request (its state),
/// rather than for trouble: then re-reading the request tells what happened.
fn disagrees(e: &Error) -> bool {
    matches!(e, Error::Refused { .. })
        || matches!(e, Error::Backbone { status, .. } if matches!(*status, 400 | 404 | 409 | 410 | 412 | 422))
}

/// Completes `item` in `tx` if it is still the request that was sent; false if it was replaced.
fn complete(tx: &Tx<'_>, item: &OutboxItem) -> Result<bool> {
    if !queue::still_current(tx, item)? {
        return Ok(false);
    }
    queue::complete(tx, item.id)?;
    Ok(true)
}

/// Sends the citizen's approval of the request `item.subject`, then fetches the artefacts the
/// consent manager made of it and keeps them in place of the grants made here.
pub(crate) async fn approve(locker: &Locker, backbone: &Backbone, item: &OutboxItem) -> Result<()> {
    let (stored, pending) = locker.read(|r| {
        Ok((ledger::request(r.conn(), &item.subject)?, ledger::artefacts_of_request(r.conn(), &item.subject)?))
    })?;
    if stored.pending != Some(PendingDecision::Approve) {
        return locker.write(|tx| complete(tx, item).map(drop));
    }
    let choices: Vec<GrantChoice> = pending
        .iter()
        .filter(|a| a.grant.verification == Verification::Pending)
        .map(|a| GrantChoice {
            hip: Party { id: a.grant.hip.clone(), name: None },
            hi_types: a.grant.hi_types.clone(),
            care_contexts: a.grant.care_contexts.clone(),
            date_from_ms: a.grant.permission.date_from_ms,
            date_to_ms: a.grant.permission.date_to_ms,
            erase_at_ms: a.grant.permission.erase_at_ms,
        })
        .collect();
    let token = token(locker, &stored.request.patient)?;
    let body = wire::approval_body(&stored.request, &choices);
    match backbone.approve_consent(&item.request_id, &token, &item.subject, body).await {
        Ok(_) => {}
        Err(e) if disagrees(&e) => return overruled(locker, backbone, item, &token, &e).await,
        Err(e) => return Err(e),
    }
    confirm_grants(locker, backbone, item, &token, None).await
}

/// Fetches the request's artefacts and keeps them in place of the grants made here, completing
/// `item`; a revoke made here meanwhile stays in force on them. `notice` is for the citizen.
async fn confirm_grants(
    locker: &Locker,
    backbone: &Backbone,
    item: &OutboxItem,
    token: &zeroize::Zeroizing<String>,
    notice: Option<&str>,
) -> Result<()> {
    let v = backbone.consent_artefacts_of(token, &item.subject).await?;
    let list = wire::list(&v, &["consentArtefacts", "artefacts"], "consent-artefacts")?;
    let mut verifier = Verifier::new(locker, backbone).await?;
    let mut unreadable = 0;
    let checked = check_all(locker, backbone, &mut verifier, list, &mut unreadable).await?;
    locker.write(|tx| {
        if !complete(tx, item)? {
            return Ok(());
        }
        let held = ledger::artefacts_of_request(tx, &item.subject)?;
        let revoked_here = held.iter().any(|a| a.revoke_pending);
        for a in held.iter().filter(|a| a.grant.id.starts_with(PENDING_PREFIX)) {
            ledger::delete_artefact(tx, &a.grant.id)?;
        }
        for (a, verification, kid) in &checked.ok {
            ledger::put_artefact(tx, a, Some(&item.subject), *verification, kid.as_deref(), revoked_here)?;
        }
        let mut note = notice.map(str::to_string);
        if checked.refused > 0 || unreadable > 0 {
            note = Some(format!(
                "{} artefact(s) from the consent manager were refused: their signature did not verify or they could not be read",
                checked.refused + unreadable
            ));
        }
        ledger::set_request(tx, &item.subject, ConsentStatus::Granted, None, note.as_deref())?;
        ledger::history(tx, &item.subject, ConsentStatus::Granted, Source::Backbone, Some("confirmed"))?;
        let detail = format!("artefacts={} refused={}", checked.ok.len(), checked.refused + unreadable);
        tx.audit("consent.confirmed", Some(&item.subject), Some(&detail))
    })
}

/// The consent manager refused the decision on request `item.subject`: its state wins. The
/// grants made here go (or are replaced by the artefacts of an approval made elsewhere), the
/// request takes its status, and the citizen's notice says what happened.
async fn overruled(
    locker: &Locker,
    backbone: &Backbone,
    item: &OutboxItem,
    token: &zeroize::Zeroizing<String>,
    refusal: &Error,
) -> Result<()> {
    let v = backbone.consent_request(token, &item.subject).await?;
    let theirs = wire::read_request(&v)?;
    let notice = match theirs.status {
        ConsentStatus::Expired => "the request expired before your answer reached the consent manager".to_string(),
        ConsentStatus::Granted => "the request was approved from another device".to_string(),
        ConsentStatus::Denied => "the request was denied from another device".to_string(),
        ConsentStatus::Revoked => "the request's consent was revoked from another device".to_string(),
        ConsentStatus::Requested => {
            format!("the consent manager refused your answer ({}): answer it again", code_of(refusal))
        }
    };
    if theirs.status == ConsentStatus::Granted {
        // Approved elsewhere: its artefacts are the ones in force, ours are dropped.
        locker.write(|tx| ledger::put_request(tx, &theirs, &v).map(drop))?;
        return confirm_grants(locker, backbone, item, token, Some(&notice)).await;
    }
    locker.write(|tx| {
        if !complete(tx, item)? {
            return Ok(());
        }
        for a in
            ledger::artefacts_of_request(tx, &item.subject)?.iter().filter(|a| a.grant.id.starts_with(PENDING_PREFIX))
        {
            ledger::delete_artefact(tx, &a.grant.id)?;
        }
        ledger::put_request(tx, &theirs, &v)?;
        ledger::set_request(tx, &item.subject, theirs.status, None, Some(&notice))?;
        ledger::history(tx, &item.subject, theirs.status, Source::Backbone, Some("the consent manager's answer won"))?;
        tx.audit("consent.overruled", Some(&item.subject), Some(&format!("status={}", theirs.status.code())))
    })
}

/// Sends the citizen's denial of the request `item.subject`, with the reason they gave.
pub(crate) async fn deny(locker: &Locker, backbone: &Backbone, item: &OutboxItem) -> Result<()> {
    let (stored, history) = locker
        .read(|r| Ok((ledger::request(r.conn(), &item.subject)?, ledger::history_of(r.conn(), &item.subject)?)))?;
    if stored.pending != Some(PendingDecision::Deny) {
        return locker.write(|tx| complete(tx, item).map(drop));
    }
    let reason = history
        .iter()
        .rev()
        .find(|h| h.source == Source::Device && h.status == ConsentStatus::Denied)
        .and_then(|h| h.note.clone());
    let token = token(locker, &stored.request.patient)?;
    match backbone.deny_consent(&item.request_id, &token, &item.subject, reason.as_deref()).await {
        Ok(_) => locker.write(|tx| {
            if !complete(tx, item)? {
                return Ok(());
            }
            ledger::set_request(tx, &item.subject, ConsentStatus::Denied, None, None)?;
            ledger::history(tx, &item.subject, ConsentStatus::Denied, Source::Backbone, Some("confirmed"))?;
            tx.audit("consent.confirmed", Some(&item.subject), Some("denied"))
        }),
        Err(e) if disagrees(&e) => overruled(locker, backbone, item, &token, &e).await,
        Err(e) => Err(e),
    }
}

/// Sends the revocation of the artefacts revoked here under `item.subject` (a request, or one
/// artefact). When the consent manager refuses it, artefacts it says have ended anyway take its
/// status; any it still holds granted stay revoked here and the item is kept, wedged, for the
/// citizen to see: the device never releases under a grant its citizen revoked.
pub(crate) async fn revoke(locker: &Locker, backbone: &Backbone, item: &OutboxItem) -> Result<()> {
    let (targets, patient) = locker.read(|r| {
        let mut held = ledger::artefacts_of_request(r.conn(), &item.subject)?;
        if held.is_empty()
            && let Ok(a) = ledger::artefact(r.conn(), &item.subject)
        {
            held.push(a);
        }
        let patient = held.first().map(|a| a.grant.patient.clone());
        let ids: Vec<String> = held
            .into_iter()
            .filter(|a| a.revoke_pending && !a.grant.id.starts_with(PENDING_PREFIX))
            .map(|a| a.grant.id)
            .collect();
        Ok((ids, patient))
    })?;
    let Some(patient) = patient.filter(|_| !targets.is_empty()) else {
        // Nothing the consent manager knows is left to revoke (the approval it followed was
        // overruled): done.
        return locker.write(|tx| complete(tx, item).map(drop));
    };
    let token = token(locker, &patient)?;
    match backbone.revoke_consents(&item.request_id, &token, &targets).await {
        Ok(_) => locker.write(|tx| {
            if !complete(tx, item)? {
                return Ok(());
            }
            for id in &targets {
                ledger::set_artefact_status(tx, id, ConsentStatus::Revoked, false)?;
                ledger::history(tx, id, ConsentStatus::Revoked, Source::Backbone, Some("confirmed"))?;
            }
            tx.audit("consent.confirmed", Some(&item.subject), Some(&format!("revoked={}", targets.len())))
        }),
        Err(e) if disagrees(&e) => {
            let mut still_granted = 0;
            let mut theirs = Vec::new();
            for id in &targets {
                let v = backbone.consent_artefact(&token, id).await?;
                let a = wire::read_artefact(&v)?;
                if a.grant.status == ConsentStatus::Granted {
                    still_granted += 1;
                }
                theirs.push(a.grant);
            }
            let done = still_granted == 0;
            locker.write(|tx| {
                for g in theirs.iter().filter(|g| g.status != ConsentStatus::Granted) {
                    ledger::set_artefact_status(tx, &g.id, g.status, false)?;
                    ledger::history(tx, &g.id, g.status, Source::Backbone, Some("ended before the revocation"))?;
                }
                if done {
                    complete(tx, item)?;
                }
                Ok(())
            })?;
            if done { Ok(()) } else { Err(e) }
        }
        Err(e) => Err(e),
    }
}

/// What the citizen can do about a decision the consent manager refused outright.
pub(crate) fn refused(_tx: &Tx<'_>, item: &OutboxItem, e: &Error) -> Result<String> {
    Ok(match item.kind {
        crate::outbox::ItemKind::ConsentRevoke => format!(
            "the consent manager refused the revocation ({}); this device still refuses every release under it",
            code_of(e)
        ),
        _ => format!("the consent manager refused it ({}): send it again, or discard it", code_of(e)),
    })
}
