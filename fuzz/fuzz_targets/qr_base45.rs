//! `cargo +nightly fuzz run qr_base45`: see locker_core::fuzzing::qr_base45.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::qr_base45(data));
