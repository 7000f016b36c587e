//! `cargo +nightly fuzz run qr_inflate`: see locker_core::fuzzing::qr_inflate.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::qr_inflate(data));
