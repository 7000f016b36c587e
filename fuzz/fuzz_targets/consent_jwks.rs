//! `cargo +nightly fuzz run consent_jwks`: see locker_core::fuzzing::consent_jwks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::consent_jwks(data));
