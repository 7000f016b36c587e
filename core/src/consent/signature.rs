//! Checking a consent artefact's signature, where the scheme is known.
//!
//! ABDM says only "signature of the CM, base64"; its open reference signs a Java-serialised
//! object nobody can check outside Java. Our sandbox signs RS256 over the RFC 8785 canonical
//! JSON of `consentDetail` and publishes its keys as a JWKS: that scheme is checked here. An
//! artefact from a consent manager whose scheme is unknown is kept as unverified, and never
//! reported as verified.

use crate::error::{Error, Result};
use base64::Engine;
use serde_json::Value;

/// An RSA key the consent manager signs artefacts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SigningKey {
    pub kid: String,
    /// Modulus and exponent, big-endian.
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

fn b64url(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// The RS256 signing keys of a JWKS (`{"keys":[…]}`); keys of other types or uses are skipped.
pub(crate) fn read_jwks(v: &Value) -> Result<Vec<SigningKey>> {
    let keys = v["keys"].as_array().ok_or_else(|| Error::UnreadableAnswer { what: "jwks".into() })?;
    let mut out = Vec::new();
    for k in keys {
        let rsa = k["kty"].as_str() == Some("RSA");
        let alg_ok = k["alg"].as_str().is_none_or(|a| a == "RS256");
        let use_ok = k["use"].as_str().is_none_or(|u| u == "sig");
        let (Some(n), Some(e)) = (k["n"].as_str().and_then(b64url), k["e"].as_str().and_then(b64url)) else {
            continue;
        };
        // ring checks RSA keys of 2048 to 8192 bits.
        if rsa && alg_ok && use_ok && !e.is_empty() && (256..=1024).contains(&n.len()) {
            let kid = k["kid"].as_str().unwrap_or("").chars().take(64).collect();
            out.push(SigningKey { kid, n, e });
        }
    }
    Ok(out)
}

/// `consentDetail` in RFC 8785 canonical form: what the signature covers.
pub(crate) fn canonical(detail: &Value) -> Result<Vec<u8>> {
    serde_json_canonicalizer::to_vec(detail).map_err(|_| Error::UnreadableAnswer { what: "consentDetail".into() })
}

fn signature_bytes(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .ok()
        .or_else(|| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok())
}

/// The id of the key under which `signature` is `detail`'s RS256 signature, if any is.
pub(crate) fn verify<'k>(keys: &'k [SigningKey], detail: &Value, signature: &str) -> Result<Option<&'k str>> {
    let message = canonical(detail)?;
    let Some(sig) = signature_bytes(signature) else { return Ok(None) };
    Ok(keys
        .iter()
        .find(|k| {
            ring::signature::RsaPublicKeyComponents { n: &k.n, e: &k.e }
                .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &message, &sig)
                .is_ok()
        })
        .map(|k| k.kid.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// RFC 8785's own example (section 3.2.2): members sorted by UTF-16 code units, numbers in
    /// ECMAScript's shortest form, strings escaped minimally.
    #[test]
    fn canonical_form_matches_rfc_8785s_example() {
        let input: Value = serde_json::from_str(
            r#"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
                "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
                "literals": [null, true, false]}"#,
        )
        .unwrap();
        let expected = r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#;
        assert_eq!(String::from_utf8(canonical(&input).unwrap()).unwrap(), expected);
        assert_eq!(canonical(&json!({"b": 1, "a": {"d": 2, "c": 3}})).unwrap(), br#"{"a":{"c":3,"d":2},"b":1}"#);
    }

    #[test]
    fn a_jwks_yields_only_rsa_signing_keys() {
        let n = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xC3u8; 256]);
        let jwks = json!({"keys": [
            {"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": n, "e": "AQAB"},
            {"kty": "EC", "kid": "k2", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "k3", "use": "enc", "n": n, "e": "AQAB"},
            {"kty": "RSA", "kid": "k4", "n": "short", "e": "AQAB"},
        ]});
        let keys = read_jwks(&jwks).unwrap();
        assert_eq!(keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), vec!["k1"]);
        assert!(read_jwks(&json!({"nokeys": []})).is_err());
    }

    /// The sandbox signs with another canonicaliser (serde_jcs) and another RSA implementation
    /// (the `rsa` crate); its artefacts verify here, and one changed in any way does not.
    #[test]
    fn the_sandboxs_artefacts_verify_and_a_changed_one_does_not() {
        let sb = locker_sandbox::Sandbox::start(Default::default()).unwrap();
        let patient = "lakshmi.n@sbx";
        let id = sb.raise_consent_request(sb.sample_consent_request(patient, "sbx-hiu-city-hospital"));
        sb.rotate_signing_key();
        let made = sb.answer_consent_request(&id, locker_sandbox::ConsentDecision::Approve).unwrap();
        let backbone = crate::sync::Backbone::new(crate::BackboneConfig::local(
            &sb.url(),
            "healthlocker-sandbox",
            "sandbox-secret",
        ))
        .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let jwks = rt.block_on(backbone.consent_keys()).unwrap().unwrap();
        let keys = read_jwks(&jwks).unwrap();
        assert_eq!(keys.len(), 2, "the rotated key and the first");
        for artefact in &made {
            let a = crate::consent::wire::read_artefact(&sb.consent_artefact(artefact).unwrap()).unwrap();
            let sig = a.signature.clone().unwrap();
            let kid = verify(&keys, &a.detail, &sig).unwrap();
            assert_eq!(kid, Some(keys[1].kid.as_str()), "signed with the newest key");
            assert_eq!(verify(&keys[..1], &a.detail, &sig).unwrap(), None, "not with the old one");
            let mut widened = a.detail.clone();
            widened["hiTypes"].as_array_mut().unwrap().push(json!("Invoice"));
            assert_eq!(verify(&keys, &widened, &sig).unwrap(), None, "an hiType added");
            let mut later = a.detail.clone();
            later["permission"]["dataEraseAt"] = json!("2099-01-01T00:00:00.000Z");
            assert_eq!(verify(&keys, &later, &sig).unwrap(), None, "the erase date moved");
            let mut bytes = base64::engine::general_purpose::STANDARD.decode(&sig).unwrap();
            bytes[7] ^= 1;
            let flipped = base64::engine::general_purpose::STANDARD.encode(bytes);
            assert_eq!(verify(&keys, &a.detail, &flipped).unwrap(), None, "a bit of the signature flipped");
        }
    }
}
