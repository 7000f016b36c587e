//! `cargo +nightly fuzz run facility_qr`: see locker_core::fuzzing::facility_qr.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::facility_qr(data));
