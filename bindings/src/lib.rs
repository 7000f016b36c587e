//! locker-ffi: healthlocker's uniffi surface for Kotlin, Swift and Python.
//!
//! It converts and delegates to `locker-core`, nothing more: logic here is a defect. The
//! exported objects and error enum arrive with the bindings issue; until then this crate only
//! links the core into the shapes (cdylib, staticlib) the platform builds will consume.

#![deny(unsafe_code)]

pub use locker_core;
