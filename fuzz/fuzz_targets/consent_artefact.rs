//! `cargo +nightly fuzz run consent_artefact`: see locker_core::fuzzing::consent_artefact.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| locker_core::fuzzing::consent_artefact(data));
