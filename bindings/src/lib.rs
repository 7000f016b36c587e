//! locker-ffi: healthlocker's uniffi surface for Kotlin, Swift and Python.
//!
//! It converts and delegates to `locker-core`, nothing more: logic here is a defect. `Locker`
//! hands out one object per domain (`Profiles`, `Records`, `Attachments`, `Enrolments`,
//! `Outbox`, `Consents`, `Shares`, `Counter`), each a row of one-line delegations to the core's room of the same name. Every call
//! runs inside [`error::run`] (network calls, which are async, inside [`error::run_async`]), so a
//! core error arrives as a typed `LockerError` and a panic as `LockerError::Internal`, never as a
//! crash of the host app. Records and enums are the core's own types, described to uniffi in
//! [`types`] (remote types), so there is no second copy of them to keep in step.

#![deny(unsafe_code)]
// A library never writes to the app's console: nothing it could print is safe to print there.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

mod attachments;
mod backbone;
mod consent;
mod enrolment;
mod error;
mod exchange;
mod exchange_types;
mod fidelius;
mod identifiers;
mod locker;
mod outbox;
mod profiles;
mod qr_images;
mod records;
mod share;
mod share_types;
mod types;

pub use attachments::{AttachmentReader, AttachmentWriter, Attachments};
pub use backbone::{Backbone, BackboneConfig, ClientSecret, backbone_preset};
pub use consent::{Consents, DateRange, ReleaseAsk, deny_reason_code, deny_reason_explanation};
pub use enrolment::Enrolments;
pub use error::LockerError;
pub use fidelius::{
    FideliusKeyPair, fidelius_decrypt, fidelius_encrypt, fidelius_generate_key_pair, fidelius_new_nonce,
    fidelius_public_key,
};
pub use identifiers::{
    AbhaAddressInfo, AbhaNumberInfo, aadhaar_is_valid, parse_abha_address, parse_abha_number, parse_mobile,
    validate_abha_address_for_creation,
};
pub use locker::{Locker, generate_key};
pub use outbox::Outbox;
pub use profiles::Profiles;
pub use qr_images::{qr_decode_frame, qr_decode_image, qr_decode_rgba, qr_png, qr_svg};
pub use records::Records;
pub use share::{Counter, Shares, share_notice};

uniffi::setup_scaffolding!("healthlocker");
