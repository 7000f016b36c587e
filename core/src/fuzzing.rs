//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`, never in a shipped build):
//! each runs one parser of outside bytes the way the locker runs it, and must return (an error
//! is fine) rather than panic, loop or allocate without bound, whatever the bytes.

#![allow(missing_docs)]

use crate::crypto::attachment_stream::{Direct, FileKey, Opener, Sealer};
use crate::records::ImportOptions;
use crate::store::keycheck::KeyCheck;
use std::io::{Read, Write};

/// A bundle as import reads it: inline data found and cut out, the rest parsed and indexed,
/// hashed; then the large values decoded as they would be into attachment files.
pub fn bundle(bytes: &[u8]) {
    let _ = crate::records::fuzz_prepare(bytes, &ImportOptions::default());
    let _ =
        crate::records::fuzz_prepare(bytes, &ImportOptions { care_context: Some("cc-1".into()), ..Default::default() });
    let mut out = Vec::new();
    let _ = crate::fhir::base64_text::LenientBase64::new(bytes).read_to_end(&mut out);
}

/// Error bodies in every shape ABDM sends, under every status a call gets.
pub fn answer_error(bytes: &[u8]) {
    if let Some(code) = crate::sync::wire::error_code(bytes) {
        assert!(code.len() <= 32 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    }
    for status in [200, 400, 401, 403, 422, 429, 500] {
        let _ = crate::sync::wire::refusal(status, bytes);
        let _ = crate::sync::wire::is_token_rejection(status, bytes);
    }
}

/// The gateway's session answer, read at an ordinary time and at the end of time.
pub fn answer_session(bytes: &[u8]) {
    let _ = crate::sync::client::read_session(bytes, 1_700_000_000_000);
    let _ = crate::sync::client::read_session(bytes, i64::MAX - 1);
}

/// The ABHA service's answers: enrolment and profile (in either shape), tokens, dates.
pub fn answer_enrolment(bytes: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let _ = crate::sync::abha_api::read_profile(&v);
        let _ = crate::sync::abha_api::read_profile(v.get("ABHAProfile").unwrap_or(&v));
        let _ = crate::sync::abha_api::read_token(&v);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = crate::sync::abha_api::normalise_date(text);
        let _ = crate::time::parse_fhir_datetime(text);
    }
}

/// The key check file, as opening a store reads it.
pub fn key_check(bytes: &[u8]) {
    if let Some(kc) = KeyCheck::parse(bytes) {
        let key = crate::crypto::DatabaseKey::from_bytes(&[7; 32]).expect("32 bytes");
        let _ = kc.accepts(&key);
        let _ = kc.rekey_in_flight();
    }
}

/// An attachment file, as reading one verifies it: under a fixed key, whatever its bytes and
/// whatever length its row claims. Also round-trips `bytes` as content, which must come back.
pub fn attachment_file(bytes: &[u8]) {
    let key = || FileKey::derive(&[1; 32], &[2; 32], &[3; 16]);
    for claimed in [bytes.len() as u64, bytes.len().saturating_sub(1) as u64, u64::MAX] {
        if let Ok(mut opener) = Opener::new(Direct(bytes), key(), claimed) {
            let mut out = Vec::new();
            let _ = opener.read_to_end(&mut out);
        }
    }
    let mut sealer = Sealer::new(Direct(Vec::new()), key()).expect("a sealer over memory");
    sealer.write_all(bytes).expect("memory takes every byte");
    let (Direct(sealed), n) = sealer.finish().expect("a sealer over memory finishes");
    let mut back = Vec::new();
    Opener::new(Direct(&sealed[..]), key(), sealed.len() as u64)
        .and_then(|mut o| o.read_to_end(&mut back))
        .expect("what was sealed opens");
    assert_eq!((back.as_slice(), n), (bytes, bytes.len() as u64), "sealed content came back changed");
}

/// ABHA numbers and addresses (both rules), as typed or read from a QR code.
pub fn abha_identifiers(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    if let Ok(n) = crate::abha::AbhaNumber::parse(text) {
        assert_eq!(n.digits().len(), 14);
        assert_eq!(crate::abha::AbhaNumber::parse(&n.dashed()).expect("the dashed form parses"), n);
        let _ = n.passes_luhn();
    }
    for parse in [crate::abha::AbhaAddress::parse, crate::abha::AbhaAddress::for_creation] {
        if let Ok(a) = parse(text) {
            assert_eq!(crate::abha::AbhaAddress::parse(&a.to_string()).expect("the normal form parses"), a);
        }
    }
}

/// Aadhaar numbers, mobile numbers, OTPs and birth dates as a person types them.
pub fn aadhaar_and_personal(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let _ = crate::abha::Aadhaar::parse(text.to_string());
    let _ = crate::abha::Mobile::parse(text);
    let _ = crate::abha::Otp::parse(text.to_string());
    let _ = crate::time::parse_birth_date(text, 1_800_000_000_000);
}

/// A consent request as the consent manager sends it (`GET /consent/v3/request/{id}`, or an
/// element of the list). One that reads holds together, and the approval we would send for it,
/// read back as an artefact, grants exactly the permission asked.
pub fn consent_request(bytes: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
        consent_request_value(&v);
    }
}

/// A consent artefact as the consent manager sends it (`{status, consentDetail, signature}`).
/// One that reads holds together, its `consentDetail` canonicalises, and the policy lets a
/// record inside every one of its limits go under it, and stops it at each limit.
pub fn consent_artefact(bytes: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
        consent_artefact_value(&v);
    }
}

/// A list answer, under the keys the pull reads (requests; artefacts), each element read both
/// as a request and as an artefact.
pub fn consent_list(bytes: &[u8]) {
    use crate::consent::wire;
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else { return };
    for (keys, what) in
        [(&["requests"][..], "consent-requests"), (&["consentArtefacts", "artefacts"][..], "consent-artefacts")]
    {
        if let Ok(items) = wire::list(&v, keys, what) {
            for item in items {
                consent_request_value(item);
                consent_artefact_value(item);
            }
        }
    }
}

/// The consent manager's published keys (JWKS) and a signature check against them: the input's
/// `consentDetail` (or the whole input) under the input's `signature`. Keys read are usable
/// RSA keys; the canonical form is stable; a signature verifies only under a key it was given.
pub fn consent_jwks(bytes: &[u8]) {
    use crate::consent::signature;
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else { return };
    let keys = signature::read_jwks(&v).unwrap_or_default();
    for k in &keys {
        assert!((256..=1024).contains(&k.n.len()) && !k.e.is_empty() && k.kid.chars().count() <= 64);
    }
    let detail = v.get("consentDetail").unwrap_or(&v);
    if let Ok(canonical) = signature::canonical(detail) {
        let again: serde_json::Value = serde_json::from_slice(&canonical).expect("canonical JSON is JSON");
        assert_eq!(
            signature::canonical(&again).expect("canonical JSON canonicalises"),
            canonical,
            "RFC 8785 is stable"
        );
    }
    let sig = v["signature"].as_str().unwrap_or_default();
    if let Ok(Some(kid)) = signature::verify(&keys, detail, sig) {
        assert!(keys.iter().any(|k| k.kid == kid), "verified under a key it was not given");
    }
    assert!(!matches!(signature::verify(&[], detail, sig), Ok(Some(_))), "verified under no key");
}

fn consent_request_value(v: &serde_json::Value) {
    use crate::consent::model::{GrantChoice, Party};
    use crate::consent::wire;
    let Ok(r) = wire::read_request(v) else { return };
    let p = &r.permission;
    assert!(p.date_from_ms <= p.date_to_ms && !r.hi_types.is_empty());
    assert!(wire::id(&serde_json::json!(r.id), "id").is_ok(), "an id read is an id");
    // Outside the years a datetime is read in (1800 to 9999, which an offset can cross), what we
    // write is not what we read: the round trip is asked only inside them.
    let day = 86_400_000;
    let first = locker_calendar::days_from_civil(1800, 1, 1) * day;
    let last = locker_calendar::days_from_civil(10_000, 1, 1) * day - 1;
    if ![p.date_from_ms, p.date_to_ms, p.erase_at_ms].iter().all(|t| (first..=last).contains(t)) {
        return;
    }
    let choice = GrantChoice {
        hip: r.hip.clone().unwrap_or(Party { id: "hip-1".into(), name: None }),
        hi_types: r.hi_types.clone(),
        care_contexts: r.care_contexts.clone(),
        date_from_ms: p.date_from_ms,
        date_to_ms: p.date_to_ms,
        erase_at_ms: p.erase_at_ms,
    };
    let mut detail = wire::approval_body(&r, &[choice])["consents"][0].take();
    detail["consentId"] = serde_json::json!(r.id);
    detail["patient"] = serde_json::json!({ "id": r.patient });
    detail["hiu"] = serde_json::json!({ "id": r.hiu.id });
    let back = wire::read_artefact(&serde_json::json!({ "status": "GRANTED", "consentDetail": detail }))
        .expect("the approval we send reads back");
    assert_eq!(back.grant.permission, r.permission, "the approval grants other than was asked");
    assert_eq!((back.grant.hi_types, back.grant.care_contexts), (r.hi_types, r.care_contexts));
}

fn consent_artefact_value(v: &serde_json::Value) {
    use crate::consent::model::{ConsentStatus, Verification};
    use crate::consent::policy::{DenyReason, RecordFacts, Release, UseHistory, decide};
    let Ok(a) = crate::consent::wire::read_artefact(v) else { return };
    let _ = crate::consent::signature::canonical(&a.detail);
    assert!(a.signature.as_deref().is_none_or(|s| !s.is_empty()));
    let mut g = a.grant;
    let p = g.permission.clone();
    assert!(p.date_from_ms <= p.date_to_ms && !g.hi_types.is_empty());
    let Some(cc) = g.care_contexts.first().map(|c| c.care_context_reference.clone()) else { return };
    g.status = ConsentStatus::Granted;
    g.verification = Verification::Verified;
    let record = RecordFacts {
        id: "r1".into(),
        patient: g.patient.to_ascii_uppercase(),
        hi_type: g.hi_types[g.hi_types.len() - 1],
        date_ms: p.date_to_ms,
        care_context: cc,
    };
    let release = Release {
        hiu: g.hiu.clone(),
        consent_id: Some(g.id.clone()),
        mode: p.access_mode,
        date_range: Some((p.date_from_ms, p.date_to_ms)),
        records: vec![record],
    };
    let grants = [g];
    let reason = |uses: &UseHistory, now: i64| decide(&grants, uses, &release, now).denied.first().map(|d| d.reason);
    let none = UseHistory::new();
    let now = p.erase_at_ms.saturating_sub(1);
    assert_eq!(reason(&none, p.erase_at_ms), Some(DenyReason::Expired));
    if p.frequency.value == 0 {
        assert_eq!(reason(&none, now), Some(DenyReason::TooFrequent));
        return;
    }
    assert_eq!(reason(&none, now), None, "a record inside every limit is denied");
    let id = grants[0].id.clone();
    let unit = p.frequency.unit.millis();
    if p.frequency.repeats < 1000 {
        let spent = UseHistory::from([(id.clone(), vec![now - unit; p.frequency.repeats as usize + 1])]);
        assert_eq!(reason(&spent, now), Some(DenyReason::RepeatsUsed));
    }
    if p.frequency.value <= p.frequency.repeats && p.frequency.value < 1000 {
        let recent = UseHistory::from([(id, vec![now - unit + 1; p.frequency.value as usize])]);
        assert_eq!(reason(&recent, now), Some(DenyReason::TooFrequent));
    }
}

/// A scanned facility code, as text (links, the older JSON, anything): one that reads names ids
/// within their rules, and its link reads back as the same counter.
pub fn facility_qr(bytes: &[u8]) {
    use crate::share::FacilityQr;
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    for configured in [None, Some("http://127.0.0.1:8080")] {
        if let Ok(q) = FacilityQr::parse_for(text, configured) {
            assert!(
                !q.hip_id.is_empty() && q.hip_id.len() <= 64 && !q.counter_id.is_empty() && q.counter_id.len() <= 40
            );
            let back = FacilityQr::parse(&q.link("https://phr.abdm.gov.in")).expect("our own link reads");
            assert_eq!((back.hip_id, back.counter_id), (q.hip_id, q.counter_id));
        }
    }
}

/// A scanned patient's ABHA QR (the card's JSON or the PHR app's): one that reads has an
/// address that reads again, a number of 14 digits if any, and prints nothing of itself.
pub fn abha_qr(bytes: &[u8]) {
    use crate::share::AbhaQr;
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    if let Ok(q) = AbhaQr::parse(text, "sbx") {
        assert!(crate::abha::address::AbhaAddress::parse(&q.abha_address).is_ok(), "its address reads again");
        if let Some(n) = &q.abha_number {
            assert_eq!(n.bytes().filter(u8::is_ascii_digit).count(), 14);
        }
        assert_eq!(format!("{q:?}").matches('@').count(), 0, "Debug carries no address");
    }
}

/// Base45 as a counter reads a signed QR's text: what decodes encodes back to the same text (the
/// encoding is one-to-one), and any bytes encode to a text that decodes back to them.
pub fn qr_base45(bytes: &[u8]) {
    use crate::share::signed::base45;
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Ok(decoded) = base45::decode(text)
    {
        assert_eq!(base45::encode(&decoded), text, "Base45 is one-to-one");
        assert!(decoded.len() * 3 <= text.len() * 2 + 1);
    }
    let text = base45::encode(bytes);
    assert_eq!(base45::decode(&text).expect("what we encode decodes"), bytes);
}

/// zlib as a signed QR's content: never more than the cap out, what inflates deflates and
/// inflates back, and compressing "only when shorter" never lengthens.
pub fn qr_inflate(bytes: &[u8]) {
    use crate::share::signed::compress::{self, MAX_INFLATED};
    if let Ok(out) = compress::inflate(bytes) {
        assert!(out.len() <= MAX_INFLATED, "inflated past the cap");
        let again = miniz_oxide::deflate::compress_to_vec_zlib(&out, 6);
        assert_eq!(compress::inflate(&again).expect("our own zlib inflates"), out);
    }
    let packed = compress::deflate_if_shorter(bytes);
    assert!(packed.len() <= bytes.len());
    if packed.len() < bytes.len() && bytes.len() <= MAX_INFLATED {
        assert_eq!(compress::inflate(&packed).expect("our own zlib inflates"), bytes);
    }
}

/// A trust list a counter could be handed, and a verifier's fixed one (a key from a fixed seed).
fn qr_trust() -> &'static crate::share::signed::TrustList {
    use base64::Engine;
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    static TRUST: std::sync::OnceLock<crate::share::signed::TrustList> = std::sync::OnceLock::new();
    TRUST.get_or_init(|| {
        let secret = p256::SecretKey::from_slice(&[0x5A; 32]).expect("a scalar below the order");
        let point = secret.public_key().to_encoded_point(false);
        let key = <[u8; 65]>::try_from(point.as_bytes()).expect("65 bytes");
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let json = serde_json::json!({"version": 1, "issuedAt": 0, "revoked": [],
            "keys": [{"kid": b64(&crate::share::signed::trust::key_id(&key)), "publicKey": b64(&key), "notAfter": u64::MAX}]});
        crate::share::signed::TrustList::from_json(json.to_string().as_bytes()).expect("a trust list")
    })
}

/// The COSE layer: a QR's COSE_Sign1 and a device certificate, as bytes. What reads as a QR
/// carries ES256 and a payload; what reads as a certificate carries an 8-byte kid; bytes that
/// could be a QR's content go through the envelope unchanged and verify to nothing that does
/// not write back to its own payload.
pub fn qr_cose(bytes: &[u8]) {
    use crate::share::signed::{SignedQrProblem, cose, envelope, verify_signed_qr};
    if let Ok(qr) = cose::parse_qr(bytes) {
        assert_eq!(qr.sign1.protected.header.alg, Some(coset::Algorithm::Assigned(coset::iana::Algorithm::ES256)));
        if let Ok(cert) = cose::parse_certificate(&qr.certificate) {
            assert!(cert.cose.payload.is_none());
        }
    }
    if let Ok(cert) = cose::parse_certificate(bytes) {
        assert_eq!(cert.kid.len(), 8);
        assert!(cert.cose.payload.is_none() && cert.cose.unprotected.is_empty());
    }
    if bytes.first() == Some(&envelope::COSE_SIGN1_FIRST_BYTE) && bytes.len() <= 4096 {
        let text = envelope::seal(bytes);
        assert_eq!(envelope::open(&text).expect("a sealed COSE opens"), bytes);
        match verify_signed_qr(&text, qr_trust(), 1_767_225_600) {
            Ok(ok) => {
                let payload = cose::parse_qr(bytes).expect("it verified").payload;
                assert_eq!(ok.claims.to_cbor().expect("verified claims write").len(), payload.len());
            }
            Err(p) => assert!(SignedQrProblem::ALL.contains(&p)),
        }
    }
}

/// The claims map: what reads writes back to as many bytes (the same items, keys ascending)
/// and reads back the same; nothing it reads is printed.
pub fn qr_claims(bytes: &[u8]) {
    use crate::share::signed::QrClaims;
    if let Ok(c) = QrClaims::from_cbor(bytes) {
        let again = c.to_cbor().expect("claims read are claims that write");
        assert_eq!(again.len(), bytes.len(), "shortest forms both ways");
        assert_eq!(QrClaims::from_cbor(&again).expect("written claims read"), c);
        let shown = format!(
            "QrClaims {{ issued_at: {}, expires_at: {}, has_abha_number: {}, has_abha_address: {}, .. }}",
            c.issued_at,
            c.expires_at,
            c.abha_number.is_some(),
            c.abha_address.is_some()
        );
        assert_eq!(format!("{c:?}"), shown, "Debug shows only times and presence");
    }
}

/// The whole check, on any text, against a fixed trust list at three clocks; and any trust list.
pub fn qr_verify(bytes: &[u8]) {
    use crate::share::signed::{SignedQrProblem, TrustList, trust::key_id, verify_signed_qr};
    if let Ok(list) = TrustList::from_json(bytes) {
        assert!(list.keys.iter().all(|(kid, k)| key_id(&k.public_key) == *kid));
    }
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    for now in [0, 1_767_225_600, u64::MAX] {
        match verify_signed_qr(text, qr_trust(), now) {
            Ok(ok) => assert!(ok.claims.to_cbor().is_ok() && qr_trust().keys.contains_key(&ok.issuer_kid)),
            Err(p) => assert!(SignedQrProblem::ALL.contains(&p)),
        }
    }
}

/// A gallery photo's bytes (PNG or JPEG) read for QR codes; the same bytes as a camera's luma
/// plane (the first byte picks the width, the stride a little wider) and as an RGBA frame.
pub fn qr_image(bytes: &[u8]) {
    let _ = crate::share::decode::decode_image(bytes);
    if let Some((&w, plane)) = bytes.split_first() {
        let width = u32::from(w % 64) + 1;
        let stride = width + u32::from(w / 64);
        let height = (plane.len() / stride as usize) as u32;
        let _ = crate::share::decode::decode_frame(plane, width, height, stride);
        let _ = crate::share::decode::decode_rgba(plane, width / 4 + 1, height / 4, stride);
    }
}

/// A peer's Fidelius key material as a HIU or HIP reads it: keyMaterial JSON, a public key in
/// any form (raw, X.509, base64), a private key in Java's form, a nonce. Whatever reads writes
/// back and reads again as the same.
pub fn fidelius_key_material(bytes: &[u8]) {
    use crate::crypto::fidelius::{KeyForm, KeyMaterial, KeyPair, PublicKey, read_nonce};
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Ok(m) = KeyMaterial::read(&v)
    {
        for form in [KeyForm::Raw, KeyForm::X509] {
            assert_eq!(KeyMaterial::read(&m.to_json(form)).expect("written key material reads"), m);
        }
    }
    if let Ok(k) = PublicKey::read(bytes) {
        assert_eq!(PublicKey::read(&k.x509()).expect("our X.509 reads"), k);
        assert_eq!(PublicKey::read(&k.raw()).expect("our raw key reads"), k);
    }
    if let Ok(k) = KeyPair::from_private(bytes) {
        let again = KeyPair::from_private(&*k.private_bytes()).expect("our private key reads");
        assert_eq!(again.public(), k.public());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = PublicKey::read_base64(text);
        let _ = KeyPair::from_private_base64(text);
        let _ = read_nonce(text);
    }
}

/// The exchange's fixed session (the published vector's keys and nonces).
fn fidelius_session() -> &'static crate::crypto::fidelius::Session {
    use crate::crypto::fidelius::{KeyPair, PublicKey, Session, read_nonce};
    static SESSION: std::sync::OnceLock<Session> = std::sync::OnceLock::new();
    SESSION.get_or_init(|| {
        let own = KeyPair::from_private_base64("DMxHPri8d7IT23KgLk281zZenMfVHSdeamq0RhwlIBk=").expect("vector key");
        let peer = PublicKey::read_base64(
            "BABVt+mpRLMXiQpIfEq6bj8hlXsdtXIxLsspmMgLNI1SR5mHgDVbjHO2A+U4QlMddGzqyEidzm1AkhtSxSO2Ahg=",
        )
        .expect("vector key");
        let own_nonce = read_nonce("6uj1RdDUbcpI3lVMZvijkMC8Te20O4Bcyz0SyivX8Eg=").expect("vector nonce");
        let peer_nonce = read_nonce("lmXgblZwotx+DfBgKJF0lZXtAXgBEYr5khh79Zytr2Y=").expect("vector nonce");
        Session::new(&own, &own_nonce, &peer, &peer_nonce).expect("vector session")
    })
}

/// A pushed entry's `content` decrypted under a fixed session: as bytes, in place, and as
/// base64 text. What decrypts encrypts back to the same bytes.
pub fn fidelius_entry(bytes: &[u8]) {
    let s = fidelius_session();
    if let Ok(clear) = s.decrypt(bytes) {
        assert_eq!(s.encrypt(&clear), bytes);
    }
    let mut buf = bytes.to_vec();
    let _ = s.decrypt_in_place(&mut buf);
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Ok(clear) = s.decrypt_base64(text)
    {
        let _ = s.encrypt_base64(&clear);
    }
}

/// A HIP's pushed page as a pull reads it: its key material, then each entry decrypted under a
/// session with a fixed key of ours (the tag checked) and its checksum compared; and the body
/// read as a doctor's data request, as the mailbox may bring either.
pub fn exchange_push(bytes: &[u8]) {
    use crate::crypto::fidelius::{KeyMaterial, KeyPair, Session};
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else { return };
    let own = KeyPair::from_private(&[7; 32]).expect("a scalar below the order");
    let peer = KeyMaterial::read(v.get("keyMaterial").unwrap_or(&serde_json::Value::Null));
    let (public, nonce) = match &peer {
        Ok(m) => (m.public_key, m.nonce),
        Err(_) => (*own.public(), [1; 32]),
    };
    if let Ok(session) = Session::new(&own, &[2; 32], &public, &nonce) {
        let mut out = crate::exchange::pages::PageOutcome::default();
        let _ = crate::exchange::pages::read_entries(&session, &v, &mut out);
    }
    let _ = crate::exchange::answer::read_request(&v);
}

/// Linking's answers: what a facility found, the link it started, what it linked, every link.
pub fn link_answer(bytes: &[u8]) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else { return };
    let _ = crate::links::wire::read_found(&v);
    let _ = crate::links::wire::read_started(&v);
    let _ = crate::links::wire::read_links(&v);
    let _ = crate::links::wire::read_confirmed(&v);
}
