//! `cargo +nightly fuzz run fidelius_key_material`: see locker_core::fuzzing::fidelius_key_material.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::fidelius_key_material(data));
