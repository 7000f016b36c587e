//! The demo's OPD story: a hospital counter's device checks Lakshmi's signed code with no
//! network and gives her a token; her husband's unsigned ABHA card gets one too, marked
//! unverified; at another counter she scans its code with no signal, and her profile goes, and
//! her token comes back, when the network returns; the counter's own requests follow.
//!
//! The backbone and the issuer are locker-sandbox's, in-process, over real HTTP on loopback.

use super::{ensure, sample_owner, say, step};
use crate::CliResult;
use locker_core::share::render::{Qr, Terminal};
use locker_core::share::{FacilityQr, ShareStatus, decode};
use locker_core::{Backbone, BackboneConfig, DatabaseKey, Locker};
use locker_sandbox::{Sandbox, SandboxConfig};
use std::path::Path;
use std::time::Instant;

const HOSPITAL: &str = "IN3410000260";

/// The story, from step `n`; returns the next step's number.
pub fn run(tmp: &Path, mut n: u32) -> CliResult<u32> {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone())?;
    let bb = Backbone::new(BackboneConfig::local(&sandbox.url(), &config.client_id, &config.client_secret))?;
    let offline = super::enrol::unreachable_backbone()?;
    let phone = Locker::create(&tmp.join("phone-store"), DatabaseKey::generate()?)?;
    let owner = phone.profiles().add(&sample_owner())?;
    let patient = owner.abha_address.clone().unwrap_or_default();
    let desk = Locker::create(&tmp.join("counter-store"), DatabaseKey::generate()?)?;
    let mut next = |text: &str| {
        step(n, text);
        n += 1;
    };
    crate::enrol::block_on(async {
        next("Before leaving home, online: her phone's code key is certified");
        phone.consent().sign_in(&patient, &sandbox.phr_login(&patient), 86_400)?;
        let cert = phone.share().certify_qr_key(&bb, &patient).await?;
        say(format!(
            "A P-256 key made on the phone, certified by the backbone's issuer until {}.",
            locker_calendar::display_utc(cert.not_after_ms)
        ));
        say("From now on the phone makes a fresh signed code whenever it is shown, with or without a network.");

        next("City Hospital's OPD counter opens for the day");
        desk.counter().open(HOSPITAL, "OPD-1")?;
        let version = desk.counter().refresh_trust(&bb).await?;
        say(format!(
            "A counter device for {HOSPITAL}, counter OPD-1; the issuers' trust list (version {version}) fetched and kept."
        ));

        next("The network drops. Lakshmi shows her signed code");
        let t = Instant::now();
        let code = phone.share().signed_qr(&owner.id)?;
        let drawn = Qr::new(&code.text).map_err(|e| crate::Failure::new(e.to_string()))?;
        print!("{}", drawn.terminal(Terminal::Dark));
        say(format!(
            "Made on the phone in {:.1} ms: {} characters, QR version {} at ECC M (ES256 over CBOR, COSE, Base45).",
            super::ms(t),
            code.text.len(),
            drawn.version()
        ));
        let png = drawn.png(4).map_err(|e| crate::Failure::new(e.to_string()))?;
        let read = decode::decode_image(&png).map_err(|e| crate::Failure::new(e.to_string()))?;
        ensure(read.first() == Some(&code.text), "the counter's camera reads the code back")?;
        let t = Instant::now();
        let visit = desk.counter().scan(&read[0], "sbx")?;
        ensure(visit.patient.verified && visit.token.number == "0001", "a verified patient, token 0001")?;
        say(format!(
            "The counter read it from the image and checked it alone in {:.1} ms: signature, certificate, issuer, dates.",
            super::ms(t)
        ));
        say(format!("Token {} for Lakshmi, verified: no one had to type her ABHA number.", visit.token.number));

        next("Her husband has only his printed ABHA card");
        let card = r#"{"hidn":"91-1234-5678-9012","hid":"ravi.iyer@sbx","name":"Ravi Iyer","gender":"M","statelgd":"Karnataka","distlgd":"-","dob":"12-07-1983","state name":"","mobile":""}"#;
        let ravi = desk.counter().scan(card, "sbx")?;
        ensure(!ravi.patient.verified && ravi.token.number == "0002", "an unverified patient, token 0002")?;
        say("Token 0002, marked unverified: the card's code is unsigned JSON (a state name where a code belongs,");
        say("a dd-mm-yyyy birth date, empty strings: read as the field writes them). The clerk checks an ID.");
        let again = desk.counter().scan(&read[0], "sbx")?;
        ensure(!again.new_token && again.token.number == "0001", "a rescan is the same token")?;
        say("Lakshmi's code is scanned again: still token 0001, as every counter's rules say (30 minutes).");

        next("At the lab counter she scans its code herself, with no signal");
        let lab = FacilityQr::parse(&Sandbox::facility_qr_url(HOSPITAL, "OPD-2")).map_err(locker_core::Error::from)?;
        let share = phone.share().scan(&owner.id, &lab)?;
        let tried = phone.outbox().drain(&offline).await?;
        ensure(tried.halted.as_deref() == Some("offline"), "the share waits for a network")?;
        say("Her profile share waits in the outbox (for five minutes: after that she has left the queue).");
        phone.outbox().drain(&bb).await?;
        let got = phone.share().get(&share.id)?;
        ensure(got.status == ShareStatus::Token, "the token came back")?;
        say(format!(
            "When the signal returns: shared through the consent manager, token {} from the hospital, valid 30 minutes.",
            got.token_number.as_deref().unwrap_or("?")
        ));

        next("The counter is back online");
        let sent = desk.outbox().drain(&bb).await?;
        ensure(sent.delivered == 2 && sandbox.link_token_requests().len() == 2, "two link-token requests, once each")?;
        say("Its queue goes out: a link-token request for each patient it registered offline, each applied once.");
        say("By hand: `locker counter --help`, `locker share --help`, `locker qr --help`.");
        CliResult::Ok(())
    })?;
    Ok(n)
}
