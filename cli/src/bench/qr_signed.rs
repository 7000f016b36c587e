//! `locker bench qr`, the signed code and the counter: how large a typical profile's signed code
//! is (its QR version at ECC M), what making and checking one costs, and what a counter pays to
//! register a patient and give a token. Real parts throughout: the code's key is certified by
//! locker-sandbox's issuer over HTTP, the stores are SQLCipher on disk.

use super::{percentile_ms, round, timed};
use crate::CliResult;
use locker_core::share::render::{Ecc, Qr};
use locker_core::share::signed::{TrustList, verify_signed_qr};
use locker_core::{Backbone, BackboneConfig, DatabaseKey, Gender, Locker, NewProfile};
use locker_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Map, Value, json};
use std::time::Duration;

const PATIENT: &str = "asha.kumari@sbx";

/// A typical profile: the name, ABHA number and address, gender and birth date a counter needs
/// to register a patient and ask for their link token.
fn typical() -> NewProfile {
    NewProfile {
        name: "Asha Devi Kumari".into(),
        gender: Gender::Female,
        birth_date: "1986-03-05".into(),
        abha_number: Some("91-6285-4575-5116".into()),
        abha_address: Some(PATIENT.into()),
        relation: "self".into(),
        is_owner: true,
    }
}

fn us(samples: &mut [Duration], p: f64) -> f64 {
    round(percentile_ms(samples, p) * 1000.0, 1)
}

/// `signed_qr_version_m` (and the text's length, and the version at ECC L for comparison),
/// `sign_encode_us` (a code made as the phone makes it each time it is shown: key read, signed,
/// encoded, the showing audited; median of 200) and `verify_us` (a counter's whole check, with
/// no network: prefix, Base45, COSE, key recovery, both signatures, dates; median of 2,000).
pub fn signed_figures() -> CliResult<Map<String, Value>> {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone())?;
    let backbone = Backbone::new(BackboneConfig::local(&sandbox.url(), &config.client_id, &config.client_secret))?;
    let tmp = tempfile::tempdir()?;
    let phone = Locker::create(&tmp.path().join("phone"), DatabaseKey::generate()?)?;
    let owner = phone.profiles().add(&typical())?;
    phone.consent().sign_in(PATIENT, &sandbox.phr_login(PATIENT), 86_400)?;
    crate::enrol::block_on(phone.share().certify_qr_key(&backbone, PATIENT))?;

    let mut sign: Vec<Duration> = Vec::with_capacity(200);
    let mut text = String::new();
    for _ in 0..200 {
        let (qr, t) = timed(|| phone.share().signed_qr(&owner.id));
        text = qr?.text;
        sign.push(t);
    }
    let trust = TrustList::from_json(sandbox.qr_trust_list().to_string().as_bytes())
        .map_err(|e| crate::Failure::usage(format!("the sandbox's trust list: {}", e.code())))?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut verify: Vec<Duration> = (0..2000)
        .map(|_| timed(|| verify_signed_qr(&text, &trust, now).expect("the code just made verifies")).1)
        .collect();
    let version = |ecc| Qr::with_ecc(&text, ecc).map(|q| q.version()).unwrap_or(0);
    let mut f = Map::new();
    f.insert("signed_qr_chars".into(), json!(text.len()));
    f.insert("signed_qr_version_m".into(), json!(version(Ecc::M)));
    f.insert("signed_qr_version_l".into(), json!(version(Ecc::L)));
    f.insert("sign_encode_us".into(), json!(us(&mut sign, 50.0)));
    f.insert("verify_us".into(), json!(us(&mut verify, 50.0)));
    f.insert("verify_p99_us".into(), json!(us(&mut verify, 99.0)));
    Ok(f)
}

fn card(n: usize) -> String {
    json!({"hidn": format!("91-{:04}-{:04}-{:04}", 1000 + n / 100_000_000, n / 10_000 % 10_000, n % 10_000),
        "hid": format!("patient{n}@sbx"), "name": "Bench Patient", "gender": "F", "dob": "5/3/1986",
        "statelgd": "29", "mobile": "9876543210"})
    .to_string()
}

/// `counter_token_p50_ms`: an OPD counter with no network registering a patient from their ABHA
/// card's code and giving a token (parse, register, number, queue the link-token request: one
/// transaction on disk), over 1,000 patients; `counter_rescan_p50_ms`: the same patients again.
pub fn counter_figures() -> CliResult<Map<String, Value>> {
    let tmp = tempfile::tempdir()?;
    let desk = Locker::create(&tmp.path().join("counter"), DatabaseKey::generate()?)?;
    desk.counter().open("IN3410000260", "OPD-1")?;
    let cards: Vec<String> = (0..1000).map(card).collect();
    let mut first: Vec<Duration> = Vec::with_capacity(cards.len());
    for c in &cards {
        let (visit, t) = timed(|| desk.counter().scan(c, "sbx"));
        visit?;
        first.push(t);
    }
    let mut again: Vec<Duration> = Vec::with_capacity(cards.len());
    for c in &cards {
        let (visit, t) = timed(|| desk.counter().scan(c, "sbx"));
        assert!(!visit?.new_token, "a rescan within 30 minutes is the same token");
        again.push(t);
    }
    let mut f = Map::new();
    f.insert("counter_token_p50_ms".into(), json!(round(percentile_ms(&mut first, 50.0), 3)));
    f.insert("counter_token_p99_ms".into(), json!(round(percentile_ms(&mut first, 99.0), 3)));
    f.insert("counter_rescan_p50_ms".into(), json!(round(percentile_ms(&mut again, 50.0), 3)));
    f.insert("counter_tokens".into(), json!(desk.counter().tokens(None)?.len()));
    Ok(f)
}
