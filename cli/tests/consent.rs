//! `locker consent` through the real binary against an in-process sandbox: sign in, pull a
//! doctor's request, grant it narrowed, sync, release one record under it and be refused
//! another (exit 11), revoke, and read the uses.

mod common;

use common::*;
use locker_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

const PATIENT: &str = "farida.b@sbx";
const HOSPITAL: &str = "sbx-hiu-city-hospital";

fn bundles() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/bundles").to_string()
}

fn json_of(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// The owner given an ABHA address, a prescription (2023) and a consultation (2024) imported:
/// their record ids.
fn phone(s: &Setup) -> (String, String) {
    let owner = json_of(&ok(&s.run(&["profile", "list", "--json"])))[0]["id"].as_str().unwrap().to_string();
    ok(&s.run(&["profile", "update", &owner, "--abha-address", PATIENT]));
    let import = |name: &str| {
        let v = json_of(&ok(&s.run(&["records", "import", "--json", &format!("{}/{name}", bundles())])));
        v["id"].as_str().unwrap().to_string()
    };
    (import("prescription.json"), import("op-consultation.json"))
}

#[test]
fn a_citizen_grants_a_narrowed_request_releases_under_it_and_revokes_it() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let url = sb.url();
    let s = Setup::new();
    let (prescription, consultation) = phone(&s);
    let net = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["--backbone", &url]);
        s.run(&a)
    };
    ok(&net(&["consent", "sign-in", PATIENT]));
    let mut ask = sb.sample_consent_request(PATIENT, HOSPITAL);
    ask["hiTypes"] = json!(["Prescription", "OPConsultation"]);
    ask["permission"] = json!({
        "accessMode": "VIEW",
        "dateRange": {"from": "2015-01-01T00:00:00.000Z", "to": "2025-12-31T23:59:59.999Z"},
        "dataEraseAt": "2030-12-31T00:00:00.000Z",
        "frequency": {"unit": "DAY", "value": 5, "repeats": 20},
    });
    let id = sb.raise_consent_request(ask);
    ok(&net(&["consent", "sync"]));
    let requests = json_of(&ok(&s.run(&["consent", "requests", "--json"])));
    assert_eq!((requests[0]["id"].as_str(), requests[0]["status"].as_str()), (Some(id.as_str()), Some("REQUESTED")));

    // Granted offline (no backbone is asked), prescriptions only.
    ok(&s.run(&["consent", "approve", &id, "--hi-types", "Prescription", "--from", "2020-01-01"]));
    let shown = json_of(&ok(&s.run(&["consent", "show", &id, "--json"])));
    assert_eq!((shown["status"].as_str(), shown["pending"].as_str()), (Some("GRANTED"), Some("approve")));
    assert_eq!(shown["artefacts"][0]["verification"], "pending");
    let sync = json_of(&ok(&net(&["consent", "sync", "--json"])));
    assert_eq!(sync["sent"], 1);
    let artefacts = json_of(&ok(&s.run(&["consent", "artefacts", "--json"])));
    assert_eq!(artefacts.as_array().unwrap().len(), 1);
    assert_eq!(artefacts[0]["verification"], "verified");
    assert_eq!(artefacts[0]["hi_types"], json!(["Prescription"]));
    let artefact = artefacts[0]["id"].as_str().unwrap().to_string();

    // Released under the grant: the prescription goes; the consultation is refused (exit 11).
    let out = s.tmp.path().join("shared");
    let o = s.run(&["consent", "release", "--hiu", HOSPITAL, "--out", out.to_str().unwrap(), "--json", &prescription]);
    let released = json_of(&ok(&o));
    assert_eq!(released["released"][0]["artefact"].as_str(), Some(artefact.as_str()));
    let written = std::fs::read(out.join(format!("{prescription}.json"))).unwrap();
    assert_eq!(written, std::fs::read(format!("{}/prescription.json", bundles())).unwrap());
    let o = s.run(&["consent", "release", "--hiu", HOSPITAL, "--out", out.to_str().unwrap(), &consultation]);
    assert_eq!(o.status.code(), Some(11), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("not granted"));
    assert!(!out.join(format!("{consultation}.json")).exists());

    // Revoked: refused at once; the consent manager hears it at the next sync.
    ok(&s.run(&["consent", "revoke", &id]));
    let o = s.run(&["consent", "release", "--hiu", HOSPITAL, "--out", out.to_str().unwrap(), &prescription]);
    assert_eq!(o.status.code(), Some(11));
    ok(&net(&["consent", "sync"]));
    assert_eq!(sb.consent_artefact(&artefact).unwrap()["status"], "REVOKED");
    let uses = json_of(&ok(&s.run(&["consent", "uses", &artefact, "--json"])));
    assert_eq!(uses.as_array().unwrap().len(), 1);
    assert_eq!(uses[0]["records"], json!([prescription]));
    let shown = ok(&s.run(&["consent", "show", &artefact]));
    assert!(shown.contains("REVOKED"), "{shown}");
}

#[test]
fn a_deny_waits_offline_and_a_missing_login_is_said_plainly() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let s = Setup::new();
    phone(&s);
    // Not signed in: nothing to pull, and the decision later waits for a login.
    let id = sb.raise_consent_request(sb.sample_consent_request(PATIENT, HOSPITAL));
    ok(&s.run(&["consent", "sign-in", PATIENT, "--backbone", &sb.url()]));
    ok(&s.run(&["consent", "sync", "--backbone", &sb.url()]));
    ok(&s.run(&["consent", "sign-in", PATIENT, "--token", "stale-token"]));
    ok(&s.run(&["consent", "deny", &id, "--reason", "I see another doctor"]));
    let o = s.run(&["consent", "sync", "--backbone", &sb.url()]);
    assert_eq!(o.status.code(), Some(10), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("sign-in-needed"), "{}", String::from_utf8_lossy(&o.stderr));
    ok(&s.run(&["consent", "sign-in", PATIENT, "--backbone", &sb.url()]));
    ok(&s.run(&["consent", "sync", "--backbone", &sb.url()]));
    assert_eq!(sb.consent_request(&id).unwrap()["status"], "DENIED");
    let o = s.run(&["consent", "deny", &id]);
    assert_eq!(o.status.code(), Some(7), "answered already: {}", String::from_utf8_lossy(&o.stderr));
    let long = "x".repeat(101);
    // A doctor asks by hand, through `locker sandbox ask`.
    let id2 = ok(&s.run(&["sandbox", "ask", PATIENT, "--backbone", &sb.url()])).trim().to_string();
    assert_eq!(sb.consent_request(&id2).unwrap()["status"], "REQUESTED");
    ok(&s.run(&["consent", "sync", "--backbone", &sb.url()]));
    assert_eq!(s.run(&["consent", "deny", &id2, "--reason", &long]).status.code(), Some(2));
}

#[test]
fn bench_consent_prints_every_figure_the_issue_names() {
    let s = Setup::new();
    let out = ok(&s.run(&["bench", "consent", "--artefacts", "50", "--records", "300", "--decisions", "12", "--json"]));
    let v = json_of(&out);
    for k in
        ["decide_p50_us", "decide_p99_us", "release_1000_ratio", "release_1000_ms", "release_1000_without_policy_ms"]
    {
        assert!(v[k].as_f64().is_some_and(|x| x > 0.0), "{k} missing or not positive in {v}");
    }
    assert_eq!((v["artefacts"].as_u64(), v["records"].as_u64()), (Some(50), Some(300)), "{v}");
    assert_eq!((v["decisions"].as_u64(), v["decisions_synced"].as_u64()), (Some(12), Some(12)), "{v}");
    assert_eq!((v["lost"].as_u64(), v["duplicated"].as_u64()), (Some(0), Some(0)), "{v}");
}
