//! `cargo +nightly fuzz run qr_claims`: see locker_core::fuzzing::qr_claims.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::qr_claims(data));
