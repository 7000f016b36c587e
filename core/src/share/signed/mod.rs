//! The signed offline QR (docs/signed-qr.md, the spec this module follows byte for byte): a
//! locker shows its holder's profile as `HL1:` + Base45 of an ES256 COSE_Sign1 whose device key
//! an issuer certifies, and an OPD counter checks it against a trust list with no network.
//! This module owns both sides of that format and nothing else: not drawing or reading the QR
//! image, not fetching certificates or trust lists. It never prints what a QR holds.
//!
//! Layers, one file each: `base45`, `compress` (zlib, capped), `envelope` (prefix, Base45, zlib),
//! `cose` (the QR's and the certificate's COSE_Sign1), `claims` (the CBOR map), `trust` (trust
//! list, certificate), `verify` (the counter), `issue` (the device), `problem` (the codes).
//!
//! The budget the spec sets (version 10 at ECC M, 311 characters) holds only about 30 bytes of
//! claims: a typical profile (83 bytes of claims) makes a 390-character text, version 12 at
//! ECC M (see `issue.rs`'s tests for the measurement).

pub mod base45;
pub mod claims;
pub mod compress;
pub mod cose;
pub mod envelope;
pub mod issue;
pub mod problem;
pub mod trust;
pub mod verify;

pub use claims::QrClaims;
pub use envelope::PREFIX;
pub use issue::{DeviceQrKey, IssueProblem, QR_VALIDITY_SECS, device_key_id, sign_qr};
pub use problem::SignedQrProblem;
pub use trust::{DeviceCertificate, IssuerKey, KeyId, PublicKey, TrustList, TrustListProblem};
pub use verify::{CLOCK_SKEW_SECS, VerifiedQr, verify_signed_qr};

/// A test-only issuer (deterministic keys and signatures), shared with the integration tests.
#[cfg(test)]
#[path = "../../../tests/support/qr_issuer.rs"]
pub(crate) mod test_issuer;

/// A device key made from a seed, for tests that need the same key twice.
#[cfg(test)]
pub(crate) fn device_key_from_seed(seed: &str) -> DeviceQrKey {
    DeviceQrKey::from_pkcs8(&test_issuer::pkcs8_from_seed(seed)).expect("a P-256 PKCS#8 document")
}
