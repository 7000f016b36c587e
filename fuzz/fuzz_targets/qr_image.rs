//! `cargo +nightly fuzz run qr_image`: see locker_core::fuzzing::qr_image.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::qr_image(data));
