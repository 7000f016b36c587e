//! `cargo +nightly fuzz run abha_qr`: see locker_core::fuzzing::abha_qr.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::abha_qr(data));
