//! `cargo +nightly fuzz run attachment_file`: see locker_core::fuzzing::attachment_file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::attachment_file(data));
