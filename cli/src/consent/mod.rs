//! `locker consent …`: the citizen's consent by hand. Decisions apply here at once, offline
//! too; `sync` sends them and fetches what the consent manager holds. `release` is the one way
//! the CLI lets records go to someone else, and it asks the consent policy first.

pub mod args;
mod show;

use crate::enrol::{Net, block_on};
use crate::store::Context;
use crate::{CliResult, Failure, exit};
use args::{ConsentArgs, ConsentCmd};
use locker_core::HiType;
use locker_core::consent::{AccessMode, CareContextRef, ConsentStatus, Party, ReleaseAsk, ReleaseChannel, wire};
use serde_json::json;

pub fn run(ctx: &Context, args: ConsentArgs) -> CliResult {
    let locker = ctx.open()?;
    let consent = locker.consent();
    match args.command {
        ConsentCmd::SignIn { patient, token, expires_in } => {
            let token = match token {
                Some(t) => t,
                None if args.backbone.preset == "local" => crate::sandbox::phr_login(&args.backbone.url, &patient)?,
                None => return Err(Failure::usage("give the consent manager's login token: --token")),
            };
            consent.sign_in(&patient, &token, expires_in)?;
            println!("signed in: consent for {patient} can be synced");
            Ok(())
        }
        ConsentCmd::Sync { json } => {
            let net = Net::new(&args.backbone)?;
            let drained = block_on(locker.outbox().drain(&net.backbone)).map_err(|e| net.failure(e))?;
            if let Some(code) = &drained.halted {
                return Err(net.halted("sending your decisions", code));
            }
            let r = block_on(consent.refresh(&net.backbone)).map_err(|e| net.failure(e))?;
            if json {
                let v = json!({"sent": drained.delivered, "waiting": drained.waiting, "wedged": drained.wedged,
                    "patients": r.patients, "requests_changed": r.requests_changed,
                    "artefacts_changed": r.artefacts_changed, "artefacts_refused": r.artefacts_refused,
                    "unreadable": r.unreadable, "records_erased": r.swept.records_erased});
                println!("{v}");
            } else {
                println!(
                    "{} decision(s) sent; {} request(s) and {} artefact(s) new or changed",
                    drained.delivered, r.requests_changed, r.artefacts_changed
                );
                if r.artefacts_refused > 0 {
                    println!("{} artefact(s) refused: their signature did not verify", r.artefacts_refused);
                }
                if r.swept.records_erased > 0 {
                    println!("{} record(s) erased: the grants they came under ended", r.swept.records_erased);
                }
            }
            Ok(())
        }
        ConsentCmd::Requests { status, json } => {
            let list = consent.requests(status.as_deref().map(parse_status).transpose()?)?;
            show::requests(&list, json);
            Ok(())
        }
        ConsentCmd::Show { id, json } => match consent.request(&id) {
            Ok(r) => {
                show::request(&r, &consent.artefacts_of(&id)?, &consent.history(&id)?, json);
                Ok(())
            }
            Err(locker_core::Error::NotFound(_)) => {
                let a = consent.artefact(&id)?;
                show::artefact(&a, &consent.history(&id)?, &consent.uses(Some(&id))?, json);
                Ok(())
            }
            Err(e) => Err(e.into()),
        },
        ConsentCmd::Approve { id, hi_types, from, to, erase_at, care_contexts, hip } => {
            let mut choice = consent.proposal(&id)?;
            if !hi_types.is_empty() {
                choice.hi_types = hi_types
                    .iter()
                    .map(|t| HiType::parse(t).ok_or_else(|| Failure::usage(format!("{t:?} is not a record type"))))
                    .collect::<CliResult<_>>()?;
            }
            if let Some(f) = from {
                choice.date_from_ms = instant(&f, false)?;
            }
            if let Some(t) = to {
                choice.date_to_ms = instant(&t, true)?;
            }
            if let Some(e) = erase_at {
                choice.erase_at_ms = instant(&e, false)?;
            }
            if !care_contexts.is_empty() {
                let patient = consent.request(&id)?.request.patient;
                choice.care_contexts = care_contexts
                    .into_iter()
                    .map(|c| CareContextRef { patient_reference: patient.clone(), care_context_reference: c })
                    .collect();
            }
            if let Some(h) = hip {
                choice.hip = Party { id: h, name: None };
            }
            let granted = consent.approve(&id, &[choice])?;
            println!(
                "request {id} granted on this device ({} grant(s)); the consent manager hears it at the next `locker consent sync`",
                granted.len()
            );
            Ok(())
        }
        ConsentCmd::Deny { id, reason } => {
            consent.deny(&id, reason.as_deref())?;
            println!("request {id} denied on this device; the consent manager hears it at the next sync");
            Ok(())
        }
        ConsentCmd::Revoke { id } => {
            let r = consent.revoke(&id)?;
            println!(
                "{} grant(s) revoked on this device: nothing more is released under them; the consent manager hears it at the next sync",
                r.artefacts.len()
            );
            Ok(())
        }
        ConsentCmd::Artefacts { status, json } => {
            let list = consent.artefacts(status.as_deref().map(parse_status).transpose()?)?;
            show::artefacts(&list, json);
            Ok(())
        }
        ConsentCmd::Uses { artefact, json } => {
            show::uses(&consent.uses(artefact.as_deref())?, json);
            Ok(())
        }
        ConsentCmd::Release { hiu, consent: consent_id, mode, out, records, json } => {
            let mode = AccessMode::ALL
                .iter()
                .copied()
                .find(|m| m.code().eq_ignore_ascii_case(&mode))
                .ok_or_else(|| Failure::usage("a mode is view, store, query or stream"))?;
            std::fs::create_dir_all(&out).map_err(|e| Failure::file("make the directory", &out, &e))?;
            let ask = ReleaseAsk { hiu, consent_id, mode, date_range: None, records, channel: ReleaseChannel::Share };
            let released = consent.release(&ask)?;
            for r in &released.records {
                let path = out.join(format!("{}.json", r.id));
                std::fs::write(&path, &r.bundle).map_err(|e| Failure::file("write", &path, &e))?;
            }
            show::release(&released, &out, json);
            if released.records.is_empty() {
                return Err(Failure::with_code(
                    exit::NOT_PERMITTED,
                    "no grant covers any of these records: nothing was released",
                ));
            }
            Ok(())
        }
    }
}

fn parse_status(s: &str) -> CliResult<ConsentStatus> {
    ConsentStatus::ALL
        .iter()
        .copied()
        .find(|c| c.code().eq_ignore_ascii_case(s))
        .ok_or_else(|| Failure::usage("a status is requested, granted, denied, expired or revoked"))
}

/// `YYYY-MM-DD` (its start, or with `end_of_day` its last millisecond, UTC) or an instant.
pub(crate) fn instant(s: &str, end_of_day: bool) -> CliResult<i64> {
    let ms = wire::datetime(&json!(s), "date").map_err(|_| {
        Failure::usage(format!("{s:?} is not a date (YYYY-MM-DD) or an instant (YYYY-MM-DDTHH:MM:SSZ)"))
    })?;
    Ok(if end_of_day && !s.contains('T') { ms + 86_400_000 - 1 } else { ms })
}
