//! `cargo +nightly fuzz run consent_list`: see locker_core::fuzzing::consent_list.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::consent_list(data));
