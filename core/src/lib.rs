//! healthlocker's core: an offline-first personal health locker for ABDM.
//!
//! Everything that matters lives here, free of FFI types: the encrypted record store, ABDM
//! FHIR documents, attachments and the audit log (and, as they arrive, enrolment, consent,
//! Scan & Share and sync). Shells reach it through [`Locker`].

#![deny(unsafe_code)]
// A library never writes to the app's console: nothing it could print is safe to print there.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod abha;
pub mod clock;
pub mod crypto;
pub mod error;
pub mod fhir;
pub mod files;
mod locker;
pub mod store;
pub mod sync;
mod time;

pub use abha::enrolment::{
    CitizenDetails, ConsentCapture, Enrolment, EnrolmentFilter, EnrolmentMode, EnrolmentOutcome, EnrolmentState,
    SubmitReport,
};
pub use clock::{Clock, ShiftedClock};
pub use crypto::DatabaseKey;
pub use error::{Error, Result};
pub use fhir::HiType;
pub use locker::{Locker, StoreGuard};
pub use store::enrolments::WorkerSession;
pub use store::{
    AttachmentInfo, AttachmentReader, AttachmentUpload, AuditEntry, AuditVerification, CheckReport, Gender,
    ImportOptions, NewProfile, OpenNotice, Profile, ProfileUpdate, RecordPage, RecordQuery, RecordSummary, Store,
};
pub use sync::{AbhaProfile, Backbone, BackboneConfig};
