//! `cargo +nightly fuzz run consent_request`: see locker_core::fuzzing::consent_request.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::consent_request(data));
