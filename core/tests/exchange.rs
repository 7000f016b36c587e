//! Records from hospitals, against locker-sandbox's hospitals and relay over real HTTP: a
//! facility's records linked with the OTP it sends (and a link it made on its own seen), pulled
//! end to end encrypted to a key made here and read; the relay's faults (a push before the
//! answer, duplicates, a lost page, a bad checksum, a bad tag); and a doctor's request answered
//! after a day offline, inside the grant and outside it.

mod common;

use common::field::{backbone, block_on, sandbox};
use common::{key, owner};
use locker_core::{Backbone, Locker, Quiet, ShiftedClock, SyncBudget, SyncReport};
use locker_sandbox::{DataFlowFaults, SELF_HIP, SELF_HIU, Sandbox};
use std::sync::Arc;

const PATIENT: &str = "lakshmi.n@sbx";
const MOBILE: &str = "9876543210";
const DISTRICT: &str = "sbx-hip-district";
const PHC: &str = "sbx-hip-phc";

fn phone(sb: &Sandbox, dir: &std::path::Path) -> (Locker, String, Arc<ShiftedClock>) {
    let clock = ShiftedClock::new();
    let l = Locker::create_with_clock(dir, key(), clock.clone()).unwrap();
    let p = l.profiles().add(&owner()).unwrap();
    l.consent().sign_in(PATIENT, &sb.phr_login(PATIENT), 86_400 * 30).unwrap();
    (l, p.id, clock)
}

fn sync(l: &Locker, bb: &Backbone) -> SyncReport {
    block_on(l.sync(bb, SyncBudget::default(), &Quiet)).unwrap()
}

/// Syncs until `done` holds, as a phone that sees the network now and then (pushes arrive a
/// moment after the request); at most a few rounds.
fn sync_until(l: &Locker, bb: &Backbone, done: impl Fn(&Locker) -> bool) {
    for _ in 0..40 {
        sync(l, bb);
        if done(l) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the sync never got there");
}

/// Links every care context of `hip` through discovery and the OTP.
fn link(sb: &Sandbox, l: &Locker, bb: &Backbone, hip: &str) -> usize {
    let found = block_on(l.links().discover(bb, PATIENT, hip, MOBILE)).unwrap();
    let n: usize = found.patients.iter().map(|p| p.care_contexts.len()).sum();
    assert!(n > 0, "the facility holds records for the citizen");
    let started = block_on(l.links().choose(bb, &found.attempt, &[])).unwrap();
    let otp = sb.link_otp(&started.link_reference).unwrap();
    let wrong = block_on(l.links().confirm(bb, &found.attempt, "000000"));
    assert!(matches!(wrong, Err(locker_core::Error::WrongOtp { .. })), "{wrong:?}");
    let linked = block_on(l.links().confirm(bb, &found.attempt, &otp)).unwrap();
    assert_eq!(linked.len(), n);
    n
}

fn pulled(l: &Locker) -> bool {
    l.exchange().pulls().unwrap().first().is_some_and(|p| p.state == locker_core::exchange::PullState::Done)
}

#[test]
fn a_hospital_is_linked_its_records_arrive_encrypted_to_this_phone_and_are_read() {
    let sb = sandbox();
    sb.set_hip_mobile(DISTRICT, PATIENT, MOBILE);
    sb.set_hip_mobile(PHC, PATIENT, MOBILE);
    sb.set_hip_records(DISTRICT, PATIENT, 3, 4);
    let tmp = tempfile::tempdir().unwrap();
    let (l, profile, _) = phone(&sb, tmp.path());
    let bb = backbone(&sb);

    let n = link(&sb, &l, &bb, DISTRICT);
    assert_eq!(l.links().list(Some(PATIENT)).unwrap().len(), n);
    // A facility links on its own: the list from the consent manager brings it in.
    sb.hip_link(PHC, PATIENT, Some(1));
    let r = sync(&l, &bb);
    assert_eq!(r.links_new, 1);
    let links = l.links().list(Some(PATIENT)).unwrap();
    assert!(links.iter().any(|c| c.hip_id == PHC && !c.linked_here));

    l.consent().set_auto_approval(PATIENT, SELF_HIU, true).unwrap();
    let pull = l.exchange().pull(&profile, &[], None).unwrap();
    sync_until(&l, &bb, pulled);
    let pull = l.exchange().pull_status(&pull.id).unwrap();
    let expected: usize = [DISTRICT, PHC]
        .iter()
        .map(|hip| {
            let linked: Vec<String> =
                links.iter().filter(|c| c.hip_id == *hip).map(|c| c.care_context.clone()).collect();
            sb.hip_records(hip, PATIENT).iter().filter(|r| linked.contains(&r.care_context)).count()
        })
        .sum();
    let imported: u32 = pull.transfers.iter().map(|t| t.records_imported).sum();
    assert_eq!(imported as usize, expected, "{pull:?}");
    assert!(pull.transfers.iter().all(|t| !t.key_kept), "each private key erased once its push arrived");
    assert_eq!(l.records().count().unwrap() as usize, expected);
    // The records are tied to their care contexts, and readable.
    let page = l.records().list(&Default::default()).unwrap();
    assert!(page.records.iter().all(|r| r.care_context.is_some()));
    let mut bundle = Vec::new();
    l.records().read(&page.records[0].id, &mut bundle).unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&bundle).is_ok());
    // The HIPs heard a notify with each care context OK.
    for t in &pull.transfers {
        assert_eq!(t.state, "notified");
    }

    // A second pull brings nothing twice.
    l.exchange().pull(&profile, &[], None).unwrap();
    sync_until(&l, &bb, pulled);
    assert_eq!(l.records().count().unwrap() as usize, expected, "nothing imported twice");
}

#[test]
fn a_push_before_the_answer_duplicates_a_lost_page_a_bad_checksum_and_a_bad_tag_are_each_met() {
    let sb = sandbox();
    sb.set_hip_mobile(DISTRICT, PATIENT, MOBILE);
    sb.set_hip_records(DISTRICT, PATIENT, 3, 10);
    let tmp = tempfile::tempdir().unwrap();
    let (l, profile, clock) = phone(&sb, tmp.path());
    let bb = backbone(&sb);
    link(&sb, &l, &bb, DISTRICT);
    l.consent().set_auto_approval(PATIENT, SELF_HIU, true).unwrap();
    let all = sb.hip_records(DISTRICT, PATIENT).len();

    // Pushed before the answer, and everything twice: each record once.
    sb.set_data_flow_faults(DataFlowFaults {
        push_before_answer: true,
        duplicate_callbacks: true,
        ..Default::default()
    });
    l.exchange().pull(&profile, &[], None).unwrap();
    sync_until(&l, &bb, pulled);
    assert_eq!(l.records().count().unwrap() as usize, all);

    // A bad checksum warns; a lost page leaves its care contexts ERRORED once the pages stop.
    sb.set_data_flow_faults(DataFlowFaults { bad_checksum: Some(1), drop_page: Some(2), ..Default::default() });
    let p = l.exchange().pull(&profile, &[], None).unwrap();
    sync_until(&l, &bb, |l| {
        l.exchange().pull_status(&p.id).unwrap().transfers.first().is_some_and(|t| t.state == "receiving")
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    sync(&l, &bb);
    let t = &l.exchange().pull_status(&p.id).unwrap().transfers[0];
    assert!(t.checksum_warnings > 0, "{t:?}");
    assert!(t.key_kept, "a page is missing: the key is kept");
    clock.advance_ms(locker_core::exchange::PAGE_GAP_MS + 1000);
    sync_until(&l, &bb, |l| l.exchange().pull_status(&p.id).unwrap().state == locker_core::exchange::PullState::Done);
    let t = &l.exchange().pull_status(&p.id).unwrap().transfers[0];
    assert!(!t.key_kept);

    // A bad tag: an error, the page kept with the key, nothing of it lost.
    sb.set_data_flow_faults(DataFlowFaults { bad_tag: Some(1), ..Default::default() });
    let p = l.exchange().pull(&profile, &[], None).unwrap();
    sync_until(&l, &bb, |l| {
        l.exchange().pull_status(&p.id).unwrap().transfers.first().is_some_and(|t| t.pages_failed > 0)
    });
    let t = &l.exchange().pull_status(&p.id).unwrap().transfers[0];
    assert!(t.key_kept, "the key stays for the kept page");
    assert_eq!(l.records().count().unwrap() as usize, all, "nothing lost, nothing twice");
    sb.clear_data_flow_faults();
}

#[test]
fn a_doctors_request_that_came_while_offline_is_answered_under_the_grant_and_refused_outside_it() {
    let sb = sandbox();
    let tmp = tempfile::tempdir().unwrap();
    let (l, profile, clock) = phone(&sb, tmp.path());
    let bb = backbone(&sb);
    for (i, code) in ["371530004", "440545006", "721981007"].iter().enumerate() {
        let b = common::tiny_bundle(&format!("b{i}"), code, "Visit", "2026-11-20T10:00:00Z");
        l.records().import(&profile, &b, &Default::default()).unwrap();
    }
    let mut asked = sb.sample_consent_request(PATIENT, "sbx-hiu-city-hospital");
    asked["hip"] = serde_json::json!({ "id": SELF_HIP });
    let request = sb.raise_consent_request(asked);
    sync(&l, &bb);
    let choice = l.consent().proposal(&request).unwrap();
    l.consent().approve(&request, &[choice]).unwrap();
    sync(&l, &bb);
    let artefact = l.consent().artefacts_of(&request).unwrap()[0].grant.id.clone();

    // The doctor asks while the phone is off; a day later it comes online.
    let txn = sb.data_request(&artefact, None).unwrap();
    clock.advance_ms(86_400_000);
    sb.advance_clock(86_400);
    sync_until(&l, &bb, |l| l.exchange().hip_requests().unwrap().iter().any(|h| h.state == "notified"));
    let got = sb.hiu_received(&txn).unwrap();
    let entries = got["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{got}");
    assert!(entries.iter().all(|e| e["ok"] == true && e["checksumOk"] == true), "{got}");
    assert_eq!(got["notify"]["notification"]["statusNotification"]["sessionStatus"], "TRANSFERRED");

    // Outside the grant (a range it does not cover): nothing sent, answered FAILED.
    let txn = sb.data_request(&artefact, Some(("2000-01-01T00:00:00.000Z", "2000-12-31T00:00:00.000Z"))).unwrap();
    sync_until(&l, &bb, |l| l.exchange().hip_requests().unwrap().iter().any(|h| h.state == "refused"));
    sync(&l, &bb);
    let got = sb.hiu_received(&txn).unwrap();
    assert_eq!(got["entries"].as_array().map_or(0, Vec::len), 0);
    assert_eq!(got["notify"]["notification"]["statusNotification"]["sessionStatus"], "FAILED");
}

#[test]
fn a_hospital_that_never_pushes_leaves_no_key_behind_once_its_offer_ends() {
    let sb = sandbox();
    sb.set_hip_mobile(DISTRICT, PATIENT, MOBILE);
    sb.set_hip_records(DISTRICT, PATIENT, 1, 2);
    let tmp = tempfile::tempdir().unwrap();
    let (l, profile, clock) = phone(&sb, tmp.path());
    let bb = backbone(&sb);
    link(&sb, &l, &bb, DISTRICT);
    l.consent().set_auto_approval(PATIENT, SELF_HIU, true).unwrap();
    // The one page there is never arrives.
    sb.set_data_flow_faults(DataFlowFaults { drop_page: Some(1), ..Default::default() });
    let p = l.exchange().pull(&profile, &[], None).unwrap();
    sync_until(&l, &bb, |l| l.exchange().pull_status(&p.id).unwrap().transfers.first().is_some_and(|t| t.key_kept));
    sync(&l, &bb);
    assert_eq!(l.exchange().pull_status(&p.id).unwrap().transfers[0].state, "requested");
    clock.advance_ms(25 * 3_600_000);
    sync(&l, &bb);
    let p = l.exchange().pull_status(&p.id).unwrap();
    assert_eq!((p.transfers[0].state.as_str(), p.transfers[0].key_kept), ("failed", false));
    assert_eq!(p.state, locker_core::exchange::PullState::Done);
    assert_eq!(l.records().count().unwrap(), 0);
    sb.clear_data_flow_faults();
}

#[test]
fn a_second_install_of_the_citizen_neither_stops_this_ones_sync_nor_takes_its_pages() {
    let sb = sandbox();
    sb.set_hip_mobile(DISTRICT, PATIENT, MOBILE);
    sb.set_hip_records(DISTRICT, PATIENT, 1, 3);
    let tmp = tempfile::tempdir().unwrap();
    let (l, profile, _) = phone(&sb, tmp.path());
    let bb = backbone(&sb);
    link(&sb, &l, &bb, DISTRICT);
    sync(&l, &bb);
    // The citizen signs in on a second device: the relay gives that install a new secret.
    let other_dir = tempfile::tempdir().unwrap();
    let (other, _, _) = phone(&sb, other_dir.path());
    let r = sync(&other, &bb);
    assert_eq!(r.stopped, None, "{r:?}");
    l.consent().set_auto_approval(PATIENT, SELF_HIU, true).unwrap();
    l.exchange().pull(&profile, &[], None).unwrap();
    sync(&l, &bb);
    // The other install reads the mailbox first: the pages of this one's transfer stay for it.
    let mailbox = sb.relay_mailbox(PATIENT).unwrap();
    for _ in 0..100 {
        if sb.relay_pending(&mailbox).unwrap_or(0) >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The citizen's answer and the one page are on the relay.
    assert!(sb.relay_pending(&mailbox).unwrap_or(0) >= 2);
    let r = sync(&other, &bb);
    assert!(r.mailbox.messages >= 2, "{r:?}");
    assert_eq!((r.mailbox.pages, other.records().count().unwrap()), (0, 0), "{r:?}");
    sync_until(&l, &bb, pulled);
    assert_eq!(l.records().count().unwrap() as usize, sb.hip_records(DISTRICT, PATIENT).len());
}

#[test]
fn a_sync_stops_at_its_byte_budget_and_the_next_one_brings_the_rest() {
    let sb = sandbox();
    sb.set_hip_mobile(DISTRICT, PATIENT, MOBILE);
    sb.set_hip_records(DISTRICT, PATIENT, 2, 15);
    let tmp = tempfile::tempdir().unwrap();
    let (l, profile, _) = phone(&sb, tmp.path());
    let bb = backbone(&sb);
    link(&sb, &l, &bb, DISTRICT);
    l.consent().set_auto_approval(PATIENT, SELF_HIU, true).unwrap();
    l.exchange().pull(&profile, &[], None).unwrap();
    sync(&l, &bb);
    let mailbox = sb.relay_mailbox(PATIENT).unwrap();
    for _ in 0..100 {
        if sb.relay_pending(&mailbox).unwrap_or(0) >= 4 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // One byte allowed: the relay still gives one message (the least that moves on), no more.
    let tight = SyncBudget { max_millis: 60_000, max_bytes: 1 };
    let r = block_on(l.sync(&bb, tight, &Quiet)).unwrap();
    assert_eq!(r.stopped.as_deref(), Some("byte-budget"), "{r:?}");
    assert_eq!(r.mailbox.messages, 1, "{r:?}");
    assert!(sb.relay_pending(&mailbox).unwrap() >= 3, "the rest waits on the relay");
    // No time at all: nothing is started, nothing lost.
    let none = block_on(l.sync(&bb, SyncBudget { max_millis: 0, max_bytes: 1 << 30 }, &Quiet)).unwrap();
    assert_eq!(none.stopped.as_deref(), Some("time-budget"));
    sync_until(&l, &bb, pulled);
    assert_eq!(l.records().count().unwrap() as usize, sb.hip_records(DISTRICT, PATIENT).len());
}
