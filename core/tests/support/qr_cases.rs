//! The format of a signed-QR conformance case (fixtures/qr/README.md), shared by the generator
//! (`qr_fixtures_gen.rs`) that writes the cases and the runner (`qr_conformance.rs`) that reads
//! them: the same struct both ways, unknown fields refused.
#![allow(dead_code)]

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One case: the stages it has (outermost last), the trust list and time it is checked with,
/// and what the check must say.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QrCase {
    pub description: String,
    /// The claims as JSON: the CBOR map with each key named (table below), values as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Value>,
    /// Hex of the claims' CBOR (the COSE payload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cbor: Option<String>,
    /// Hex of the QR's COSE_Sign1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cose: Option<String>,
    /// Hex of the zlib stream, when the QR is compressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed: Option<String>,
    /// The Base45 text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base45: Option<String>,
    /// The QR's whole text: what a scanner returns.
    pub prefix: String,
    /// A picture of the QR, relative to fixtures/qr/ (none yet: always present, null).
    pub png: Option<String>,
    /// Hex of the device's uncompressed SEC1 public key (what recovery must find).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
    /// The trust list, as `GET /qr/v1/trust-list` answers it.
    pub trust_list: Value,
    /// The counter's clock, Unix seconds.
    pub verified_at: u64,
    pub expected: Expected,
}

/// The outcome, and DCC-style flags for each stage up to the failing one (the later ones are
/// absent: not reached).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub valid: bool,
    pub problem: Option<String>,
    #[serde(rename = "EXPECTEDUNPREFIX", default, skip_serializing_if = "Option::is_none")]
    pub unprefix: Option<bool>,
    #[serde(rename = "EXPECTEDB45DECODE", default, skip_serializing_if = "Option::is_none")]
    pub b45_decode: Option<bool>,
    #[serde(rename = "EXPECTEDCOMPRESSION", default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<bool>,
    #[serde(rename = "EXPECTEDDECODE", default, skip_serializing_if = "Option::is_none")]
    pub decode: Option<bool>,
    #[serde(rename = "EXPECTEDVERIFY", default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<bool>,
    #[serde(rename = "EXPECTEDVALIDOBJECT", default, skip_serializing_if = "Option::is_none")]
    pub valid_object: Option<bool>,
    #[serde(rename = "EXPECTEDSCHEMAVALIDATION", default, skip_serializing_if = "Option::is_none")]
    pub schema_validation: Option<bool>,
    #[serde(rename = "EXPECTEDEXPIRATIONCHECK", default, skip_serializing_if = "Option::is_none")]
    pub expiration_check: Option<bool>,
}

/// The stage (0 = unprefix … 7 = expiration check) at which a problem code fails; `claims_cbor`
/// says whether the claims are one well-formed CBOR item (`bad-claims` then fails the schema
/// stage, otherwise the object stage).
fn failing_stage(problem: Option<&str>, claims_cbor: bool) -> usize {
    match problem {
        None => 8,
        Some("wrong-prefix") => 0,
        Some("bad-base45") => 1,
        Some("too-large" | "bad-compression") => 2,
        Some("bad-cose" | "unsupported-algorithm" | "bad-certificate") => 3,
        Some("unknown-key" | "key-revoked" | "bad-signature" | "certificate-expired") => 4,
        Some("bad-claims") if !claims_cbor => 5,
        Some("bad-claims") => 6,
        Some("not-yet-valid" | "expired") => 7,
        Some(other) => panic!("no such problem code {other:?}"),
    }
}

/// What `expected` is for a case that fails with `problem` (or passes, with `None`).
pub fn expected(problem: Option<&str>, claims_cbor: bool) -> Expected {
    let failing = failing_stage(problem, claims_cbor);
    let flag = |stage: usize| (stage <= failing).then_some(stage != failing);
    Expected {
        valid: problem.is_none(),
        problem: problem.map(str::to_owned),
        unprefix: flag(0),
        b45_decode: flag(1),
        compression: flag(2),
        decode: flag(3),
        verify: flag(4),
        valid_object: flag(5),
        schema_validation: flag(6),
        expiration_check: flag(7),
    }
}

/// The names of the claims' keys 1 to 9 in a case's `claims` JSON; another key is written as
/// its number.
pub const CLAIM_NAMES: [&str; 9] =
    ["issuedAt", "expiresAt", "abhaNumber", "abhaAddress", "name", "gender", "birth", "mobile", "pincode"];

/// The JSON a case shows for a claims map: keys named, integers and text as they are.
pub fn claims_json(map: &[(ciborium::Value, ciborium::Value)]) -> Value {
    let mut out = serde_json::Map::new();
    for (k, v) in map {
        let key = match k.as_integer().and_then(|i| usize::try_from(i).ok()) {
            Some(n @ 1..=9) => CLAIM_NAMES[n - 1].to_string(),
            Some(n) => n.to_string(),
            None => format!("{k:?}"),
        };
        let value = match v {
            ciborium::Value::Integer(i) => Value::from(i128::from(*i) as i64),
            ciborium::Value::Text(t) => Value::from(t.clone()),
            other => Value::from(format!("{other:?}")),
        };
        out.insert(key, value);
    }
    Value::Object(out)
}
