//! The signed-QR conformance suite (fixtures/qr/, described in its README): every case run
//! through the public API, `verify_signed_qr`, with the case's trust list and clock. Each stage
//! a case holds must be the encoding of the next one in, as far as the chain decodes; each
//! DCC-style flag must match the stage that actually failed. Every failure is collected and
//! reported at once, by file name; every problem code must be produced by some case.

#[path = "support/qr_cases.rs"]
mod qr_cases;

use ciborium::Value as Cbor;
use coset::{CoseSign1, TaggedCborSerializable};
use locker_core::share::signed::{
    PREFIX, SignedQrProblem, TrustList, base45, compress, device_key_id, envelope, verify_signed_qr,
};
use qr_cases::{QrCase, claims_json, expected};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/qr")
}

fn unhex(s: &Option<String>, what: &str) -> Result<Option<Vec<u8>>, String> {
    s.as_deref().map(|h| hex::decode(h).map_err(|e| format!("{what} is not hex: {e}"))).transpose()
}

/// The claims bytes as one CBOR map and nothing after it, if they are.
fn cbor_map(bytes: &[u8]) -> Option<Vec<(Cbor, Cbor)>> {
    let mut rest = bytes;
    let value: Cbor = ciborium::de::from_reader(&mut rest).ok()?;
    match value {
        Cbor::Map(m) if rest.is_empty() => Some(m),
        _ => None,
    }
}

/// Each stage present is the encoding of the next one in, as far as the chain decodes.
fn stages_agree(case: &QrCase) -> Result<(), String> {
    let compressed = unhex(&case.compressed, "compressed")?;
    let cose = unhex(&case.cose, "cose")?;
    let cbor = unhex(&case.cbor, "cbor")?;
    if let Some(b45) = &case.base45 {
        if !case.prefix.ends_with(b45.as_str()) {
            return Err("the text does not end with the Base45 stage".into());
        }
        if let Ok(bytes) = base45::decode(b45) {
            let inner = compressed.as_ref().or(cose.as_ref());
            if inner.is_some_and(|inner| *inner != bytes) {
                return Err("the Base45 stage does not decode to the next stage".into());
            }
        }
    }
    if let (Some(z), Some(cose)) = (&compressed, &cose)
        && let Ok(inflated) = compress::inflate(z)
        && inflated != *cose
    {
        return Err("the compressed stage does not inflate to the COSE stage".into());
    }
    if let (Some(cose), Some(cbor)) = (&cose, &cbor)
        && let Ok(sign1) = CoseSign1::from_tagged_slice(cose)
        && sign1.payload.as_ref().is_some_and(|p| p != cbor)
    {
        return Err("the COSE stage's payload is not the CBOR stage".into());
    }
    if let (Some(cbor), Some(claims)) = (&cbor, &case.claims)
        && let Some(map) = cbor_map(cbor)
        && claims_json(&map) != *claims
    {
        return Err("the claims JSON is not the CBOR stage".into());
    }
    if let Some(key) = unhex(&case.device_key, "deviceKey")?
        && key.len() != 65
    {
        return Err("deviceKey is not 65 bytes".into());
    }
    Ok(())
}

/// Runs one case; `Ok` carries the code it produced (`None`: valid).
fn run(name: &str, text: &str) -> Result<Option<&'static str>, String> {
    let raw: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if raw.get("png").is_none() {
        return Err("no png field (null until the QR renderer draws one)".into());
    }
    let case: QrCase = serde_json::from_value(raw).map_err(|e| format!("not a case: {e}"))?;
    if case.description.trim().is_empty() {
        return Err("no description".into());
    }
    stages_agree(&case)?;
    let trust = TrustList::from_json(case.trust_list.to_string().as_bytes())
        .map_err(|e| format!("its trust list does not read: {}", e.code()))?;
    let outcome = verify_signed_qr(&case.prefix, &trust, case.verified_at);
    let code = outcome.as_ref().err().map(|p| p.code());
    if code != case.expected.problem.as_deref() {
        return Err(format!("expected {:?}, got {:?}", case.expected.problem, code));
    }
    // The flags: from the stage that actually failed, and the first two from the stages alone.
    let opened = envelope::open(&case.prefix).ok();
    let payload = opened.and_then(|b| CoseSign1::from_tagged_slice(&b).ok()).and_then(|s| s.payload);
    let object_ok = payload.as_deref().is_some_and(|p| cbor_map(p).is_some());
    let mut actual = expected(code, object_ok);
    if case.expected.unprefix == Some(true) && !case.prefix.starts_with(PREFIX) {
        actual.unprefix = Some(false);
    }
    if case.expected.b45_decode == Some(true) && base45::decode(case.prefix.get(PREFIX.len()..).unwrap_or("")).is_err()
    {
        actual.b45_decode = Some(false);
    }
    if actual != case.expected {
        return Err(format!("its flags are not the stages': expected {:?}, found {:?}", case.expected, actual));
    }
    if let Ok(ok) = outcome {
        let device = unhex(&case.device_key, "deviceKey")?.ok_or("a valid case has no deviceKey")?;
        let device = <[u8; 65]>::try_from(device).map_err(|_| "deviceKey is not 65 bytes")?;
        if ok.device_key_id != device_key_id(&device) {
            return Err("the recovered device key is not the case's".into());
        }
        let cbor = unhex(&case.cbor, "cbor")?.ok_or("a valid case has no CBOR stage")?;
        if ok.claims.to_cbor().ok() != Some(cbor) {
            return Err("the claims read do not write back to the CBOR stage".into());
        }
        if case.claims.is_none() || case.cose.is_none() || case.base45.is_none() {
            return Err(format!("{name}: a valid case shows every stage"));
        }
    }
    Ok(code)
}

#[test]
fn every_signed_qr_case_checks_as_it_says() {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(suite()).expect("fixtures/qr").map(|e| e.expect("a directory entry").path()).collect();
    files.sort();
    let mut failures = Vec::new();
    let mut produced = BTreeSet::new();
    let (mut valid_compressed, mut valid_plain, mut count) = (0, 0, 0);
    for path in files {
        let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
        // `scanned/` holds ABDM's own codes (tests/qr_scanned.rs runs them).
        if name == "README.md" || (name == "scanned" && path.is_dir()) {
            continue;
        }
        if !name.ends_with(".json") {
            failures.push(format!("{name}: the suite holds only .json cases and README.md"));
            continue;
        }
        count += 1;
        let text = std::fs::read_to_string(&path).expect("a readable case");
        match run(&name, &text) {
            Ok(code) => {
                produced.insert(code);
                if code.is_none() {
                    let compressed = text.contains("\"compressed\"");
                    valid_compressed += usize::from(compressed);
                    valid_plain += usize::from(!compressed);
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    for p in SignedQrProblem::ALL {
        if !produced.contains(&Some(p.code())) {
            failures.push(format!("no case produces {:?}", p.code()));
        }
    }
    assert!(failures.is_empty(), "{} of {count} cases:\n{}", failures.len(), failures.join("\n"));
    assert!(count >= 40 && valid_compressed >= 1 && valid_plain >= 5, "{count} cases, {valid_compressed} compressed");
}
