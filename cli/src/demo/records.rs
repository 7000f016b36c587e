//! The demo's records-from-hospitals story: Lakshmi links her visits at the district hospital
//! with the OTP it sends, and a health centre's own link appears; she pulls her records home,
//! encrypted end to end to keys made on the phone and erased once they came; one is read; and a
//! doctor's request for what her phone holds, made while it was off, is answered a day later.
//!
//! The hospitals, the consent manager and the relay are locker-sandbox's, in-process, over real
//! HTTP on loopback.

use super::{ensure, ms, sample_owner, say, step};
use crate::{CliResult, Failure};
use locker_core::exchange::PullState;
use locker_core::{Backbone, BackboneConfig, DatabaseKey, Error, Locker, Quiet, RecordQuery, ShiftedClock, SyncBudget};
use locker_sandbox::{SELF_HIP, SELF_HIU, Sandbox, SandboxConfig};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

const DISTRICT: &str = "sbx-hip-district";
const CENTRE: &str = "sbx-hip-phc";
const DOCTOR: &str = "sbx-hiu-city-hospital";
/// The mobile number the hospitals have on file for her (made up).
const MOBILE: &str = "9876543210";

/// Syncs, as a phone that sees the network, until `done` holds (pushes arrive a moment after
/// the requests that ask for them).
async fn sync_until(phone: &Locker, bb: &Backbone, done: impl Fn(&Locker) -> CliResult<bool>) -> CliResult {
    for _ in 0..100 {
        phone.sync(bb, SyncBudget::default(), &Quiet).await?;
        if done(phone)? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(Failure::new("demo step failed: the sync never got there"))
}

/// The story, from step `n`; returns the next step's number.
pub fn run(tmp: &Path, mut n: u32) -> CliResult<u32> {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone())?;
    let bb = Backbone::new(BackboneConfig::local(&sandbox.url(), &config.client_id, &config.client_secret))?;
    let clock = ShiftedClock::new();
    let phone = Locker::create_with_clock(&tmp.join("records-store"), DatabaseKey::generate()?, clock.clone())?;
    let owner = phone.profiles().add(&sample_owner())?;
    let patient = owner.abha_address.clone().unwrap_or_default();
    sandbox.set_hip_mobile(DISTRICT, &patient, MOBILE);
    sandbox.set_hip_records(DISTRICT, &patient, 2, 2);
    sandbox.set_hip_mobile(CENTRE, &patient, MOBILE);
    sandbox.set_hip_records(CENTRE, &patient, 1, 2);
    let mut next = |text: &str| {
        step(n, text);
        n += 1;
    };
    crate::enrol::block_on(async {
        next("Her visits at the district hospital, linked with the OTP it sends");
        phone.consent().sign_in(&patient, &sandbox.phr_login(&patient), 30 * 86_400)?;
        let found = phone.links().discover(&bb, &patient, DISTRICT, MOBILE).await?;
        let offered: usize = found.patients.iter().map(|p| p.care_contexts.len()).sum();
        let started = phone.links().choose(&bb, &found.attempt, &[]).await?;
        let otp = sandbox.link_otp(&started.link_reference).ok_or_else(|| Failure::new("demo step failed: no OTP"))?;
        say(format!(
            "Found through the consent manager by the mobile number the hospital has on file: {offered} visits not yet linked."
        ));
        let wrong = if otp == "000000" { "111111" } else { "000000" };
        match phone.links().confirm(&bb, &found.attempt, wrong).await {
            Err(Error::WrongOtp { attempts_left }) => say(format!(
                "She chose both; the hospital sent an OTP. A mistyped one is refused ({attempts_left} tries left)."
            )),
            other => {
                return Err(Failure::new(format!("demo step failed: expected a wrong OTP, got {:?}", other.err())));
            }
        }
        let linked = phone.links().confirm(&bb, &found.attempt, &otp).await?;
        ensure(linked.len() == offered, "every visit found is linked")?;
        say(format!("The right one links them: {} visits, and not a record on the phone yet.", linked.len()));

        next("A health centre links a visit on its own");
        sandbox.hip_link(CENTRE, &patient, Some(1));
        let r = phone.sync(&bb, SyncBudget::default(), &Quiet).await?;
        let links = phone.links().list(Some(&patient))?;
        ensure(r.links_new == 1 && links.iter().any(|l| l.hip_id == CENTRE && !l.linked_here), "the centre's link")?;
        say(format!(
            "The next sync brings it in from the consent manager: {} visits at 2 facilities, one linked by the centre itself.",
            links.len()
        ));

        next("She brings her records home");
        phone.consent().set_auto_approval(&patient, SELF_HIU, true)?;
        phone.sync(&bb, SyncBudget::default(), &Quiet).await?;
        let t = Instant::now();
        let pull = phone.exchange().pull(&owner.id, &[], None)?;
        let done = |l: &Locker| Ok(l.exchange().pull_status(&pull.id)?.state == PullState::Done);
        sync_until(&phone, &bb, done).await?;
        let pull = phone.exchange().pull_status(&pull.id)?;
        let pages: u32 = pull.transfers.iter().map(|t| t.pages_imported).sum();
        let records: u32 = pull.transfers.iter().map(|t| t.records_imported).sum();
        ensure(records > 0 && pull.transfers.iter().all(|t| !t.key_kept), "records came and every key was erased")?;
        say("Her own request for her records, granted by the auto-approval she turned on. Each facility was asked");
        say(
            "with a key pair made on the phone for it alone, and pushed to the locker's relay, which cannot read them.",
        );
        say(format!(
            "{pages} encrypted pages from {} facilities: {records} records decrypted, checked and imported in {:.0} ms.",
            pull.transfers.len(),
            ms(t)
        ));
        say("Each private key was erased once its pages had come: what was sent can never be opened again.");

        next("One of them, read");
        let page = phone.records().list(&RecordQuery {
            profile_id: Some(owner.id.clone()),
            limit: 1,
            ..Default::default()
        })?;
        let r = page.records.first().ok_or_else(|| Failure::new("demo step failed: no record"))?;
        let mut bundle = Vec::new();
        phone.records().read(&r.id, &mut bundle)?;
        ensure(serde_json::from_slice::<serde_json::Value>(&bundle).is_ok(), "the record reads as a FHIR bundle")?;
        ensure(r.care_context.is_some(), "the record is tied to its visit")?;
        say(format!(
            "{} \"{}\": a FHIR bundle stored like every other record, tied to its visit.",
            r.hi_type.as_str(),
            r.title
        ));

        next("A doctor's request while her phone is off, answered a day later");
        let mut ask = sandbox.sample_consent_request(&patient, DOCTOR);
        ask["hip"] = json!({ "id": SELF_HIP });
        ask["permission"]["dateRange"]["from"] = json!("2000-01-01T00:00:00.000Z");
        let request = sandbox.raise_consent_request(ask);
        phone.sync(&bb, SyncBudget::default(), &Quiet).await?;
        let choice = phone.consent().proposal(&request)?;
        phone.consent().approve(&request, &[choice])?;
        phone.sync(&bb, SyncBudget::default(), &Quiet).await?;
        let artefact = phone.consent().artefacts_of(&request)?.into_iter().next();
        let artefact = artefact.ok_or_else(|| Failure::new("demo step failed: no artefact"))?.grant.id;
        say("City Hospital asks to see the records on her phone (the locker as a health facility); she grants it.");
        let txn = sandbox.data_request(&artefact, None).map_err(|c| Failure::new(format!("demo step failed: {c}")))?;
        clock.advance_ms(86_400_000);
        sandbox.advance_clock(86_400);
        let answered = |l: &Locker| Ok(l.exchange().hip_requests()?.iter().any(|h| h.state == "notified"));
        sync_until(&phone, &bb, answered).await?;
        let sent = phone.exchange().hip_requests()?.iter().find(|h| h.transaction_id == txn).map_or(0, |h| h.records);
        let got = sandbox.hiu_received(&txn).unwrap_or_default();
        let entries = got["entries"].as_array().map_or(0, Vec::len);
        let good =
            got["entries"].as_array().is_some_and(|e| e.iter().all(|e| e["ok"] == true && e["checksumOk"] == true));
        ensure(entries > 0 && good, "the doctor's hospital decrypted every entry")?;
        say("The doctor's data request came while the phone was off, and waited on the relay. A day later it synced:");
        say(format!(
            "the consent policy picked the {sent} of her {records} records the grant covers (its record types), encrypted"
        ));
        say(format!(
            "to the hospital's key and pushed; the sandbox's hospital decrypted {entries} entries, every checksum good."
        ));
        say("By hand: `locker link --help`, `locker records pull --help`, `locker sync --help`.");
        CliResult::Ok(())
    })?;
    Ok(n)
}
