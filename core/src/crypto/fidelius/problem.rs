//! What is wrong with a Fidelius input, as a type: each names the part that is wrong and never
//! echoes it (keys, nonces and health data are never repeated in an error).

use std::fmt;

/// Why a Fidelius key, nonce, key material or payload was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FideliusProblem {
    /// Not valid base64 (standard alphabet).
    BadBase64,
    /// Not a public key in any form we read: raw `04‖X‖Y` (65 bytes) or an X.509
    /// SubjectPublicKeyInfo whose last 65 bytes are such a point.
    BadPublicKey,
    /// A coordinate not below p, or a point that does not satisfy the curve's equation.
    NotOnCurve,
    /// On the curve, but not in its prime-order group (a point of small order, or one with a
    /// small-order part): BouncyCastle refuses these too.
    NotInGroup,
    /// A private key that is empty, longer than 33 bytes, zero, or not below the group order.
    BadPrivateKey,
    /// A nonce that is not 32 bytes.
    BadNonce,
    /// The data did not authenticate under these keys and nonces: a wrong key or nonce, or data
    /// that was changed or cut short.
    TagMismatch,
    /// keyMaterial JSON without the fields the exchange needs, or of another algorithm or curve.
    BadKeyMaterial,
}

impl FideliusProblem {
    /// Every problem, in declaration order.
    pub const ALL: [FideliusProblem; 8] = [
        FideliusProblem::BadBase64,
        FideliusProblem::BadPublicKey,
        FideliusProblem::NotOnCurve,
        FideliusProblem::NotInGroup,
        FideliusProblem::BadPrivateKey,
        FideliusProblem::BadNonce,
        FideliusProblem::TagMismatch,
        FideliusProblem::BadKeyMaterial,
    ];

    /// A stable code, for scripts and the bindings.
    pub fn code(self) -> &'static str {
        match self {
            FideliusProblem::BadBase64 => "bad-base64",
            FideliusProblem::BadPublicKey => "bad-public-key",
            FideliusProblem::NotOnCurve => "not-on-curve",
            FideliusProblem::NotInGroup => "not-in-group",
            FideliusProblem::BadPrivateKey => "bad-private-key",
            FideliusProblem::BadNonce => "bad-nonce",
            FideliusProblem::TagMismatch => "tag-mismatch",
            FideliusProblem::BadKeyMaterial => "bad-key-material",
        }
    }
}

impl fmt::Display for FideliusProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FideliusProblem::BadBase64 => "a value is not valid base64",
            FideliusProblem::BadPublicKey => {
                "the public key is neither a raw point (04, X, Y: 65 bytes) nor an X.509 key holding one"
            }
            FideliusProblem::NotOnCurve => "the public key's point is not on Curve25519",
            FideliusProblem::NotInGroup => "the public key's point is not in Curve25519's prime-order group",
            FideliusProblem::BadPrivateKey => {
                "the private key is not a number from 1 to the group order (1 to 33 bytes)"
            }
            FideliusProblem::BadNonce => "a nonce is not 32 bytes",
            FideliusProblem::TagMismatch => {
                "the data did not authenticate: wrong keys or nonces, or data changed or cut short"
            }
            FideliusProblem::BadKeyMaterial => {
                "the key material is not ECDH on Curve25519 with a public key and a nonce"
            }
        })
    }
}

impl std::error::Error for FideliusProblem {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for p in FideliusProblem::ALL {
            assert!(seen.insert(p.code()), "{p:?}");
            assert!(p.code().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            assert!(!p.to_string().is_empty());
        }
    }
}
