//! `cargo +nightly fuzz run qr_cose`: see locker_core::fuzzing::qr_cose.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::qr_cose(data));
