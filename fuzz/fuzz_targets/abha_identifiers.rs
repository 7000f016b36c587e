//! `cargo +nightly fuzz run abha_identifiers`: see locker_core::fuzzing::abha_identifiers.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::abha_identifiers(data));
