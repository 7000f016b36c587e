//! locker-ffi: healthlocker's uniffi surface for Kotlin, Swift and Python.
//!
//! It converts and delegates to `locker-core`, nothing more: logic here is a defect. Every
//! call runs inside [`error::run`], so a core error arrives as a typed `LockerError` and a
//! panic as `LockerError::Internal`, never as a crash of the host app. Records and enums are
//! the core's own types, described to uniffi in [`types`] (remote types), so there is no second
//! copy of them to keep in step.

#![deny(unsafe_code)]

mod attachments;
mod error;
mod integrity;
mod locker;
mod profiles;
mod records;
mod types;

pub use attachments::{AttachmentReader, AttachmentWriter};
pub use error::LockerError;
pub use locker::{Locker, generate_key};

uniffi::setup_scaffolding!("healthlocker");
