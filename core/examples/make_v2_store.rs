//! Writes the store a released build (schema v2) leaves on a phone, for the migration test:
//! `cargo run -p locker-core --example make_v2_store -- DIR`. Kept only until the fixture is made.
use locker_core::abha::verhoeff_check_digit;
use locker_core::{
    Backbone, BackboneConfig, CitizenDetails, ConsentCapture, DatabaseKey, Gender, Locker, NewProfile,
};
use locker_sandbox::{Fault, FaultRule, Resident, Sandbox, SandboxConfig};

const DEMOGRAPHIC: &str = "/abha/api/v1/hid/benefit/createHealthId/demo/auth";
use std::path::PathBuf;

fn aadhaar(n: u64) -> String {
    let body = format!("{}{:010}", 2 + n % 8, 3_141_592_653u64.wrapping_add(n * 7_919) % 10_000_000_000);
    format!("{body}{}", verhoeff_check_digit(&body))
}

fn citizen(name: &str, mobile: &str) -> CitizenDetails {
    CitizenDetails {
        name: name.into(),
        gender: Gender::Female,
        birth_date: "1988-04-12".into(),
        mobile: mobile.into(),
        address: "House 12, Ward 3, Chandrapur village".into(),
        state_code: "27".into(),
        district_code: "502".into(),
        pin_code: "442401".into(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("DIR"));
    let sb = Sandbox::start(SandboxConfig {
        sealing_key_pem: Some(locker_sandbox::FIXTURE_SEALING_KEY_PEM.into()),
        ..SandboxConfig::default()
    })
    .unwrap();
    let mut config = BackboneConfig::sandbox(&sb.url());
    config.max_attempts = 1;
    let bb = Backbone::new(config).unwrap();
    let key = DatabaseKey::generate().unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("key.hex"), format!("{}\n", *key.to_hex())).unwrap();
    let store = dir.join("store");
    let l = Locker::create(&store, key).unwrap();
    let owner = l
        .store()
        .unwrap()
        .add_profile(&NewProfile {
            name: "Sunita Rao".into(),
            gender: Gender::Female,
            birth_date: "1979-08-30".into(),
            abha_number: Some("91-6285-4575-5116".into()),
            abha_address: Some("sunita.rao@sbx".into()),
            relation: "self".into(),
            is_owner: true,
        })
        .unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/bundles");
    for f in ["prescription.json", "diagnostic-report.json", "health-document.json"] {
        l.import_bundle_file(&owner.id, &PathBuf::from(root).join(f), &Default::default()).unwrap();
    }
    l.add_attachment(&owner.id, "application/pdf", &mut &[7u8; 200_000][..]).unwrap();

    let session = l.start_worker_session("ASHA-7", "tab-3", None).unwrap();
    l.refresh_backbone_key(&bb).await.unwrap();
    let consent = ConsentCapture { language: "mr".into(), text_version: "1.4".into() };
    let capture = |i: u64, name: &str| {
        l.capture_enrolment(&session.id, citizen(name, &format!("98{:08}", 31_000_000 + i)), aadhaar(i), &consent)
            .unwrap()
            .id
    };
    // Submitted then handed over; submitted and waiting for handover; refused by the backbone
    // (its Aadhaar record names someone else).
    let handed_over = capture(1, "Asha Pawar");
    let submitted = capture(2, "Bhavna Jadhav");
    let rejected = capture(3, "Chitra Shinde");
    sb.add_resident(Resident {
        aadhaar: aadhaar(3),
        name: "Someone Else".into(),
        gender: "M".into(),
        year_of_birth: 1950,
        mobile: "9831000003".into(),
    });
    l.submit_enrolments(&bb, None).await.unwrap();
    l.confirm_handover(&handed_over).unwrap();
    // Tried once while the backbone failed: queued, its REQUEST-ID in flight.
    let tried = capture(4, "Deepa Gaikwad");
    sb.set_fault(FaultRule {
        route: DEMOGRAPHIC.into(),
        fault: Fault::Status { status: 503 },
        times: None,
        probability: None,
        seed: None,
    });
    l.submit_enrolments(&bb, None).await.unwrap();
    sb.clear_faults();
    // Captured offline, never sent; captured and cancelled; an online enrolment at its OTP.
    let never_sent = capture(5, "Esha Kulkarni");
    let cancelled = capture(6, "Gauri Deshmukh");
    l.cancel_enrolment(&cancelled).unwrap();
    let online = l.enrol_online_start(&bb, aadhaar(7), "9831000007", "spouse").await.unwrap().id;

    let request_ids: serde_json::Value = {
        l.close();
        let conn = rusqlite::Connection::open(store.join("locker.db")).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA key = \"x'{}'\"; PRAGMA cipher_compatibility = 4;",
            std::fs::read_to_string(dir.join("key.hex")).unwrap().trim()
        ))
        .unwrap();
        let mut st = conn.prepare("SELECT id, request_id FROM enrolments WHERE request_id IS NOT NULL").unwrap();
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect::<Vec<_>>();
        rows.into_iter().map(|(id, rid)| (id, serde_json::Value::String(rid))).collect::<serde_json::Map<_, _>>().into()
    };
    let manifest = serde_json::json!({
        "made_by": "core/examples/make_v2_store.rs at the commit that added this fixture (schema v2)",
        "owner": owner.id,
        "session": session.id,
        "enrolments": {
            "handed_over": handed_over, "submitted": submitted, "rejected": rejected, "tried_once": tried,
            "never_sent": never_sent, "cancelled": cancelled, "online_otp_sent": online,
        },
        "request_ids_in_flight": request_ids,
    });
    std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
}
