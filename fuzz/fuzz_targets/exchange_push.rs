//! `cargo +nightly fuzz run exchange_push`: see locker_core::fuzzing::exchange_push.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::exchange_push(data));
