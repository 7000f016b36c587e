//! `cargo +nightly fuzz run bundle`: see locker_core::fuzzing::bundle.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::bundle(data));
