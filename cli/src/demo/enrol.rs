//! The demo's enrolment stories: a field worker's day with no signal, then a citizen enrolling
//! on their own phone.
//!
//! Both talk to locker-sandbox in-process; the OTPs the citizen would read on her phone come
//! from the sandbox by the enrolment's transaction id.

use super::{ensure, files_containing, ms, say, step};
use crate::{CliResult, Failure};
use locker_core::{
    Backbone, BackboneConfig, CitizenDetails, ConsentCapture, DatabaseKey, Enrolment, EnrolmentFilter,
    EnrolmentOutcome, EnrolmentState, Gender, Locker,
};
use locker_sandbox::{Sandbox, SandboxConfig};
use std::path::Path;
use std::time::Instant;

struct Citizen {
    name: &'static str,
    gender: Gender,
    birth: &'static str,
    mobile: &'static str,
    aadhaar: String,
}

fn citizens() -> [Citizen; 3] {
    let c = |name, gender, birth, mobile, n| Citizen {
        name,
        gender,
        birth,
        mobile,
        aadhaar: locker_sandbox::test_aadhaar(n),
    };
    [
        c("Savitri Devi", Gender::Female, "1961-08-15", "9876501234", 4_200_001),
        c("Ramesh Chandra Yadav", Gender::Male, "1978-05-20", "9123405678", 4_200_002),
        c("Nasreen Bano", Gender::Female, "1994-02-03", "8765409876", 4_200_003),
    ]
}

/// A backbone nobody answers at: a loopback port that was free a moment ago.
pub fn unreachable_backbone() -> CliResult<Backbone> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut config = crate::enrol::sandbox_config(&format!("http://127.0.0.1:{port}"));
    config.max_attempts = 3;
    Ok(Backbone::new(config)?)
}

/// Both stories, from step `n`; returns the next step's number.
pub fn run(tmp: &Path, mut n: u32) -> CliResult<u32> {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone())?;
    crate::enrol::block_on(async {
        field(&sandbox, &config, tmp, &mut n).await?;
        own_phone(&sandbox, &config, tmp, &mut n).await
    })?;
    Ok(n)
}

/// The sandbox as the backbone, with the credentials it was started with.
fn backbone(sandbox: &Sandbox, config: &SandboxConfig) -> CliResult<Backbone> {
    Ok(Backbone::new(BackboneConfig::local(&sandbox.url(), &config.client_id, &config.client_secret))?)
}

async fn field(sandbox: &Sandbox, config: &SandboxConfig, tmp: &Path, n: &mut u32) -> CliResult {
    let mut next = |text: &str| {
        step(*n, text);
        *n += 1;
    };
    next("A field worker's tablet, and the ABDM backbone");
    let online = backbone(sandbox, config)?;
    let dir = tmp.join("worker-tablet");
    let locker = Locker::create(&dir, DatabaseKey::generate()?)?;
    let session = locker.enrolment().start_session("ASHA-0042", "tablet-07", None)?;
    locker.enrolment().refresh_backbone_key(&online).await?;
    say(format!("locker-sandbox, a stand-in for ABDM's backbone, listens on {}.", sandbox.url()));
    say("ASHA worker 0042 starts a session on tablet 07 and fetches the backbone's public key once,");
    say("so that every Aadhaar number captured later is sealed to it on the spot, network or not.");

    next("Three citizens, and no signal");
    let offline = unreachable_backbone()?;
    let consent = ConsentCapture { language: "hi".into(), text_version: "1.4".into() };
    let people = citizens();
    let mut ids = Vec::new();
    for c in &people {
        let details = CitizenDetails {
            name: c.name.into(),
            gender: c.gender,
            birth_date: c.birth.into(),
            mobile: c.mobile.into(),
            address: "Ward 4, Sitapur Road, Bari village".into(),
            state_code: "9".into(),
            district_code: "162".into(),
            pin_code: "261001".into(),
        };
        let t = Instant::now();
        let e = locker.enrolment().capture(&session.id, details, c.aadhaar.clone(), &consent)?;
        say(format!(
            "{:<22} captured, sealed and queued in {:.1} ms (consent read in Hindi, text v1.4)",
            c.name,
            ms(t)
        ));
        ids.push(e.id);
    }
    let t = Instant::now();
    let report = locker.enrolment().submit(&offline, Some(&session.id)).await?;
    ensure(report.still_queued == 3, "with no network all three stay queued")?;
    ensure(report.halted.as_deref() == Some("offline"), "the drain stops at the first sign of no network")?;
    say(format!(
        "Submitting finds no network ({:.1} s of retries): all {} stay queued, nothing lost.",
        t.elapsed().as_secs_f64(),
        report.still_queued
    ));
    say("Killed now, or a week from now, the tablet still has them: each is in the encrypted store.");
    let status = locker.outbox().status()?;
    ensure(status.waiting == 3 && status.wedged == 0, "three submissions wait in the outbox")?;
    say(format!(
        "The outbox, the one queue of everything the backbone must hear: {} waiting, {} wedged; each capture",
        status.waiting, status.wedged
    ));
    say("was queued with its REQUEST-ID in the same transaction as the capture itself.");

    next("The network comes back");
    let report = locker.enrolment().submit(&online, Some(&session.id)).await?;
    ensure(report.created == 3, "all three are created")?;
    for e in &report.enrolments {
        say(format!("{:<22} {}", e.name.as_deref().unwrap_or("?"), e.outcome.map(|o| o.code()).unwrap_or("-")));
    }
    say("Each went with the REQUEST-ID it was given at capture: a retry is answered, never applied twice.");
    let stats = sandbox.stats();
    ensure(stats.demographic_applied == 3 && stats.duplicates == 0, "applied once each")?;
    ensure(locker.outbox().status()?.waiting == 0, "the outbox is empty")?;
    say("The outbox is empty again: delivered items leave it in the transaction that records their answer.");

    next("Handing each ABHA over");
    for (c, id) in people.iter().zip(&ids) {
        let qr = locker.enrolment().qr(id)?;
        let v: serde_json::Value = serde_json::from_str(&qr).map_err(|_| Failure::new("the QR payload is JSON"))?;
        let card = locker.enrolment().card(&online, id).await?;
        locker.enrolment().confirm_handover(id)?;
        say(format!("{:<22} ABHA card fetched ({} bytes of PNG); its QR carries:", c.name, card.len()));
        let short = ["hidn", "hid", "name", "gender", "dob"].map(|k| format!("\"{k}\":{}", v[k]));
        say(format!("  {{{},…}}", short.join(",")));
    }
    say("Each time the citizen has the card or QR in hand, the worker confirms: their details are erased.");

    next("Nothing of them left on the tablet");
    let left = locker.enrolment().list(&EnrolmentFilter::default())?;
    ensure(left.iter().all(|e| e.name.is_none() && e.erased && e.state == EnrolmentState::HandedOver), "erased")?;
    ensure(left.iter().all(|e| e.outcome == Some(EnrolmentOutcome::Created)), "outcomes kept")?;
    say(format!(
        "The tablet's list: {} enrolments, each handed_over / created, with no name, number or address.",
        left.len()
    ));
    drop(locker);
    let mut needles: Vec<String> = Vec::new();
    for c in &people {
        needles.extend([c.name.to_string(), c.mobile.to_string(), c.aadhaar.clone()]);
    }
    for needle in &needles {
        ensure(files_containing(&dir, needle.as_bytes())?.is_empty(), "no personal data in any file")?;
    }
    say(format!("Every file under the tablet's store searched for {} names and numbers: none found.", needles.len()));
    Ok(())
}

/// The OTP the citizen would read on her phone.
fn otp(sandbox: &Sandbox, e: &Enrolment) -> CliResult<String> {
    e.transaction_id.as_deref().and_then(|t| sandbox.otp(t)).ok_or_else(|| Failure::new("the sandbox sent no OTP"))
}

async fn own_phone(sandbox: &Sandbox, config: &SandboxConfig, tmp: &Path, n: &mut u32) -> CliResult {
    step(*n, "A citizen enrols on her own phone");
    *n += 1;
    let bb = backbone(sandbox, config)?;
    let locker = Locker::create(&tmp.join("phone"), DatabaseKey::generate()?)?;
    let aadhaar = locker_sandbox::test_aadhaar(4_200_100);
    let e = locker.enrolment().online_start(&bb, aadhaar, "9988776655", "self").await?;
    say("She types her Aadhaar number (sealed at once, never stored in clear) and her mobile number;");
    say("an OTP goes to the mobile linked to her Aadhaar.");
    let mut e = locker.enrolment().online_verify_otp(&bb, &e.id, otp(sandbox, &e)?).await?;
    say("She types the OTP: her ABHA number exists.");
    if e.state == EnrolmentState::MobileUnverified {
        e = locker.enrolment().online_request_mobile_otp(&bb, &e.id).await?;
        e = locker.enrolment().online_verify_mobile_otp(&bb, &e.id, otp(sandbox, &e)?).await?;
        say("Her mobile is not the Aadhaar-linked one: a second OTP to it verifies it.");
    }
    let suggestions = locker.enrolment().online_address_suggestions(&bb, &e.id).await?;
    let chosen = suggestions.first().ok_or_else(|| Failure::new("the backbone suggested no ABHA address"))?;
    say(format!("The backbone suggests {}; she takes {chosen}.", suggestions.join(", ")));
    locker.enrolment().online_create_address(&bb, &e.id, chosen).await?;
    let profile = locker.enrolment().online_finish(&bb, &e.id).await?;
    ensure(profile.abha_number.is_some() && profile.abha_address.is_some(), "the profile has its ABHA")?;
    say(format!(
        "Her profile is saved: {}, ABHA {}, {}, with the ABHA card as an attachment.",
        profile.name,
        profile.abha_number.as_deref().unwrap_or("-"),
        profile.abha_address.as_deref().unwrap_or("-")
    ));
    say("By hand: `locker sandbox serve` in one terminal, `locker enrol` in another.");
    Ok(())
}
