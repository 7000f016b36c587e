//! A citizen enrols for an ABHA on their own phone, against the sandbox backbone over real
//! HTTP: the whole way, and every way it goes wrong at the counter of a busy life.

mod common;

use common::field::{aadhaar, backbone, sandbox};
use common::key;
use locker_core::{Enrolment, EnrolmentFilter, EnrolmentOutcome, EnrolmentState, Error, Locker};
use locker_sandbox::Sandbox;
use tempfile::tempdir;

fn otp(sb: &Sandbox, e: &Enrolment) -> String {
    sb.otp(e.transaction_id.as_deref().expect("an OTP transaction")).expect("the sandbox sent an OTP")
}

fn wrong(otp: &str) -> String {
    let d = (otp.as_bytes()[0] - b'0' + 1) % 10;
    format!("{d}{}", &otp[1..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_enrols_online_and_finds_their_abha_in_the_locker() {
    let sb = sandbox();
    let bb = backbone(&sb);
    let dir = tempdir().unwrap();
    let locker = Locker::create(dir.path(), key()).unwrap();

    let e = locker.enrolment().online_start(&bb, aadhaar(1), "98765 43210", "self").await.unwrap();
    assert_eq!(e.state, EnrolmentState::OtpSent);
    let e = locker.enrolment().online_verify_otp(&bb, &e.id, otp(&sb, &e)).await.unwrap();
    assert_eq!(e.outcome, Some(EnrolmentOutcome::Created));
    let number = e.abha_number.clone().unwrap();
    assert_eq!(number.len(), 17, "dashed 14 digits");
    // The sandbox links another mobile to this Aadhaar, so the one given is verified.
    assert_eq!(e.state, EnrolmentState::MobileUnverified);
    let e = locker.enrolment().online_request_mobile_otp(&bb, &e.id).await.unwrap();
    let e = locker.enrolment().online_verify_mobile_otp(&bb, &e.id, otp(&sb, &e)).await.unwrap();
    assert_eq!(e.state, EnrolmentState::AddressPending);

    let suggestions = locker.enrolment().online_address_suggestions(&bb, &e.id).await.unwrap();
    assert!(!suggestions.is_empty());
    let e = locker.enrolment().online_create_address(&bb, &e.id, &suggestions[0]).await.unwrap();
    assert_eq!(e.state, EnrolmentState::AddressCreated);
    let profile = locker.enrolment().online_finish(&bb, &e.id).await.unwrap();

    assert!(profile.is_owner);
    assert_eq!(profile.abha_number.as_deref(), Some(number.as_str()));
    assert_eq!(profile.abha_address.as_deref(), Some(format!("{}@sbx", suggestions[0]).as_str()));
    let cards = locker.attachments().list(&profile.id).unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].media_type, "image/png");
    let mut png = Vec::new();
    std::io::Read::read_to_end(&mut locker.attachments().open(&cards[0].id).unwrap(), &mut png).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));

    let done = locker.enrolment().get(&e.id).unwrap();
    assert_eq!(done.state, EnrolmentState::Done);
    assert!(done.erased && done.name.is_none() && done.abha_number.is_none());
    assert!(locker.enrolment().list(&EnrolmentFilter { pending_only: true, ..Default::default() }).unwrap().is_empty());
    let audit = locker.audit_entries(100).unwrap();
    assert!(audit.iter().any(|a| a.action == "enrolment.erased" && a.detail.as_deref() == Some("reason=completed")));
    assert!(locker.check().unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_aadhaar_enrolled_again_gets_the_same_abha() {
    let sb = sandbox();
    let bb = backbone(&sb);
    let mut numbers = Vec::new();
    for round in 0..2 {
        let dir = tempdir().unwrap();
        let locker = Locker::create(dir.path(), key()).unwrap();
        let e = locker.enrolment().online_start(&bb, aadhaar(2), "9876543211", "self").await.unwrap();
        let e = locker.enrolment().online_verify_otp(&bb, &e.id, otp(&sb, &e)).await.unwrap();
        let expected = if round == 0 { EnrolmentOutcome::Created } else { EnrolmentOutcome::AlreadyExisted };
        assert_eq!(e.outcome, Some(expected));
        numbers.push(e.abha_number.unwrap());
    }
    assert_eq!(numbers[0], numbers[1]);
    assert_eq!(sb.accounts().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_otp_is_told_with_the_attempts_left_and_the_right_one_still_works() {
    let sb = sandbox();
    let bb = backbone(&sb);
    let dir = tempdir().unwrap();
    let locker = Locker::create(dir.path(), key()).unwrap();
    let e = locker.enrolment().online_start(&bb, aadhaar(3), "9876543212", "self").await.unwrap();
    let right = otp(&sb, &e);
    match locker.enrolment().online_verify_otp(&bb, &e.id, wrong(&right)).await {
        Err(Error::WrongOtp { attempts_left }) => assert_eq!(attempts_left, 4),
        other => panic!("expected WrongOtp, got {other:?}"),
    }
    assert_eq!(locker.enrolment().get(&e.id).unwrap().state, EnrolmentState::OtpSent);
    let e = locker.enrolment().online_verify_otp(&bb, &e.id, right).await.unwrap();
    assert!(e.abha_number.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_wrong_otps_lock_the_transaction_and_a_new_otp_starts_over() {
    let sb = sandbox();
    let bb = backbone(&sb);
    let dir = tempdir().unwrap();
    let locker = Locker::create(dir.path(), key()).unwrap();
    let e = locker.enrolment().online_start(&bb, aadhaar(4), "9876543213", "self").await.unwrap();
    let right = otp(&sb, &e);
    for _ in 0..4 {
        assert!(matches!(
            locker.enrolment().online_verify_otp(&bb, &e.id, wrong(&right)).await,
            Err(Error::WrongOtp { .. })
        ));
    }
    let fifth = locker.enrolment().online_verify_otp(&bb, &e.id, wrong(&right)).await;
    assert!(matches!(fifth, Err(Error::OtpLocked)), "{fifth:?}");
    // Locked: the enrolment is back at the start, where the old OTP no longer fits.
    assert_eq!(locker.enrolment().get(&e.id).unwrap().state, EnrolmentState::Started);
    let stale = locker.enrolment().online_verify_otp(&bb, &e.id, right).await;
    assert!(matches!(stale, Err(Error::WrongStep { .. })), "{stale:?}");
    let e = locker.enrolment().online_request_otp(&bb, &e.id).await.unwrap();
    let e = locker.enrolment().online_verify_otp(&bb, &e.id, otp(&sb, &e)).await.unwrap();
    assert!(e.abha_number.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_for_too_many_otps_is_refused() {
    let sb = sandbox();
    let bb = backbone(&sb);
    let dir = tempdir().unwrap();
    let locker = Locker::create(dir.path(), key()).unwrap();
    let e = locker.enrolment().online_start(&bb, aadhaar(5), "9876543214", "self").await.unwrap();
    let mut result = Ok(e.clone());
    for _ in 0..3 {
        result = locker.enrolment().online_request_otp(&bb, &e.id).await;
        if result.is_err() {
            break;
        }
    }
    assert!(matches!(result, Err(Error::OtpLimit)), "{result:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_transaction_asks_for_a_new_otp() {
    let sb = sandbox();
    let bb = backbone(&sb);
    let dir = tempdir().unwrap();
    let locker = Locker::create(dir.path(), key()).unwrap();
    let e = locker.enrolment().online_start(&bb, aadhaar(6), "9876543215", "self").await.unwrap();
    let stale = otp(&sb, &e);
    sb.advance_clock(11 * 60);
    let r = locker.enrolment().online_verify_otp(&bb, &e.id, stale).await;
    assert!(matches!(r, Err(Error::TransactionExpired)), "{r:?}");
    assert_eq!(locker.enrolment().get(&e.id).unwrap().state, EnrolmentState::Started);
    let e = locker.enrolment().online_request_otp(&bb, &e.id).await.unwrap();
    let e = locker.enrolment().online_verify_otp(&bb, &e.id, otp(&sb, &e)).await.unwrap();
    assert!(e.abha_number.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_aadhaar_or_a_taken_address_gets_a_clear_error() {
    let sb = sandbox();
    let bb = backbone(&sb);
    let dir = tempdir().unwrap();
    let locker = Locker::create(dir.path(), key()).unwrap();
    let mut typo = aadhaar(7).into_bytes();
    typo[5] = if typo[5] == b'9' { b'0' } else { typo[5] + 1 };
    let typo = String::from_utf8(typo).unwrap();
    let r = locker.enrolment().online_start(&bb, typo.clone(), "9876543216", "self").await;
    match r {
        Err(Error::InvalidInput(m)) => assert!(!m.contains(&typo[..4]) || !m.contains(&typo[8..])),
        other => panic!("{other:?}"),
    }
    assert!(locker.enrolment().list(&EnrolmentFilter::default()).unwrap().is_empty(), "nothing stored");

    // Two citizens; the second wants the first one's address.
    let mut taken = String::new();
    for (n, mobile) in [(8u64, "9876543217"), (9, "9876543218")] {
        let e = locker
            .enrolment()
            .online_start(&bb, aadhaar(n), mobile, if n == 8 { "self" } else { "spouse" })
            .await
            .unwrap();
        let mut e = locker.enrolment().online_verify_otp(&bb, &e.id, otp(&sb, &e)).await.unwrap();
        if e.state == EnrolmentState::MobileUnverified {
            e = locker.enrolment().online_request_mobile_otp(&bb, &e.id).await.unwrap();
            e = locker.enrolment().online_verify_mobile_otp(&bb, &e.id, otp(&sb, &e)).await.unwrap();
        }
        if n == 8 {
            taken = locker.enrolment().online_address_suggestions(&bb, &e.id).await.unwrap().remove(0);
            locker.enrolment().online_create_address(&bb, &e.id, &taken).await.unwrap();
            locker.enrolment().online_finish(&bb, &e.id).await.unwrap();
        } else {
            let r = locker.enrolment().online_create_address(&bb, &e.id, &taken).await;
            assert!(matches!(r, Err(Error::AddressTaken)), "{r:?}");
            let r = locker.enrolment().online_create_address(&bb, &e.id, "_bad").await;
            assert!(matches!(r, Err(Error::InvalidInput(_))), "{r:?}");
            let e = locker.enrolment().online_create_address(&bb, &e.id, "meera.family01").await.unwrap();
            let p = locker.enrolment().online_finish(&bb, &e.id).await.unwrap();
            assert!(!p.is_owner);
            assert_eq!(p.relation, "spouse");
        }
    }
    assert_eq!(locker.profiles().list().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_out_of_order_are_refused_without_harm() {
    let sb = sandbox();
    let bb = backbone(&sb);
    let dir = tempdir().unwrap();
    let locker = Locker::create(dir.path(), key()).unwrap();
    let e = locker.enrolment().online_start(&bb, aadhaar(10), "9876543219", "self").await.unwrap();
    let r = locker.enrolment().online_finish(&bb, &e.id).await;
    assert!(matches!(&r, Err(Error::WrongStep { state }) if state == EnrolmentState::OtpSent.code()), "{r:?}");
    assert!(matches!(
        locker.enrolment().online_verify_otp(&bb, "no-such-id", "123456".into()).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(locker.enrolment().get(&e.id).unwrap().state, EnrolmentState::OtpSent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_lost_mid_enrolment_and_an_app_restart_resume_without_a_second_abha() {
    use locker_sandbox::{Fault, FaultRule};
    let sb = sandbox();
    let dir = tempdir().unwrap();
    let k = key();
    let mut one_try = common::field::fast(common::field::sandbox_config(&sb.url()));
    one_try.max_attempts = 1;
    let flaky = locker_core::Backbone::new(one_try).unwrap();
    let id = {
        let locker = Locker::create(dir.path(), k.clone()).unwrap();
        let e = locker.enrolment().online_start(&flaky, aadhaar(11), "9876543220", "self").await.unwrap();
        // The backbone enrols the citizen, and the answer never arrives.
        sb.set_fault(FaultRule::new("/abha/api/v3/enrollment/enrol/byAadhaar", Fault::DropAfter).times(1));
        let r = locker.enrolment().online_verify_otp(&flaky, &e.id, otp(&sb, &e)).await;
        assert!(matches!(r, Err(Error::Offline)), "{r:?}");
        assert_eq!(sb.accounts().len(), 1);
        let e = locker.enrolment().get(&e.id).unwrap();
        assert_eq!((e.state, e.last_error.as_deref()), (EnrolmentState::OtpSent, Some("offline")));
        e.id
        // The app is killed here.
    };
    let locker = Locker::open(dir.path(), k).unwrap();
    let e = locker.enrolment().get(&id).unwrap();
    let e = locker.enrolment().online_verify_otp(&backbone(&sb), &e.id, otp(&sb, &e)).await.unwrap();
    assert_eq!(e.outcome, Some(EnrolmentOutcome::Created), "the first answer, replayed");
    let accounts = sb.accounts();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].request_ids.len(), 1, "applied once");
    assert_eq!(e.abha_number.as_deref(), Some(accounts[0].abha_number.as_str()));
}

async fn enrol_fully(locker: &Locker, sb: &Sandbox, n: u64, mobile: &str, relation: &str) -> locker_core::Profile {
    let bb = backbone(sb);
    let e = locker.enrolment().online_start(&bb, aadhaar(n), mobile, relation).await.unwrap();
    let mut e = locker.enrolment().online_verify_otp(&bb, &e.id, otp(sb, &e)).await.unwrap();
    if e.state == EnrolmentState::MobileUnverified {
        e = locker.enrolment().online_request_mobile_otp(&bb, &e.id).await.unwrap();
        e = locker.enrolment().online_verify_mobile_otp(&bb, &e.id, otp(sb, &e)).await.unwrap();
    }
    let address = locker.enrolment().online_address_suggestions(&bb, &e.id).await.unwrap().pop().unwrap();
    let e = locker.enrolment().online_create_address(&bb, &e.id, &address).await.unwrap();
    locker.enrolment().online_finish(&bb, &e.id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolling_someone_already_in_the_locker_updates_them_instead_of_adding_a_twin() {
    let sb = sandbox();
    let dir = tempdir().unwrap();
    let locker = Locker::create(dir.path(), key()).unwrap();
    let owner = enrol_fully(&locker, &sb, 20, "9876543221", "self").await;
    let child = enrol_fully(&locker, &sb, 21, "9876543222", "child").await;
    let again = enrol_fully(&locker, &sb, 21, "9876543222", "spouse").await;
    assert_eq!(again.id, child.id);
    assert_eq!(again.relation, "child");
    // Someone else enrolling "as self" does not take the owner's place.
    let other = enrol_fully(&locker, &sb, 22, "9876543223", "self").await;
    assert!(!other.is_owner && other.relation == "other");
    let profiles = locker.profiles().list().unwrap();
    assert_eq!(profiles.len(), 3);
    assert_eq!(profiles.iter().find(|p| p.is_owner).unwrap().abha_number, owner.abha_number);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_who_gives_up_leaves_nothing_behind() {
    let sb = sandbox();
    let bb = backbone(&sb);
    let dir = tempdir().unwrap();
    let locker = Locker::create(dir.path(), key()).unwrap();
    let e = locker.enrolment().online_start(&bb, aadhaar(30), "9876543230", "self").await.unwrap();
    let cancelled = locker.enrolment().cancel(&e.id).unwrap();
    assert_eq!(cancelled.state, EnrolmentState::Cancelled);
    assert!(cancelled.erased && cancelled.transaction_id.is_none());
    assert!(matches!(locker.enrolment().cancel(&e.id), Err(Error::WrongStep { .. })));
    let late = locker.enrolment().online_verify_otp(&bb, &e.id, otp(&sb, &e)).await;
    assert!(matches!(&late, Err(Error::WrongStep { state }) if state == EnrolmentState::Cancelled.code()), "{late:?}");
    let audit = locker.audit_entries(20).unwrap();
    assert!(audit.iter().any(|a| a.action == "enrolment.erased" && a.detail.as_deref() == Some("reason=cancelled")));
    assert!(locker.enrolment().list(&EnrolmentFilter { pending_only: true, ..Default::default() }).unwrap().is_empty());
}
