//! A citizen enrols on their own phone, through the real `locker` binary: OTPs typed (here,
//! piped) as the sandbox sends them, an ABHA address chosen from the suggestions, and the
//! profile saved with its ABHA number and address. And `locker sandbox serve` for a newcomer.

mod common;

use common::*;
use locker_core::{DatabaseKey, Locker};
use locker_sandbox::{Sandbox, SandboxConfig};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// What `locker enrol` prints on standard error, as it comes (prompts end without a newline).
fn stream(mut from: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || tx.send(String::from_utf8_lossy(&buf[..n]).into_owned()).is_err() {
                break;
            }
        }
    });
    rx
}

/// The transaction id in `(transaction T; …): `, the OTP prompt.
fn otp_prompt(text: &str) -> Option<&str> {
    let rest = text.strip_suffix("): ")?;
    let (_, after) = rest.rsplit_once("(transaction ")?;
    after.split(';').next()
}

#[test]
fn a_newcomer_enrols_on_their_own_phone_answering_the_prompts() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("my-locker");
    let aadhaar = locker_sandbox::test_aadhaar(31_337);
    // No key file and no store: `locker enrol` makes both, and says so.
    let mut child = Command::new(BIN)
        .args(["enrol", "--backbone", &sandbox.url(), "--store", path_str(&store)])
        .env_remove("LOCKER_KEY_FILE")
        .env_remove("LOCKER_BACKBONE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stderr = stream(child.stderr.take().unwrap());
    // Each answer is checked as it is typed: a mistyped Aadhaar number (wrong check digit) and
    // a short mobile are explained and asked for again, before anything else is asked.
    let last = aadhaar.chars().last().unwrap().to_digit(10).unwrap();
    let mistyped = format!("{}{}", &aadhaar[..11], (last + 1) % 10);
    let (mut aadhaar_asked, mut mobile_asked) = (0, 0);
    let mut seen = String::new();
    let mut otps = 0;
    let mut answered = 0;
    loop {
        let chunk = match stderr.recv_timeout(Duration::from_secs(30)) {
            Ok(c) => c,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(e) => panic!("locker enrol went quiet ({e:?}): {seen}"),
        };
        seen.push_str(&chunk);
        let pending = &seen[answered..];
        let answer = if pending.ends_with("Aadhaar number (12 digits): ") {
            aadhaar_asked += 1;
            assert_eq!(mobile_asked, 0, "the mobile was asked for before the Aadhaar number was right: {seen}");
            if aadhaar_asked == 1 { mistyped.clone() } else { aadhaar.clone() }
        } else if pending.ends_with("Mobile number for the ABHA (10 digits): ") {
            mobile_asked += 1;
            // Not the Aadhaar-linked one: a second OTP verifies it.
            if mobile_asked == 1 { "98123".into() } else { "9812345670".into() }
        } else if let Some(txn) = otp_prompt(pending) {
            otps += 1;
            sandbox.otp(txn).expect("the sandbox knows the transaction")
        } else if pending.ends_with("A number from the list, or your own: ") {
            "2".into()
        } else {
            continue;
        };
        answered = seen.len();
        writeln!(stdin, "{answer}").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{seen}\n{stdout}");
    assert_eq!(otps, 2, "the Aadhaar OTP and the mobile's: {seen}");
    assert_eq!((aadhaar_asked, mobile_asked), (2, 2), "{seen}");
    assert_eq!(seen.matches("please answer again").count(), 2, "{seen}");
    assert!(!seen.contains(&mistyped), "the mistyped number was printed back");
    assert!(!seen.contains(&aadhaar) && !stdout.contains(&aadhaar), "the Aadhaar number was printed back");
    assert!(stdout.contains("created an encrypted store"), "{stdout}");
    assert!(stdout.contains("\nABHA created: ABHA number "), "{stdout}");

    // The store it made opens with the key it made, and holds the profile.
    let key = DatabaseKey::from_hex(&std::fs::read_to_string(tmp.path().join("my-locker.key")).unwrap()).unwrap();
    let locker = Locker::open(&store, key).unwrap();
    let profiles = locker.profiles().list().unwrap();
    assert_eq!(profiles.len(), 1);
    let me = &profiles[0];
    assert!(me.is_owner);
    let account = sandbox.accounts().into_iter().next().expect("one account at the backbone");
    assert_eq!(me.abha_number.as_deref(), Some(account.abha_number.as_str()));
    assert_eq!(account.mobile, "9812345670", "the verified mobile is recorded");
    let address = me.abha_address.clone().expect("an ABHA address");
    assert!(address.ends_with("@sbx"));
    assert!(stdout.contains(&address) && stdout.contains(&account.abha_number), "{stdout}");
    assert_eq!(sandbox.accounts().len(), 1);
}

/// `locker sandbox serve --port 0` and `extra` as a child process, and the URL it says it
/// listens on (its first line).
fn serve(extra: &[&str]) -> (std::process::Child, String) {
    let mut server = Command::new(BIN)
        .args(["sandbox", "serve", "--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first.trim_end().strip_prefix("locker-sandbox listening on ").expect(&first).to_string();
    (server, url)
}

#[test]
fn sandbox_serve_says_where_it_listens_and_a_script_enrols_against_it() {
    let (mut server, url) = serve(&[]);
    let port: u16 = url.strip_prefix("http://127.0.0.1:").expect(&url).parse().unwrap();
    assert_ne!(port, 0);
    let printed = stream(server.stderr.take().unwrap());

    let s = Setup::new(); // an owner, Farida Begum, already in the store
    let out = s
        .cmd(&[
            "enrol",
            "--backbone",
            &url,
            "--aadhaar",
            &locker_sandbox::test_aadhaar(2024),
            "--mobile",
            "9123456789",
            "--relation",
            "child",
            "--otp-from-sandbox",
            "--abha-address",
            "zoya.begum2015",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let stdout = ok(&out);
    assert!(stdout.contains("ABHA address zoya.begum2015@sbx"), "{stdout}");
    let mut otp_lines = String::new();
    while let Ok(chunk) = printed.recv_timeout(Duration::from_millis(200)) {
        otp_lines.push_str(&chunk);
    }
    assert!(otp_lines.contains("OTP for transaction "), "{otp_lines}");
    let listed = ok(&s.run(&["profile", "list", "--json"]));
    let profiles: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    assert_eq!(profiles.len(), 2);
    let child = profiles.iter().find(|p| p["relation"] == "child").expect("the new profile");
    assert_eq!(child["abha_address"], "zoya.begum2015@sbx");
    assert!(child["abha_number"].as_str().is_some_and(|n| n.len() == 17), "{child}");
}

fn one_line_error(o: &std::process::Output) -> String {
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr).trim().to_owned();
    assert_eq!(err.lines().count(), 1, "one line, got: {err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn enrolment_mistakes_get_one_clear_line_without_the_numbers() {
    let s = Setup::new();
    let aadhaar = locker_sandbox::test_aadhaar(77);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nobody = format!("http://127.0.0.1:{closed}");
    let enrol = |extra: &[&str]| {
        let mut a = vec!["enrol", "--aadhaar", &aadhaar, "--mobile", "9876543210"];
        a.extend_from_slice(extra);
        s.cmd(&a).stdin(Stdio::null()).output().unwrap()
    };
    let o = enrol(&["--backbone", &nobody]);
    let err = one_line_error(&o);
    assert!(err.contains("could not be reached") && err.contains(&nobody), "{err}");
    assert_eq!(o.status.code(), Some(9), "README's table: the backbone could not be reached");

    let o = enrol(&["--backbone", "http://abdm.example.org"]);
    assert!(one_line_error(&o).contains("plain HTTP"));
    assert_eq!(o.status.code(), Some(2));

    let mut typo = aadhaar.clone().into_bytes();
    typo[3] = if typo[3] == b'9' { b'8' } else { typo[3] + 1 };
    let typo = String::from_utf8(typo).unwrap();
    let o = s.cmd(&["enrol", "--aadhaar", &typo, "--mobile", "9876543210"]).stdin(Stdio::null()).output().unwrap();
    let err = one_line_error(&o);
    assert!(err.contains("check digit") && !err.contains(&typo), "{err}");

    // Offline capture before the device ever fetched the backbone's key.
    let o = s
        .cmd(&[
            "enrol",
            "--assisted",
            "--worker",
            "W1",
            "--device",
            "D1",
            "--offline",
            "--name",
            "Rekha Pawar",
            "--gender",
            "F",
            "--birth-date",
            "1990",
            "--mobile",
            "9876543210",
            "--address",
            "Ward 1",
            "--state-code",
            "27",
            "--district-code",
            "502",
            "--pin-code",
            "442401",
            "--aadhaar",
            &aadhaar,
            "--consent-language",
            "mr",
            "--consent-version",
            "1.4",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(one_line_error(&o).contains("run once without --offline"));

    let o = s.run(&["enrol", "handover", "no-such-enrolment", "--qr"]);
    assert!(one_line_error(&o).contains("not found"));
    assert_eq!(o.status.code(), Some(6));

    let o = s.run(&["enrol", "--worker", "W1"]);
    one_line_error(&o);
    assert_eq!(o.status.code(), Some(2));

    // Asked for, with nothing to answer: the flag to pass is named.
    let o = s.cmd(&["enrol", "--backbone", &nobody]).stdin(Stdio::null()).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("pass --aadhaar"));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn over_https_the_backbone_is_trusted_only_through_its_root_and_pins() {
    let (mut server, url) = serve(&["--tls"]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/sandbox/tls/root.pem");
    let pin = |pem| locker_core::sync::pin_of_certificate(pem).unwrap();
    let s = Setup::new();
    let session = |extra: &[&str]| {
        let mut args = vec!["enrol", "session", "--worker", "asha-7", "--device", "tab-2", "--backbone", &url];
        args.extend_from_slice(extra);
        s.run(&args)
    };
    let unknown_issuer = session(&[]);
    let wrong_pin = session(&["--ca-file", root, "--pin", &pin(locker_sandbox::OTHER_ROOT_PEM)]);
    let pinned = session(&["--ca-file", root, "--pin", &pin(locker_sandbox::TEST_INTERMEDIATE_PEM)]);
    let _ = server.kill();
    let _ = server.wait();
    for refused in [&unknown_issuer, &wrong_pin] {
        let err = one_line_error(refused);
        assert!(err.contains("is not the backbone: its certificate was refused"), "{err}");
    }
    assert!(ok(&pinned).contains("with the backbone's key"), "{}", String::from_utf8_lossy(&pinned.stdout));
}
