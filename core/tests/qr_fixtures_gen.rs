//! The generator of the signed-QR conformance suite (fixtures/qr/, described in its README).
//! `REGENERATE_QR_FIXTURES=1 cargo nextest run -p locker-core --test qr_fixtures_gen` writes the
//! cases; without the variable it checks that the committed files are exactly what it would
//! write. Keys come from seeds and signatures from RFC 6979, so the output is the same on every
//! run. The layers are put together here with coset, miniz and Base45 step by step, apart from
//! the locker's own signer: the expectations are written by hand, never read off the verifier.

#[path = "support/qr_cases.rs"]
mod qr_cases;
#[path = "support/qr_issuer.rs"]
mod qr_issuer;

use ciborium::Value as Cbor;
use coset::{CoseSign1, Header, HeaderBuilder, Label, TaggedCborSerializable, iana};
use locker_core::share::signed::base45;
use qr_cases::{QrCase, claims_json, expected};
use qr_issuer::{TestIssuer, kid_of, trust_list_json};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// 2026-01-01T00:00:00Z: the counter's clock in most cases.
const NOW: u64 = 1_767_225_600;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
const SKEW: u64 = 30 * 60;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/qr")
}

fn issuer() -> TestIssuer {
    TestIssuer::from_seed("healthlocker qr fixtures: issuer A")
}
fn other_issuer() -> TestIssuer {
    TestIssuer::from_seed("healthlocker qr fixtures: issuer B")
}
fn device() -> TestIssuer {
    TestIssuer::from_seed("healthlocker qr fixtures: device 1")
}
fn other_device() -> TestIssuer {
    TestIssuer::from_seed("healthlocker qr fixtures: device 2")
}

fn int(n: impl Into<ciborium::value::Integer>) -> Cbor {
    Cbor::Integer(n.into())
}
fn text(s: &str) -> Cbor {
    Cbor::Text(s.into())
}

/// A claims map by key number.
type Claims = Vec<(i64, Cbor)>;

fn typical() -> Claims {
    vec![
        (1, int(NOW - HOUR)),
        (2, int(NOW - HOUR + DAY)),
        (3, int(91_432_187_652_109u64)),
        (4, text("asha.kumari@sbx")),
        (5, text("Asha Devi Kumari")),
        (6, text("F")),
        (7, int(19_870_314)),
        (8, int(9_876_543_210u64)),
        (9, int(560_001)),
    ]
}

fn set(mut c: Claims, key: i64, value: Cbor) -> Claims {
    c.retain(|(k, _)| *k != key);
    c.push((key, value));
    c.sort_by_key(|(k, _)| *k);
    c
}
fn drop(mut c: Claims, keys: &[i64]) -> Claims {
    c.retain(|(k, _)| !keys.contains(k));
    c
}

fn cbor(v: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).expect("CBOR encodes");
    out
}
fn claims_map(c: &Claims) -> Vec<(Cbor, Cbor)> {
    c.iter().map(|(k, v)| (int(*k), v.clone())).collect()
}

/// How the QR's COSE is put together; every field a case may break.
struct Qr {
    payload: Option<Vec<u8>>,
    claims: Option<Value>,
    protected: Header,
    unprotected: Header,
    signer: TestIssuer,
    signature: fn(Vec<u8>) -> Vec<u8>,
    payload_after_signing: Option<Vec<u8>>,
}

impl Qr {
    fn new(claims: &Claims, certificate: Vec<u8>) -> Qr {
        let map = claims_map(claims);
        Qr {
            payload: Some(cbor(&Cbor::Map(map.clone()))),
            claims: Some(claims_json(&map)),
            protected: HeaderBuilder::new().algorithm(iana::Algorithm::ES256).build(),
            unprotected: HeaderBuilder::new().value(-65537, Cbor::Bytes(certificate)).build(),
            signer: device(),
            signature: |s| s,
            payload_after_signing: None,
        }
    }

    fn cose(&self) -> Vec<u8> {
        let mut sign1 = CoseSign1 {
            protected: coset::ProtectedHeader { original_data: None, header: self.protected.clone() },
            unprotected: self.unprotected.clone(),
            payload: self.payload.clone(),
            signature: Vec::new(),
        };
        sign1.signature = (self.signature)(self.signer.sign(&sign1.tbs_data(&[])).to_vec());
        if let Some(p) = &self.payload_after_signing {
            sign1.payload = Some(p.clone());
        }
        sign1.to_tagged_vec().expect("COSE encodes")
    }
}

fn certificate() -> Vec<u8> {
    issuer().certify(&device().public_key, NOW + 30 * DAY)
}

fn trust() -> Value {
    trust_list_json(&[(&issuer(), NOW + 365 * DAY)], &[])
}

/// Everything a case needs, from which its JSON is written.
struct Made {
    description: &'static str,
    claims: Option<Value>,
    cbor: Option<Vec<u8>>,
    cose: Option<Vec<u8>>,
    compressed: Option<Vec<u8>>,
    base45: Option<String>,
    prefix: String,
    device: Option<[u8; 65]>,
    trust: Value,
    at: u64,
    problem: Option<&'static str>,
    claims_cbor_ok: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Zlib {
    IfShorter,
    Always,
}

fn made(description: &'static str, qr: &Qr, zlib: Zlib, problem: Option<&'static str>) -> Made {
    let cose = qr.cose();
    let deflated = miniz_oxide::deflate::compress_to_vec_zlib(&cose, 9);
    let compressed = (zlib == Zlib::Always || deflated.len() < cose.len()).then_some(deflated);
    let b45 = base45::encode(compressed.as_deref().unwrap_or(&cose));
    Made {
        description,
        claims: qr.claims.clone(),
        cbor: qr.payload.clone(),
        cose: Some(cose),
        compressed,
        prefix: format!("HL1:{b45}"),
        base45: Some(b45),
        device: Some(qr.signer.public_key),
        trust: trust(),
        at: NOW,
        problem,
        claims_cbor_ok: true,
    }
}

fn ok(description: &'static str, qr: &Qr) -> Made {
    made(description, qr, Zlib::IfShorter, None)
}

fn fails(description: &'static str, qr: &Qr, problem: &'static str) -> Made {
    made(description, qr, Zlib::IfShorter, Some(problem))
}

fn typical_qr() -> Qr {
    Qr::new(&typical(), certificate())
}

/// A case whose outer layers are given as bytes (the inner stages do not exist).
fn raw(description: &'static str, compressed: Option<Vec<u8>>, cose: Option<Vec<u8>>, problem: &'static str) -> Made {
    let b45 = base45::encode(compressed.as_deref().or(cose.as_deref()).expect("some bytes"));
    Made {
        description,
        claims: None,
        cbor: None,
        cose,
        compressed,
        prefix: format!("HL1:{b45}"),
        base45: Some(b45),
        device: None,
        trust: trust(),
        at: NOW,
        problem: Some(problem),
        claims_cbor_ok: true,
    }
}

fn with_text(description: &'static str, base45: String, prefix: String, problem: &'static str) -> Made {
    let mut m = ok(description, &typical_qr());
    m.base45 = Some(base45);
    m.prefix = prefix;
    m.problem = Some(problem);
    m
}

fn cases() -> BTreeMap<&'static str, Made> {
    let mut c: BTreeMap<&'static str, Made> = BTreeMap::new();
    let b45 = ok("", &typical_qr()).base45.expect("base45");

    // Valid.
    c.insert(
        "valid-typical",
        ok("A typical profile, every claim present; uncompressed (zlib would be longer).", &typical_qr()),
    );
    let long = set(
        set(typical(), 5, text("Venkataramanan Venkataramanan Venkataramanan Venkataramanan")),
        4,
        text("venkataramanan.venkataramanan@sbx"),
    );
    c.insert(
        "valid-compressed",
        ok("Long repetitive text: zlib is shorter, so the QR is compressed.", &Qr::new(&long, certificate())),
    );
    c.insert(
        "valid-address-only",
        ok("An ABHA address and no ABHA number.", &Qr::new(&drop(typical(), &[3]), certificate())),
    );
    c.insert(
        "valid-number-only",
        ok("An ABHA number and no ABHA address.", &Qr::new(&drop(typical(), &[4]), certificate())),
    );
    let minimal = set(set(set(drop(typical(), &[3, 8, 9]), 4, text("a@x")), 5, text("A")), 7, int(19_870_000));
    c.insert(
        "valid-minimal",
        ok(
            "Only the required claims, each as short as allowed: fits version 10 at ECC M (310 characters).",
            &Qr::new(&set(minimal, 6, text("U")), certificate()),
        ),
    );
    c.insert(
        "valid-birth-month",
        ok("A birth date with no day (yyyymm00).", &Qr::new(&set(typical(), 7, int(19_870_300)), certificate())),
    );
    c.insert(
        "valid-leap-day",
        ok("Born on 29 February of a leap year.", &Qr::new(&set(typical(), 7, int(20_000_229)), certificate())),
    );
    c.insert(
        "valid-devanagari-name",
        ok("A name in Devanagari (UTF-8 text).", &Qr::new(&set(typical(), 5, text("आशा देवी कुमारी")), certificate())),
    );
    c.insert(
        "valid-seven-days",
        ok(
            "Valid for exactly 7 days, the longest allowed.",
            &Qr::new(&set(typical(), 2, int(NOW - HOUR + 7 * DAY)), certificate()),
        ),
    );
    let mut m = ok(
        "Checked 30 minutes before it was issued: within the clock skew.",
        &Qr::new(&set(set(typical(), 1, int(NOW + SKEW)), 2, int(NOW + SKEW + DAY)), certificate()),
    );
    m.at = NOW;
    c.insert("valid-within-skew-before-issue", m);
    let mut m = ok("Checked 30 minutes after it expired: within the clock skew.", &typical_qr());
    m.at = NOW - HOUR + DAY + SKEW;
    c.insert("valid-within-skew-after-expiry", m);
    let mut m = ok(
        "Checked 30 minutes after its certificate expired: within the clock skew.",
        &Qr::new(&typical(), issuer().certify(&device().public_key, NOW - SKEW)),
    );
    m.at = NOW;
    c.insert("valid-certificate-within-skew", m);
    let mut m = ok(
        "Two issuers in the trust list; the second one certified the device.",
        &Qr::new(&typical(), other_issuer().certify(&device().public_key, NOW + 30 * DAY)),
    );
    m.trust = trust_list_json(&[(&issuer(), NOW + 365 * DAY), (&other_issuer(), NOW + 365 * DAY)], &[]);
    c.insert("valid-second-issuer", m);
    let mut m = ok("Other keys are revoked, not these.", &typical_qr());
    m.trust = trust_list_json(&[(&issuer(), NOW + 365 * DAY)], &[kid_of(&other_device().public_key), [0; 8]]);
    c.insert("valid-others-revoked", m);

    // The text and Base45.
    c.insert(
        "wrong-prefix-hc1",
        with_text("EU DCC's prefix, HC1:, instead of HL1:.", b45.clone(), format!("HC1:{b45}"), "wrong-prefix"),
    );
    c.insert(
        "wrong-prefix-lower-case",
        with_text("The prefix in lower case (hl1:).", b45.clone(), format!("hl1:{b45}"), "wrong-prefix"),
    );
    c.insert(
        "wrong-prefix-missing",
        with_text("The Base45 text with no prefix at all.", b45.clone(), b45.clone(), "wrong-prefix"),
    );
    let lower = format!("{}a{}", &b45[..10], &b45[11..]);
    c.insert(
        "bad-base45-character",
        with_text(
            "A lower-case letter, outside the Base45 alphabet.",
            lower.clone(),
            format!("HL1:{lower}"),
            "bad-base45",
        ),
    );
    let mut longer = b45.clone();
    while longer.len() % 3 != 1 {
        longer.push('0');
    }
    c.insert(
        "bad-base45-length",
        with_text(
            "Zeros added to make a length of 3n + 1, which Base45 never makes.",
            longer.clone(),
            format!("HL1:{longer}"),
            "bad-base45",
        ),
    );
    let overflow = format!(":::{}", &b45[3..]);
    c.insert(
        "bad-base45-overflow",
        with_text(
            "A first group of ::: (91 124), more than two bytes hold.",
            overflow.clone(),
            format!("HL1:{overflow}"),
            "bad-base45",
        ),
    );

    // Compression.
    let mut bomb = vec![0xD2];
    bomb.resize(1 << 20, 0);
    c.insert(
        "too-large-zlib-bomb",
        raw(
            "A zlib bomb: a few hundred bytes inflating to 1 MiB.",
            Some(miniz_oxide::deflate::compress_to_vec_zlib(&bomb, 9)),
            None,
            "too-large",
        ),
    );
    let mut huge = vec![0xD2];
    huge.resize(4097, 0x41);
    c.insert(
        "too-large-uncompressed",
        raw("4 097 bytes with no compression: more than any QR holds.", None, Some(huge), "too-large"),
    );
    let cose = typical_qr().cose();
    let z = miniz_oxide::deflate::compress_to_vec_zlib(&cose, 9);
    c.insert(
        "bad-compression-truncated",
        raw("A zlib stream cut short.", Some(z[..z.len() - 5].to_vec()), Some(cose.clone()), "bad-compression"),
    );
    let mut adler = z.clone();
    *adler.last_mut().expect("bytes") ^= 0x01;
    c.insert(
        "bad-compression-checksum",
        raw("A zlib stream whose Adler-32 is wrong.", Some(adler), Some(cose.clone()), "bad-compression"),
    );

    // COSE.
    let mut untagged = cose.clone();
    untagged.remove(0);
    c.insert("bad-cose-untagged", raw("The COSE_Sign1 without its tag (18).", None, Some(untagged), "bad-cose"));
    let mut mac0 = cose.clone();
    mac0[0] = 0xD1;
    c.insert("bad-cose-other-tag", raw("Tagged 17 (COSE_Mac0) instead of 18.", None, Some(mac0), "bad-cose"));
    c.insert(
        "bad-cose-truncated",
        raw("The COSE_Sign1 cut short by one byte.", None, Some(cose[..cose.len() - 1].to_vec()), "bad-cose"),
    );
    c.insert(
        "bad-cose-not-cbor",
        raw("Tag 18 followed by a byte that starts no CBOR item.", None, Some(vec![0xD2, 0xFF, 0x00]), "bad-cose"),
    );
    let mut trailing = cose.clone();
    trailing.push(0x00);
    c.insert("bad-cose-trailing-byte", raw("A byte after the COSE_Sign1.", None, Some(trailing), "bad-cose"));
    let mut q = typical_qr();
    q.protected.key_id = vec![1, 2, 3, 4];
    c.insert(
        "bad-cose-extra-protected-header",
        fails("The protected header holds a kid beside the algorithm.", &q, "bad-cose"),
    );
    let mut q = typical_qr();
    q.unprotected = Header::default();
    c.insert("bad-cose-no-certificate", fails("No device certificate under label -65537.", &q, "bad-cose"));
    let mut q = typical_qr();
    q.unprotected.rest.push((Label::Int(-65538), Cbor::Bytes(vec![0])));
    c.insert(
        "bad-cose-extra-unprotected-header",
        fails("Another private label beside the certificate.", &q, "bad-cose"),
    );
    let mut q = typical_qr();
    q.unprotected = HeaderBuilder::new().value(-65537, text("not bytes")).build();
    c.insert("bad-cose-certificate-not-bytes", fails("Label -65537 holds text, not bytes.", &q, "bad-cose"));
    let mut q = typical_qr();
    q.payload = None;
    q.claims = None;
    c.insert("bad-cose-detached-payload", fails("The QR's payload is detached (nil).", &q, "bad-cose"));
    let mut q = typical_qr();
    q.protected.alg = Some(coset::Algorithm::Assigned(iana::Algorithm::EdDSA));
    c.insert("unsupported-algorithm-eddsa", fails("Protected header {1: -8} (EdDSA).", &q, "unsupported-algorithm"));
    let mut q = typical_qr();
    q.protected.alg = Some(coset::Algorithm::Assigned(iana::Algorithm::ES384));
    c.insert("unsupported-algorithm-es384", fails("Protected header {1: -35} (ES384).", &q, "unsupported-algorithm"));
    let mut q = typical_qr();
    q.protected = Header::default();
    c.insert(
        "unsupported-algorithm-none",
        fails("An empty protected header: no algorithm.", &q, "unsupported-algorithm"),
    );

    // The certificate.
    let d = device().public_key;
    let cert = |change: fn(&mut Header, &mut Header)| issuer().certificate_signed(&d, NOW + 30 * DAY, change, |s| s);
    c.insert(
        "bad-certificate-garbage",
        fails("The certificate is not CBOR.", &Qr::new(&typical(), vec![0xFF, 0xFF]), "bad-certificate"),
    );
    c.insert(
        "bad-certificate-untagged",
        fails("The certificate without its tag.", &Qr::new(&typical(), certificate()[1..].to_vec()), "bad-certificate"),
    );
    c.insert(
        "bad-certificate-kid-length",
        fails(
            "The issuer's kid is 7 bytes.",
            &Qr::new(&typical(), cert(|p, _| p.key_id.truncate(7))),
            "bad-certificate",
        ),
    );
    c.insert(
        "bad-certificate-no-kid",
        fails(
            "The certificate names no issuer kid.",
            &Qr::new(&typical(), cert(|p, _| p.key_id.clear())),
            "bad-certificate",
        ),
    );
    c.insert(
        "bad-certificate-no-expiry",
        fails(
            "The certificate has no CWT claims header (15).",
            &Qr::new(&typical(), cert(|p, _| p.rest.clear())),
            "bad-certificate",
        ),
    );
    c.insert(
        "bad-certificate-algorithm",
        fails(
            "The certificate's protected header says ES384.",
            &Qr::new(&typical(), cert(|p, _| p.alg = Some(coset::Algorithm::Assigned(iana::Algorithm::ES384)))),
            "bad-certificate",
        ),
    );
    c.insert(
        "bad-certificate-unprotected-header",
        fails(
            "The certificate's unprotected header is not empty.",
            &Qr::new(&typical(), cert(|_, u| u.key_id = vec![7])),
            "bad-certificate",
        ),
    );
    let attached = {
        let mut s = CoseSign1::from_tagged_slice(&certificate()).expect("our certificate reads");
        s.payload = Some(d.to_vec());
        s.to_tagged_vec().expect("encodes")
    };
    c.insert(
        "bad-certificate-attached-payload",
        fails(
            "The certificate carries the device key instead of detaching it.",
            &Qr::new(&typical(), attached),
            "bad-certificate",
        ),
    );

    // Trust.
    let mut m = fails(
        "Certified by an issuer the trust list does not hold.",
        &Qr::new(&typical(), other_issuer().certify(&d, NOW + 30 * DAY)),
        "unknown-key",
    );
    m.trust = trust();
    c.insert("unknown-key", m);
    let mut m = fails("The issuer's key is revoked.", &typical_qr(), "key-revoked");
    m.trust = trust_list_json(&[(&issuer(), NOW + 365 * DAY)], &[issuer().kid]);
    c.insert("key-revoked-issuer", m);
    let mut m = fails(
        "The device's key is revoked (its id: SHA-256 of its SEC1 form, first 8 bytes).",
        &typical_qr(),
        "key-revoked",
    );
    m.trust = trust_list_json(&[(&issuer(), NOW + 365 * DAY)], &[kid_of(&d)]);
    c.insert("key-revoked-device", m);

    // Signatures.
    let mut q = typical_qr();
    q.signature = |mut s| {
        s[10] ^= 0x01;
        s
    };
    c.insert("bad-signature-bit-flipped", fails("One bit of the device's signature flipped.", &q, "bad-signature"));
    let mut q = typical_qr();
    q.signature = |mut s| {
        s.push(0);
        s
    };
    c.insert("bad-signature-65-bytes", fails("The device's signature is 65 bytes.", &q, "bad-signature"));
    let mut q = typical_qr();
    q.signature = |mut s| {
        s.pop();
        s
    };
    c.insert("bad-signature-63-bytes", fails("The device's signature is 63 bytes.", &q, "bad-signature"));
    let mut q = typical_qr();
    q.signature = |_| vec![0; 64];
    c.insert("bad-signature-zero", fails("The device's signature is all zeros (r = s = 0).", &q, "bad-signature"));
    let mut q = typical_qr();
    q.signer = other_device();
    c.insert(
        "bad-signature-another-device",
        fails("Signed by a device the certificate is not for.", &q, "bad-signature"),
    );
    let forged = other_issuer().with_kid(issuer().kid).certify(&d, NOW + 30 * DAY);
    c.insert(
        "bad-signature-forged-certificate",
        fails(
            "A certificate naming the trusted issuer's kid, signed by another key.",
            &Qr::new(&typical(), forged),
            "bad-signature",
        ),
    );
    c.insert(
        "bad-signature-certificate-signature-length",
        fails(
            "The certificate's signature is 63 bytes.",
            &Qr::new(
                &typical(),
                issuer().certificate_signed(
                    &d,
                    NOW + 30 * DAY,
                    |_, _| {},
                    |mut s| {
                        s.pop();
                        s
                    },
                ),
            ),
            "bad-signature",
        ),
    );
    let mut q = typical_qr();
    let changed = set(typical(), 5, text("Asha Devi Kumar"));
    q.payload_after_signing = Some(cbor(&Cbor::Map(claims_map(&changed))));
    let mut m = fails("The name changed after signing.", &q, "bad-signature");
    m.cbor = q.payload_after_signing.clone();
    m.claims = Some(claims_json(&claims_map(&changed)));
    c.insert("bad-signature-claims-changed", m);

    // Expiry of the certificate.
    let mut m = fails(
        "The certificate expired more than 30 minutes ago.",
        &Qr::new(&typical(), issuer().certify(&d, NOW - SKEW - 1)),
        "certificate-expired",
    );
    m.at = NOW;
    c.insert("certificate-expired", m);
    let mut m = fails(
        "The issuer key's notAfter has passed: it certifies nothing any more.",
        &typical_qr(),
        "certificate-expired",
    );
    m.trust = trust_list_json(&[(&issuer(), NOW - DAY)], &[]);
    c.insert("certificate-expired-issuer-key", m);

    // Claims.
    let claims_case =
        |c: &mut BTreeMap<&'static str, Made>, name: &'static str, description: &'static str, claims: Claims| {
            c.insert(name, fails(description, &Qr::new(&claims, certificate()), "bad-claims"));
        };
    claims_case(
        &mut c,
        "bad-claims-unknown-key",
        "A claim under key 10, which the spec does not define.",
        set(typical(), 10, int(1)),
    );
    claims_case(&mut c, "bad-claims-missing-name", "No name (key 5).", drop(typical(), &[5]));
    claims_case(&mut c, "bad-claims-empty-name", "An empty name.", set(typical(), 5, text("")));
    claims_case(&mut c, "bad-claims-gender", "Gender X.", set(typical(), 6, text("X")));
    claims_case(
        &mut c,
        "bad-claims-13-digit-abha-number",
        "An ABHA number of 13 digits.",
        set(typical(), 3, int(9_143_218_765_210u64)),
    );
    claims_case(&mut c, "bad-claims-no-abha", "Neither an ABHA number nor an ABHA address.", drop(typical(), &[3, 4]));
    claims_case(
        &mut c,
        "bad-claims-upper-case-address",
        "An ABHA address with upper case.",
        set(typical(), 4, text("Asha.Kumari@sbx")),
    );
    claims_case(
        &mut c,
        "bad-claims-validity-over-7-days",
        "Expires 7 days and 1 second after issue.",
        set(typical(), 2, int(NOW - HOUR + 7 * DAY + 1)),
    );
    claims_case(
        &mut c,
        "bad-claims-expires-before-issue",
        "Expires when it is issued.",
        set(typical(), 2, int(NOW - HOUR)),
    );
    claims_case(
        &mut c,
        "bad-claims-text-for-uint",
        "Issued-at as text where a uint belongs.",
        set(typical(), 1, text("1767222000")),
    );
    claims_case(&mut c, "bad-claims-birth-month-13", "Born in month 13.", set(typical(), 7, int(19_871_314)));
    claims_case(
        &mut c,
        "bad-claims-9-digit-mobile",
        "A mobile number of 9 digits.",
        set(typical(), 8, int(987_654_321)),
    );
    let mut q = typical_qr();
    let mut dup = claims_map(&typical());
    dup.push((int(5), text("Another Name")));
    q.payload = Some(cbor(&Cbor::Map(dup)));
    q.claims = None;
    c.insert("bad-claims-duplicate-key", fails("The name (key 5) twice.", &q, "bad-claims"));
    let mut q = typical_qr();
    let mut long_head = q.payload.clone().expect("a payload");
    long_head.splice(2..7, [0x1B, 0, 0, 0, 0].into_iter().chain((NOW - HOUR).to_be_bytes()[4..].iter().copied()));
    q.payload = Some(long_head);
    c.insert("bad-claims-not-shortest", fails("Issued-at written in 8 bytes where 4 suffice.", &q, "bad-claims"));
    let mut q = typical_qr();
    let mut cut = q.payload.clone().expect("a payload");
    cut.truncate(20);
    q.payload = Some(cut);
    q.claims = None;
    let mut m = fails("The claims are cut short: not one whole CBOR item.", &q, "bad-claims");
    m.claims_cbor_ok = false;
    c.insert("bad-claims-malformed-cbor", m);

    // The QR's own validity.
    let mut m = fails(
        "Checked more than 30 minutes before it was issued.",
        &Qr::new(&set(set(typical(), 1, int(NOW + SKEW + 1)), 2, int(NOW + SKEW + 1 + DAY)), certificate()),
        "not-yet-valid",
    );
    m.at = NOW;
    c.insert("not-yet-valid", m);
    let mut m = fails("Checked more than 30 minutes after it expired.", &typical_qr(), "expired");
    m.at = NOW - HOUR + DAY + SKEW + 1;
    c.insert("expired", m);
    c
}

fn case_json(m: &Made) -> String {
    let case = QrCase {
        description: m.description.to_string(),
        claims: m.claims.clone(),
        cbor: m.cbor.as_ref().map(hex::encode),
        cose: m.cose.as_ref().map(hex::encode),
        compressed: m.compressed.as_ref().map(hex::encode),
        base45: m.base45.clone(),
        prefix: m.prefix.clone(),
        png: None,
        device_key: m.device.map(hex::encode),
        trust_list: m.trust.clone(),
        verified_at: m.at,
        expected: expected(m.problem, m.claims_cbor_ok),
    };
    serde_json::to_string_pretty(&case).expect("a case serialises") + "\n"
}

#[test]
fn the_committed_cases_are_what_the_generator_makes() {
    let cases = cases();
    let dir = suite();
    let regenerate = std::env::var_os("REGENERATE_QR_FIXTURES").is_some();
    let mut problems = Vec::new();
    for (name, made) in &cases {
        assert!(!made.description.is_empty(), "{name}: no description");
        let path = dir.join(format!("{name}.json"));
        let want = case_json(made);
        if regenerate {
            std::fs::write(&path, &want).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            problems.push(format!("{name}.json differs from what the generator makes"));
        }
    }
    for entry in std::fs::read_dir(&dir).expect("fixtures/qr") {
        let file = entry.expect("an entry").file_name().to_string_lossy().into_owned();
        if let Some(stem) = file.strip_suffix(".json")
            && !cases.contains_key(stem)
        {
            problems.push(format!("{file} is not a case the generator makes"));
        }
    }
    assert!(problems.is_empty(), "run with REGENERATE_QR_FIXTURES=1 to rewrite:\n{}", problems.join("\n"));
    assert!(cases.len() >= 40);
}
