//! A field worker enrols citizens in a village with no signal and reaches a network days
//! later: the stories of assisted, offline enrolment against the sandbox backbone.

mod common;

use common::field::{aadhaar, backbone, citizen, consent, fast, sandbox, sandbox_config, stale_secret, unreachable};
use common::key;
use locker_core::sync::client::LOGIN_REFUSED_PAUSE;
use locker_core::{Backbone, EnrolmentFilter, EnrolmentOutcome, EnrolmentState, Error, Locker, ShiftedClock};
use locker_sandbox::{Fault, FaultRule, Resident};
use std::sync::Arc;
use tempfile::tempdir;

const DEMO_ROUTE: &str = "/abha/api/v1/hid/benefit/createHealthId/demo/auth";
const DAY_MS: i64 = 86_400_000;

struct Field {
    _dir: tempfile::TempDir,
    locker: Locker,
    clock: Arc<ShiftedClock>,
    session: String,
}

/// A worker's device that fetched the backbone's key once, at the office.
async fn field(bb: &Backbone) -> Field {
    let dir = tempdir().unwrap();
    let clock = ShiftedClock::new();
    let locker = Locker::create(dir.path(), key()).unwrap().with_clock(clock.clone());
    locker.enrolment().refresh_backbone_key(bb).await.unwrap();
    let session = locker.enrolment().start_session("asha-0042", "tab-17", None).unwrap().id;
    Field { _dir: dir, locker, clock, session }
}

fn capture(f: &Field, n: u64) -> String {
    let name = ["Sunita Pawar", "Ramesh Gaikwad", "Kavita Shinde", "Anil Jadhav", "Pooja More"][n as usize % 5];
    let mobile = format!("98{:08}", 22_000_000 + n);
    f.locker.enrolment().capture(&f.session, citizen(name, &mobile), aadhaar(100 + n), &consent()).unwrap().id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workers_queue_survives_a_week_offline_and_is_submitted_once() {
    let sb = sandbox();
    let f = field(&backbone(&sb)).await;
    let ids: Vec<String> = (0..3).map(|n| capture(&f, n)).collect();

    // Days in the village: every try to submit finds no network, and nothing is lost.
    let offline = unreachable();
    for _ in 0..3 {
        f.clock.advance_days(2);
        let r = f.locker.enrolment().submit(&offline, Some(&f.session)).await.unwrap();
        assert_eq!((r.still_queued, r.created, r.expired), (3, 0, 0));
    }
    // A week after capture, less a minute: the network comes back.
    f.clock.advance_ms(DAY_MS - 60_000);
    assert_eq!(f.locker.enrolment().purge_expired().unwrap(), 0);
    let queued = f
        .locker
        .enrolment()
        .list(&EnrolmentFilter { session_id: Some(f.session.clone()), pending_only: true })
        .unwrap();
    assert_eq!(queued.len(), 3);
    assert!(queued.iter().all(|e| e.state == EnrolmentState::Queued && e.name.is_some()));
    assert!(queued.iter().all(|e| e.attempts == 0), "no network: no try counts against them");
    assert_eq!(queued[0].last_error.as_deref(), Some("offline"));

    let r = f.locker.enrolment().submit(&backbone(&sb), Some(&f.session)).await.unwrap();
    assert_eq!((r.created, r.still_queued, r.rejected), (3, 0, 0));
    assert_eq!(sb.stats().accounts, 3);
    assert_eq!(sb.stats().duplicates, 0);
    // Submitting again sends nothing.
    let again = f.locker.enrolment().submit(&backbone(&sb), Some(&f.session)).await.unwrap();
    assert_eq!(again.enrolments.len(), 0);
    assert_eq!(sb.stats().demographic_applied, 3);

    // Each citizen is shown their ABHA and then erased from the device.
    for id in &ids {
        let qr: serde_json::Value = serde_json::from_str(&f.locker.enrolment().qr(id).unwrap()).unwrap();
        let e = f.locker.enrolment().get(id).unwrap();
        assert_eq!(qr["hidn"].as_str(), e.abha_number.as_deref());
        let card = f.locker.enrolment().card(&backbone(&sb), id).await.unwrap();
        assert!(card.starts_with(b"\x89PNG"));
        let handed = f.locker.enrolment().confirm_handover(id).unwrap();
        assert_eq!(handed.state, EnrolmentState::HandedOver);
        assert!(handed.erased && handed.name.is_none() && handed.abha_number.is_none());
        assert_eq!(handed.consent_language.as_deref(), Some("mr"), "the consent record stays");
    }
    let audit = f.locker.audit_entries(200).unwrap();
    let erasures: Vec<_> = audit.iter().filter(|a| a.action == "enrolment.erased").collect();
    assert_eq!(erasures.len(), 3);
    assert!(erasures.iter().all(|a| a.detail.as_deref() == Some("reason=handed_over")));
    for a in &audit {
        let text = format!("{:?} {:?}", a.subject, a.detail);
        assert!(!text.contains("Sunita") && !text.contains("9822"), "no personal data in the audit log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_never_submitted_are_erased_when_the_retention_period_ends() {
    let sb = sandbox();
    let f = field(&backbone(&sb)).await;
    let id = capture(&f, 7);
    f.clock.advance_ms(7 * DAY_MS + 60_000);
    let r = f.locker.enrolment().submit(&backbone(&sb), None).await.unwrap();
    assert_eq!((r.expired, r.created), (1, 0));
    let e = f.locker.enrolment().get(&id).unwrap();
    assert_eq!((e.state, e.outcome), (EnrolmentState::Expired, Some(EnrolmentOutcome::Expired)));
    assert!(e.erased && e.name.is_none());
    assert!(e.reason.unwrap().contains("capture again"));
    assert_eq!(sb.stats().accounts, 0, "nothing expired is ever sent");
    let audit = f.locker.audit_entries(50).unwrap();
    assert!(audit.iter().any(|a| a.action == "enrolment.erased" && a.detail.as_deref() == Some("reason=retention")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_says_what_to_fix_and_the_corrected_enrolment_goes_through() {
    let sb = sandbox();
    let f = field(&backbone(&sb)).await;
    // UIDAI knows this resident under another spelling.
    sb.add_resident(Resident {
        aadhaar: aadhaar(100 + 1),
        name: "Ramesh Gaikwad Patil".into(),
        gender: "F".into(),
        year_of_birth: 1988,
        mobile: "9000000001".into(),
    });
    let id = capture(&f, 1);
    let r = f.locker.enrolment().submit(&backbone(&sb), None).await.unwrap();
    assert_eq!(r.rejected, 1);
    let e = f.locker.enrolment().get(&id).unwrap();
    assert_eq!(e.state, EnrolmentState::Rejected);
    assert!(e.reason.as_deref().unwrap().contains("do not match the Aadhaar record"), "{:?}", e.reason);
    assert!(!e.reason.unwrap().contains("Ramesh"));

    f.locker.enrolment().correct(&id, Some(citizen("Ramesh Gaikwad Patil", "9822000001")), None).unwrap();
    let r = f.locker.enrolment().submit(&backbone(&sb), None).await.unwrap();
    assert_eq!(r.created, 1);
    assert_eq!(sb.stats().duplicates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_backbone_changes_its_key_the_worker_captures_the_aadhaar_again() {
    let sb = sandbox();
    let f = field(&backbone(&sb)).await;
    let id = capture(&f, 2);
    sb.rotate_key();
    let r = f.locker.enrolment().submit(&backbone(&sb), None).await.unwrap();
    assert_eq!(r.rejected, 1);
    assert!(f.locker.enrolment().get(&id).unwrap().reason.unwrap().contains("capture the Aadhaar number again"));
    f.locker.enrolment().refresh_backbone_key(&backbone(&sb)).await.unwrap();
    f.locker.enrolment().correct(&id, None, Some(aadhaar(102))).unwrap();
    let r = f.locker.enrolment().submit(&backbone(&sb), None).await.unwrap();
    assert_eq!(r.created, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_needs_the_backbone_key_once_and_refuses_bad_details_without_storing_them() {
    let dir = tempdir().unwrap();
    let locker = Locker::create(dir.path(), key()).unwrap();
    let session = locker.enrolment().start_session("asha-0042", "tab-17", None).unwrap().id;
    let r = locker.enrolment().capture(&session, citizen("Sunita Pawar", "9822000000"), aadhaar(1), &consent());
    assert!(matches!(r, Err(Error::BackboneKeyMissing)), "{r:?}");

    let sb = sandbox();
    locker.enrolment().refresh_backbone_key(&backbone(&sb)).await.unwrap();
    let bad = [
        citizen("S", "9822000000"),
        citizen("Sunita Pawar", "12345"),
        citizen("Sunita 2", "9822000000"),
        {
            let mut c = citizen("Sunita Pawar", "9822000000");
            c.birth_date = "2999-01-01".into();
            c
        },
        {
            let mut c = citizen("Sunita Pawar", "9822000000");
            c.gender = locker_core::Gender::Unknown;
            c
        },
        {
            let mut c = citizen("Sunita Pawar", "9822000000");
            c.pin_code = "12".into();
            c
        },
    ];
    for details in bad {
        match locker.enrolment().capture(&session, details, aadhaar(1), &consent()) {
            Err(Error::InvalidInput(m)) => assert!(!m.contains("Sunita") && !m.contains("9822")),
            other => panic!("{other:?}"),
        }
    }
    let mut typo = aadhaar(1);
    typo.replace_range(11..12, if typo.ends_with('0') { "1" } else { "0" });
    assert!(matches!(
        locker.enrolment().capture(&session, citizen("Sunita Pawar", "9822000000"), typo, &consent()),
        Err(Error::InvalidInput(_))
    ));
    assert!(locker.enrolment().list(&EnrolmentFilter::default()).unwrap().is_empty());
    locker.enrolment().end_session(&session).unwrap();
    assert!(
        locker.enrolment().capture(&session, citizen("Sunita Pawar", "9822000000"), aadhaar(1), &consent()).is_err()
    );
}

/// Every fault the sandbox can inject, hitting the demographic route while a queue drains:
/// nothing lost, nothing applied twice, every citizen reconciled once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_backbone_fault_during_submission_loses_nothing_and_doubles_nothing() {
    let faults = [
        ("*", Fault::Delay { ms: 2_500 }), // beyond the read timeout: the try times out
        (DEMO_ROUTE, Fault::Status { status: 503 }),
        (DEMO_ROUTE, Fault::RateLimit { retry_after: 1 }),
        (DEMO_ROUTE, Fault::DropBefore),
        (DEMO_ROUTE, Fault::DropAfter),
        (DEMO_ROUTE, Fault::UnauthorizedEmpty),
        (DEMO_ROUTE, Fault::TrailingColon),
    ];
    for (i, (route, fault)) in faults.into_iter().enumerate() {
        let sb = sandbox();
        let f = field(&backbone(&sb)).await;
        let ids: Vec<String> = (0..3).map(|n| capture(&f, 10 * i as u64 + n)).collect();
        sb.set_fault(FaultRule::new(route, fault.clone()).times(2));
        let r = f.locker.enrolment().submit(&backbone(&sb), None).await.unwrap();
        assert_eq!((r.created, r.still_queued, r.rejected), (3, 0, 0), "{fault:?}");
        let stats = sb.stats();
        assert_eq!((stats.accounts, stats.duplicates, stats.demographic_applied), (3, 0, 3), "{fault:?}");
        for id in &ids {
            let e = f.locker.enrolment().get(id).unwrap();
            assert_eq!(e.state, EnrolmentState::Submitted, "{fault:?}");
            let landed = sb.accounts().into_iter().filter(|a| Some(&a.abha_number) == e.abha_number.as_ref()).count();
            assert_eq!(landed, 1, "{fault:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_that_outlasts_the_tries_leaves_the_queue_whole_for_next_time() {
    let sb = sandbox();
    let f = field(&backbone(&sb)).await;
    let ids: Vec<String> = (0..2).map(|n| capture(&f, 40 + n)).collect();
    sb.set_fault(FaultRule::new(DEMO_ROUTE, Fault::DropAfter));
    let r = f.locker.enrolment().submit(&backbone(&sb), None).await.unwrap();
    assert_eq!(r.still_queued, 2);
    // Both were applied (they went out together) but every answer was lost.
    assert_eq!(sb.stats().accounts, 2);
    sb.clear_faults();
    let r = f.locker.enrolment().submit(&backbone(&sb), None).await.unwrap();
    assert_eq!(r.created, 2, "the same REQUEST-IDs are answered with the first results");
    assert_eq!((sb.stats().accounts, sb.stats().duplicates), (2, 0));
    for id in ids {
        assert_eq!(f.locker.enrolment().get(&id).unwrap().outcome, Some(EnrolmentOutcome::Created));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_session_is_reused_refreshed_and_dropped_when_rejected() {
    let sb = sandbox();
    let bb = backbone(&sb);
    let f = field(&bb).await;
    for n in 0..3 {
        capture(&f, 50 + n);
    }
    f.locker.enrolment().submit(&bb, None).await.unwrap();
    let sessions = |sb: &locker_sandbox::Sandbox| sb.stats().applied.get("/gateway/v3/sessions").copied().unwrap_or(0);
    assert_eq!(sessions(&sb), 1, "one session for every call");
    // The sandbox's clock passes the token's life: it answers 900901 and the client logs in again.
    sb.advance_clock(1_300);
    capture(&f, 60);
    assert_eq!(f.locker.enrolment().submit(&bb, None).await.unwrap().created, 1);
    assert_eq!(sessions(&sb), 2);
    // A client on the device's clock: its session is reused until close to the end of the
    // token's life, then refreshed before the backbone would refuse it.
    let bb2 = Backbone::with_clock(fast(sandbox_config(&sb.url())), f.clock.clone()).unwrap();
    f.locker.enrolment().refresh_backbone_key(&bb2).await.unwrap();
    f.locker.enrolment().refresh_backbone_key(&bb2).await.unwrap();
    assert_eq!(sessions(&sb), 3);
    f.clock.advance_ms(1_100_000);
    f.locker.enrolment().refresh_backbone_key(&bb2).await.unwrap();
    assert_eq!(sessions(&sb), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_client_credentials_are_reported_as_such_and_not_tried_again_at_once() {
    let sb = sandbox();
    let clock = ShiftedClock::new();
    let bb = Backbone::with_clock(stale_secret(&sb), clock.clone()).unwrap();
    let dir = tempdir().unwrap();
    let locker = Locker::create(dir.path(), key()).unwrap();
    for _ in 0..3 {
        assert!(matches!(locker.enrolment().refresh_backbone_key(&bb).await, Err(Error::Unauthorized)));
    }
    assert_eq!(sb.stats().logins_refused, 1, "a refused login pauses logging in");
    // The phone's clock is set back a day: the pause ends, rather than lasting a day longer.
    clock.advance_ms(-DAY_MS);
    assert!(matches!(locker.enrolment().refresh_backbone_key(&bb).await, Err(Error::Unauthorized)));
    assert!(matches!(locker.enrolment().refresh_backbone_key(&bb).await, Err(Error::Unauthorized)));
    assert_eq!(sb.stats().logins_refused, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_never_gets_the_client_locked_out_however_long_the_queue() {
    let sb = sandbox();
    let f = field(&backbone(&sb)).await;
    for n in 0..12 {
        capture(&f, 200 + n);
    }
    let stale = Backbone::with_clock(stale_secret(&sb), f.clock.clone()).unwrap();
    // The app tries on every change of network, as apps do.
    for _ in 0..10 {
        let r = f.locker.enrolment().submit(&stale, None).await.unwrap();
        assert_eq!((r.still_queued, r.created, r.rejected), (12, 0, 0));
    }
    assert_eq!(sb.stats().logins_refused, 1, "one refused login, then none until the pause ends");
    let queued = f.locker.enrolment().list(&EnrolmentFilter { session_id: None, pending_only: true }).unwrap();
    assert_eq!(queued.len(), 12);
    assert!(queued.iter().all(|e| e.state == EnrolmentState::Queued && e.name.is_some()));
    assert!(queued.iter().any(|e| e.last_error.as_deref() == Some("unauthorized")));
    // After the pause, one more login is tried (and refused): never eight in eight minutes.
    f.clock.advance_ms(LOGIN_REFUSED_PAUSE.as_millis() as i64 + 1);
    f.locker.enrolment().submit(&stale, None).await.unwrap();
    let stats = sb.stats();
    assert_eq!((stats.logins_refused, stats.lockouts), (2, 0));
    // The secret mended: the whole queue goes through, once each.
    let r = f.locker.enrolment().submit(&backbone(&sb), None).await.unwrap();
    assert_eq!((r.created, r.still_queued), (12, 0));
    assert_eq!(sb.stats().duplicates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_out_client_waits_out_the_lock_instead_of_deepening_it() {
    let sb = sandbox();
    let f = field(&backbone(&sb)).await;
    for n in 0..6 {
        capture(&f, 300 + n);
    }
    // Other devices sharing the client id, with a stale secret, got it locked out. Each is a
    // process of its own, with a login pause of its own: here, in one process, each reaches the
    // same sandbox by a gateway URL spelled its own way (the pause is kept per gateway URL and
    // client id), so that each sends its one refused login as a device of its own would.
    for n in 0..8 {
        let other = Locker::create(tempdir().unwrap().path(), key()).unwrap();
        let mut stale = stale_secret(&sb);
        stale.gateway_url = format!("{}/device-{n}/..", sb.url());
        assert!(other.enrolment().refresh_backbone_key(&Backbone::new(stale).unwrap()).await.is_err());
    }
    assert_eq!(sb.stats().lockouts, 1);
    let bb = Backbone::with_clock(fast(sandbox_config(&sb.url())), f.clock.clone()).unwrap();
    for _ in 0..5 {
        let r = f.locker.enrolment().submit(&bb, None).await.unwrap();
        assert_eq!((r.still_queued, r.created, r.rejected), (6, 0, 0));
    }
    assert_eq!(sb.stats().logins_while_locked_out, 1, "told to wait eight minutes, the client waits");
    let queued = f.locker.enrolment().list(&EnrolmentFilter { session_id: None, pending_only: true }).unwrap();
    assert!(queued.iter().any(|e| e.last_error.as_deref() == Some("rate-limited:900800")));
    // Eight minutes on both clocks: the lock has ended and the queue goes through once.
    sb.advance_clock(480);
    f.clock.advance_ms(480_000);
    let r = f.locker.enrolment().submit(&bb, None).await.unwrap();
    assert_eq!((r.created, r.still_queued), (6, 0));
    let stats = sb.stats();
    assert_eq!((stats.logins_while_locked_out, stats.lockouts, stats.duplicates), (1, 1, 0));
}
