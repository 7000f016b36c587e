//! `cargo +nightly fuzz run answer_error`: see locker_core::fuzzing::answer_error.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::answer_error(data));
