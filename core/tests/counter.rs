//! Counter mode with no network: an OPD counter's device registers patients from the codes they
//! show and gives tokens by the rules every counter keeps; what the backbone must hear waits in
//! the outbox and goes, once, when the network is back.

mod common;

use common::field::{backbone, block_on, sandbox, unreachable};
use common::key;
use locker_core::share::{PatientSource, QrProblem};
use locker_core::{Error, ItemKind, Locker, ShiftedClock};
use std::sync::Arc;

const HIP: &str = "IN3410000260";
const COUNTER: &str = "OPD-1";
const MINUTE: i64 = 60_000;

fn card(number: &str, address: &str, name: &str) -> String {
    serde_json::json!({
        "hidn": number, "hid": address, "name": name, "gender": "F", "statelgd": "29", "distlgd": "-",
        "dob": "5/3/1986", "state name": "Karnataka", "district_name": "Bengaluru", "mobile": "9876543210",
        "address": "12 MG Road"
    })
    .to_string()
}

fn counter_device(dir: &std::path::Path, clock: Arc<ShiftedClock>) -> Locker {
    let l = Locker::create_with_clock(dir, key(), clock).unwrap();
    l.counter().open(HIP, COUNTER).unwrap();
    l
}

#[test]
fn tokens_run_per_day_hold_thirty_minutes_and_a_rescan_gets_the_same_one() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = ShiftedClock::new();
    let l = counter_device(tmp.path(), clock.clone());
    let asha = card("91-6285-4575-5116", "asha.k@sbx", "Asha Kumari");
    let ravi = card("91-1234-5678-9012", "ravi.s@sbx", "Ravi Shankar");

    let first = l.counter().scan_abha(&asha, "sbx").unwrap();
    assert_eq!(first.token.number, "0001");
    assert!(first.new_token && first.new_patient && !first.patient.verified);
    assert_eq!(first.patient.source, PatientSource::AbhaCard);

    clock.advance_ms(10 * MINUTE);
    let again = l.counter().scan_abha(&asha, "sbx").unwrap();
    assert_eq!((again.token.number.as_str(), again.new_token, again.new_patient), ("0001", false, false));
    assert_eq!(again.token.valid_until_ms, first.token.valid_until_ms, "a rescan does not extend the token");

    assert_eq!(l.counter().scan_abha(&ravi, "sbx").unwrap().token.number, "0002");

    clock.advance_ms(21 * MINUTE);
    let later = l.counter().scan_abha(&asha, "sbx").unwrap();
    assert_eq!((later.token.number.as_str(), later.new_token), ("0003", true), "past 30 minutes: a new token");
    assert_eq!(l.counter().tokens(None).unwrap().len(), 3);
}

#[test]
fn the_count_starts_again_at_midnight_in_india() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = ShiftedClock::new();
    let l = counter_device(tmp.path(), clock.clone());
    let asha = card("91-6285-4575-5116", "asha.k@sbx", "Asha Kumari");
    let t = l.counter().scan_abha(&asha, "sbx").unwrap().token;
    // To the next midnight in India (UTC+5:30), and a minute past it.
    let ist_midnight = (t.day + 1) * 86_400_000 - 19_800_000;
    clock.advance_ms(ist_midnight - t.issued_at_ms + MINUTE);
    let next = l.counter().scan_abha(&card("91-1234-5678-9012", "ravi.s@sbx", "Ravi S"), "sbx").unwrap();
    assert_eq!((next.token.number.as_str(), next.token.day), ("0001", t.day + 1));
    assert_eq!(l.counter().tokens(Some(t.day)).unwrap().len(), 1, "yesterday's list is kept");
}

#[test]
fn codes_that_are_not_a_patients_are_refused_with_what_is_wrong_and_nothing_registered() {
    let tmp = tempfile::tempdir().unwrap();
    let l = counter_device(tmp.path(), ShiftedClock::new());
    assert!(matches!(l.counter().scan_abha("", "sbx"), Err(Error::Qr(QrProblem::Empty))));
    assert!(matches!(
        l.counter().scan_abha("{\"hid\":\"\",\"name\":\"x\"}", "sbx"),
        Err(Error::Qr(QrProblem::MissingAbha))
    ));
    assert!(matches!(l.counter().scan_abha("https://example.com", "sbx"), Err(Error::Qr(QrProblem::NotAbhaQr))));
    assert!(l.counter().tokens(None).unwrap().is_empty());
    assert!(l.outbox().items().unwrap().is_empty());

    let closed = Locker::create(&tmp.path().join("other"), key()).unwrap();
    let asha = card("91-6285-4575-5116", "asha.k@sbx", "Asha Kumari");
    assert!(matches!(closed.counter().scan_abha(&asha, "sbx"), Err(Error::WrongStep { .. })));
}

#[test]
fn a_registered_patients_link_token_request_waits_offline_and_goes_once() {
    let sb = sandbox();
    let tmp = tempfile::tempdir().unwrap();
    let l = counter_device(tmp.path(), ShiftedClock::new());
    let asha = card("91-6285-4575-5116", "asha.k@sbx", "Asha Kumari");
    l.counter().scan_abha(&asha, "sbx").unwrap();
    l.counter().scan_abha(&asha, "sbx").unwrap();
    let items = l.outbox().items().unwrap();
    assert_eq!(items.iter().filter(|i| i.kind == ItemKind::CounterLinkToken).count(), 1, "one request per patient");

    let report = block_on(l.outbox().drain(&unreachable())).unwrap();
    assert_eq!((report.delivered, report.waiting), (0, 1), "offline: it waits");

    let report = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!((report.delivered, report.waiting), (1, 0));
    let asked = sb.link_token_requests();
    assert_eq!(asked.len(), 1, "applied exactly once");
    assert_eq!(asked[0].hip_id, HIP);
}

/// A patient's phone: the owner signed in, its QR key certified by the sandbox's issuer.
fn certified_phone(sb: &locker_sandbox::Sandbox, dir: &std::path::Path) -> (Locker, String) {
    let l = Locker::create(dir, key()).unwrap();
    let p = l.profiles().add(&common::owner()).unwrap();
    let patient = p.abha_address.clone().unwrap();
    l.consent().sign_in(&patient, &sb.phr_login(&patient), 86_400).unwrap();
    let c = block_on(l.share().certify_qr_key(&backbone(sb), &patient)).unwrap();
    assert!(c.renewed);
    let again = block_on(l.share().certify_qr_key(&backbone(sb), &patient)).unwrap();
    assert!(!again.renewed, "a certificate with weeks left is kept");
    (l, p.id)
}

#[test]
fn a_signed_code_is_checked_with_no_network_and_registers_a_verified_patient() {
    let sb = sandbox();
    let tmp = tempfile::tempdir().unwrap();
    let (phone, profile) = certified_phone(&sb, &tmp.path().join("phone"));
    let clock = ShiftedClock::new();
    let desk = counter_device(&tmp.path().join("counter"), clock.clone());

    let qr = phone.share().signed_qr(&profile).unwrap();
    assert!(qr.text.starts_with("HL1:"));
    assert!(
        matches!(desk.counter().scan(&qr.text, "sbx"), Err(Error::WrongStep { state }) if state == "no-trust-list"),
        "a counter that never fetched the trust list says so"
    );
    assert_eq!(
        block_on(desk.counter().refresh_trust(&backbone(&sb))).unwrap(),
        desk.counter().trust_version().unwrap().unwrap()
    );

    // From here on, no network: the counter checks the code alone.
    let visit = desk.counter().scan(&qr.text, "sbx").unwrap();
    assert!(visit.patient.verified);
    assert_eq!((visit.patient.source, visit.token.number.as_str()), (PatientSource::Signed, "0001"));
    assert_eq!(visit.patient.abha_address.as_deref(), Some("lakshmi.n@sbx"));
    assert_eq!(visit.patient.birth.as_deref(), Some("1984-07-19"));

    // An unsigned code of the same person later does not undo what the signed one verified.
    let card = card("91-6285-4575-5116", "lakshmi.n@sbx", "Someone Else");
    let again = desk.counter().scan(&card, "sbx").unwrap();
    assert!(again.patient.verified && again.patient.name == "Lakshmi Narayanan" && !again.new_token);

    // A day and an hour later the code has expired; within the half hour of skew it has not.
    clock.advance_ms(24 * 3_600_000 + 29 * MINUTE);
    assert!(desk.counter().scan(&qr.text, "sbx").is_ok(), "within the clock skew tolerated");
    clock.advance_ms(2 * MINUTE);
    assert!(matches!(
        desk.counter().scan(&qr.text, "sbx"),
        Err(Error::SignedQr(locker_core::share::signed::SignedQrProblem::Expired))
    ));
}

#[test]
fn a_revoked_device_key_is_refused_once_the_counter_has_the_new_list() {
    let sb = sandbox();
    let tmp = tempfile::tempdir().unwrap();
    let (phone, profile) = certified_phone(&sb, &tmp.path().join("phone"));
    let desk = counter_device(&tmp.path().join("counter"), ShiftedClock::new());
    block_on(desk.counter().refresh_trust(&backbone(&sb))).unwrap();
    let qr = phone.share().signed_qr(&profile).unwrap();
    assert!(desk.counter().scan(&qr.text, "sbx").is_ok());

    // The phone was lost: its key is revoked. The counter learns it at its next sync.
    let device_kid = phone.share().qr_key_id().unwrap().unwrap();
    sb.revoke_qr_kid(device_kid);
    block_on(desk.counter().refresh_trust(&backbone(&sb))).unwrap();
    assert!(matches!(
        desk.counter().scan(&qr.text, "sbx"),
        Err(Error::SignedQr(locker_core::share::signed::SignedQrProblem::KeyRevoked))
    ));
    // A flipped character anywhere is refused too, with a reason and no panic.
    let mut bad = qr.text.clone().into_bytes();
    let at = bad.len() / 2;
    bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
    assert!(matches!(desk.counter().scan(std::str::from_utf8(&bad).unwrap(), "sbx"), Err(Error::SignedQr(_))));
}
