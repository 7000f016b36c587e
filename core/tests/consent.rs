//! The citizen's consent, end to end against locker-sandbox's consent manager over real HTTP: a
//! doctor asks, the citizen narrows and grants offline, the grant syncs, records go only under
//! it, the citizen revokes; and what happens when the consent manager knows better.

mod common;

use common::field::{backbone, block_on, sandbox, unreachable};
use common::{key, owner, tiny_bundle};
use locker_core::consent::{
    AccessMode, ConsentStatus, DenyReason, GrantChoice, PendingDecision, ReleaseAsk, ReleaseChannel, Source,
    Verification,
};
use locker_core::{Clock, HiType, ImportOptions, Locker, ShiftedClock};
use locker_sandbox::{ConsentDecision, Sandbox};
use serde_json::{Value, json};
use std::sync::Arc;

const PATIENT: &str = "lakshmi.n@sbx";
const HOSPITAL: &str = "sbx-hiu-city-hospital";
const PRESCRIPTION: &str = "440545006";
const LAB_REPORT: &str = "721981007";
const CONSULTATION: &str = "371530004";

/// A citizen's phone: a store with its owner (whose ABHA address is PATIENT), three records
/// (a prescription and a lab report in March 2024, a consultation in 2019), signed in to the
/// sandbox's consent manager. Returns the record ids in that order.
fn phone(sb: &Sandbox, dir: &std::path::Path, clock: Arc<ShiftedClock>) -> (Locker, Vec<String>) {
    let l = Locker::create_with_clock(dir, key(), clock).unwrap();
    let p = l.profiles().add(&owner()).unwrap();
    let mut ids = Vec::new();
    for (n, (code, date)) in
        [(PRESCRIPTION, "2024-03-05"), (LAB_REPORT, "2024-03-06"), (CONSULTATION, "2019-01-10")].iter().enumerate()
    {
        let b = tiny_bundle(&format!("b{n}"), code, "a record", date);
        ids.push(l.records().import(&p.id, &b, &ImportOptions::default()).unwrap().id);
    }
    l.consent().sign_in(PATIENT, &sb.phr_login(PATIENT), 86_400).unwrap();
    (l, ids)
}

/// A request from the city hospital for prescriptions, lab reports and consultations of
/// 2020–2025, to be erased at the end of 2030.
fn ask(sb: &Sandbox, mode: &str) -> String {
    let mut r = sb.sample_consent_request(PATIENT, HOSPITAL);
    r["hiTypes"] = json!(["Prescription", "DiagnosticReport", "OPConsultation"]);
    r["permission"] = json!({
        "accessMode": mode,
        "dateRange": {"from": "2020-01-01T00:00:00.000Z", "to": "2025-12-31T23:59:59.999Z"},
        "dataEraseAt": "2030-12-31T00:00:00.000Z",
        "frequency": {"unit": "DAY", "value": 5, "repeats": 10},
    });
    sb.raise_consent_request(r)
}

/// Pulls request `id`, grants it as proposed (narrowed by `narrow`) and syncs the grant.
fn grant(sb: &Sandbox, l: &Locker, id: &str, narrow: impl FnOnce(&mut GrantChoice)) {
    block_on(l.consent().refresh(&backbone(sb))).unwrap();
    let mut choice = l.consent().proposal(id).unwrap();
    narrow(&mut choice);
    l.consent().approve(id, &[choice]).unwrap();
    block_on(l.outbox().drain(&backbone(sb))).unwrap();
}

fn release(l: &Locker, records: &[String]) -> locker_core::consent::Released {
    l.consent()
        .release(&ReleaseAsk {
            hiu: HOSPITAL.into(),
            consent_id: None,
            mode: AccessMode::View,
            date_range: None,
            records: records.to_vec(),
            channel: ReleaseChannel::Share,
        })
        .unwrap()
}

fn reasons(r: &locker_core::consent::Released) -> Vec<DenyReason> {
    r.decision.denied.iter().map(|d| d.reason).collect()
}

#[test]
fn a_doctors_request_is_narrowed_and_granted_offline_synced_used_and_revoked() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, ids) = phone(&sb, dir.path(), ShiftedClock::new());
    let id = ask(&sb, "VIEW");

    let pulled = block_on(l.consent().refresh(&backbone(&sb))).unwrap();
    assert_eq!((pulled.patients, pulled.requests_changed), (1, 1));
    assert_eq!(l.consent().request(&id).unwrap().request.status, ConsentStatus::Requested);

    // Offline: the citizen grants prescriptions only, from 2024.
    let mut choice = l.consent().proposal(&id).unwrap();
    assert_eq!(choice.care_contexts.len(), 2, "the two records of 2020–2025 on this device");
    choice.hi_types = vec![HiType::Prescription];
    choice.date_from_ms = 1_704_067_200_000; // 2024-01-01
    let pending = l.consent().approve(&id, &[choice]).unwrap();
    assert_eq!(pending[0].grant.verification, Verification::Pending);
    assert_eq!(l.consent().request(&id).unwrap().pending, Some(PendingDecision::Approve));
    assert_eq!(reasons(&release(&l, &ids[..1])), vec![DenyReason::NotConfirmed], "nothing goes before it is confirmed");
    let offline = block_on(l.outbox().drain(&unreachable())).unwrap();
    assert_eq!(offline.halted.as_deref(), Some("offline"));
    assert_eq!(l.outbox().status().unwrap().waiting, 1);

    // Online: the grant syncs; the consent manager's artefact replaces the one made here.
    let sent = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!((sent.delivered, sent.waiting), (1, 0));
    let stored = l.consent().request(&id).unwrap();
    assert_eq!((stored.request.status, stored.pending), (ConsentStatus::Granted, None));
    let artefacts = l.consent().artefacts_of(&id).unwrap();
    assert_eq!(artefacts.len(), 1);
    let artefact = artefacts[0].grant.clone();
    assert_eq!(artefact.verification, Verification::Verified, "signed by the sandbox, checked here");
    assert_eq!(artefact.hi_types, vec![HiType::Prescription]);
    let theirs = sb.consent_artefact(&artefact.id).unwrap();
    assert_eq!(theirs["status"], "GRANTED");

    // Used: the prescription goes; the lab report (type not granted) and the 2019 consultation
    // (outside the dates, and not granted) do not.
    let out = release(&l, &ids);
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.records[0].id, ids[0]);
    assert!(out.records[0].bundle.starts_with(b"{"));
    assert_eq!(reasons(&out), vec![DenyReason::HiType, DenyReason::HiType]);
    let uses = l.consent().uses(Some(&artefact.id)).unwrap();
    assert_eq!(uses.len(), 1);
    assert_eq!((uses[0].records.clone(), uses[0].hiu.as_str()), (vec![ids[0].clone()], HOSPITAL));

    // Revoked offline: it takes effect here before the consent manager hears of it.
    l.consent().revoke(&id).unwrap();
    assert_eq!(reasons(&release(&l, &ids[..1])), vec![DenyReason::NotGranted(ConsentStatus::Revoked)]);
    assert_eq!(sb.consent_artefact(&artefact.id).unwrap()["status"], "GRANTED");
    let sent = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!(sent.delivered, 1);
    assert_eq!(sb.consent_artefact(&artefact.id).unwrap()["status"], "REVOKED");
    let a = l.consent().artefact(&artefact.id).unwrap();
    assert_eq!((a.grant.status, a.revoke_pending), (ConsentStatus::Revoked, false));

    // A later pull keeps it revoked; the audit log tells the story by reference only.
    block_on(l.consent().refresh(&backbone(&sb))).unwrap();
    assert_eq!(l.consent().artefact(&artefact.id).unwrap().grant.status, ConsentStatus::Revoked);
    let audit: Vec<String> = l.audit_entries(100).unwrap().into_iter().map(|e| e.action).collect();
    for action in
        ["consent.approve", "consent.confirmed", "consent.release", "consent.release-refused", "consent.revoke"]
    {
        assert!(audit.iter().any(|a| a == action), "{action} in the audit log");
    }
    let text = format!("{:?}", l.audit_entries(100).unwrap());
    assert!(!text.contains("Lakshmi") && !text.contains(PATIENT) && !text.contains("Dr. Arvind"));
    assert!(l.verify_audit().unwrap().is_intact());
}

#[test]
fn the_consent_managers_answer_wins_when_the_request_expired_meanwhile() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, _) = phone(&sb, dir.path(), ShiftedClock::new());
    let id = ask(&sb, "VIEW");
    block_on(l.consent().refresh(&backbone(&sb))).unwrap();
    let choice = l.consent().proposal(&id).unwrap();
    l.consent().approve(&id, &[choice]).unwrap();
    // The phone stays offline for over an hour; the request expires at the consent manager.
    sb.advance_clock(61 * 60);
    let report = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!((report.delivered, report.wedged, report.waiting), (1, 0, 0));
    let stored = l.consent().request(&id).unwrap();
    assert_eq!((stored.request.status, stored.pending), (ConsentStatus::Expired, None));
    assert!(stored.notice.unwrap().contains("expired"));
    assert!(l.consent().artefacts_of(&id).unwrap().is_empty(), "the grant made here is gone");
    let history = l.consent().history(&id).unwrap();
    let seen: Vec<(ConsentStatus, Source)> = history.iter().map(|h| (h.status, h.source)).collect();
    assert!(seen.contains(&(ConsentStatus::Granted, Source::Device)), "the citizen's decision is kept: {seen:?}");
    assert_eq!(seen.last(), Some(&(ConsentStatus::Expired, Source::Backbone)));
}

#[test]
fn a_request_answered_from_another_device_takes_that_answer() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, _) = phone(&sb, dir.path(), ShiftedClock::new());
    let id = ask(&sb, "VIEW");
    block_on(l.consent().refresh(&backbone(&sb))).unwrap();
    l.consent().deny(&id, Some("not now")).unwrap();
    assert_eq!(l.consent().request(&id).unwrap().request.status, ConsentStatus::Denied);
    let made = sb.answer_consent_request(&id, ConsentDecision::Approve).unwrap();
    block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    let stored = l.consent().request(&id).unwrap();
    assert_eq!(stored.request.status, ConsentStatus::Granted);
    assert!(stored.notice.unwrap().contains("another device"));
    let mut held: Vec<String> = l.consent().artefacts_of(&id).unwrap().into_iter().map(|a| a.grant.id).collect();
    let mut made = made;
    held.sort();
    made.sort();
    assert_eq!(held, made, "the other device's grants are the ones in force");
}

#[test]
fn a_clock_set_back_does_not_revive_an_expired_grant() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let clock = ShiftedClock::new();
    let (l, ids) = phone(&sb, dir.path(), clock.clone());
    let id = ask(&sb, "VIEW");
    grant(&sb, &l, &id, |choice| {
        choice.erase_at_ms = locker_core::consent::wire::datetime(&json!("2030-01-01T00:00:00Z"), "t").unwrap();
    });
    assert_eq!(release(&l, &ids[..1]).records.len(), 1);
    // Years pass on this phone's clock; then someone sets the clock back.
    let now = clock.now_ms();
    clock.advance_ms(1_893_456_000_000 - now + 86_400_000); // 2030-01-02
    assert_eq!(reasons(&release(&l, &ids[..1])), vec![DenyReason::NotGranted(ConsentStatus::Expired)]);
    clock.advance_ms(-(1_893_456_000_000 - now + 86_400_000));
    assert_eq!(reasons(&release(&l, &ids[..1])), vec![DenyReason::NotGranted(ConsentStatus::Expired)]);
}

#[test]
fn records_received_under_a_store_grant_are_erased_when_it_is_revoked() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, _) = phone(&sb, dir.path(), ShiftedClock::new());
    let id = ask(&sb, "STORE");
    grant(&sb, &l, &id, |_| {});
    let artefact = l.consent().artefacts_of(&id).unwrap()[0].grant.id.clone();
    // A record that arrived under that grant (the locker as the HIU), and one of the citizen's own.
    let owner_id = l.profiles().list().unwrap()[0].id.clone();
    let opts = ImportOptions { under_consent: Some(artefact.clone()), ..Default::default() };
    let received =
        l.records().import(&owner_id, &tiny_bundle("rx", PRESCRIPTION, "received", "2024-04-01"), &opts).unwrap();
    let before = l.records().count().unwrap();
    l.consent().revoke(&artefact).unwrap();
    let swept = l.consent().sweep().unwrap();
    assert_eq!(swept.records_erased, 1);
    assert_eq!(l.records().count().unwrap(), before - 1);
    assert!(matches!(l.records().get(&received.id), Err(locker_core::Error::NotFound(_))));
    let erased = l.audit_entries(20).unwrap().into_iter().find(|e| e.action == "consent.erased").unwrap();
    assert_eq!(erased.subject.as_deref(), Some(artefact.as_str()));
    assert_eq!(l.consent().sweep().unwrap().records_erased, 0, "once");
}

#[test]
fn a_grant_is_used_no_more_often_than_it_allows() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let clock = ShiftedClock::new();
    let (l, ids) = phone(&sb, dir.path(), clock.clone());
    let mut r = sb.sample_consent_request(PATIENT, HOSPITAL);
    r["hiTypes"] = json!(["Prescription"]);
    r["permission"] = json!({
        "accessMode": "VIEW",
        "dateRange": {"from": "2020-01-01T00:00:00.000Z", "to": "2025-12-31T23:59:59.999Z"},
        "dataEraseAt": "2030-12-31T00:00:00.000Z",
        "frequency": {"unit": "HOUR", "value": 1, "repeats": 1},
    });
    let id = sb.raise_consent_request(r);
    grant(&sb, &l, &id, |_| {});
    assert_eq!(release(&l, &ids[..1]).records.len(), 1);
    assert_eq!(reasons(&release(&l, &ids[..1])), vec![DenyReason::TooFrequent], "once an hour");
    clock.advance_ms(3_600_001);
    assert_eq!(release(&l, &ids[..1]).records.len(), 1, "the repeat");
    clock.advance_ms(3_600_001);
    assert_eq!(reasons(&release(&l, &ids[..1])), vec![DenyReason::RepeatsUsed]);
}

#[test]
fn without_a_login_the_decision_waits_and_nothing_else_is_lost() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, _) = phone(&sb, dir.path(), ShiftedClock::new());
    let id = ask(&sb, "VIEW");
    block_on(l.consent().refresh(&backbone(&sb))).unwrap();
    l.consent().deny(&id, None).unwrap();
    // The login the phone kept is refused (the consent manager no longer knows it).
    l.consent().sign_in(PATIENT, "a-token-from-last-month", 86_400).unwrap();
    let report = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!(report.halted.as_deref(), Some("sign-in-needed"));
    assert_eq!(l.consent().request(&id).unwrap().pending, Some(PendingDecision::Deny));
    l.consent().sign_in(PATIENT, &sb.phr_login(PATIENT), 86_400).unwrap();
    let report = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!(report.delivered, 1);
    let theirs: Value = sb.consent_request(&id).unwrap();
    assert_eq!(theirs["status"], "DENIED");
}

#[test]
fn the_citizen_decides_whether_their_own_requests_are_approved_automatically() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, _) = phone(&sb, dir.path(), ShiftedClock::new());
    let own = |sb: &Sandbox| {
        let mut r = sb.sample_consent_request(PATIENT, locker_sandbox::SELF_HIU);
        r["purpose"] = json!({"text": "Self Requested", "code": "PATRQT"});
        r["hiTypes"] = json!(["Prescription"]);
        sb.raise_consent_request(r)
    };
    // Offline, the citizen turns it on, off and on again: only where it ended is sent.
    for on in [true, false, true] {
        l.consent().set_auto_approval(PATIENT, locker_sandbox::SELF_HIU, on).unwrap();
    }
    assert_eq!(l.outbox().status().unwrap().waiting, 1);
    assert!(!l.consent().auto_approval(PATIENT).unwrap().unwrap().synced);
    block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    let setting = l.consent().auto_approval(PATIENT).unwrap().unwrap();
    assert!(setting.enabled && setting.synced && setting.policy_id.is_some());
    let first = own(&sb);
    block_on(l.consent().refresh(&backbone(&sb))).unwrap();
    assert_eq!(l.consent().request(&first).unwrap().request.status, ConsentStatus::Granted);
    assert_eq!(l.consent().artefacts_of(&first).unwrap()[0].grant.verification, Verification::Verified);

    l.consent().set_auto_approval(PATIENT, locker_sandbox::SELF_HIU, false).unwrap();
    block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    let second = own(&sb);
    block_on(l.consent().refresh(&backbone(&sb))).unwrap();
    assert_eq!(l.consent().request(&second).unwrap().request.status, ConsentStatus::Requested);
    // A doctor's request is never approved automatically.
    let doctors = ask(&sb, "VIEW");
    l.consent().set_auto_approval(PATIENT, locker_sandbox::SELF_HIU, true).unwrap();
    block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    block_on(l.consent().refresh(&backbone(&sb))).unwrap();
    assert_eq!(l.consent().request(&doctors).unwrap().request.status, ConsentStatus::Requested);
}

#[test]
fn an_artefact_changed_after_signing_is_refused_and_one_of_an_unknown_scheme_is_kept_unverified() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, ids) = phone(&sb, dir.path(), ShiftedClock::new());
    // Granted from another device, then changed at the consent manager: an hiType added.
    let id = ask(&sb, "VIEW");
    let made = sb.answer_consent_request(&id, ConsentDecision::Approve).unwrap();
    assert!(sb.tamper_consent_artefact(&made[0], |d| {
        d["hiTypes"] = json!(["Prescription", "DiagnosticReport", "OPConsultation", "DischargeSummary"]);
    }));
    let report = block_on(l.consent().refresh(&backbone(&sb))).unwrap();
    assert!(report.artefacts_refused >= 1, "{report:?}");
    assert!(matches!(l.consent().artefact(&made[0]), Err(locker_core::Error::NotFound(_))), "never stored");
    let kept: Vec<String> = l.consent().artefacts_of(&id).unwrap().into_iter().map(|a| a.grant.id).collect();
    assert_eq!(kept, made[1..].to_vec(), "the others, untouched, are kept");
    assert!(release(&l, &ids[..1]).records.is_empty());
    let refused = l.audit_entries(50).unwrap().into_iter().any(|e| e.action == "consent.artefact-refused");
    assert!(refused, "the refusal is in the audit log");

    // A consent manager whose signing scheme is not known (ABDM's own): kept, said unverified.
    let mut config = common::field::fast(common::field::sandbox_config(&sb.url()));
    config.consent_keys_path = None;
    let unknown = locker_core::Backbone::new(config).unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let (l2, ids2) = phone(&sb, dir2.path(), ShiftedClock::new());
    let id2 = ask(&sb, "VIEW");
    sb.answer_consent_request(&id2, ConsentDecision::Approve).unwrap();
    block_on(l2.consent().refresh(&unknown)).unwrap();
    let held = l2.consent().artefacts_of(&id2).unwrap();
    assert!(!held.is_empty());
    assert!(held.iter().all(|a| a.grant.verification == Verification::Unverified && a.key_id.is_none()));
    // Unverified is shown as such, and still honoured: it came from the consent manager over TLS.
    let covered = release(&l2, &ids2[..1]);
    assert!(covered.records.len() + covered.decision.denied.len() == 1);
}

#[test]
fn a_grant_revoked_before_it_was_ever_sent_goes_out_behind_its_approval() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, ids) = phone(&sb, dir.path(), ShiftedClock::new());
    let id = ask(&sb, "VIEW");
    block_on(l.consent().refresh(&backbone(&sb))).unwrap();
    // All offline: granted, then thought better of.
    let choice = l.consent().proposal(&id).unwrap();
    l.consent().approve(&id, &[choice]).unwrap();
    let revoked = l.consent().revoke(&id).unwrap();
    assert_eq!(revoked.artefacts.len(), 1);
    assert_eq!(reasons(&release(&l, &ids[..1])), vec![DenyReason::NotConfirmed]);
    let lanes: Vec<_> = l.outbox().items().unwrap().into_iter().map(|i| (i.kind.code(), i.lane)).collect();
    let lane = Some(format!("consent:{id}"));
    assert_eq!(lanes, vec![("consent.approve", lane.clone()), ("consent.revoke", lane)], "one lane, in order");
    // One drain: the approval goes first, then the revoke of the artefact it made.
    let report = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!((report.delivered, report.waiting), (2, 0));
    let held = l.consent().artefacts_of(&id).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!((held[0].grant.status, held[0].revoke_pending), (ConsentStatus::Revoked, false));
    assert_eq!(sb.consent_artefact(&held[0].grant.id).unwrap()["status"], "REVOKED");
    assert_eq!(reasons(&release(&l, &ids[..1])), vec![DenyReason::NotGranted(ConsentStatus::Revoked)]);
    let stats = sb.stats();
    assert_eq!((stats.consent_approvals, stats.consent_revokes), (1, 1));
}

#[test]
fn consent_records_print_no_address_name_or_reason() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let (l, ids) = phone(&sb, dir.path(), ShiftedClock::new());
    let id = ask(&sb, "VIEW");
    let other = ask(&sb, "VIEW");
    block_on(l.consent().refresh(&backbone(&sb))).unwrap();
    l.consent().approve(&id, &[l.consent().proposal(&id).unwrap()]).unwrap();
    l.consent().deny(&other, Some("my neighbour Ramesh works there")).unwrap();
    l.consent().set_auto_approval(PATIENT, locker_sandbox::SELF_HIU, true).unwrap();
    block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    let c = l.consent();
    let printed = format!(
        "{:?} {:?} {:?} {:?} {:?} {:?} {:?}",
        c.requests(None).unwrap(),
        c.artefacts(None).unwrap(),
        c.history(&other).unwrap(),
        c.auto_approval(PATIENT).unwrap(),
        c.proposal(&id),
        release(&l, &ids),
        c.uses(None).unwrap(),
    );
    for secret in [PATIENT, "lakshmi", "Ramesh", "neighbour", "Dr."] {
        assert!(!printed.to_lowercase().contains(&secret.to_lowercase()), "{secret} printed: {printed}");
    }
}

#[test]
fn records_received_under_a_store_grant_are_erased_when_it_expires_even_offline() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let clock = ShiftedClock::new();
    let (l, _) = phone(&sb, dir.path(), clock.clone());
    let id = ask(&sb, "STORE");
    grant(&sb, &l, &id, |choice| {
        choice.erase_at_ms = clock.now_ms() + 30 * 86_400_000;
    });
    let artefact = l.consent().artefacts_of(&id).unwrap()[0].grant.id.clone();
    let owner_id = l.profiles().list().unwrap()[0].id.clone();
    let opts = ImportOptions { under_consent: Some(artefact.clone()), ..Default::default() };
    let received =
        l.records().import(&owner_id, &tiny_bundle("rx", LAB_REPORT, "received", "2024-04-01"), &opts).unwrap();
    assert_eq!(l.consent().sweep().unwrap().records_erased, 0, "not before its erase date");
    // A month later, with no network at all.
    clock.advance_days(31);
    let swept = l.consent().sweep().unwrap();
    assert_eq!((swept.artefacts_expired, swept.records_erased), (1, 1));
    assert!(matches!(l.records().get(&received.id), Err(locker_core::Error::NotFound(_))));
    assert_eq!(l.consent().artefact(&artefact).unwrap().grant.status, ConsentStatus::Expired);
    let actions: Vec<String> = l.audit_entries(20).unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"consent.expired".to_string()) && actions.contains(&"consent.erased".to_string()));
}
