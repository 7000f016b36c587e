//! A test-only issuer of device certificates for the signed QR (docs/signed-qr.md, layer 4),
//! never shipped: the backbone (and the sandbox) play the issuer in real use. Keys come from
//! seeds and signatures from RFC 6979 (p256), so what it makes is the same on every run: the
//! conformance fixtures depend on that. It uses only outside crates, so both the unit tests (by
//! `#[path]`) and the integration tests include this one file.
#![allow(dead_code)]

use base64::Engine;
use ciborium::Value;
use coset::{CoseSign1Builder, Header, HeaderBuilder, TaggedCborSerializable, iana};
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::sec1::ToEncodedPoint;

/// The private scalar a seed names: SHA-256 of the seed (below the group order for every seed
/// used; p256 refuses it otherwise).
fn scalar(seed: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, seed.as_bytes());
    <[u8; 32]>::try_from(digest.as_ref()).expect("SHA-256 is 32 bytes")
}

fn public_key(secret: &p256::SecretKey) -> [u8; 65] {
    <[u8; 65]>::try_from(secret.public_key().to_encoded_point(false).as_bytes()).expect("an uncompressed point")
}

/// The key id of an uncompressed SEC1 key: SHA-256's first 8 bytes.
pub fn kid_of(key: &[u8; 65]) -> [u8; 8] {
    let digest = ring::digest::digest(&ring::digest::SHA256, key);
    <[u8; 8]>::try_from(&digest.as_ref()[..8]).expect("8 of 32 bytes")
}

/// A P-256 key as PKCS#8 v1 with its public key: the very layout ring generates.
pub fn pkcs8_from_seed(seed: &str) -> Vec<u8> {
    let secret = p256::SecretKey::from_slice(&scalar(seed)).expect("a scalar below the order");
    let mut der = hex::decode("308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420").expect("hex");
    der.extend_from_slice(&scalar(seed));
    der.extend_from_slice(&[0xa1, 0x44, 0x03, 0x42, 0x00]);
    der.extend_from_slice(&public_key(&secret));
    der
}

/// A deterministic signer: the issuer in these tests, or a device when a fixture needs one.
#[derive(Clone)]
pub struct TestIssuer {
    signing: p256::ecdsa::SigningKey,
    pub public_key: [u8; 65],
    /// The kid it writes into certificates: its own, unless [`TestIssuer::with_kid`] says not.
    pub kid: [u8; 8],
}

impl TestIssuer {
    pub fn from_seed(seed: &str) -> TestIssuer {
        let secret = p256::SecretKey::from_slice(&scalar(seed)).expect("a scalar below the order");
        let public_key = public_key(&secret);
        TestIssuer { signing: p256::ecdsa::SigningKey::from(&secret), public_key, kid: kid_of(&public_key) }
    }

    /// The same key, claiming another kid in what it certifies (an impostor, a wrong length).
    pub fn with_kid(mut self, kid: [u8; 8]) -> TestIssuer {
        self.kid = kid;
        self
    }

    /// ES256, `r‖s`, RFC 6979: the same bytes for the same message.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let signature: p256::ecdsa::Signature = self.signing.sign(message);
        <[u8; 64]>::try_from(signature.to_bytes().as_slice()).expect("64 bytes")
    }

    /// The spec's certificate headers: `{1: -7, 4: kid, 15: {4: not_after}}` and `{}`.
    pub fn headers(&self, not_after: u64) -> (Header, Header) {
        let claims = Value::Map(vec![(Value::Integer(4.into()), Value::Integer(not_after.into()))]);
        let protected =
            HeaderBuilder::new().algorithm(iana::Algorithm::ES256).key_id(self.kid.to_vec()).value(15, claims).build();
        (protected, Header::default())
    }

    /// A certificate of `device` from headers `change` may alter (for the refusals), its
    /// signature over the detached device key then made by `sign`, which may alter it too.
    pub fn certificate_signed(
        &self,
        device: &[u8; 65],
        not_after: u64,
        change: impl FnOnce(&mut Header, &mut Header),
        sign: impl FnOnce(Vec<u8>) -> Vec<u8>,
    ) -> Vec<u8> {
        let (mut protected, mut unprotected) = self.headers(not_after);
        change(&mut protected, &mut unprotected);
        CoseSign1Builder::new()
            .protected(protected)
            .unprotected(unprotected)
            .create_detached_signature(device, &[], |tbs| sign(self.sign(tbs).to_vec()))
            .build()
            .to_tagged_vec()
            .expect("a certificate encodes")
    }

    /// A certificate whose headers `change` alters, expiring at 1 800 000 000.
    pub fn certificate_with(&self, device: &[u8; 65], change: impl FnOnce(&mut Header, &mut Header)) -> Vec<u8> {
        self.certificate_signed(device, 1_800_000_000, change, |s| s)
    }

    /// The spec's certificate of `device`.
    pub fn certify(&self, device: &[u8; 65], not_after: u64) -> Vec<u8> {
        self.certificate_signed(device, not_after, |_, _| {}, |s| s)
    }

    /// The trust-list JSON (`GET /qr/v1/trust-list`) naming this issuer alone.
    pub fn trust_list_json(&self, not_after: u64, revoked: &[[u8; 8]]) -> String {
        trust_list_json(&[(self, not_after)], revoked).to_string()
    }
}

/// A trust list of `issuers` (each with its key's `notAfter`) and `revoked` ids, version 1,
/// issued at 1 767 225 600.
pub fn trust_list_json(issuers: &[(&TestIssuer, u64)], revoked: &[[u8; 8]]) -> serde_json::Value {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    serde_json::json!({
        "version": 1,
        "issuedAt": 1_767_225_600u64,
        "keys": issuers.iter().map(|(i, not_after)| serde_json::json!({
            "kid": b64(&kid_of(&i.public_key)),
            "publicKey": b64(&i.public_key),
            "notAfter": not_after,
        })).collect::<Vec<_>>(),
        "revoked": revoked.iter().map(|r| b64(r)).collect::<Vec<_>>(),
    })
}
