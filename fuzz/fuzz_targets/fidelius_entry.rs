//! `cargo +nightly fuzz run fidelius_entry`: see locker_core::fuzzing::fidelius_entry.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::fidelius_entry(data));
