//! The demo's consent story: a doctor asks to see Lakshmi's records; she narrows the request and
//! grants it with no network; the grant syncs and is checked; a record goes under it and one
//! outside it is refused; she revokes, and the phone stops releasing at once.
//!
//! The consent manager is locker-sandbox's, in-process, over real HTTP on loopback.

use super::{SAMPLES, ensure, ms, sample_owner, say, step};
use crate::CliResult;
use locker_core::consent::{AccessMode, ConsentStatus, DenyReason, ReleaseAsk, ReleaseChannel, Verification};
use locker_core::{Backbone, BackboneConfig, DatabaseKey, HiType, ImportOptions, Locker};
use locker_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

const HOSPITAL: &str = "sbx-hiu-city-hospital";

/// The story, from step `n`; returns the next step's number.
pub fn run(tmp: &Path, mut n: u32) -> CliResult<u32> {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone())?;
    let bb = Backbone::new(BackboneConfig::local(&sandbox.url(), &config.client_id, &config.client_secret))?;
    let offline = super::enrol::unreachable_backbone()?;
    let locker = Locker::create(&tmp.join("consent-store"), DatabaseKey::generate()?)?;
    let owner = locker.profiles().add(&sample_owner())?;
    let patient = owner.abha_address.clone().unwrap_or_default();
    let mut ids = std::collections::HashMap::new();
    for (name, bytes) in SAMPLES {
        ids.insert(name, locker.records().import(&owner.id, bytes, &ImportOptions::default())?.id);
    }
    let mut next = |text: &str| {
        step(n, text);
        n += 1;
    };
    crate::enrol::block_on(async {
        next("A doctor asks to see Lakshmi's records");
        let mut ask = sandbox.sample_consent_request(&patient, HOSPITAL);
        ask["hiTypes"] = json!(["Prescription", "DiagnosticReport", "OPConsultation"]);
        ask["permission"] = json!({
            "accessMode": "VIEW",
            "dateRange": {"from": "2015-01-01T00:00:00.000Z", "to": "2025-12-31T23:59:59.999Z"},
            "dataEraseAt": "2030-12-31T00:00:00.000Z",
            "frequency": {"unit": "DAY", "value": 3, "repeats": 20},
        });
        let id = sandbox.raise_consent_request(ask);
        locker.consent().sign_in(&patient, &sandbox.phr_login(&patient), 86_400)?;
        let pulled = locker.consent().refresh(&bb).await?;
        let r = locker.consent().request(&id)?.request;
        say(format!(
            "City Hospital asks, through ABDM's consent manager, for {} of 2015–2025, to view (pulled: {} new request).",
            r.hi_types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", "),
            pulled.requests_changed
        ));

        next("She narrows it and grants it, with no network");
        let mut choice = locker.consent().proposal(&id)?;
        choice.hi_types = vec![HiType::Prescription, HiType::DiagnosticReport];
        choice.date_from_ms = locker_core::consent::wire::datetime(&json!("2023-01-01"), "from")?;
        let granted = locker.consent().approve(&id, &[choice])?;
        let tried = locker.outbox().drain(&offline).await?;
        ensure(tried.halted.as_deref() == Some("offline"), "the approval waits for a network")?;
        ensure(granted[0].grant.verification == Verification::Pending, "the grant awaits the consent manager")?;
        say("Prescriptions and lab reports only, from 2023: applied on the phone at once, and queued.");
        say(format!("No network: the approval waits in the outbox ({} waiting).", tried.waiting));

        next("The network is back: the grant syncs, and its signature is checked");
        let t = Instant::now();
        locker.outbox().drain(&bb).await?;
        let artefact = locker.consent().artefacts_of(&id)?.into_iter().next();
        let artefact = artefact.ok_or_else(|| crate::Failure::new("demo step failed: no artefact"))?;
        ensure(artefact.grant.verification == Verification::Verified, "the artefact verifies")?;
        say(format!(
            "The consent manager made artefact {} ({:.0} ms); RS256 over its canonical JSON verified with key {}.",
            artefact.grant.id,
            ms(t),
            artefact.key_id.as_deref().unwrap_or("?")
        ));

        next("A record goes under the grant, one outside it does not");
        let release = |record: &str| ReleaseAsk {
            hiu: HOSPITAL.into(),
            consent_id: Some(artefact.grant.id.clone()),
            mode: AccessMode::View,
            date_range: None,
            records: vec![record.to_string()],
            channel: ReleaseChannel::DataRequest,
        };
        let lab = locker.consent().release(&release(&ids["diagnostic-report.json"]))?;
        ensure(lab.records.len() == 1, "the lab report is released")?;
        say(format!(
            "The lab report of January 2025: released ({} bytes), its use in the ledger.",
            lab.records[0].bundle.len()
        ));
        let visit = locker.consent().release(&release(&ids["op-consultation.json"]))?;
        let why = visit.decision.denied.first().map(|d| d.reason);
        ensure(why == Some(DenyReason::HiType), "the consultation is refused")?;
        say(format!("The consultation of March 2024: refused, {}.", why.map(DenyReason::explain).unwrap_or_default()));

        next("She revokes it");
        locker.consent().revoke(&id)?;
        let after = locker.consent().release(&release(&ids["diagnostic-report.json"]))?;
        ensure(after.records.is_empty(), "nothing goes once revoked")?;
        say("At once, on the phone: the same lab report is now refused (the grant is revoked).");
        locker.outbox().drain(&bb).await?;
        let theirs = sandbox.consent_artefact(&artefact.grant.id).map(|a| a["status"].clone());
        ensure(theirs == Some(json!(ConsentStatus::Revoked.code())), "the consent manager heard the revoke")?;
        let uses = locker.consent().uses(Some(&artefact.grant.id))?;
        say(format!(
            "Synced: the consent manager holds it REVOKED. Its ledger: {} use, by reference, no record content.",
            uses.len()
        ));
        say("By hand: `locker consent --help` (requests, show, approve, deny, revoke, artefacts, uses, release).");
        CliResult::Ok(())
    })?;
    Ok(n)
}
