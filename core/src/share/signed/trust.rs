//! What a counter trusts, kept for checking with no network: the issuers' keys (the backbone's
//! `GET /qr/v1/trust-list`) and revoked key ids. Also the device certificate as parsed. The list
//! is read strictly and within bounds, as outside bytes; it is not itself signed (it comes over
//! the backbone's pinned TLS), a gap docs/decisions.md records.

use super::cose;
use super::problem::SignedQrProblem;
use base64::Engine;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A key id: the first 8 bytes of SHA-256 of an uncompressed SEC1 public key.
pub type KeyId = [u8; 8];

/// An uncompressed SEC1 P-256 public key (`04‖x‖y`).
pub type PublicKey = [u8; 65];

/// The largest trust-list JSON taken (a real one is a few KB; this leaves room for revocations).
pub const MAX_TRUST_LIST_BYTES: usize = 1 << 20;
/// The most issuer keys a list may hold (one backbone rotating yearly needs two or three).
pub const MAX_ISSUER_KEYS: usize = 64;
/// The most revoked ids a list may hold.
pub const MAX_REVOKED: usize = 50_000;

/// The key id of an uncompressed SEC1 public key, for issuers and devices alike.
pub fn key_id(public_key: &PublicKey) -> KeyId {
    let digest = ring::digest::digest(&ring::digest::SHA256, public_key);
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest.as_ref()[..8]);
    id
}

/// Why a trust list was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustListProblem {
    /// Larger than [`MAX_TRUST_LIST_BYTES`], or more keys or revocations than allowed.
    TooLarge,
    /// Not the JSON of a trust list (a field missing, of another type, or unknown).
    NotATrustList,
    /// A key id that is not base64 of 8 bytes.
    BadKeyId,
    /// A public key that is not base64 of an uncompressed P-256 point.
    BadPublicKey,
    /// A key id that is not the one its public key has.
    KeyIdMismatch,
    /// The same key id twice among the keys.
    DuplicateKeyId,
}

impl TrustListProblem {
    /// A stable code, for scripts and the bindings.
    pub fn code(self) -> &'static str {
        match self {
            TrustListProblem::TooLarge => "too-large",
            TrustListProblem::NotATrustList => "not-a-trust-list",
            TrustListProblem::BadKeyId => "bad-key-id",
            TrustListProblem::BadPublicKey => "bad-public-key",
            TrustListProblem::KeyIdMismatch => "key-id-mismatch",
            TrustListProblem::DuplicateKeyId => "duplicate-key-id",
        }
    }
}

impl fmt::Display for TrustListProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrustListProblem::TooLarge => "the trust list is larger than any list should be",
            TrustListProblem::NotATrustList => "this is not a signed-QR trust list",
            TrustListProblem::BadKeyId => "a key id in the trust list is not 8 bytes of base64",
            TrustListProblem::BadPublicKey => "a public key in the trust list is not an uncompressed P-256 key",
            TrustListProblem::KeyIdMismatch => "a key id in the trust list is not its key's",
            TrustListProblem::DuplicateKeyId => "the trust list holds a key id twice",
        })
    }
}

impl std::error::Error for TrustListProblem {}

/// An issuer key a counter trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerKey {
    pub public_key: PublicKey,
    /// Unix seconds; certificates it signed are not taken after this (with the clock skew).
    pub not_after: u64,
}

/// The issuers' keys and revoked key ids a counter checks against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustList {
    pub version: u64,
    pub issued_at: u64,
    pub keys: BTreeMap<KeyId, IssuerKey>,
    /// Issuer and device key ids alike.
    pub revoked: BTreeSet<KeyId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireList {
    version: u64,
    issued_at: u64,
    keys: Vec<WireKey>,
    revoked: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireKey {
    kid: String,
    public_key: String,
    not_after: u64,
}

fn b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

fn kid(s: &str) -> Result<KeyId, TrustListProblem> {
    b64(s).and_then(|b| KeyId::try_from(b).ok()).ok_or(TrustListProblem::BadKeyId)
}

impl TrustList {
    /// Reads the JSON `GET /qr/v1/trust-list` answers.
    pub fn from_json(bytes: &[u8]) -> Result<TrustList, TrustListProblem> {
        if bytes.len() > MAX_TRUST_LIST_BYTES {
            return Err(TrustListProblem::TooLarge);
        }
        let wire: WireList = serde_json::from_slice(bytes).map_err(|_| TrustListProblem::NotATrustList)?;
        if wire.keys.len() > MAX_ISSUER_KEYS || wire.revoked.len() > MAX_REVOKED {
            return Err(TrustListProblem::TooLarge);
        }
        let mut keys = BTreeMap::new();
        for k in wire.keys {
            let id = kid(&k.kid)?;
            let public_key = b64(&k.public_key)
                .and_then(|b| PublicKey::try_from(b).ok())
                .filter(cose::is_p256_point)
                .ok_or(TrustListProblem::BadPublicKey)?;
            if key_id(&public_key) != id {
                return Err(TrustListProblem::KeyIdMismatch);
            }
            if keys.insert(id, IssuerKey { public_key, not_after: k.not_after }).is_some() {
                return Err(TrustListProblem::DuplicateKeyId);
            }
        }
        let revoked = wire.revoked.iter().map(|r| kid(r)).collect::<Result<_, _>>()?;
        Ok(TrustList { version: wire.version, issued_at: wire.issued_at, keys, revoked })
    }

    /// Whether this list, just fetched, should replace `kept`: an older version is ignored.
    pub fn replaces(&self, kept: &TrustList) -> bool {
        self.version >= kept.version
    }
}

/// The issuer's certificate of a device's key, as a QR carries it (docs/signed-qr.md, layer 4).
/// The certified key itself is not carried: it is recovered from the QR's signature.
#[derive(Clone, PartialEq)]
pub struct DeviceCertificate {
    /// The issuer's key id.
    pub kid: KeyId,
    /// Unix seconds.
    pub not_after: u64,
    pub(crate) cose: coset::CoseSign1,
}

impl fmt::Debug for DeviceCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCertificate")
            .field("kid", &hex::encode(self.kid))
            .field("not_after", &self.not_after)
            .finish()
    }
}

/// A certificate is renewed, when online, once fewer than this many seconds remain.
pub const RENEW_BEFORE_SECS: u64 = 7 * 24 * 3600;

impl DeviceCertificate {
    /// Reads a certificate's COSE bytes (the backbone's answer, or label -65537 of a QR).
    /// Anything but the spec's shape is `BadCertificate`; the signature's length is checked
    /// with the signature (`BadSignature`).
    pub fn parse(bytes: &[u8]) -> Result<DeviceCertificate, SignedQrProblem> {
        cose::parse_certificate(bytes)
    }

    /// Whether the locker should ask for a new certificate (when it is next online).
    pub fn due_for_renewal(&self, now_unix: u64) -> bool {
        now_unix.saturating_add(RENEW_BEFORE_SECS) > self.not_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point() -> PublicKey {
        let secret = p256::SecretKey::from_slice(&[0x42; 32]).unwrap();
        let encoded = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&secret.public_key(), false);
        PublicKey::try_from(encoded.as_bytes()).unwrap()
    }

    fn list(kid: &str, key: &str, revoked: &str) -> String {
        format!(
            r#"{{"version": 3, "issuedAt": 1767225600, "keys": [{{"kid": "{kid}", "publicKey": "{key}", "notAfter": 1798761600}}], "revoked": [{revoked}]}}"#
        )
    }

    #[test]
    fn the_backbones_list_reads_and_a_broken_one_does_not() {
        let e = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let (key, id) = (point(), key_id(&point()));
        let good = TrustList::from_json(list(&e(&id), &e(&key), &format!("\"{}\"", e(&[1; 8]))).as_bytes()).unwrap();
        assert_eq!(good.keys[&id], IssuerKey { public_key: key, not_after: 1_798_761_600 });
        assert!(good.revoked.contains(&[1; 8]) && good.version == 3);
        let mut off_curve = key;
        off_curve[64] ^= 1;
        let cases = [
            (list(&e(&[9; 8]), &e(&key), ""), TrustListProblem::KeyIdMismatch),
            (list(&e(&id[..7]), &e(&key), ""), TrustListProblem::BadKeyId),
            (list(&e(&id), &e(&off_curve), ""), TrustListProblem::BadPublicKey),
            (list(&e(&id), &e(&key[..33]), ""), TrustListProblem::BadPublicKey),
            (list(&e(&id), &e(&key), "\"AAAA\""), TrustListProblem::BadKeyId),
            (list(&e(&id), "not base64!", ""), TrustListProblem::BadPublicKey),
            (
                list(&e(&id), &e(&key), "").replace("\"version\"", "\"extra\": 1, \"version\""),
                TrustListProblem::NotATrustList,
            ),
            (list(&e(&id), &e(&key), "").replace("3,", "-3,"), TrustListProblem::NotATrustList),
            ("[]".into(), TrustListProblem::NotATrustList),
        ];
        for (json, problem) in cases {
            assert_eq!(TrustList::from_json(json.as_bytes()), Err(problem), "{json}");
        }
        let twice = list(&e(&id), &e(&key), "").replace(
            "}],",
            &format!("}}, {{\"kid\": \"{}\", \"publicKey\": \"{}\", \"notAfter\": 1}}],", e(&id), e(&key)),
        );
        assert_eq!(TrustList::from_json(twice.as_bytes()), Err(TrustListProblem::DuplicateKeyId));
        assert_eq!(TrustList::from_json(&vec![b' '; MAX_TRUST_LIST_BYTES + 1]), Err(TrustListProblem::TooLarge));
        let older = TrustList { version: 2, ..good.clone() };
        assert!(good.replaces(&older) && !older.replaces(&good));
    }
}
