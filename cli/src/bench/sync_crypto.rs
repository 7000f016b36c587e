//! Fidelius decryption of a realistic page set (every record the hospital holds, sealed as a
//! HIP seals a transfer: one key agreement, one key and IV, AES-256-GCM per entry) against ring's
//! AES-256-GCM opening the very same bytes under the very same key; and the key agreement alone.

use super::attach::mb_s;
use super::round;
use crate::{CliResult, Failure};
use locker_core::crypto::fidelius::{
    KeyForm, KeyMaterial, KeyPair, Session, exchange_parts, from_base64, new_nonce, to_base64,
};
use locker_sandbox::HipRecord;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf;
use serde_json::{Value, json};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Rounds of each whole-set decryption, interleaved; the best of each is kept.
const ROUNDS: usize = 11;
/// Key agreements timed one by one.
const AGREEMENTS: usize = 200;

/// The figures, by name.
pub fn measure(records: &[HipRecord], page_entries: usize) -> CliResult<Vec<(String, Value)>> {
    let (hip, hiu) = (KeyPair::generate()?, KeyPair::generate()?);
    let (hip_nonce, hiu_nonce) = (new_nonce()?, new_nonce()?);
    let sending = Session::new(&hip, &hip_nonce, hiu.public(), &hiu_nonce)?;
    let sealed: Vec<Vec<u8>> = records.iter().map(|r| sending.encrypt(&r.json)).collect();
    let text: Vec<String> = sealed.iter().map(|s| to_base64(s)).collect();
    let bytes: u64 = sealed.iter().map(|s| s.len() as u64).sum();
    // The page's keyMaterial, as the HIP sends it (its key in X.509), and our private key as the
    // store keeps it.
    let material = KeyMaterial { public_key: *hip.public(), nonce: hip_nonce, expiry: None }.to_json(KeyForm::X509);
    let private = hiu.private_bytes();

    // The same key, made by hand: HKDF-SHA256 of the ECDH secret, as the protocol says.
    let (secret, salt, iv) = exchange_parts(&hiu, &hiu_nonce, hip.public(), &hip_nonce)?;
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &salt).extract(secret.as_ref());
    let okm = prk.expand(&[], &AES_256_GCM).map_err(|_| Failure::new("HKDF refused a 32-byte key"))?;
    let raw = LessSafeKey::new(UnboundKey::from(okm));

    let (mut raw_best, mut dec_best, mut b64_best, mut pages_best) =
        (Duration::MAX, Duration::MAX, Duration::MAX, Duration::MAX);
    let mut buf = Vec::with_capacity(sealed.iter().map(Vec::len).max().unwrap_or(0));
    for _ in 0..ROUNDS {
        let t = Instant::now();
        for s in &sealed {
            buf.clear();
            buf.extend_from_slice(s);
            let clear = raw
                .open_in_place(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut buf)
                .map_err(|_| Failure::new("raw AES-GCM refused an entry: not the same key"))?;
            black_box(clear);
        }
        raw_best = raw_best.min(t.elapsed());

        let t = Instant::now();
        let session = Session::new(&hiu, &hiu_nonce, hip.public(), &hip_nonce)?;
        for s in &sealed {
            black_box(session.decrypt(s)?);
        }
        dec_best = dec_best.min(t.elapsed());

        let t = Instant::now();
        let session = Session::new(&hiu, &hiu_nonce, hip.public(), &hip_nonce)?;
        for s in &text {
            black_box(session.decrypt_base64(s)?);
        }
        b64_best = b64_best.min(t.elapsed());

        // As exchange/pages.rs applies a page: the key pair from the stored private key, the
        // sender's keyMaterial read, a session, then each entry from base64.
        let t = Instant::now();
        for page in text.chunks(page_entries.max(1)) {
            let own = KeyPair::from_private(private.as_ref())?;
            let theirs = KeyMaterial::read(&material)?;
            let session = Session::new(&own, &hiu_nonce, &theirs.public_key, &theirs.nonce)?;
            for s in page {
                black_box(session.decrypt_base64(s)?);
            }
        }
        pages_best = pages_best.min(t.elapsed());
    }
    // The clear text is right (once, outside the timing).
    let session = Session::new(&hiu, &hiu_nonce, hip.public(), &hip_nonce)?;
    for (r, s) in records.iter().zip(&text) {
        if session.decrypt(&from_base64(s)?)? != r.json {
            return Err(Failure::new("an entry did not decrypt to its bundle"));
        }
    }

    let mut agree = Vec::with_capacity(AGREEMENTS);
    let mut page_key = Vec::with_capacity(AGREEMENTS);
    for _ in 0..AGREEMENTS {
        let t = Instant::now();
        black_box(Session::new(&hiu, &hiu_nonce, hip.public(), &hip_nonce)?);
        agree.push(t.elapsed());
        let t = Instant::now();
        let own = KeyPair::from_private(private.as_ref())?;
        let theirs = KeyMaterial::read(&material)?;
        black_box(Session::new(&own, &hiu_nonce, &theirs.public_key, &theirs.nonce)?);
        page_key.push(t.elapsed());
    }
    let us = |v: &mut Vec<Duration>| round(super::percentile_ms(v, 50.0) * 1000.0, 1);

    let raw_mb_s = mb_s(bytes, raw_best);
    let dec_mb_s = mb_s(bytes, dec_best);
    Ok(vec![
        ("decrypt_entries".into(), json!(sealed.len())),
        ("decrypt_bytes".into(), json!(bytes)),
        ("decrypt_mb_s".into(), json!(round(dec_mb_s, 1))),
        ("decrypt_b64_mb_s".into(), json!(round(mb_s(bytes, b64_best), 1))),
        ("pages_decrypt_mb_s".into(), json!(round(mb_s(bytes, pages_best), 1))),
        ("aead_raw_mb_s".into(), json!(round(raw_mb_s, 1))),
        ("decrypt_ratio".into(), json!(round(dec_mb_s / raw_mb_s, 3))),
        ("fidelius_exchange_us".into(), json!(us(&mut agree))),
        ("page_key_us".into(), json!(us(&mut page_key))),
    ])
}
