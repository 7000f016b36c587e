//! `cargo +nightly fuzz run answer_enrolment`: see locker_core::fuzzing::answer_enrolment.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::answer_enrolment(data));
