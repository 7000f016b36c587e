//! Scan & Share from the patient's phone, against locker-sandbox's facilities over real HTTP:
//! scan a counter's code, the profile goes (at once, or when the network is back), the token
//! comes back; a rescan gives the same token; a share that could not go in time is dropped and
//! the patient told; refusals and a facility that never answers end as failures, in both shapes.

mod common;

use common::field::{backbone, block_on, sandbox, unreachable};
use common::{key, owner};
use locker_core::share::{FacilityQr, ShareContact, ShareStatus};
use locker_core::{Clock, ItemKind, Locker, ShiftedClock};
use locker_sandbox::{FacilityMode, Sandbox};
use std::sync::Arc;

const PATIENT: &str = "lakshmi.n@sbx";

fn phone(sb: &Sandbox, dir: &std::path::Path, clock: Arc<ShiftedClock>) -> (Locker, String) {
    let l = Locker::create_with_clock(dir, key(), clock).unwrap();
    let p = l.profiles().add(&owner()).unwrap();
    let contact = ShareContact {
        mobile: Some("9876543210".into()),
        address_line: Some("12 MG Road".into()),
        district: Some("Bengaluru".into()),
        state: Some("Karnataka".into()),
        pincode: Some("560001".into()),
    };
    l.share().set_contact(&p.id, &contact).unwrap();
    l.consent().sign_in(PATIENT, &sb.phr_login(PATIENT), 86_400).unwrap();
    (l, p.id)
}

fn counter(hip: &str, counter: &str) -> FacilityQr {
    FacilityQr::parse(&Sandbox::facility_qr_url(hip, counter)).unwrap()
}

#[test]
fn scanned_offline_the_share_goes_when_the_network_is_back_and_a_rescan_gives_the_same_token() {
    let sb = sandbox();
    let tmp = tempfile::tempdir().unwrap();
    let clock = ShiftedClock::new();
    let (l, profile) = phone(&sb, tmp.path(), clock.clone());
    let opd = counter("IN3410000260", "OPD-1");

    let s = l.share().scan(&profile, &opd).unwrap();
    assert_eq!(s.status, ShareStatus::Waiting);
    let report = block_on(l.outbox().drain(&unreachable())).unwrap();
    assert_eq!((report.delivered, report.waiting), (0, 1), "offline: the share waits");

    clock.advance_ms(60_000);
    block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    let s = l.share().get(&s.id).unwrap();
    assert_eq!((s.status, s.token_number.as_deref()), (ShareStatus::Token, Some("0001")));
    let left = s.valid_until_ms.unwrap() - clock.now_ms();
    assert!((29 * 60_000..=30 * 60_000).contains(&left), "a token holds about 30 minutes ({left} ms)");

    clock.advance_ms(5 * 60_000);
    let again = l.share().scan(&profile, &opd).unwrap();
    assert_eq!(again.id, s.id, "a rescan while the token holds is that token");
    assert_eq!(l.outbox().items().unwrap().len(), 0, "and sends nothing");

    // The consent ledger knows the profile left, to whom.
    let uses = l.consent().uses(Some(&s.id)).unwrap();
    assert_eq!((uses.len(), uses[0].hiu.as_str(), uses[0].channel.as_str()), (1, "IN3410000260", "scan-share"));
}

#[test]
fn a_share_that_could_not_go_within_five_minutes_is_dropped_and_the_patient_told() {
    let sb = sandbox();
    let tmp = tempfile::tempdir().unwrap();
    let clock = ShiftedClock::new();
    let (l, profile) = phone(&sb, tmp.path(), clock.clone());
    let s = l.share().scan(&profile, &counter("IN3410000260", "OPD-2")).unwrap();
    block_on(l.outbox().drain(&unreachable())).unwrap();
    clock.advance_ms(6 * 60_000);
    let report = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!((report.expired, report.delivered), (1, 0));
    let s = l.share().get(&s.id).unwrap();
    assert_eq!(s.status, ShareStatus::Dropped);
    assert!(s.notice().unwrap().contains("scan the counter's code again"));
    let applied = sb.stats().applied.get("/api/hiecm/patient-share/v3/share").copied().unwrap_or(0);
    assert_eq!(applied, 0, "the sandbox never heard of it");
}

#[test]
fn refusals_in_either_shape_and_a_silent_facility_end_as_failures() {
    let sb = sandbox();
    let tmp = tempfile::tempdir().unwrap();
    let clock = ShiftedClock::new();
    let (l, profile) = phone(&sb, tmp.path(), clock.clone());

    // A facility that refuses, with `acknowledgement.status: FAILED`.
    let eye = l.share().scan(&profile, &counter("IN2910000123", "EYE-1")).unwrap();
    // A closed counter, refused as `{error}`.
    let night = l.share().scan(&profile, &counter("IN3410000260", "NIGHT-1")).unwrap();
    // A facility that never answers.
    sb.set_facility_mode("sbx-hip-district", FacilityMode::Silent);
    let silent = l.share().scan(&profile, &counter("sbx-hip-district", "OPD-1")).unwrap();
    block_on(l.outbox().drain(&backbone(&sb))).unwrap();

    for id in [&eye.id, &night.id] {
        let s = l.share().get(id).unwrap();
        assert_eq!(s.status, ShareStatus::Failed, "{:?}", s);
        assert!(s.notice().unwrap().contains("ask at the counter"));
    }
    assert_eq!(l.share().get(&silent.id).unwrap().status, ShareStatus::Sent);
    sb.advance_clock(31);
    assert_eq!(block_on(l.share().refresh(&backbone(&sb))).unwrap(), 1);
    assert_eq!(l.share().get(&silent.id).unwrap().status, ShareStatus::Failed);
    assert!(l.outbox().items().unwrap().iter().all(|i| i.kind != ItemKind::ShareProfile || i.state.code() == "wedged"));
}

#[test]
fn a_token_given_as_a_number_is_read_and_an_address_only_abha_shares_without_a_number() {
    let sb = sandbox();
    let tmp = tempfile::tempdir().unwrap();
    let (l, profile) = phone(&sb, tmp.path(), ShiftedClock::new());
    l.profiles()
        .update(&profile, &locker_core::ProfileUpdate { abha_number: Some(None), ..Default::default() })
        .unwrap();
    let s = l.share().scan(&profile, &counter("sbx-hip-phc", "1")).unwrap();
    block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    let s = l.share().get(&s.id).unwrap();
    assert_eq!((s.status, s.token_number.as_deref()), (ShareStatus::Token, Some("1")), "{s:?}");
}
