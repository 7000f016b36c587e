//! `cargo +nightly fuzz run link_answer`: see locker_core::fuzzing::link_answer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::link_answer(data));
