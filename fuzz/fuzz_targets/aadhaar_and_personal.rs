//! `cargo +nightly fuzz run aadhaar_and_personal`: see locker_core::fuzzing::aadhaar_and_personal.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::aadhaar_and_personal(data));
