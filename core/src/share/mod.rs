//! Scan & Share: the codes an OPD counter and a patient show each other, and what each side does
//! with them. Reading: a facility's counter code (`facility_qr.rs`) and a patient's ABHA QR
//! (`abha_card.rs`), each failing with a typed `QrProblem` that names what is wrong and never
//! echoes what was read. The patient's side (`sharing.rs`): their profile shared with a counter,
//! queued when offline, and the token read back (`wire.rs`). The counter's side (`counter.rs`):
//! patients registered and tokens given with no network, by the rules of `tokens.rs`.

pub mod abha_card;
pub mod counter;
pub mod decode;
pub mod facility_qr;
pub mod frame;
pub mod my_qr;
pub mod problem;
pub mod render;
pub mod sharing;
pub mod signed;
pub mod tokens;
mod trust_store;
pub mod wire;

pub use abha_card::{AbhaQr, AbhaQrLayout};
pub use counter::{Counter, CounterDesk, CounterPatient, CounterToken, CounterVisit, PatientSource};
pub use facility_qr::{FacilityQr, QrHost};
pub use my_qr::{QrCertification, SignedQr};
pub use problem::QrProblem;
pub use sharing::{Share, ShareStatus, Shares};
pub use wire::ShareContact;
