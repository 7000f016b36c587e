//! Records from hospitals through the real binary against an in-process sandbox: a hospital's
//! care contexts discovered by mobile, chosen and linked with the OTP it sends (a wrong OTP
//! refused and the attempt kept), and `locker sync` bringing a health centre's own link in and a
//! pull's records home, encrypted end to end, every key erased.

mod common;

use common::*;
use locker_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use std::process::Output;

const PATIENT: &str = "farida.b@sbx";
const DISTRICT: &str = "sbx-hip-district";
const CENTRE: &str = "sbx-hip-phc";
const MOBILE: &str = "9876543210";

fn json_of(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// A phone: a store with an owner, and the sandbox it talks to.
struct Phone {
    s: Setup,
    url: String,
}

impl Phone {
    fn new(sb: &Sandbox) -> Phone {
        Phone { s: Setup::new(), url: sb.url() }
    }

    fn run(&self, args: &[&str]) -> Output {
        self.s.cmd(args).env("LOCKER_BACKBONE_URL", &self.url).output().unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        json_of(&ok(&self.run(args)))
    }

    /// The owner gets the ABHA address and signs in to the consent manager.
    fn signed_in(self) -> Phone {
        let owner = self.json(&["profile", "list", "--json"])[0]["id"].as_str().unwrap().to_string();
        ok(&self.run(&["profile", "update", &owner, "--abha-address", PATIENT]));
        ok(&self.run(&["consent", "sign-in", PATIENT]));
        self
    }
}

#[test]
fn a_hospitals_care_contexts_are_discovered_chosen_and_linked_with_its_otp() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    sb.set_hip_mobile(DISTRICT, PATIENT, MOBILE);
    sb.set_hip_records(DISTRICT, PATIENT, 2, 2);
    let phone = Phone::new(&sb);
    // The owner has no ABHA address yet: there is no one to look for.
    let none = phone.run(&["link", "discover", "--hip", DISTRICT, "--mobile", MOBILE]);
    assert_eq!(code(&none), 2, "{}", String::from_utf8_lossy(&none.stderr));
    let phone = phone.signed_in();

    let other = phone.run(&["link", "discover", "--hip", DISTRICT, "--mobile", "9123456780"]);
    assert_eq!(code(&other), 6, "another mobile finds nothing: {}", String::from_utf8_lossy(&other.stderr));

    let found = phone.json(&["link", "discover", "--hip", DISTRICT, "--mobile", MOBILE, "--json"]);
    let attempt = found["attempt"].as_str().unwrap().to_string();
    let refs: Vec<String> = found["patients"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            p["care_contexts"].as_array().unwrap().iter().map(|c| c["reference"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(refs.len(), 2, "{found}");

    // No OTP was sent yet: --otp has nothing to finish.
    assert_eq!(code(&phone.run(&["link", "confirm", &attempt, "--otp", "123456"])), 6);
    let started = phone.json(&["link", "confirm", &attempt, "--choose", &refs[0], "--json"]);
    assert_eq!((started["attempt"].as_str(), started["state"].as_str()), (Some(attempt.as_str()), Some("otp-sent")));
    // Chosen already: choosing again is refused, the attempt goes on.
    assert_eq!(code(&phone.run(&["link", "confirm", &attempt, "--choose", &refs[1]])), 6);
    let otp = sb.link_otp(started["link_reference"].as_str().unwrap()).unwrap();
    let wrong = if otp == "000000" { "111111" } else { "000000" };
    let refused = phone.run(&["link", "confirm", &attempt, "--otp", wrong]);
    assert_eq!(code(&refused), 2);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("wrong OTP"));
    let linked = phone.json(&["link", "confirm", &attempt, "--otp", &otp, "--json"]);
    let linked = linked["linked"].as_array().unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0]["care_context"].as_str(), Some(refs[0].as_str()));
    assert_eq!(code(&phone.run(&["link", "confirm", &attempt, "--otp", &otp])), 6, "a linked attempt is done");

    // What is left is found again, and linked in one go against the sandbox.
    let again = phone.json(&["link", "discover", "--hip", DISTRICT, "--mobile", MOBILE, "--json"]);
    let left = again["patients"].as_array().unwrap().iter().map(|p| p["care_contexts"].as_array().unwrap().len());
    assert_eq!(left.sum::<usize>(), 1, "{again}");
    let second = again["attempt"].as_str().unwrap();
    ok(&phone.run(&["link", "confirm", second, "--otp-from-sandbox"]));

    let list = phone.json(&["link", "list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|l| l["hip_id"] == DISTRICT && l["linked_here"] == true && l["patient"] == PATIENT));
    assert!(ok(&phone.run(&["link", "list"])).contains("2 care context(s) at 1 hospital(s)"));
    assert!(phone.json(&["link", "list", "--patient", "someone.else@sbx", "--json"]).as_array().unwrap().is_empty());
}

#[test]
fn sync_brings_a_centres_own_link_in_and_a_pulls_records_home() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    sb.set_hip_mobile(DISTRICT, PATIENT, MOBILE);
    sb.set_hip_records(DISTRICT, PATIENT, 2, 2);
    sb.set_hip_records(CENTRE, PATIENT, 1, 2);
    let phone = Phone::new(&sb).signed_in();
    let found = phone.json(&["link", "discover", "--hip", DISTRICT, "--mobile", MOBILE, "--json"]);
    ok(&phone.run(&["link", "confirm", found["attempt"].as_str().unwrap(), "--otp-from-sandbox"]));
    sb.hip_link(CENTRE, PATIENT, None);

    let pull = phone.json(&["records", "pull", "--auto-approve", "--json"]);
    let id = pull["id"].as_str().unwrap().to_string();
    assert_eq!(pull["state"], "asking");
    // The first sync brings the centre's link; pushes arrive a moment after the requests.
    let mut links_new = 0;
    let mut seen = Vec::new();
    for _ in 0..60 {
        let r = phone.json(&["sync", "--json"]);
        assert!(r["stopped"].is_null() && r["failed"].as_array().unwrap().is_empty(), "{r}");
        links_new += r["links_new"].as_u64().unwrap();
        let pulls = phone.json(&["records", "pulls", "--json"]);
        seen.push((r, pulls[0].clone()));
        if pulls[0]["state"] == "done" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (_, last) = seen.last().unwrap();
    assert!(last["state"] == "done", "the pull never finished: {seen:#?}");
    assert_eq!(links_new, 1);
    let links = phone.json(&["link", "list", "--json"]);
    assert!(links.as_array().unwrap().iter().any(|l| l["hip_id"] == CENTRE && l["linked_here"] == false), "{links}");

    let expected = sb.hip_records(DISTRICT, PATIENT).len() + sb.hip_records(CENTRE, PATIENT).len();
    let pulls = phone.json(&["records", "pulls", "--json"]);
    let p = &pulls[0];
    assert_eq!(p["id"].as_str(), Some(id.as_str()));
    assert_eq!(p["records_imported"].as_u64(), Some(expected as u64), "{p}");
    let transfers = p["transfers"].as_array().unwrap();
    assert_eq!(transfers.len(), 2);
    assert!(transfers.iter().all(|t| t["key_kept"] == false && t["state"] == "notified"), "{p}");
    let records = phone.json(&["records", "list", "--json", "--limit", "100"]);
    let records = records["records"].as_array().unwrap();
    assert_eq!(records.len(), expected);
    assert!(records.iter().all(|r| r["care_context"].is_string()), "each record is tied to its visit");
    assert!(ok(&phone.run(&["records", "pulls"])).contains("its key erased"));

    // A sync with nothing new brings nothing twice.
    let r = phone.json(&["sync", "--json"]);
    assert_eq!(r["mailbox"]["records_imported"], 0);
    assert_eq!(
        phone.json(&["records", "list", "--json", "--limit", "100"])["records"].as_array().unwrap().len(),
        expected
    );

    // No network: the report, then exit 9. A budget of nothing is refused.
    let offline = phone.s.cmd(&["sync", "--backbone", "http://127.0.0.1:1"]).output().unwrap();
    assert_eq!(code(&offline), 9, "{}", String::from_utf8_lossy(&offline.stderr));
    assert_eq!(code(&phone.run(&["sync", "--max-mb", "0"])), 2);
}

#[test]
fn a_pull_for_a_citizen_not_signed_in_waits_and_sync_says_so() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let phone = Phone::new(&sb);
    let owner = phone.json(&["profile", "list", "--json"])[0]["id"].as_str().unwrap().to_string();
    ok(&phone.run(&["profile", "update", &owner, "--abha-address", PATIENT]));
    let id = phone.json(&["records", "pull", "--json"])["id"].as_str().unwrap().to_string();
    let out = phone.run(&["sync"]);
    assert_eq!(code(&out), 10, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sign in"));
    // Its request went (the locker asks as a HIU); its grant cannot be read without the sign-in.
    let pulls = phone.json(&["records", "pulls", "--json"]);
    assert_eq!((pulls[0]["id"].as_str(), pulls[0]["state"].as_str()), (Some(id.as_str()), Some("waiting")));
}
