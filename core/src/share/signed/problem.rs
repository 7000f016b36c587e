//! Why a signed offline QR was refused, as a type: one variant per stable code of
//! docs/signed-qr.md, in the order the checks run. Neither `Display` nor `Debug` ever carries
//! what was scanned (the QR holds a name, numbers and an address).

use std::fmt;

/// Why a signed offline QR was not accepted. The first failing check is the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignedQrProblem {
    /// The text does not start with `HL1:`.
    WrongPrefix,
    /// Not Base45 (RFC 9285): a character outside its alphabet, a length it never makes, or a
    /// group whose value is too large.
    BadBase45,
    /// Larger than any QR of this kind can be, or inflating past 4 096 bytes (a zlib bomb).
    TooLarge,
    /// A zlib stream that does not inflate.
    BadCompression,
    /// Not a tagged COSE_Sign1 of the shape the spec fixes.
    BadCose,
    /// Signed with another algorithm than ES256.
    UnsupportedAlgorithm,
    /// The device certificate is missing or not of the shape the spec fixes.
    BadCertificate,
    /// The certificate's issuer is not in the trust list.
    UnknownKey,
    /// The issuer's key or the device's key has been revoked.
    KeyRevoked,
    /// The device's signature recovers no key the issuer certifies (or a signature is not
    /// 64 bytes).
    BadSignature,
    /// The device certificate (or the issuer key that signed it) has expired.
    CertificateExpired,
    /// The claims are not the CBOR map the spec fixes.
    BadClaims,
    /// Issued later than now, beyond the tolerated clock skew.
    NotYetValid,
    /// Expired, beyond the tolerated clock skew.
    Expired,
}

impl SignedQrProblem {
    /// Every problem, in the order the checks run.
    pub const ALL: [SignedQrProblem; 14] = [
        SignedQrProblem::WrongPrefix,
        SignedQrProblem::BadBase45,
        SignedQrProblem::TooLarge,
        SignedQrProblem::BadCompression,
        SignedQrProblem::BadCose,
        SignedQrProblem::UnsupportedAlgorithm,
        SignedQrProblem::BadCertificate,
        SignedQrProblem::UnknownKey,
        SignedQrProblem::KeyRevoked,
        SignedQrProblem::BadSignature,
        SignedQrProblem::CertificateExpired,
        SignedQrProblem::BadClaims,
        SignedQrProblem::NotYetValid,
        SignedQrProblem::Expired,
    ];

    /// The stable code of docs/signed-qr.md, for scripts, the bindings and the conformance
    /// cases.
    pub fn code(self) -> &'static str {
        match self {
            SignedQrProblem::WrongPrefix => "wrong-prefix",
            SignedQrProblem::BadBase45 => "bad-base45",
            SignedQrProblem::TooLarge => "too-large",
            SignedQrProblem::BadCompression => "bad-compression",
            SignedQrProblem::BadCose => "bad-cose",
            SignedQrProblem::UnsupportedAlgorithm => "unsupported-algorithm",
            SignedQrProblem::BadCertificate => "bad-certificate",
            SignedQrProblem::UnknownKey => "unknown-key",
            SignedQrProblem::KeyRevoked => "key-revoked",
            SignedQrProblem::BadSignature => "bad-signature",
            SignedQrProblem::CertificateExpired => "certificate-expired",
            SignedQrProblem::BadClaims => "bad-claims",
            SignedQrProblem::NotYetValid => "not-yet-valid",
            SignedQrProblem::Expired => "expired",
        }
    }

    /// The problem with this code, if any.
    pub fn from_code(code: &str) -> Option<SignedQrProblem> {
        SignedQrProblem::ALL.into_iter().find(|p| p.code() == code)
    }
}

impl fmt::Display for SignedQrProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignedQrProblem::WrongPrefix => "this is not a healthlocker signed QR (no HL1: prefix)",
            SignedQrProblem::BadBase45 => "the signed QR's text is not valid Base45",
            SignedQrProblem::TooLarge => "the signed QR is larger than any such code can be",
            SignedQrProblem::BadCompression => "the signed QR's compressed content does not inflate",
            SignedQrProblem::BadCose => "the signed QR is not a COSE_Sign1 of the expected shape",
            SignedQrProblem::UnsupportedAlgorithm => "the signed QR uses a signature algorithm other than ES256",
            SignedQrProblem::BadCertificate => "the signed QR's device certificate is malformed",
            SignedQrProblem::UnknownKey => "the signed QR's issuer is not in the trust list",
            SignedQrProblem::KeyRevoked => "a key behind the signed QR has been revoked",
            SignedQrProblem::BadSignature => "the signed QR's signatures do not verify",
            SignedQrProblem::CertificateExpired => "the signed QR's device certificate has expired",
            SignedQrProblem::BadClaims => "the signed QR's claims are malformed",
            SignedQrProblem::NotYetValid => "the signed QR is not valid yet (check both clocks)",
            SignedQrProblem::Expired => "the signed QR has expired (check both clocks)",
        })
    }
}

impl std::error::Error for SignedQrProblem {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_distinct_and_reads_back() {
        let codes: std::collections::BTreeSet<_> = SignedQrProblem::ALL.iter().map(|p| p.code()).collect();
        assert_eq!(codes.len(), SignedQrProblem::ALL.len());
        for p in SignedQrProblem::ALL {
            assert_eq!(SignedQrProblem::from_code(p.code()), Some(p));
        }
        assert_eq!(SignedQrProblem::from_code("ok"), None);
    }
}
