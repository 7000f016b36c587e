//! Scan & Share through the real binary against an in-process sandbox: a patient shares with a
//! counter and reads the token; a counter's device fetches the trust list, then, with no
//! network, registers the patient from the signed code's image and from an ABHA card.

mod common;

use common::*;
use locker_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

const PATIENT: &str = "farida.b@sbx";

fn json_of(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[test]
fn a_patient_shares_and_a_counter_registers_them_from_a_signed_code_with_no_network() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let url = sb.url();
    let phone = Setup::new();
    let owner = json_of(&ok(&phone.run(&["profile", "list", "--json"])))[0]["id"].as_str().unwrap().to_string();
    ok(&phone.run(&["profile", "update", &owner, "--abha-address", PATIENT]));
    let net = |s: &Setup, args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["--backbone", &url]);
        s.run(&a)
    };
    ok(&net(&phone, &["consent", "sign-in", PATIENT]));
    ok(&phone.run(&["share", "contact", "--mobile", "9876543210", "--pincode", "560001"]));
    let link = Sandbox::facility_qr_url("IN3410000260", "OPD-1");
    let share = json_of(&ok(&net(&phone, &["share", "scan", &link, "--json"])));
    assert_eq!((share["status"].as_str(), share["token"].as_str()), (Some("token"), Some("0001")));
    let again = json_of(&ok(&net(&phone, &["share", "scan", &link, "--json"])));
    assert_eq!(again["id"], share["id"], "a rescan while the token holds is the same share");

    let png = phone.tmp.path().join("code.png");
    ok(&net(&phone, &["qr", "show", "--png", png.to_str().unwrap()]));

    let counter = Setup::new();
    ok(&counter.run(&["counter", "open", "IN3410000260", "OPD-1"]));
    ok(&net(&counter, &["counter", "sync"]));
    // No --backbone from here: nothing listens at the default address.
    let visit = json_of(&ok(&counter.run(&["counter", "scan", png.to_str().unwrap(), "--json"])));
    assert_eq!((visit["token"].as_str(), visit["verified"].as_bool()), (Some("0001"), Some(true)));
    let card = r#"{"hidn":"91-1234-5678-9012","hid":"ravi@sbx","name":"Ravi","gender":"M","dob":"1990"}"#;
    let visit = json_of(&ok(&counter.run(&["counter", "scan", card, "--json"])));
    assert_eq!((visit["token"].as_str(), visit["verified"].as_bool()), (Some("0002"), Some(false)));
    let tokens = json_of(&ok(&counter.run(&["counter", "tokens", "--json"])));
    assert_eq!(tokens.as_array().unwrap().len(), 2);
    let verified = json_of(&ok(&counter.run(&["qr", "verify", png.to_str().unwrap(), "--json"])));
    assert_eq!(verified["valid"], true);
}
