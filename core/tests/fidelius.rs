//! Fidelius against published vectors and vectors made with BouncyCastle: every byte of the
//! exchange (public keys from Java private keys, secret, salt, IV, ciphertext) in both
//! directions, the three public-key forms, Java's short private keys, and each way an input is
//! refused. The live peer is the JVM suite (android/src/test/.../FideliusInteropTest.kt).

use locker_core::Error;
use locker_core::crypto::fidelius::{
    FideliusProblem, KeyForm, KeyMaterial, KeyPair, PublicKey, Session, X509_LEN, X509_PREFIX_LEN, exchange_parts,
    from_base64, read_nonce, to_base64,
};

/// One party of a vector.
struct Party {
    private: &'static str,
    public: &'static str,
    nonce: &'static str,
}

impl Party {
    fn keys(&self) -> KeyPair {
        let k = KeyPair::from_private_base64(self.private).unwrap();
        assert_eq!(k.public().to_base64(KeyForm::Raw), self.public, "the public key follows from the private key");
        k
    }

    fn nonce(&self) -> [u8; 32] {
        read_nonce(self.nonce).unwrap()
    }

    fn public(&self) -> PublicKey {
        PublicKey::read_base64(self.public).unwrap()
    }
}

/// mgrmtech/fidelius-cli's README (also dimagi/pyfidelius's tests): the requester (HIU)…
const REQUESTER: Party = Party {
    private: "DMxHPri8d7IT23KgLk281zZenMfVHSdeamq0RhwlIBk=",
    public: "BAheD5rUqTy4V5xR4/6HWmYpopu5CO+KO8BECS0udNqUTSNo91TIqIIy1A4Vh+F94c+n9vAcwXU2bGcfsI5f69Y=",
    nonce: "6uj1RdDUbcpI3lVMZvijkMC8Te20O4Bcyz0SyivX8Eg=",
};
/// …and the sender (HIP).
const SENDER: Party = Party {
    private: "AYhVZpbVeX4KS5Qm/W0+9Ye2q3rnVVGmqRICmseWni4=",
    public: "BABVt+mpRLMXiQpIfEq6bj8hlXsdtXIxLsspmMgLNI1SR5mHgDVbjHO2A+U4QlMddGzqyEidzm1AkhtSxSO2Ahg=",
    nonce: "lmXgblZwotx+DfBgKJF0lZXtAXgBEYr5khh79Zytr2Y=",
};
/// The same keys in X.509 (explicit parameters), as fidelius-cli (BouncyCastle) prints them.
const REQUESTER_X509: &str = "MIIBMTCB6gYHKoZIzj0CATCB3gIBATArBgcqhkjOPQEBAiB/////////////////////////////////////////7TBEBCAqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqYSRShRAQge0Je0Je0Je0Je0Je0Je0Je0Je0Je0Je0JgtenHcQyGQEQQQqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq0kWiCuGaG4oIa04B7dLHdI0UySPU1+bXxhsinpxaJ+ztPZAiAQAAAAAAAAAAAAAAAAAAAAFN753qL3nNZYEmMaXPXT7QIBCANCAAQIXg+a1Kk8uFecUeP+h1pmKaKbuQjvijvARAktLnTalE0jaPdUyKiCMtQOFYfhfeHPp/bwHMF1NmxnH7COX+vW";
const SENDER_X509: &str = "MIIBMTCB6gYHKoZIzj0CATCB3gIBATArBgcqhkjOPQEBAiB/////////////////////////////////////////7TBEBCAqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqYSRShRAQge0Je0Je0Je0Je0Je0Je0Je0Je0Je0Je0JgtenHcQyGQEQQQqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq0kWiCuGaG4oIa04B7dLHdI0UySPU1+bXxhsinpxaJ+ztPZAiAQAAAAAAAAAAAAAAAAAAAAFN753qL3nNZYEmMaXPXT7QIBCANCAAQAVbfpqUSzF4kKSHxKum4/IZV7HbVyMS7LKZjICzSNUkeZh4A1W4xztgPlOEJTHXRs6shInc5tQJIbUsUjtgIY";

/// Plaintext → encryptedData under the published keys and nonces. (fidelius-cli's README shows
/// the first plaintext with "the " before "Potter"; its ciphertext is of this text, 63 bytes.)
const PUBLISHED: [(&str, &str); 2] = [
    (
        "Wormtail should never have been Potter cottage's secret keeper.",
        "pzMvVZNNVtJzqPkkxcCbBUWgDEBy/mBXIeT2dJWI16ZAQnnXUb9lI+S4k8XK6mgZSKKSRIHkcNvJpllnBg548wUgavBa0vCRRwdL6kY6Yw==",
    ),
    // nikhil25803/pyfidelius.
    ("Hello World!!", "uDkxVIgMaNEht/VqkQI1cYFgS7xm+Gc6y8Qh8dU="),
];

fn problem<T: std::fmt::Debug>(r: Result<T, Error>) -> FideliusProblem {
    match r {
        Err(Error::Fidelius(p)) => p,
        other => panic!("expected a Fidelius problem, got {other:?}"),
    }
}

/// Both sides' sessions for a vector: (sender's, requester's).
fn sessions(sender: &Party, requester: &Party) -> (Session, Session) {
    let (s, r) = (sender.keys(), requester.keys());
    let sending = Session::new(&s, &sender.nonce(), &requester.public(), &requester.nonce()).unwrap();
    let receiving = Session::new(&r, &requester.nonce(), &sender.public(), &sender.nonce()).unwrap();
    (sending, receiving)
}

#[test]
fn the_published_vector_byte_for_byte_in_both_directions() {
    let (sending, receiving) = sessions(&SENDER, &REQUESTER);
    for (clear, sealed) in PUBLISHED {
        assert_eq!(sending.encrypt_base64(clear.as_bytes()), sealed, "the sender encrypts as Java does");
        assert_eq!(receiving.decrypt_base64(sealed).unwrap(), clear.as_bytes(), "the requester decrypts");
        // The key is the same on both sides: the requester's encryption is the same bytes.
        assert_eq!(receiving.encrypt_base64(clear.as_bytes()), sealed);
        assert_eq!(sending.decrypt_base64(sealed).unwrap(), clear.as_bytes());
        // decrypt_in_place gives the same.
        let mut buf = from_base64(sealed).unwrap();
        assert_eq!(receiving.decrypt_in_place(&mut buf).unwrap(), clear.as_bytes());
    }
}

#[test]
fn the_published_secret_salt_and_iv() {
    let (s, r) = (SENDER.keys(), REQUESTER.keys());
    let (secret, salt, iv) = exchange_parts(&s, &SENDER.nonce(), &REQUESTER.public(), &REQUESTER.nonce()).unwrap();
    let (secret2, salt2, iv2) = exchange_parts(&r, &REQUESTER.nonce(), &SENDER.public(), &SENDER.nonce()).unwrap();
    assert_eq!(*secret, *secret2);
    assert_eq!((salt, iv), (salt2, iv2));
    let secret = hex::encode(*secret);
    assert!(secret.starts_with("1d96dcf5") && secret.ends_with("5419507b"), "secret");
    assert_eq!(hex::encode(salt), "7c8d152b86a4cf1636d3a52c4e69d70555514c95");
    assert_eq!(hex::encode(iv), "b52a0aa55925693fb77a5f2e");
}

#[test]
fn eka_cares_empty_plaintext_vector() {
    // eka-care/abdm-ecdh's Go tests: keys made with Java/BouncyCastle; the payload is the tag alone.
    let requester = Party {
        private: "Dnh316gsSfP+0kiNmEgsIekLsY6BQr7b++3rHQ8otAI=",
        public: "BBbWU1fw1y1ErdKasIoQKKAWzq3N9ARcrukg7b1MpD3RHi9ofFAFhyIwMIA5p+iMCcLHkzQRoEFvCpNET1+tFtQ=",
        nonce: "5mLKfBzxPw5+xVgxHu/iG+mzw+xIVN1dSFDrqB/KkIE=",
    };
    let sender = Party {
        private: "BJig2akHxYJKjA/uyUSzVris72DsOt95vVaG2ZzGSDE=",
        public: "BDWu6EFsroAUi8lnWZmLZCDZT7XbpsdEC7eeEtNnseHkDKa0igaRxDQOKro7KBaivUiTxdfvRK0mVlVgWGyZo98=",
        nonce: "IEEtSc15HpLboL/kjBhu+K2Hqro/aoTh9HAgXA5JwMM=",
    };
    let (sending, receiving) = sessions(&sender, &requester);
    assert_eq!(receiving.decrypt_base64("2H7IAUROe23J6JwM25F+SA==").unwrap(), b"");
    assert_eq!(sending.encrypt_base64(b""), "2H7IAUROe23J6JwM25F+SA==");
}

#[test]
fn a_secret_with_a_leading_zero_is_padded_and_a_31_byte_java_key_is_read() {
    // Made with BouncyCastle (ECDHBasicAgreement, HKDFBytesGenerator, AES/GCM): the sender's
    // private key is 31 bytes in Java's form, and the shared x begins with a zero byte. A port
    // that trims it hashes 31 bytes and fails here.
    let sender = Party {
        private: "RtV+S/XNRHBBHFkm6n8S3JvG4ru1+N3vEsiAbu+4ew==",
        public: "BAMy3r5HFDe0uOVFPHH7Ch9AiRfD3Tvb9dPlX4qon5JLOYvYiifNpPJ45x/qz4BxTmOZQ9+i/hbS/RGWMojCYqE=",
        nonce: "WDR1CenHABffDUtsZS7hIfRLXS66PX1oId5UUNi0XSo=",
    };
    let requester = Party {
        private: "BtV7zzxV2R6U4W13FHpspt4s1iD+QVOx1zi7V6WGdi4=",
        public: "BGc6YBmlJIR4kCxRaQ7omkE68Hy6GQiWMHMdneZpP6c2frUuSAk9q30liRAnnfKxHizhSAo5vTeKEebgM5rs+k4=",
        nonce: "xnYnHV3WKI/5IgclrgcYq0kazrwXInn25qLJwq8aecU=",
    };
    assert_eq!(from_base64(sender.private).unwrap().len(), 31);
    let (secret, _, _) =
        exchange_parts(&sender.keys(), &sender.nonce(), &requester.public(), &requester.nonce()).unwrap();
    assert_eq!(hex::encode(*secret), "00c8fe65fce2c6bdc5addce1229f75b15665184e38c1a269e31a3b8f893fcbab");
    let (sending, receiving) = sessions(&sender, &requester);
    let sealed = "WPdwl7+s9qQpWjoX5//GOsPhc1yos4Xvp021c6LDxQ==";
    assert_eq!(receiving.decrypt_base64(sealed).unwrap(), b"pad, never trim");
    assert_eq!(sending.encrypt_base64(b"pad, never trim"), sealed);
    // Written back, the key is 32 bytes with a leading zero; Java reads it as the same number.
    let k = sender.keys();
    assert_eq!(k.private_bytes()[0], 0);
    assert_eq!(KeyPair::from_private(&*k.private_bytes()).unwrap().public(), k.public());
}

#[test]
fn java_private_keys_of_every_length_read_as_the_same_number() {
    let k = REQUESTER.keys();
    let bytes = from_base64(REQUESTER.private).unwrap();
    assert_eq!(bytes.len(), 32);
    // BigInteger.toByteArray() of a number whose top bit is set at 32 bytes: 33 bytes, 0x00 first.
    let mut with_zero = vec![0u8];
    with_zero.extend_from_slice(&bytes);
    assert_eq!(KeyPair::from_private(&with_zero).unwrap().public(), k.public());
    // A short key and the same number padded.
    let short = [0x5au8; 31];
    let mut padded = vec![0u8; 2];
    padded.extend_from_slice(&short);
    let a = KeyPair::from_private(&short).unwrap();
    let b = KeyPair::from_private(&padded[1..]).unwrap();
    let c = KeyPair::from_private(&padded).unwrap();
    assert_eq!(a.public(), b.public());
    assert_eq!(a.public(), c.public());
    assert_eq!(*a.private_bytes(), *c.private_bytes());
    assert_eq!(KeyPair::from_private(&[7]).unwrap().public(), KeyPair::from_private(&[0, 0, 7]).unwrap().public());
}

#[test]
fn all_three_public_key_forms_read_as_the_same_key() {
    for (party, x509) in [(&REQUESTER, REQUESTER_X509), (&SENDER, SENDER_X509)] {
        let raw = party.public();
        let explicit = PublicKey::read_base64(x509).unwrap();
        assert_eq!(raw, explicit);
        // Ours is BouncyCastle's, byte for byte.
        assert_eq!(raw.to_base64(KeyForm::X509), x509);
        assert_eq!(raw.x509().len(), X509_LEN);
        assert_eq!(x509.len(), 412);
        assert_eq!(raw.to_base64(KeyForm::Raw).len(), 88);
        // Named curve (BouncyCastle's getEncoded() of an ECNamedCurveTable key: OID 1.3.6.1.4.1.3029.1.5.1).
        let mut named = hex::decode("305b301506072a8648ce3d0201060a2b06010401975501050103420004").unwrap();
        named.extend_from_slice(&raw.raw()[1..]);
        assert_eq!(PublicKey::read(&named).unwrap(), raw);
    }
    // Decrypting with the sender's key in X.509 gives the same.
    let r = REQUESTER.keys();
    let s =
        Session::new(&r, &REQUESTER.nonce(), &PublicKey::read_base64(SENDER_X509).unwrap(), &SENDER.nonce()).unwrap();
    assert_eq!(s.decrypt_base64(PUBLISHED[1].1).unwrap(), PUBLISHED[1].0.as_bytes());
}

#[test]
fn a_flipped_bit_or_a_wrong_nonce_is_a_tag_mismatch() {
    let (_, receiving) = sessions(&SENDER, &REQUESTER);
    let sealed = from_base64(PUBLISHED[0].1).unwrap();
    for i in [0, sealed.len() / 2, sealed.len() - 1] {
        let mut changed = sealed.clone();
        changed[i] ^= 0x01;
        assert_eq!(problem(receiving.decrypt(&changed)), FideliusProblem::TagMismatch);
    }
    assert_eq!(problem(receiving.decrypt(&sealed[..sealed.len() - 1])), FideliusProblem::TagMismatch);
    let mut wrong = SENDER.nonce();
    wrong[31] ^= 1;
    let r = REQUESTER.keys();
    let s = Session::new(&r, &REQUESTER.nonce(), &SENDER.public(), &wrong).unwrap();
    assert_eq!(problem(s.decrypt(&sealed)), FideliusProblem::TagMismatch);
    // The wrong peer key, likewise.
    let s = Session::new(&r, &REQUESTER.nonce(), &REQUESTER.public(), &SENDER.nonce()).unwrap();
    assert_eq!(problem(s.decrypt(&sealed)), FideliusProblem::TagMismatch);
}

#[test]
fn bad_keys_and_nonces_are_refused_by_name_and_never_echoed() {
    let raw = from_base64(REQUESTER.public).unwrap();
    let mut off = raw.clone();
    off[64] ^= 1;
    assert_eq!(problem(PublicKey::read(&off)), FideliusProblem::NotOnCurve);
    let mut big = raw.clone();
    big[1..33].fill(0xff);
    assert_eq!(problem(PublicKey::read(&big)), FideliusProblem::NotOnCurve);
    assert_eq!(problem(PublicKey::read(&raw[..64])), FideliusProblem::BadPublicKey);
    assert_eq!(problem(PublicKey::read(&[0u8; 65])), FideliusProblem::BadPublicKey);
    let mut der = from_base64(REQUESTER_X509).unwrap();
    assert_eq!(der.len(), X509_PREFIX_LEN + 65);
    der[X509_PREFIX_LEN + 10] ^= 1;
    assert_eq!(problem(PublicKey::read(&der)), FideliusProblem::NotOnCurve);
    assert_eq!(problem(PublicKey::read_base64("BAhe***")), FideliusProblem::BadBase64);

    for bad in [&[][..], &[0u8; 32], &[0xffu8; 32], &[0u8; 34], &[1u8; 33]] {
        assert_eq!(problem(KeyPair::from_private(bad)), FideliusProblem::BadPrivateKey);
    }
    // n itself.
    let n = hex::decode("1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed").unwrap();
    assert_eq!(problem(KeyPair::from_private(&n)), FideliusProblem::BadPrivateKey);
    assert_eq!(problem(read_nonce("AAAA")), FideliusProblem::BadNonce);

    let e = Error::Fidelius(FideliusProblem::NotOnCurve).to_string();
    assert!(!e.contains("BAhe") && !e.contains("04"), "{e}");
}

#[test]
fn key_material_from_a_java_hiu_and_hip() {
    let v = serde_json::json!({
        "cryptoAlg": "ECDH",
        "curve": "curve25519",
        "dhPublicKey": {"expiry": "2030-01-01T00:00:00.000Z", "parameters": "Curve25519/32byte random key", "keyValue": SENDER_X509},
        "nonce": SENDER.nonce,
    });
    let m = KeyMaterial::read(&v).unwrap();
    assert_eq!(m.public_key, SENDER.public());
    assert_eq!(m.nonce, SENDER.nonce());
    assert_eq!(m.expiry.as_deref(), Some("2030-01-01T00:00:00.000Z"));
    let out = m.to_json(KeyForm::X509);
    assert_eq!(out["dhPublicKey"]["keyValue"], SENDER_X509);
    assert_eq!(out["curve"], "Curve25519");
    assert_eq!(m.to_json(KeyForm::Raw)["dhPublicKey"]["keyValue"], SENDER.public);
    assert_eq!(to_base64(&m.nonce), SENDER.nonce);
}

#[test]
fn generated_keys_interoperate_with_themselves_and_print_nothing_secret() {
    for _ in 0..8 {
        let (a, b) = (KeyPair::generate().unwrap(), KeyPair::generate().unwrap());
        let again = KeyPair::from_private(&*a.private_bytes()).unwrap();
        assert_eq!(again.public(), a.public());
        assert_eq!(PublicKey::read(&a.public().x509()).unwrap(), *a.public());
        let (na, nb) = ([1u8; 32], [2u8; 32]);
        let sa = Session::new(&a, &na, b.public(), &nb).unwrap();
        let sb = Session::new(&b, &nb, a.public(), &na).unwrap();
        assert_eq!(sb.decrypt(&sa.encrypt(b"entry")).unwrap(), b"entry");
        let shown = format!("{a:?} {sa:?}");
        assert!(!shown.contains(&hex::encode(*a.private_bytes())));
        assert!(!shown.contains(a.private_base64().as_str()));
    }
}
