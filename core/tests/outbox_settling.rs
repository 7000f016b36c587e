//! How a drain settles what comes back when the world moves under it: a correction made while
//! its submission is in flight, two drains at once, a route our client may not use, a login
//! refused in other words than 401, a session's items far down a long queue, and an item the
//! backbone fails for days.

mod common;

use common::field::*;
use locker_core::{Backbone, EnrolmentState, Error, ItemState, Locker, ShiftedClock};
use locker_sandbox::{Fault, FaultRule, Sandbox};
use std::time::Duration;

const DEMOGRAPHIC: &str = "/abha/api/v1/hid/benefit/createHealthId/demo/auth";
const SESSIONS: &str = "/gateway/v3/sessions";

fn capture(l: &Locker, session: &str, i: u64) -> String {
    let c = citizen("Citizen Asha", &format!("98{:08}", 50_000_000 + i));
    l.enrolment().capture(session, c, aadhaar(700 + i), &consent()).unwrap().id
}

fn request_id_of(l: &Locker, enrolment: &str) -> String {
    l.outbox().items().unwrap().into_iter().find(|i| i.subject == enrolment).expect("queued").request_id
}

fn applied(sb: &Sandbox, request_id: &str) -> bool {
    sb.accounts().iter().any(|a| a.request_ids.iter().any(|r| r == request_id))
}

#[test]
fn a_correction_made_while_its_submission_is_in_flight_goes_as_its_own_request() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, session) = worker_device(&sb, dir.path(), ShiftedClock::new());
    // The correction must land while the first call is in flight; on a machine so loaded that it
    // lands before the call leaves, the case did not happen, and is set up again.
    for i in 0..3 {
        let id = capture(&l, &session, i);
        let first = request_id_of(&l, &id);
        sb.set_fault(FaultRule::new(DEMOGRAPHIC, Fault::Delay { ms: 1500 }).times(1));
        let corrected = std::thread::scope(|s| {
            let drain = s.spawn(|| block_on(l.outbox().drain(&backbone(&sb))).unwrap());
            std::thread::sleep(Duration::from_millis(500));
            let mended = citizen("Citizen Asha", &format!("97{:08}", 50_000_000 + i));
            l.enrolment().correct(&id, Some(mended), None).unwrap();
            let corrected = request_id_of(&l, &id);
            drain.join().unwrap();
            corrected
        });
        sb.clear_faults();
        if !applied(&sb, &first) {
            continue;
        }
        assert_ne!(corrected, first, "a correction is a new request");
        // The first answer settled nothing: the corrected request goes (in this drain or the next).
        block_on(l.outbox().drain(&backbone(&sb))).unwrap();
        assert!(applied(&sb, &corrected), "the corrected details reached the backbone");
        assert_eq!(l.enrolment().get(&id).unwrap().state, EnrolmentState::Submitted);
        assert!(l.outbox().items().unwrap().is_empty());
        return;
    }
    panic!("the correction never landed while a call was in flight");
}

#[test]
fn two_drains_at_once_send_each_item_once() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, session) = worker_device(&sb, dir.path(), ShiftedClock::new());
    for i in 0..3 {
        capture(&l, &session, i);
    }
    sb.set_fault(FaultRule::new(DEMOGRAPHIC, Fault::Delay { ms: 300 }));
    let delivered: u32 = std::thread::scope(|s| {
        let drains: Vec<_> =
            (0..2).map(|_| s.spawn(|| block_on(l.outbox().drain(&backbone(&sb))).unwrap().delivered)).collect();
        drains.into_iter().map(|d| d.join().unwrap()).sum()
    });
    assert_eq!(delivered, 3, "the second drain waited for the first and found nothing left");
    assert_eq!(sb.stats().demographic_applied, 3);
}

#[test]
fn a_route_our_client_may_not_use_stops_the_drain_and_counts_against_no_item() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, session) = worker_device(&sb, dir.path(), ShiftedClock::new());
    for i in 0..3 {
        capture(&l, &session, i);
    }
    sb.set_fault(FaultRule::new(DEMOGRAPHIC, Fault::Status { status: 403 }));
    let r = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!(r.halted.as_deref(), Some("http-403:SBX-FAULT"));
    assert_eq!((r.wedged, r.waiting), (0, 3), "no item is at fault");
    assert!(l.outbox().items().unwrap().iter().all(|i| i.state == ItemState::Waiting && i.attempts == 0));
    sb.clear_faults();
    let r = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!((r.delivered, r.waiting), (3, 0));
}

#[test]
fn a_login_refused_with_any_client_error_pauses_logging_in() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, session) = worker_device(&sb, dir.path(), ShiftedClock::new());
    capture(&l, &session, 1);
    // A fresh client: the one that fetched the key holds a session already.
    let bb = Backbone::new(fast(sandbox_config(&sb.url()))).unwrap();
    sb.set_fault(FaultRule::new(SESSIONS, Fault::Status { status: 400 }).times(1));
    let r = block_on(l.outbox().drain(&bb)).unwrap();
    assert_eq!(r.halted.as_deref(), Some("unauthorized"));
    // The gateway would take the next login, but none is tried within the pause.
    let r = block_on(l.outbox().drain(&Backbone::new(fast(sandbox_config(&sb.url()))).unwrap())).unwrap();
    assert_eq!(r.halted.as_deref(), Some("unauthorized"));
    assert_eq!(sb.stats().demographic_applied, 0);
}

#[test]
fn a_sessions_submission_finds_its_capture_behind_a_long_queue_of_another() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, busy) = worker_device(&sb, dir.path(), ShiftedClock::new());
    for i in 0..70 {
        capture(&l, &busy, i);
    }
    let other = l.enrolment().start_session("ASHA-10", "tab-2", None).unwrap().id;
    let id = capture(&l, &other, 100);
    let r = block_on(l.enrolment().submit(&backbone(&sb), Some(&other))).unwrap();
    assert_eq!((r.created, r.still_queued), (1, 0), "{:?}", r.halted);
    assert_eq!(l.enrolment().get(&id).unwrap().state, EnrolmentState::Submitted);
    assert_eq!(sb.stats().demographic_applied, 1, "the other session's captures were not sent");
    assert_eq!(l.outbox().status().unwrap().waiting, 70);
}

#[test]
fn an_item_the_backbone_keeps_failing_is_wedged_after_ten_drains_with_a_reason_that_says_so() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let clock = ShiftedClock::new();
    let (l, session) = worker_device(&sb, dir.path(), clock.clone());
    let id = capture(&l, &session, 1);
    sb.set_fault(FaultRule::new(DEMOGRAPHIC, Fault::Status { status: 503 }));
    let mut c = fast(sandbox_config(&sb.url()));
    c.max_attempts = 1;
    let bb = Backbone::new(c).unwrap();
    for n in 1..10 {
        let r = block_on(l.outbox().drain(&bb)).unwrap();
        assert_eq!((r.retrying, r.wedged), (1, 0), "drain {n}");
        clock.advance_ms(60_000);
    }
    let r = block_on(l.outbox().drain(&bb)).unwrap();
    assert_eq!((r.retrying, r.wedged), (0, 1));
    let status = l.outbox().status().unwrap();
    assert!(status.wedged_items[0].reason.contains("again and again"), "{:?}", status.wedged_items);
    let e = l.enrolment().get(&id).unwrap();
    assert_eq!(e.state, EnrolmentState::Rejected);
    // Mended, the worker sends it again.
    sb.clear_faults();
    l.outbox().retry(status.wedged_items[0].id).unwrap();
    assert_eq!(block_on(l.outbox().drain(&bb)).unwrap().delivered, 1);
}

#[test]
fn a_correction_with_nothing_in_it_is_refused() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, session) = worker_device(&sb, dir.path(), ShiftedClock::new());
    let id = capture(&l, &session, 1);
    let before = request_id_of(&l, &id);
    assert!(matches!(l.enrolment().correct(&id, None, None), Err(Error::InvalidInput(_))));
    assert_eq!(request_id_of(&l, &id), before, "nothing was queued anew");
}
