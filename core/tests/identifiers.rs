//! ABHA identifiers and sealing to the backbone's key, through the public API only.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use locker_core::Error;
use locker_core::abha::{
    Aadhaar, AbhaAddress, AbhaNumber, Mobile, Otp, luhn_check_digit, luhn_valid, seal_aadhaar, seal_otp,
    verhoeff_check_digit, verhoeff_valid,
};
use locker_core::crypto::seal::{BackboneKey, Sealed};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::rand_core::OsRng;
use rsa::{Oaep, RsaPrivateKey};

/// SHA-256 of the fixture key's DER SubjectPublicKeyInfo, as `openssl rsa -pubout -outform DER |
/// openssl dgst -sha256` computes it.
const FIXTURE_FINGERPRINT: &str = "b14f1e8efc89c43f2dc56acc1ce3ba67cf7521ea3b63f4f08d2c542ecdc2dd24";

/// A self-signed certificate for a 2048-bit RSA key
/// (`openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=x -days 1 -keyout /dev/null`); only its key is used.
const CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIC+TCCAeGgAwIBAgIUG4V36IfZANbZgpKKzor6FIUKjjswDQYJKoZIhvcNAQEL
BQAwDDEKMAgGA1UEAwwBeDAeFw0yNjExMjIxMjEyMzBaFw0yNjExMjMxMjEyMzBa
MAwxCjAIBgNVBAMMAXgwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCM
M8SKaKuSAffVt/0fW0opkBecbZtBRo4zLy3LNEV3Bbh8zzrm64C1eW2pJdoBCuOT
76TX/l1nvVvYKM4cOYds1t5kWLIF/3YgH8AL1PVFzfDlAa2Clbhu06FASH8Om9Jq
lknVbdtz7HuaSykLUkE/ynxnPkFaqvGgRvhHnEJ/GSBIXR+jddRMhRIj2/k8GNzS
XN0C/9Ie8+vF2LAKVz2XzfkwrjTJLJsDnzJAOa3wfMkBnb1A4qujtqVYuOqyGwVi
Vm5vYSYZm/hmQr10rMEogvVkjCXxBrlDuamh8fkqi8VvNWJn57F8TmuzyXBf5cOx
xMNpoYWQlSafJRe4R4qHAgMBAAGjUzBRMB0GA1UdDgQWBBSy2llRAUTAwWdx4R/O
RrhgIvdUEDAfBgNVHSMEGDAWgBSy2llRAUTAwWdx4R/ORrhgIvdUEDAPBgNVHRMB
Af8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQAXW+zo8vG7f1aKqa4ppH/2ke+f
+dhvxQJ6jC/b8irryy86Nsd2pJGxnuzj9m7EYCahpbQjPz22SWdXOlrdJvovLFUl
tBH71W9YDByfQrey6n2FbK30E93AQKiJ7+9N3LuGsvBpVFiM1jGTmkMdm4BGkrOW
AZWiwdxT+Wu90v/2eNgUuo55nZfvRM/41Dfg+hdG0MeI11k+W/dSeXM2+vDt5DbT
hj1l0u3vLcsVMCHgjQ3/h0qsTV1IORYDZruTVkzI6jdr9t9SyR/pnnea9SWBBcd/
laQJxrE7S4FVtPEF/R6aazPlBfYNCuYeskePDw/2OO1vFsh9+lQVY6HSdD+7
-----END CERTIFICATE-----
";

/// The same key as a SubjectPublicKeyInfo PEM (`openssl x509 -pubkey -noout`).
const SPKI_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjDPEimirkgH31bf9H1tK
KZAXnG2bQUaOMy8tyzRFdwW4fM865uuAtXltqSXaAQrjk++k1/5dZ71b2CjOHDmH
bNbeZFiyBf92IB/AC9T1Rc3w5QGtgpW4btOhQEh/DpvSapZJ1W3bc+x7mkspC1JB
P8p8Zz5BWqrxoEb4R5xCfxkgSF0fo3XUTIUSI9v5PBjc0lzdAv/SHvPrxdiwClc9
l835MK40ySybA58yQDmt8HzJAZ29QOKro7alWLjqshsFYlZub2EmGZv4ZkK9dKzB
KIL1ZIwl8Qa5Q7mpofH5KovFbzViZ+exfE5rs8lwX+XDscTDaaGFkJUmnyUXuEeK
hwIDAQAB
-----END PUBLIC KEY-----
";

/// The same key as a PKCS#1 PEM (`openssl rsa -RSAPublicKey_out`).
const PKCS1_PEM: &str = "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAjDPEimirkgH31bf9H1tKKZAXnG2bQUaOMy8tyzRFdwW4fM865uuA
tXltqSXaAQrjk++k1/5dZ71b2CjOHDmHbNbeZFiyBf92IB/AC9T1Rc3w5QGtgpW4
btOhQEh/DpvSapZJ1W3bc+x7mkspC1JBP8p8Zz5BWqrxoEb4R5xCfxkgSF0fo3XU
TIUSI9v5PBjc0lzdAv/SHvPrxdiwClc9l835MK40ySybA58yQDmt8HzJAZ29QOKr
o7alWLjqshsFYlZub2EmGZv4ZkK9dKzBKIL1ZIwl8Qa5Q7mpofH5KovFbzViZ+ex
fE5rs8lwX+XDscTDaaGFkJUmnyUXuEeKhwIDAQAB
-----END RSA PUBLIC KEY-----
";

/// A certificate for a 1024-bit RSA key.
const SMALL_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIB9DCCAV2gAwIBAgIUUDXT2oI8OUcJntZ5udoK/YvDfv0wDQYJKoZIhvcNAQEL
BQAwDDEKMAgGA1UEAwwBeDAeFw0yNjExMjIxMjEyMzBaFw0yNjExMjMxMjEyMzBa
MAwxCjAIBgNVBAMMAXgwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBAN61fPoS
5eHsNxrdT9XFpweWFNI6QcffCrtfPWT5hNPslvFgWlV13dFvxg3Eu9uLX8gtJnXO
IQ8K6cl4khw5bR16aoa+owKL/Ujs1ymNhN6D7oSHfpQKovvIb268Y1wceMMaU3A+
eKgsElBMHLlcNMD5KLvj1EUk6XvfsAM4MAC7AgMBAAGjUzBRMB0GA1UdDgQWBBQQ
RYxulnNSPdakDXDyfuxhSLoyQTAfBgNVHSMEGDAWgBQQRYxulnNSPdakDXDyfuxh
SLoyQTAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4GBAAROVGJNv97f
qzfS4ma5vJSGfVHQ4xUuo/CVWp89EwUp7jnhQ5szbxPawWIY0meszel+pkJGe+18
MwnK7aKU2a/h7i2GEI33a3PLMhC12RvjZdfANSQw4NWz+/aVvZghpFPf58IB9ZNw
ynXUwhtBW8+Cvg7eFoze9wlH/AJXQyLx
-----END CERTIFICATE-----
";

/// A P-256 public key.
const EC_SPKI_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEdXdS9CKTkm2MFtU2vl1MWzsiPCu
YGs5mLcVzkOmzxfmEJIq0DF6W6HG7zBaUBcq6GLl41gyDZBuBgJTri2AzQ==
-----END PUBLIC KEY-----
";

/// A certificate for a P-256 key.
const EC_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBbTCCAROgAwIBAgIUNHBiIHM7lY1M1jLt5/UvJuHs4sowCgYIKoZIzj0EAwIw
DDEKMAgGA1UEAwwBeDAeFw0yNjExMjIxMjEyMzBaFw0yNjExMjMxMjEyMzBaMAwx
CjAIBgNVBAMMAXgwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQinO2NvUeZAYwg
cRrJlZgk30vF9nJlxlg41MIObLFnHu57+A0mKj/GCLll55vfQJ93G/DkDZcPOwWv
W7CL59Fno1MwUTAdBgNVHQ4EFgQUyWJfeiC1WfuZiOJL3w+pfJdZK0gwHwYDVR0j
BBgwFoAUyWJfeiC1WfuZiOJL3w+pfJdZK0gwDwYDVR0TAQH/BAUwAwEB/zAKBggq
hkjOPQQDAgNIADBFAiASPMWeAzDDV2T6Q1l3pJsG327Qd3YNk6uKE6YyVkVo+wIh
ANs2NLxAgHpLQ1bzxC5tZcKYBpBSnrWxqUab2GmYZu+y
-----END CERTIFICATE-----
";

fn message(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Err(Error::InvalidInput(m)) => m,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

/// No run of four digits from `input` appears in `msg`.
fn assert_not_echoed(input: &str, msg: &str) {
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    for w in digits.as_bytes().windows(4) {
        let w = std::str::from_utf8(w).unwrap();
        assert!(!msg.contains(w), "{msg:?} echoes part of the input");
    }
    if input.len() >= 4 {
        assert!(!msg.contains(input.trim()), "{msg:?} echoes the input");
    }
}

/// Deterministic 11-digit prefixes with a first digit of 2–9.
fn aadhaar_prefixes(n: usize) -> Vec<String> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let first = 2 + x % 8;
            format!("{first}{:010}", (x >> 8) % 10_000_000_000)
        })
        .collect()
}

fn with_check(prefix: &str) -> String {
    format!("{prefix}{}", verhoeff_check_digit(prefix))
}

// ---- ABHA numbers ----

#[test]
fn abha_numbers_from_the_protocol_pass_luhn_and_placeholders_fail() {
    for s in ["91-6285-4575-5116", "15-3638-0684-6247"] {
        let n = AbhaNumber::parse(s).unwrap();
        assert!(n.passes_luhn(), "{s}");
        assert_eq!(n.dashed(), s);
        assert_eq!(n.to_string(), s);
        assert_eq!(luhn_check_digit(&n.digits()[..13]), n.digits().as_bytes()[13] - b'0');
    }
    for s in ["11-1111-1111-1111", "12-3456-7890-1234", "00-0000-0000-0001", "99-9999-9999-9999"] {
        // A warning, never a rejection: the number still parses.
        let n = AbhaNumber::parse(s).unwrap();
        assert!(!n.passes_luhn(), "{s}");
    }
    assert!(luhn_valid("00000000000000"));
    assert!(!luhn_valid("9162854575511x"));
    for prefix in ["1234567890123", "5000000000000", "9999999999999"] {
        let full = format!("{prefix}{}", luhn_check_digit(prefix));
        assert!(luhn_valid(&full));
        assert!(AbhaNumber::parse(&full).unwrap().passes_luhn());
    }
}

#[test]
fn abha_numbers_parse_dashed_or_bare_and_nothing_else() {
    let n = AbhaNumber::parse("91628545755116").unwrap();
    for s in ["91-6285-4575-5116", " 91-6285-4575-5116 ", "91 6285 4575 5116", "\t91628545755116\n"] {
        assert_eq!(AbhaNumber::parse(s).unwrap(), n, "{s:?}");
    }
    assert_eq!(n.digits(), "91628545755116");
    assert_eq!(format!("{n:?}"), "AbhaNumber(<redacted>)");
    for s in [
        "",
        "   ",
        "916285457551",
        "9162854575511",
        "916285457551161",
        "91-6285-4575-51161",
        "9-16285-4575-5116",
        "91-6285-45755116",
        "91_6285_4575_5116",
        "91-6285-4575-511O",
        "+91628545755116",
        "91-6285-4575-5116@abdm",
    ] {
        let m = message(AbhaNumber::parse(s));
        assert_not_echoed(s, &m);
    }
}

#[test]
fn every_abha_number_has_a_default_address() {
    let n = AbhaNumber::parse("15-3638-0684-6247").unwrap();
    let a = n.default_address("abdm");
    assert_eq!(a.user(), "15363806846247");
    assert_eq!(a.suffix(), Some("abdm"));
    assert_eq!(a.to_string(), "15363806846247@abdm");
    assert_eq!(AbhaAddress::parse("15363806846247@abdm").unwrap(), a);
}

// ---- ABHA addresses ----

#[test]
fn strict_address_rule_for_creation() {
    let accepted = [
        "ravikumar",
        "ravi.kumar",
        "ravi_kumar",
        "ravi.kumar_12",
        "Ravi_Kumar.1",
        "12345678",
        "abcdefgh",
        "abcdefghijklmnopqr",
        "ravikumar@sbx",
        "ravi.kumar@ABDM",
        "  ravikumar  ",
        "r._avikumar",
    ];
    for s in accepted {
        let a = AbhaAddress::for_creation(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        // Whatever the strict rule accepts, the lenient one reads back.
        assert_eq!(AbhaAddress::parse(&a.to_string()).unwrap(), a, "{s}");
    }
    let rejected = [
        ("", "8 to 18"),
        ("ravikum", "8 to 18"),
        ("abcdefghijklmnopqrs", "8 to 18"),
        ("ravi.ku.mar", "one '.'"),
        ("ravi_ku_mar", "one '_'"),
        (".ravikumar", "start or end"),
        ("ravikumar.", "start or end"),
        ("_ravikumar", "start or end"),
        ("ravikumar_", "start or end"),
        ("ravi-kumar", "only letters"),
        ("ravi+kumar", "only letters"),
        ("ravi kumar", "only letters"),
        ("rávikumar", "only letters"),
        ("ravikumar@", "'@'"),
        ("ravikumar@s", "'@'"),
        ("ravikumar@sbx@abdm", "'@'"),
        ("ravikumar@ab-dm", "'@'"),
    ];
    for (s, rule) in rejected {
        let m = message(AbhaAddress::for_creation(s));
        assert!(m.contains(rule), "{s:?}: {m}");
        assert!(s.len() < 4 || !m.contains(s), "{m} echoes {s}");
        assert!(!m.contains("ravi"), "{m}");
    }
}

#[test]
fn lenient_address_rule_for_reading() {
    let accepted = [
        ("abc", "abc", None),
        ("ravi.kumar@sbx", "ravi.kumar", Some("sbx")),
        ("ravi.kumar@SBX", "ravi.kumar", Some("sbx")),
        ("Ravi-Kumar+1%x@ndhm", "Ravi-Kumar+1%x", Some("ndhm")),
        ("a..b__c@abdm", "a..b__c", Some("abdm")),
        ("_x_@abdm", "_x_", Some("abdm")),
        ("91628545755116@abdm", "91628545755116", Some("abdm")),
        (" old.name@ndhm\n", "old.name", Some("ndhm")),
    ];
    for (s, user, suffix) in accepted {
        let a = AbhaAddress::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(a.user(), user);
        assert_eq!(a.suffix(), suffix);
        assert_eq!(a.full("abdm"), format!("{user}@{}", suffix.unwrap_or("abdm")));
        assert_eq!(format!("{a:?}"), "AbhaAddress(<redacted>)");
    }
    let long_user = "a".repeat(50);
    assert!(AbhaAddress::parse(&long_user).is_ok());
    for s in [
        String::new(),
        "x@ab".into(),
        "ab".into(),
        "a".repeat(51),
        "ravi kumar@sbx".into(),
        "ravi/kumar@sbx".into(),
        "ravi@kumar@sbx".into(),
        "ravikumar@".into(),
        "ravikumar@x".into(),
        format!("ravikumar@{}", "x".repeat(21)),
        "ravikumar@sb_x".into(),
        "@sbx".into(),
    ] {
        let m = message(AbhaAddress::parse(&s));
        assert!(s.len() < 4 || !m.contains(&s), "{m}");
    }
}

// ---- Aadhaar ----

#[test]
fn the_published_verhoeff_vector_holds() {
    assert_eq!(verhoeff_check_digit("236"), 3);
    assert!(verhoeff_valid("2363"));
    for d in (0..10).filter(|&d| d != 3) {
        assert!(!verhoeff_valid(&format!("236{d}")));
    }
    assert!(!verhoeff_valid(""));
    assert!(!verhoeff_valid("2363 "));
}

#[test]
fn valid_aadhaar_numbers_parse_in_any_usual_layout() {
    for prefix in aadhaar_prefixes(50) {
        let n = with_check(&prefix);
        assert!(verhoeff_valid(&n));
        assert!(Aadhaar::parse(n.clone()).is_ok(), "{n}");
        assert!(Aadhaar::parse(format!("{} {} {}", &n[..4], &n[4..8], &n[8..])).is_ok());
        assert!(Aadhaar::parse(format!(" {}-{}-{} ", &n[..4], &n[4..8], &n[8..])).is_ok());
    }
    let a = Aadhaar::parse(with_check("23456789012")).unwrap();
    assert_eq!(format!("{a:?}"), "Aadhaar(<redacted>)");
}

#[test]
fn every_single_digit_error_and_adjacent_transposition_is_caught() {
    for prefix in aadhaar_prefixes(40) {
        let n = with_check(&prefix);
        let b = n.as_bytes();
        for i in 0..b.len() {
            for d in b'0'..=b'9' {
                if d == b[i] {
                    continue;
                }
                let mut m = b.to_vec();
                m[i] = d;
                let m = String::from_utf8(m).unwrap();
                assert!(!verhoeff_valid(&m), "{n} → {m}");
                let msg = message(Aadhaar::parse(m.clone()));
                assert_not_echoed(&m, &msg);
            }
        }
        for i in 0..b.len() - 1 {
            if b[i] == b[i + 1] {
                continue;
            }
            let mut m = b.to_vec();
            m.swap(i, i + 1);
            let m = String::from_utf8(m).unwrap();
            assert!(!verhoeff_valid(&m), "{n} → {m}");
            assert!(Aadhaar::parse(m).is_err());
        }
    }
}

#[test]
fn malformed_aadhaar_numbers_are_refused_without_echoing_them() {
    let n = with_check("98765432101");
    let cases = [
        String::new(),
        n[..11].to_string(),
        format!("{n}7"),
        format!("{n}{n}"),
        with_check("01234567890"),
        with_check("19876543210"),
        format!("{}/{}", &n[..6], &n[6..]),
        format!("{}O", &n[..11]),
        n.replace('9', "٩"),
    ];
    for case in cases {
        let m = message(Aadhaar::parse(case.clone()));
        assert_not_echoed(&case, &m);
    }
}

// ---- OTP and mobile ----

#[test]
fn otps_and_mobiles() {
    assert!(Otp::parse("482913".into()).is_ok());
    assert!(Otp::parse(" 4829 ".into()).is_ok());
    for s in ["", "482", "482913482", "48291a"] {
        let m = message(Otp::parse(s.into()));
        assert_not_echoed(s, &m);
    }
    assert_eq!(format!("{:?}", Otp::parse("482913".into()).unwrap()), "Otp(<redacted>)");

    for s in ["9876543210", "+91 98765 43210", "919876543210", "09876543210", "+91-98765-43210", "6000000000"] {
        let m = Mobile::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(m.digits().len(), 10);
        assert_eq!(format!("{m:?}"), "Mobile(<redacted>)");
    }
    for s in ["0919876543210", "5876543210", "+44 7911 123456", "98765432", "987654321012", "+91 98765 4321x"] {
        let m = message(Mobile::parse(s));
        assert_not_echoed(s, &m);
    }
}

// ---- The backbone key ----

#[test]
fn every_published_form_of_the_key_is_read_to_the_same_key() {
    let body = |pem: &str| pem.lines().filter(|l| !l.starts_with("-----")).collect::<Vec<_>>().join("\n");
    let forms = [
        CERT_PEM.to_string(),
        SPKI_PEM.to_string(),
        PKCS1_PEM.to_string(),
        body(CERT_PEM),
        body(SPKI_PEM),
        body(PKCS1_PEM),
        body(SPKI_PEM).replace('\n', ""),
        SPKI_PEM.replace('\n', "\r\n"),
        // As it sits inside the JSON answer, escaped line breaks and all.
        SPKI_PEM.replace('\n', "\\n"),
        format!("  {}\n\n", body(CERT_PEM).replace('\n', "")),
    ];
    for form in &forms {
        let k = BackboneKey::parse(form).unwrap_or_else(|e| panic!("{e}: {form}"));
        assert_eq!(k.fingerprint(), FIXTURE_FINGERPRINT);
        let again = BackboneKey::from_spki_der(k.spki_der()).unwrap();
        assert_eq!(again.fingerprint(), FIXTURE_FINGERPRINT);
    }
}

#[test]
fn weak_foreign_and_malformed_keys_are_refused() {
    assert!(message(BackboneKey::parse(SMALL_CERT_PEM)).contains("2048"));
    let small = RsaPrivateKey::new(&mut OsRng, 1024).unwrap().to_public_key();
    assert!(message(BackboneKey::parse(&small.to_public_key_pem(LineEnding::LF).unwrap())).contains("2048"));
    assert!(message(BackboneKey::parse(&small.to_pkcs1_pem(LineEnding::LF).unwrap())).contains("2048"));
    assert!(message(BackboneKey::parse(EC_SPKI_PEM)).contains("not an RSA key"));
    assert!(message(BackboneKey::parse(EC_CERT_PEM)).contains("not an RSA key"));
    let truncated = &SPKI_PEM[..SPKI_PEM.len() / 2];
    for text in ["", "   ", "{\"publicKey\": 1}", "@@@@", "AAAA", truncated, "-----BEGIN PUBLIC KEY-----\nAAAA"] {
        message(BackboneKey::parse(text));
    }
    let spki = BackboneKey::parse(SPKI_PEM).unwrap();
    message(BackboneKey::from_spki_der(&spki.spki_der()[1..]));
}

#[test]
fn sealed_values_open_with_the_backbone_private_key() {
    let private = RsaPrivateKey::new(&mut OsRng, 2048).unwrap();
    let spki_b64 = STANDARD.encode(private.to_public_key().to_public_key_der().unwrap().as_bytes());
    let key = BackboneKey::parse(&spki_b64).unwrap();
    let open = |s: &Sealed| {
        assert_eq!(s.key_fingerprint, key.fingerprint());
        let ct = STANDARD.decode(&s.base64).unwrap();
        assert_eq!(ct.len(), 256);
        String::from_utf8(private.decrypt(Oaep::new::<sha1::Sha1>(), &ct).unwrap()).unwrap()
    };

    let aadhaar = with_check("23456789012");
    let spaced = format!("{} {} {}", &aadhaar[..4], &aadhaar[4..8], &aadhaar[8..]);
    let first = seal_aadhaar(spaced, &key).unwrap();
    assert_eq!(open(&first), aadhaar);
    assert!(!first.base64.contains(&aadhaar));
    let second = Aadhaar::parse(aadhaar.clone()).unwrap().seal(&key).unwrap();
    assert_eq!(open(&second), aadhaar);
    assert_ne!(first, second, "OAEP is randomised: two seals of one value differ");

    assert_eq!(open(&seal_otp(" 482913 ".into(), &key).unwrap()), "482913");
    assert_eq!(open(&Otp::parse("4829".into()).unwrap().seal(&key).unwrap()), "4829");
    assert_eq!(open(&Mobile::parse("+91 98765 43210").unwrap().seal(&key).unwrap()), "9876543210");
    assert_eq!(open(&key.seal(b"").unwrap()), "");

    // Bad input never reaches the key.
    let mistyped = format!("{}{}", &aadhaar[..11], (aadhaar.as_bytes()[11] - b'0' + 1) % 10);
    message(seal_aadhaar(mistyped, &key));
    message(seal_otp("12".into(), &key));

    // A sealed value is plain data: it round-trips through JSON.
    let json = serde_json::to_string(&first).unwrap();
    assert_eq!(serde_json::from_str::<Sealed>(&json).unwrap(), first);
}

#[test]
fn seals_to_the_fixture_key_differ_every_time() {
    let key = BackboneKey::parse(CERT_PEM).unwrap();
    let a = key.seal(b"482913").unwrap();
    let b = key.seal(b"482913").unwrap();
    assert_ne!(a.base64, b.base64);
    assert_eq!(a.key_fingerprint, FIXTURE_FINGERPRINT);
    assert_eq!(STANDARD.decode(&a.base64).unwrap().len(), 256);
}
