//! `locker fidelius`, run as integrators run mgrmtech/fidelius-cli: the published vector through
//! the real binary in both directions, keys it makes used by itself, and a refusal's exit code.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_locker");

const REQUESTER_PRIVATE: &str = "DMxHPri8d7IT23KgLk281zZenMfVHSdeamq0RhwlIBk=";
const REQUESTER_PUBLIC: &str =
    "BAheD5rUqTy4V5xR4/6HWmYpopu5CO+KO8BECS0udNqUTSNo91TIqIIy1A4Vh+F94c+n9vAcwXU2bGcfsI5f69Y=";
const REQUESTER_NONCE: &str = "6uj1RdDUbcpI3lVMZvijkMC8Te20O4Bcyz0SyivX8Eg=";
const SENDER_PRIVATE: &str = "AYhVZpbVeX4KS5Qm/W0+9Ye2q3rnVVGmqRICmseWni4=";
const SENDER_PUBLIC: &str = "BABVt+mpRLMXiQpIfEq6bj8hlXsdtXIxLsspmMgLNI1SR5mHgDVbjHO2A+U4QlMddGzqyEidzm1AkhtSxSO2Ahg=";
const SENDER_NONCE: &str = "lmXgblZwotx+DfBgKJF0lZXtAXgBEYr5khh79Zytr2Y=";
const CLEAR: &str = "Wormtail should never have been Potter cottage's secret keeper.";
const SEALED: &str =
    "pzMvVZNNVtJzqPkkxcCbBUWgDEBy/mBXIeT2dJWI16ZAQnnXUb9lI+S4k8XK6mgZSKKSRIHkcNvJpllnBg548wUgavBa0vCRRwdL6kY6Yw==";

fn run(args: &[&str]) -> Output {
    // No store is involved: point it somewhere that does not exist to be sure.
    Command::new(BIN)
        .env("LOCKER_STORE", "/nonexistent/locker-store")
        .env_remove("LOCKER_KEY_FILE")
        .arg("fidelius")
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn encrypt(
    clear: &str,
    sender_private: &str,
    requester_public: &str,
    sender_nonce: &str,
    requester_nonce: &str,
) -> Output {
    run(&[
        "encrypt",
        "--string-to-encrypt",
        clear,
        "--sender-nonce",
        sender_nonce,
        "--requester-nonce",
        requester_nonce,
        "--sender-private-key",
        sender_private,
        "--requester-public-key",
        requester_public,
    ])
}

fn decrypt(
    sealed: &str,
    requester_private: &str,
    sender_public: &str,
    sender_nonce: &str,
    requester_nonce: &str,
) -> Output {
    run(&[
        "decrypt",
        "--encrypted-data",
        sealed,
        "--requester-nonce",
        requester_nonce,
        "--sender-nonce",
        sender_nonce,
        "--requester-private-key",
        requester_private,
        "--sender-public-key",
        sender_public,
    ])
}

#[test]
fn the_published_vector_through_the_binary() {
    let out = ok(encrypt(CLEAR, SENDER_PRIVATE, REQUESTER_PUBLIC, SENDER_NONCE, REQUESTER_NONCE));
    assert_eq!(out.trim(), SEALED);
    let out = ok(decrypt(SEALED, REQUESTER_PRIVATE, SENDER_PUBLIC, SENDER_NONCE, REQUESTER_NONCE));
    assert_eq!(out, CLEAR);

    let mut args = vec![
        "decrypt",
        "--encrypted-data",
        SEALED,
        "--requester-nonce",
        REQUESTER_NONCE,
        "--sender-nonce",
        SENDER_NONCE,
        "--requester-private-key",
        REQUESTER_PRIVATE,
        "--sender-public-key",
        SENDER_PUBLIC,
        "--json",
    ];
    let v: serde_json::Value = serde_json::from_str(&ok(run(&args))).unwrap();
    assert_eq!(v["decryptedData"], CLEAR);

    // From a file, as long payloads come.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payload.b64");
    std::fs::write(&file, format!("{SEALED}\n")).unwrap();
    args[1] = "--file";
    args[2] = file.to_str().unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&ok(run(&args))).unwrap()["decryptedData"], CLEAR);
}

#[test]
fn keys_it_makes_work_both_ways_and_a_refusal_exits_13() {
    let keys = |json: bool| -> serde_json::Value {
        let out = ok(run(if json { &["keys", "--json"] } else { &["keys"] }));
        if json {
            return serde_json::from_str(&out).unwrap();
        }
        let mut v = serde_json::Map::new();
        for line in out.lines() {
            let (k, val) = line.split_once(char::is_whitespace).unwrap();
            v.insert(k.into(), val.trim().into());
        }
        serde_json::Value::Object(v)
    };
    let (hiu, hip) = (keys(true), keys(false));
    for k in [&hiu, &hip] {
        assert_eq!(k["publicKey"].as_str().unwrap().len(), 88);
        assert_eq!(k["x509PublicKey"].as_str().unwrap().len(), 412);
        assert_eq!(k["nonce"].as_str().unwrap().len(), 44);
    }
    let s = |k: &serde_json::Value, f: &str| k[f].as_str().unwrap().to_string();
    // The HIP encrypts to the HIU's raw key; the HIU decrypts with the HIP's X.509 key.
    let sealed =
        ok(encrypt("a bundle", &s(&hip, "privateKey"), &s(&hiu, "publicKey"), &s(&hip, "nonce"), &s(&hiu, "nonce")));
    let clear = ok(decrypt(
        sealed.trim(),
        &s(&hiu, "privateKey"),
        &s(&hip, "x509PublicKey"),
        &s(&hip, "nonce"),
        &s(&hiu, "nonce"),
    ));
    assert_eq!(clear, "a bundle");

    // A wrong nonce: the tag does not match; a key off the curve; both exit 13, and the
    // message repeats neither key nor data.
    let o = decrypt(sealed.trim(), &s(&hiu, "privateKey"), &s(&hip, "publicKey"), &s(&hiu, "nonce"), &s(&hiu, "nonce"));
    assert_eq!(o.status.code(), Some(13));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did not authenticate"), "{err}");
    assert!(!err.contains(sealed.trim()) && !err.contains(&s(&hiu, "privateKey")), "{err}");
    let mut off = base64_decode(REQUESTER_PUBLIC);
    off[64] ^= 1;
    let o = encrypt("x", SENDER_PRIVATE, &base64_encode(&off), SENDER_NONCE, REQUESTER_NONCE);
    assert_eq!(o.status.code(), Some(13), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not on Curve25519"));
    // Arguments missing: exit 2.
    assert_eq!(run(&["encrypt", "--sender-nonce", SENDER_NONCE]).status.code(), Some(2));
}

fn base64_decode(s: &str) -> Vec<u8> {
    locker_core::crypto::fidelius::from_base64(s).unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    locker_core::crypto::fidelius::to_base64(b)
}
