//! `cargo +nightly fuzz run qr_verify`: see locker_core::fuzzing::qr_verify.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::qr_verify(data));
