//! `cargo +nightly fuzz run key_check`: see locker_core::fuzzing::key_check.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::key_check(data));
