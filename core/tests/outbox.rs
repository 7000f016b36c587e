//! The outbox as a field worker's week meets it: captures queued with their REQUEST-IDs in the
//! same transaction, a drain that stops at the first failure every item would meet, backoff and
//! `Retry-After` kept between drains, refusals wedged until the worker retries or discards
//! them, and nothing lost or sent twice whatever the network did.

mod common;

use common::field::*;
use locker_core::{Backbone, Clock, EnrolmentState, ItemKind, ItemState, Locker, OutboxItem, ShiftedClock};
use locker_sandbox::{Fault, FaultRule, Resident};

const DEMOGRAPHIC: &str = "/abha/api/v1/hid/benefit/createHealthId/demo/auth";

fn capture(l: &Locker, session: &str, i: u64) -> String {
    let c = citizen(
        &format!("Citizen {}", ["Asha", "Bhavna", "Chitra", "Deepa", "Esha", "Gauri"][i as usize % 6]),
        &format!("98{:08}", 40_000_000 + i),
    );
    l.enrolment().capture(session, c, aadhaar(900 + i), &consent()).unwrap().id
}

fn item_of(l: &Locker, enrolment: &str) -> OutboxItem {
    l.outbox().items().unwrap().into_iter().find(|i| i.subject == enrolment).expect("an outbox item")
}

#[test]
fn a_capture_is_queued_with_its_request_id_in_the_same_transaction() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, session) = worker_device(&sb, dir.path(), ShiftedClock::new());
    let id = capture(&l, &session, 1);
    let items = l.outbox().items().unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(
        (item.kind, item.state, item.subject.as_str(), item.attempts),
        (ItemKind::EnrolmentSubmit, ItemState::Waiting, id.as_str(), 0)
    );
    assert!(uuid_like(&item.request_id), "{}", item.request_id);
    // Cancelling the capture takes its submission with it, in one transaction.
    l.enrolment().cancel(&id).unwrap();
    assert!(l.outbox().items().unwrap().is_empty());
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[test]
fn a_week_offline_then_one_drain_delivers_everything_once_under_the_ids_fixed_at_capture() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let clock = ShiftedClock::new();
    let (l, session) = worker_device(&sb, dir.path(), clock.clone());
    let ids: Vec<String> = (0..6).map(|i| capture(&l, &session, i)).collect();
    let fixed: Vec<String> = ids.iter().map(|id| item_of(&l, id).request_id).collect();
    // Seven days with no network, a drain attempted each day: each stops at once.
    let offline = unreachable();
    for _ in 0..6 {
        clock.advance_days(1);
        let r = block_on(l.outbox().drain(&offline)).unwrap();
        assert_eq!((r.delivered, r.halted.as_deref(), r.waiting), (0, Some("offline"), 6));
    }
    let status = l.outbox().status().unwrap();
    assert_eq!((status.waiting, status.wedged), (6, 0));
    assert!(status.oldest_waiting_age_ms.unwrap() >= 6 * 86_400_000, "{status:?}");
    assert_eq!(status.by_kind[0].kind, ItemKind::EnrolmentSubmit);
    // The first offline failure stopped the drain: not every item was tried every day.
    let tries: u32 = l.outbox().items().unwrap().iter().map(|i| i.attempts).sum();
    assert!(tries < 6 * 6, "{tries} tries for 6 items over 6 drains");
    let r = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!((r.delivered, r.waiting, r.halted), (6, 0, None));
    assert!(l.outbox().items().unwrap().is_empty());
    let accounts = sb.accounts();
    assert_eq!(accounts.len(), 6);
    for a in &accounts {
        assert_eq!(a.request_ids.len(), 1, "applied once");
        assert!(fixed.contains(&a.request_ids[0]), "under the REQUEST-ID fixed at capture");
    }
    assert_eq!(sb.stats().duplicates, 0);
    for id in &ids {
        assert_eq!(l.enrolment().get(id).unwrap().state, EnrolmentState::Submitted);
    }
}

#[test]
fn a_failing_backbone_is_tried_again_later_with_the_same_request_id_not_at_once() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let clock = ShiftedClock::new();
    let (l, session) = worker_device(&sb, dir.path(), clock.clone());
    let id = capture(&l, &session, 1);
    let rid = item_of(&l, &id).request_id;
    sb.set_fault(FaultRule::new(DEMOGRAPHIC, Fault::Status { status: 503 }));
    // Pauses long enough that no load on the machine running the test lets one pass unseen.
    let mut config = common::field::fast(common::field::sandbox_config(&sb.url()));
    config.initial_backoff = std::time::Duration::from_secs(30);
    config.max_attempts = 1;
    let patient = locker_core::Backbone::new(config).unwrap();
    let r = block_on(l.outbox().drain(&patient)).unwrap();
    assert_eq!((r.retrying, r.delivered, r.halted), (1, 0, None));
    let item = item_of(&l, &id);
    assert_eq!((item.attempts, item.last_error.as_deref()), (1, Some("http-503:SBX-FAULT")));
    assert!(item.next_attempt_at_ms > clock.now_ms(), "a pause before the next try");
    // A drain straight away sends nothing: the item waits its pause.
    let applied = sb.stats().applied.get(DEMOGRAPHIC).copied().unwrap_or(0);
    let r = block_on(l.outbox().drain(&patient)).unwrap();
    assert_eq!((r.retrying, r.delivered, r.waiting), (0, 0, 1));
    assert_eq!(sb.stats().applied.get(DEMOGRAPHIC).copied().unwrap_or(0), applied);
    sb.clear_faults();
    clock.advance_ms(60_000);
    let r = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!(r.delivered, 1);
    assert_eq!(sb.accounts()[0].request_ids, vec![rid], "the same REQUEST-ID");
}

#[test]
fn a_long_retry_after_stops_the_drain_and_is_honoured_between_drains() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let clock = ShiftedClock::new();
    let (l, session) = worker_device(&sb, dir.path(), clock.clone());
    let ids: Vec<String> = (0..3).map(|i| capture(&l, &session, i)).collect();
    sb.set_fault(FaultRule::new(DEMOGRAPHIC, Fault::RateLimit { retry_after: 120 }).times(1));
    let r = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!(r.halted.as_deref(), Some("rate-limited:SBX-FAULT"));
    // Those already in flight were answered; the one that met the 429 waits as asked.
    assert_eq!(r.delivered, 2);
    let throttled = ids.iter().map(|id| l.enrolment().get(id).unwrap()).find(|e| e.state == EnrolmentState::Queued);
    let item = item_of(&l, &throttled.expect("one still queued").id);
    assert_eq!(
        (item.attempts, item.last_error.as_deref()),
        (0, Some("rate-limited:SBX-FAULT")),
        "a pause the backbone asks of everyone does not count against the item"
    );
    assert!(item.next_attempt_at_ms >= clock.now_ms() + 119_000, "Retry-After is kept between drains");
    let applied = sb.stats().demographic_applied;
    let r = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!((r.delivered, r.waiting), (0, 1));
    assert_eq!(sb.stats().demographic_applied, applied, "nothing sent within the pause");
    clock.advance_ms(121_000);
    let r = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!((r.delivered, r.waiting), (1, 0));
    assert_eq!(sb.accounts().len(), 3);
}

#[test]
fn a_refusal_is_wedged_with_its_reason_until_the_worker_retries_or_discards_it() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, session) = worker_device(&sb, dir.path(), ShiftedClock::new());
    let ok = capture(&l, &session, 1);
    let refused = capture(&l, &session, 2);
    sb.add_resident(Resident {
        aadhaar: aadhaar(902),
        name: "Someone Else".into(),
        gender: "M".into(),
        year_of_birth: 1950,
        mobile: "9840000002".into(),
    });
    let r = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!((r.delivered, r.wedged, r.waiting), (1, 1, 0));
    let status = l.outbox().status().unwrap();
    assert_eq!((status.waiting, status.wedged), (0, 1));
    let w = &status.wedged_items[0];
    assert_eq!(w.subject, refused);
    assert!(w.reason.contains("do not match the Aadhaar record"), "{}", w.reason);
    assert_eq!(w.last_error.as_deref(), Some("http-422:ABDM-1115"));
    assert_eq!(l.enrolment().get(&refused).unwrap().state, EnrolmentState::Rejected);
    assert_eq!(l.enrolment().get(&ok).unwrap().state, EnrolmentState::Submitted);
    // Kept through any number of drains: a wedged item is not sent again by itself.
    let applied = sb.stats().demographic_applied;
    block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!(sb.stats().demographic_applied, applied);
    // Retried: a new request (the old one was answered), queued again.
    let before = item_of(&l, &refused).request_id;
    let again = l.outbox().retry(w.id).unwrap();
    assert_ne!(again.request_id, before);
    assert_eq!((again.state, again.attempts), (ItemState::Waiting, 0));
    assert_eq!(l.enrolment().get(&refused).unwrap().state, EnrolmentState::Queued);
    let r = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!(r.wedged, 1, "the record still says otherwise");
    // Discarded: the citizen's details leave the device, and the queue.
    let w = l.outbox().status().unwrap().wedged_items[0].clone();
    l.outbox().discard(w.id).unwrap();
    let e = l.enrolment().get(&refused).unwrap();
    assert_eq!((e.state, e.erased, e.name), (EnrolmentState::Cancelled, true, None));
    assert!(l.outbox().items().unwrap().is_empty());
    assert!(matches!(l.outbox().discard(w.id), Err(locker_core::Error::NotFound(_))));
    assert!(l.check().unwrap().is_ok());
}

#[test]
fn a_refused_login_pauses_every_backbone_of_that_client_id_not_only_the_one_that_met_it() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, session) = worker_device(&sb, dir.path(), ShiftedClock::new());
    for i in 0..3 {
        capture(&l, &session, i);
    }
    for _ in 0..5 {
        // A new Backbone each time, as an app restarted by hand would make.
        let stale = Backbone::new(stale_secret(&sb)).unwrap();
        let r = block_on(l.outbox().drain(&stale)).unwrap();
        assert_eq!(r.halted.as_deref(), Some("unauthorized"));
    }
    assert_eq!(sb.stats().logins_refused, 1, "one refused login, whatever the Backbone objects");
    assert_eq!(sb.stats().lockouts, 0);
    assert_eq!(l.outbox().status().unwrap().waiting, 3, "nothing lost");
}
