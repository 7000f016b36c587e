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
