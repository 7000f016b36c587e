//! `keyMaterial`: how a party's public key and nonce travel in a health-information request and
//! in the data pushed back.
//!
//! ```json
//! {"cryptoAlg": "ECDH", "curve": "Curve25519",
//!  "dhPublicKey": {"expiry": "…", "parameters": "Curve25519/32byte random key", "keyValue": "…"},
//!  "nonce": "…"}
//! ```

use super::keys::{KeyForm, PublicKey, encode_base64};
use super::problem::FideliusProblem;
use super::session::read_nonce;
use crate::error::{Error, Result};
use serde_json::{Map, Value, json};

/// The `parameters` we write (those we read are not checked: peers write all sorts).
pub const PARAMETERS: &str = "Curve25519/32byte random key";

/// A party's public key and nonce, as `keyMaterial` carries them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyMaterial {
    pub public_key: PublicKey,
    pub nonce: [u8; 32],
    /// `dhPublicKey.expiry`, as written (an ISO 8601 time); optional when read.
    pub expiry: Option<String>,
}

fn bad() -> Error {
    Error::Fidelius(FideliusProblem::BadKeyMaterial)
}

fn text<'a>(o: &'a Map<String, Value>, field: &str) -> Result<&'a str> {
    o.get(field).and_then(Value::as_str).ok_or_else(bad)
}

impl KeyMaterial {
    /// `keyMaterial` as JSON: `cryptoAlg` ECDH and `curve` Curve25519 (in any case), a
    /// `dhPublicKey.keyValue` in any of the three key forms, a 32-byte `nonce`. A key or nonce
    /// that does not read gives its own problem (`bad-public-key`, `not-on-curve`, `bad-nonce`…);
    /// anything else missing or different is `bad-key-material`.
    pub fn read(v: &Value) -> Result<KeyMaterial> {
        let o = v.as_object().ok_or_else(bad)?;
        if !text(o, "cryptoAlg")?.trim().eq_ignore_ascii_case("ECDH")
            || !text(o, "curve")?.trim().eq_ignore_ascii_case("Curve25519")
        {
            return Err(bad());
        }
        let dh = o.get("dhPublicKey").and_then(Value::as_object).ok_or_else(bad)?;
        let public_key = PublicKey::read_base64(text(dh, "keyValue")?)?;
        let expiry = match dh.get("expiry") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(bad()),
        };
        let nonce = read_nonce(text(o, "nonce")?)?;
        Ok(KeyMaterial { public_key, nonce, expiry })
    }

    /// The JSON, the key in `form` (raw as a HIU, X.509 as a HIP). Without an expiry the field
    /// is left out.
    pub fn to_json(&self, form: KeyForm) -> Value {
        let mut dh = Map::new();
        if let Some(e) = &self.expiry {
            dh.insert("expiry".into(), Value::String(e.clone()));
        }
        dh.insert("parameters".into(), Value::String(PARAMETERS.into()));
        dh.insert("keyValue".into(), Value::String(self.public_key.to_base64(form)));
        json!({
            "cryptoAlg": "ECDH",
            "curve": "Curve25519",
            "dhPublicKey": Value::Object(dh),
            "nonce": encode_base64(&self.nonce),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::fidelius::KeyPair;

    fn problem(r: Result<KeyMaterial>) -> FideliusProblem {
        match r {
            Err(Error::Fidelius(p)) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn key_material_round_trips_in_both_forms() {
        let k = KeyPair::generate().unwrap();
        let m =
            KeyMaterial { public_key: *k.public(), nonce: [7; 32], expiry: Some("2030-01-01T00:00:00.000Z".into()) };
        for form in [KeyForm::Raw, KeyForm::X509] {
            let v = m.to_json(form);
            assert_eq!(v["dhPublicKey"]["parameters"], PARAMETERS);
            assert_eq!(KeyMaterial::read(&v).unwrap(), m);
        }
        let bare = KeyMaterial { expiry: None, ..m.clone() };
        let v = bare.to_json(KeyForm::Raw);
        assert!(v["dhPublicKey"].get("expiry").is_none());
        assert_eq!(KeyMaterial::read(&v).unwrap(), bare);
    }

    #[test]
    fn case_and_parameters_do_not_matter_the_rest_does() {
        let k = KeyPair::generate().unwrap();
        let m = KeyMaterial { public_key: *k.public(), nonce: [1; 32], expiry: None };
        let mut v = m.to_json(KeyForm::X509);
        v["curve"] = "curve25519".into();
        v["cryptoAlg"] = "ecdh".into();
        v["dhPublicKey"]["parameters"] = "anything".into();
        assert_eq!(KeyMaterial::read(&v).unwrap(), m);
        let mut w = v.clone();
        w["curve"] = "P-256".into();
        assert_eq!(problem(KeyMaterial::read(&w)), FideliusProblem::BadKeyMaterial);
        let mut w = v.clone();
        w["nonce"] = "AAAA".into();
        assert_eq!(problem(KeyMaterial::read(&w)), FideliusProblem::BadNonce);
        let mut w = v.clone();
        w["dhPublicKey"]["keyValue"] = "AAAA".into();
        assert_eq!(problem(KeyMaterial::read(&w)), FideliusProblem::BadPublicKey);
        let mut w = v.clone();
        w["dhPublicKey"]["expiry"] = 5.into();
        assert_eq!(problem(KeyMaterial::read(&w)), FideliusProblem::BadKeyMaterial);
        assert_eq!(problem(KeyMaterial::read(&json!([]))), FideliusProblem::BadKeyMaterial);
        assert_eq!(problem(KeyMaterial::read(&json!({"cryptoAlg": "ECDH"}))), FideliusProblem::BadKeyMaterial);
    }
}
