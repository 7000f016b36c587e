//! A phone updated from the release with schema v2: its store (checked in, made by that
//! release's code) opens with today's, and nothing is lost and nothing is sent twice. The
//! submissions that were in flight move onto the outbox under the very REQUEST-IDs they had.

mod common;

use common::field::*;
use locker_core::{DatabaseKey, EnrolmentOutcome, EnrolmentState, ItemKind, ItemState, Locker};
use locker_sandbox::{Sandbox, SandboxConfig};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v2")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn a_store_written_by_the_v2_release_opens_with_everything_and_sends_nothing_twice() {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture().join("manifest.json")).unwrap()).unwrap();
    let key = DatabaseKey::from_hex(&std::fs::read_to_string(fixture().join("key.hex")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    copy_dir(&fixture().join("store"), &dir);
    let e = |role: &str| manifest["enrolments"][role].as_str().unwrap().to_string();
    let in_flight = |role: &str| manifest["request_ids_in_flight"][e(role)].as_str().unwrap().to_string();

    let l = Locker::open(&dir, key).unwrap();
    // Nothing lost: the family, their records and files, the audit chain.
    let owner = l.profiles().owner().unwrap().expect("the owner");
    assert_eq!(owner.id, manifest["owner"].as_str().unwrap());
    assert_eq!(l.records().count().unwrap(), 3);
    assert_eq!(l.attachments().list(&owner.id).unwrap().len(), 1);
    let report = l.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert!(report.stray_files.is_empty(), "{:?}", report.stray_files);
    assert!(l.verify_audit().unwrap().is_intact());

    // Every enrolment as the old release left it.
    let state = |role: &str| l.enrolment().get(&e(role)).unwrap();
    assert_eq!(state("handed_over").state, EnrolmentState::HandedOver);
    assert!(state("handed_over").erased);
    assert_eq!(state("submitted").state, EnrolmentState::Submitted);
    assert_eq!(state("submitted").outcome, Some(EnrolmentOutcome::Created));
    assert_eq!(state("rejected").state, EnrolmentState::Rejected);
    assert!(state("rejected").reason.unwrap().contains("do not match"));
    assert_eq!(state("cancelled").state, EnrolmentState::Cancelled);
    assert_eq!(state("online_otp_sent").state, EnrolmentState::OtpSent);
    let tried = state("tried_once");
    assert_eq!((tried.state, tried.attempts), (EnrolmentState::Queued, 1));
    assert_eq!(state("never_sent").state, EnrolmentState::Queued);

    // The two queued submissions are on the outbox under the REQUEST-IDs they had in flight;
    // the submitted one, whose id the old release left on its row, is not sent again; the
    // refused one is wedged with its reason, to send again or give up like any other.
    let items = l.outbox().items().unwrap();
    assert_eq!(items.len(), 3, "{items:?}");
    let refused = items.iter().find(|i| i.subject == e("rejected")).expect("the refused one");
    assert_eq!(refused.state, ItemState::Wedged);
    assert!(refused.reason.as_deref().is_some_and(|r| r.contains("do not match")), "{refused:?}");
    assert_eq!(l.outbox().status().unwrap().wedged, 1);
    for (role, attempts) in [("tried_once", 1), ("never_sent", 0)] {
        let item = items.iter().find(|i| i.subject == e(role)).expect(role);
        assert_eq!((item.kind, item.state, item.attempts), (ItemKind::EnrolmentSubmit, ItemState::Waiting, attempts));
        assert_eq!(item.request_id, in_flight(role), "{role} keeps its REQUEST-ID");
    }

    // Delivered to a backbone that opens what the old release sealed: each once, under its id.
    let sb = Sandbox::start(SandboxConfig {
        sealing_key_pem: Some(locker_sandbox::FIXTURE_SEALING_KEY_PEM.into()),
        ..SandboxConfig::default()
    })
    .unwrap();
    let r = block_on(l.outbox().drain(&backbone(&sb))).unwrap();
    assert_eq!((r.delivered, r.wedged, r.waiting, r.halted), (2, 0, 0, None));
    let accounts = sb.accounts();
    assert_eq!(accounts.len(), 2);
    for role in ["tried_once", "never_sent"] {
        assert!(accounts.iter().any(|a| a.request_ids == vec![in_flight(role)]), "{role} applied once, under its id");
        assert_eq!(state(role).state, EnrolmentState::Submitted);
    }
    assert_eq!(sb.stats().demographic_applied, 2, "nothing else was sent");
    // The worker gives the refused one up: erased, as a discarded refusal made today would be.
    l.outbox().discard(refused.id).unwrap();
    assert!(state("rejected").erased);
    assert!(l.outbox().items().unwrap().is_empty());
    // The submitted one is still there to hand over, with no network.
    assert!(l.enrolment().qr(&e("submitted")).unwrap().contains("hidn"));
    l.enrolment().confirm_handover(&e("submitted")).unwrap();
    assert!(l.check().unwrap().is_ok());
}
