//! What an independent review of the code found (issue 12), each held by a story that failed
//! before its fix: a refused mobile OTP no longer poisons the next one; finishing an enrolment
//! is one transaction; no personal data through `Debug`; one clock for every timestamp; reads
//! that never wait for a write.

mod common;

use common::field::{aadhaar, backbone, sandbox};
use common::*;
use locker_core::{
    AbhaProfile, CitizenDetails, Clock, Enrolment, EnrolmentState, Error, Gender, Locker, NewProfile, RecordQuery,
    ShiftedClock,
};
use locker_sandbox::{Fault, FaultRule, Sandbox};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const BY_ABDM: &str = "/abha/api/v3/enrollment/auth/byAbdm";
const CARD: &str = "/abha/api/v3/profile/account/abha-card";

fn otp(sb: &Sandbox, e: &Enrolment) -> String {
    sb.otp(e.transaction_id.as_deref().expect("an OTP transaction")).expect("the sandbox sent an OTP")
}

/// An online enrolment taken to its mobile OTP.
async fn at_mobile_otp(l: &Locker, sb: &Sandbox, n: u64) -> Enrolment {
    let bb = backbone(sb);
    let e = l.enrolment().online_start(&bb, aadhaar(n), "9876543210", "self").await.unwrap();
    let e = l.enrolment().online_verify_otp(&bb, &e.id, otp(sb, &e)).await.unwrap();
    assert_eq!(e.state, EnrolmentState::MobileUnverified);
    l.enrolment().online_request_mobile_otp(&bb, &e.id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mobile_otp_refused_with_a_200_lets_the_corrected_otp_through() {
    let sb = sandbox();
    let bb = backbone(&sb);
    let dir = tempfile::tempdir().unwrap();
    let l = Locker::create(dir.path(), key()).unwrap();
    let e = at_mobile_otp(&l, &sb, 41).await;
    // ABDM answers a wrong OTP here with 200 and `authResult: failed`, and keeps that answer
    // for the REQUEST-ID: the corrected OTP must go out as a new request.
    sb.set_fault(FaultRule::new(BY_ABDM, Fault::AuthFailed).times(1));
    let refused = l.enrolment().online_verify_mobile_otp(&bb, &e.id, otp(&sb, &e)).await;
    assert!(matches!(refused, Err(Error::Refused { ref code }) if code == "auth-failed"), "{refused:?}");
    let e = l.enrolment().get(&e.id).unwrap();
    assert_eq!((e.state, e.last_error.as_deref()), (EnrolmentState::MobileOtpSent, Some("refused:auth-failed")));
    let e = l.enrolment().online_verify_mobile_otp(&bb, &e.id, otp(&sb, &e)).await.unwrap();
    assert_eq!(e.state, EnrolmentState::AddressPending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finishing_an_enrolment_is_all_or_nothing_and_never_keeps_a_second_card() {
    let sb = sandbox();
    let bb = backbone(&sb);
    let dir = tempfile::tempdir().unwrap();
    let l = Locker::create(dir.path(), key()).unwrap();
    let e = at_mobile_otp(&l, &sb, 42).await;
    let e = l.enrolment().online_verify_mobile_otp(&bb, &e.id, otp(&sb, &e)).await.unwrap();
    let suggestions = l.enrolment().online_address_suggestions(&bb, &e.id).await.unwrap();
    let e = l.enrolment().online_create_address(&bb, &e.id, &suggestions[0]).await.unwrap();
    // The card cannot be fetched: nothing of the finish is kept.
    sb.set_fault(FaultRule::new(CARD, Fault::Status { status: 503 }));
    assert!(l.enrolment().online_finish(&bb, &e.id).await.is_err());
    assert!(l.profiles().list().unwrap().is_empty());
    assert_eq!(l.enrolment().get(&e.id).unwrap().state, EnrolmentState::AddressCreated);
    sb.clear_faults();
    let profile = l.enrolment().online_finish(&bb, &e.id).await.unwrap();
    // Finished twice (a retry after a lost answer, a double tap): refused, nothing added.
    assert!(matches!(l.enrolment().online_finish(&bb, &e.id).await, Err(Error::WrongStep { .. })));
    assert_eq!(l.profiles().list().unwrap().len(), 1);
    assert_eq!(l.attachments().list(&profile.id).unwrap().len(), 1, "one card");
    assert!(l.check().unwrap().is_ok(), "no stray card file either");
}

#[test]
fn debug_output_carries_no_personal_data() {
    let details = CitizenDetails {
        name: "Savitri Bai Phule".into(),
        gender: Gender::Female,
        birth_date: "1931-01-03".into(),
        mobile: "9812345678".into(),
        address: "17 Bhide Wada, Pune".into(),
        state_code: "27".into(),
        district_code: "521".into(),
        pin_code: "411002".into(),
    };
    let new = NewProfile {
        name: "Savitri Bai Phule".into(),
        gender: Gender::Female,
        birth_date: "1931-01-03".into(),
        abha_number: Some("91-6285-4575-5116".into()),
        abha_address: Some("savitri.phule@sbx".into()),
        relation: "self".into(),
        is_owner: true,
    };
    let dir = tempfile::tempdir().unwrap();
    let l = Locker::create(dir.path(), key()).unwrap();
    let profile = l.profiles().add(&new).unwrap();
    let record = l
        .records()
        .import(&profile.id, &tiny_bundle("d", "440545006", "Tuberculosis regimen", "2024-01-01"), &Default::default())
        .unwrap();
    let abha = AbhaProfile {
        abha_number: "91-6285-4575-5116".into(),
        abha_address: Some("savitri.phule@sbx".into()),
        name: "Savitri Bai Phule".into(),
        gender: "F".into(),
        birth_date: Some("1931-01-03".into()),
        mobile: Some("9812345678".into()),
    };
    let query = RecordQuery { text: Some("tuberculosis".into()), ..Default::default() };
    let shown = [
        format!("{details:?}"),
        format!("{new:?}"),
        format!("{profile:?}"),
        format!("{abha:?}"),
        format!("{record:?}"),
        format!("{query:?}"),
        format!("{:?}", locker_core::ProfileUpdate::from(&profile)),
    ];
    for text in &shown {
        for secret in [
            "Savitri",
            "Phule",
            "1931",
            "98123",
            "Bhide",
            "411002",
            "6285",
            "savitri.phule",
            "Tuberculosis",
            "tuberculosis",
        ] {
            assert!(!text.contains(secret), "{secret:?} in {text}");
        }
    }
    let sb = sandbox();
    let s = l.enrolment().start_session("w", "d", None).unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(l.enrolment().refresh_backbone_key(&backbone(&sb))).unwrap();
    let e = l.enrolment().capture(&s.id, details, aadhaar(43), &common::field::consent()).unwrap();
    let shown = format!("{e:?}");
    assert!(e.name.is_some() && !shown.contains("Savitri") && !shown.contains("98123"), "{shown}");
}

#[test]
fn every_timestamp_comes_from_the_lockers_clock() {
    let clock = ShiftedClock::new();
    clock.advance_days(-400);
    let dir = tempfile::tempdir().unwrap();
    let l = Locker::create_with_clock(dir.path(), key(), clock.clone()).unwrap();
    let now = clock.now_ms();
    let close = |t: i64| (t - now).abs() < 60_000;
    let p = l.profiles().add(&owner()).unwrap();
    let r = l.records().import(&p.id, &tiny_bundle("c", "440545006", "Rx", "2024-01-01"), &Default::default()).unwrap();
    let a = l.attachments().add(&p.id, "image/png", &mut &b"png"[..]).unwrap();
    assert!(close(p.created_at_ms) && close(p.updated_at_ms), "profile");
    assert!(close(r.imported_at_ms), "record");
    assert!(close(a.created_at_ms), "attachment");
    for entry in l.audit_entries(10).unwrap() {
        assert!(close(entry.at_ms), "audit entry {} at {}", entry.action, entry.at_ms);
    }
}

#[test]
fn lists_and_reads_are_served_while_a_long_import_holds_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let (l, owner) = locker_with_owner(dir.path(), &key());
    l.records()
        .import(&owner.id, &tiny_bundle("first", "440545006", "First", "2024-01-01"), &Default::default())
        .unwrap();
    let l = Arc::new(l);
    let bundles: Vec<Vec<u8>> =
        (0..3000).map(|i| tiny_bundle(&format!("b{i}"), "440545006", &format!("Rx {i}"), "2023-06-01")).collect();
    let importing = Arc::new(AtomicBool::new(true));
    let started = Arc::new(std::sync::Barrier::new(2));
    let writer = {
        let (l, importing, started, owner) = (l.clone(), importing.clone(), started.clone(), owner.id.clone());
        std::thread::spawn(move || {
            let refs: Vec<&[u8]> = bundles.iter().map(Vec::as_slice).collect();
            started.wait();
            // One transaction holding the writer throughout.
            let results = l.records().import_many(&owner, &refs, &Default::default()).unwrap();
            importing.store(false, Ordering::SeqCst);
            results.len()
        })
    };
    started.wait();
    let mut served_during = 0;
    while importing.load(Ordering::SeqCst) {
        let page = l.records().list(&RecordQuery { limit: 50, ..Default::default() }).unwrap();
        assert!(!page.records.is_empty());
        l.profiles().list().unwrap();
        if importing.load(Ordering::SeqCst) {
            served_during += 1;
        }
    }
    assert_eq!(writer.join().unwrap(), 3000);
    assert!(served_during > 0, "no read was served while the import held the writer");
    assert_eq!(l.records().count().unwrap(), 3001);
}
