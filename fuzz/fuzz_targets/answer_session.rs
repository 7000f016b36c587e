//! `cargo +nightly fuzz run answer_session`: see locker_core::fuzzing::answer_session.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::answer_session(data));
