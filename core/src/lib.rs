//! healthlocker's core: an offline-first personal health locker for ABDM.
//!
//! Everything that matters lives here, free of FFI types. Shells reach it through [`Locker`],
//! which hands out a room per domain: profiles, records, attachments, enrolment, the outbox.
//! Dependencies point down: the domains use `store`, `sync` and `crypto`; `store` uses none of
//! them and knows no domain type.

#![deny(unsafe_code)]
// A library never writes to the app's console: nothing it could print is safe to print there.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod abha;
pub mod attachments;
#[cfg(feature = "bench")]
#[doc(hidden)]
pub mod bench_support;
pub mod clock;
pub mod consent;
pub mod crypto;
pub mod error;
pub mod exchange;
pub mod fhir;
pub mod files;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod links;
mod locker;
mod network;
pub mod outbox;
pub mod profiles;
pub mod records;
pub mod share;
mod store;
pub mod sync;
mod sync_round;
mod time;

pub use abha::enrolment::{
    CitizenDetails, ConsentCapture, Enrolment, EnrolmentFilter, EnrolmentMode, EnrolmentOutcome, EnrolmentState,
    Enrolments, SubmitReport, WorkerSession,
};
pub use attachments::{AttachmentInfo, AttachmentReader, AttachmentUpload, Attachments};
pub use clock::{Clock, ShiftedClock};
pub use consent::Consents;
pub use crypto::DatabaseKey;
pub use error::{Error, Result};
pub use fhir::HiType;
pub use locker::Locker;
pub use outbox::{DrainReport, ItemKind, ItemState, KindCount, Outbox, OutboxItem, OutboxStatus, WedgedItem};
pub use profiles::{Gender, NewProfile, Profile, ProfileUpdate, Profiles};
pub use records::{ImportOptions, RecordPage, RecordQuery, RecordSummary, Records};
pub use store::{AuditEntry, AuditVerification, CheckReport, OpenNotice};
pub use sync::{AbhaProfile, Backbone, BackboneConfig, Preset};
pub use sync_round::{Quiet, SyncBudget, SyncListener, SyncProgress, SyncReport, SyncStage};
