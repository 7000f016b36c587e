//! Checking a signed QR at a counter, with no network: every check of docs/signed-qr.md, in its
//! order, the first failure the answer. Only a trust list and a clock are needed.

use super::claims::QrClaims;
use super::cose;
use super::envelope;
use super::problem::SignedQrProblem;
use super::trust::{DeviceCertificate, KeyId, TrustList, key_id};
use std::fmt;

/// How far apart the phone's clock and the counter's may be, either way, on `issued at`,
/// `expires at` and the certificate's expiry. Cheap phones drift by minutes a week, and one that
/// has lost its battery can be hours out until it next sees the network: half an hour absorbs
/// the drift. Not more, because every minute allowed is a minute a stale screenshot of an
/// expired QR still passes; a clock further out is the clerk's to notice (both are shown).
pub const CLOCK_SKEW_SECS: u64 = 30 * 60;

/// A QR that passed every check: what it claims, and whose keys vouch for it.
#[derive(Clone, PartialEq)]
pub struct VerifiedQr {
    pub claims: QrClaims,
    /// The device key that signed the QR (recovered, and certified by the issuer).
    pub device_key_id: KeyId,
    /// The issuer key that certified the device key.
    pub issuer_kid: KeyId,
    /// When the device's certificate expires, in Unix seconds.
    pub certificate_not_after: u64,
}

impl fmt::Debug for VerifiedQr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedQr")
            .field("claims", &self.claims)
            .field("device_key_id", &hex::encode(self.device_key_id))
            .field("issuer_kid", &hex::encode(self.issuer_kid))
            .field("certificate_not_after", &self.certificate_not_after)
            .finish()
    }
}

/// Checks a scanned QR's text against `trust` at `now_unix` (the counter's clock, seconds).
///
/// An issuer key in the trust list bounds the certificates it signed: past its `notAfter`, a
/// certificate is `CertificateExpired` even if its own expiry is later.
pub fn verify_signed_qr(text: &str, trust: &TrustList, now_unix: u64) -> Result<VerifiedQr, SignedQrProblem> {
    let bytes = envelope::open(text)?;
    let qr = cose::parse_qr(&bytes)?;
    let certificate = DeviceCertificate::parse(&qr.certificate)?;
    let issuer = trust.keys.get(&certificate.kid).ok_or(SignedQrProblem::UnknownKey)?;
    if trust.revoked.contains(&certificate.kid) {
        return Err(SignedQrProblem::KeyRevoked);
    }
    let device_key = cose::certified_device_key(&qr, &certificate, &issuer.public_key)?;
    let device_key_id = key_id(&device_key);
    if trust.revoked.contains(&device_key_id) {
        return Err(SignedQrProblem::KeyRevoked);
    }
    let certificate_end = certificate.not_after.min(issuer.not_after);
    if now_unix > certificate_end.saturating_add(CLOCK_SKEW_SECS) {
        return Err(SignedQrProblem::CertificateExpired);
    }
    let claims = QrClaims::from_cbor(&qr.payload)?;
    if claims.issued_at > now_unix.saturating_add(CLOCK_SKEW_SECS) {
        return Err(SignedQrProblem::NotYetValid);
    }
    if now_unix > claims.expires_at.saturating_add(CLOCK_SKEW_SECS) {
        return Err(SignedQrProblem::Expired);
    }
    Ok(VerifiedQr { claims, device_key_id, issuer_kid: certificate.kid, certificate_not_after: certificate.not_after })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::signed::claims::tests::typical;
    use crate::share::signed::test_issuer::TestIssuer;
    use crate::share::signed::{device_key_from_seed, sign_qr};

    const NOW: u64 = 1_767_225_600;

    fn trust(issuer: &TestIssuer, revoked: &[KeyId]) -> TrustList {
        TrustList::from_json(issuer.trust_list_json(NOW + 365 * 86_400, revoked).as_bytes()).unwrap()
    }

    #[test]
    fn a_patients_qr_checks_at_a_counter_with_no_network() {
        let issuer = TestIssuer::from_seed("verify issuer");
        let device = device_key_from_seed("verify device");
        let certificate = issuer.certify(device.public_key(), NOW + 30 * 86_400);
        let text = sign_qr(&typical(NOW), &device, &certificate).unwrap();
        let ok = verify_signed_qr(&text, &trust(&issuer, &[]), NOW + 60).unwrap();
        assert_eq!(ok.claims, typical(NOW));
        assert_eq!((ok.device_key_id, ok.issuer_kid), (device.key_id(), issuer.kid));
        let shown = format!("{ok:?}");
        assert!(!shown.contains("Asha") && !shown.contains("asha") && !shown.contains("9876"), "{shown}");
    }

    #[test]
    fn clocks_half_an_hour_apart_are_forgiven_and_no_more() {
        let issuer = TestIssuer::from_seed("skew issuer");
        let device = device_key_from_seed("skew device");
        let cert_end = NOW + 30 * 86_400;
        let certificate = issuer.certify(device.public_key(), cert_end);
        let text = sign_qr(&typical(NOW), &device, &certificate).unwrap();
        let t = trust(&issuer, &[]);
        let expires = NOW + 24 * 3600;
        let at = |now| verify_signed_qr(&text, &t, now).map(|_| ());
        assert_eq!(at(NOW - CLOCK_SKEW_SECS), Ok(()));
        assert_eq!(at(NOW - CLOCK_SKEW_SECS - 1), Err(SignedQrProblem::NotYetValid));
        assert_eq!(at(expires + CLOCK_SKEW_SECS), Ok(()));
        assert_eq!(at(expires + CLOCK_SKEW_SECS + 1), Err(SignedQrProblem::Expired));
        let old = sign_qr(&typical(cert_end - 3600), &device, &certificate).unwrap();
        assert_eq!(verify_signed_qr(&old, &t, cert_end + CLOCK_SKEW_SECS).map(|_| ()), Ok(()));
        assert_eq!(
            verify_signed_qr(&old, &t, cert_end + CLOCK_SKEW_SECS + 1).map(|_| ()),
            Err(SignedQrProblem::CertificateExpired)
        );
    }

    #[test]
    fn revoked_keys_and_strangers_are_refused() {
        let issuer = TestIssuer::from_seed("revocation issuer");
        let device = device_key_from_seed("revocation device");
        let certificate = issuer.certify(device.public_key(), NOW + 30 * 86_400);
        let text = sign_qr(&typical(NOW), &device, &certificate).unwrap();
        let check = |t: &TrustList| verify_signed_qr(&text, t, NOW).map(|_| ());
        assert_eq!(check(&trust(&issuer, &[issuer.kid])), Err(SignedQrProblem::KeyRevoked));
        assert_eq!(check(&trust(&issuer, &[device.key_id()])), Err(SignedQrProblem::KeyRevoked));
        assert_eq!(check(&trust(&TestIssuer::from_seed("another"), &[])), Err(SignedQrProblem::UnknownKey));
        let impostor = TestIssuer::from_seed("impostor with the same kid").with_kid(issuer.kid);
        let forged = impostor.certify(device.public_key(), NOW + 30 * 86_400);
        let text = sign_qr(&typical(NOW), &device, &forged).unwrap();
        assert_eq!(verify_signed_qr(&text, &trust(&issuer, &[]), NOW).map(|_| ()), Err(SignedQrProblem::BadSignature));
        let other_device = device_key_from_seed("a device the certificate is not for");
        let text = sign_qr(&typical(NOW), &other_device, &certificate).unwrap();
        assert_eq!(verify_signed_qr(&text, &trust(&issuer, &[]), NOW).map(|_| ()), Err(SignedQrProblem::BadSignature));
    }

    #[test]
    fn an_issuer_key_past_its_end_certifies_nothing() {
        let issuer = TestIssuer::from_seed("retired issuer");
        let device = device_key_from_seed("retired device");
        let certificate = issuer.certify(device.public_key(), NOW + 30 * 86_400);
        let text = sign_qr(&typical(NOW), &device, &certificate).unwrap();
        let retired = TrustList::from_json(issuer.trust_list_json(NOW - 86_400, &[]).as_bytes()).unwrap();
        assert_eq!(verify_signed_qr(&text, &retired, NOW).map(|_| ()), Err(SignedQrProblem::CertificateExpired));
    }
}
