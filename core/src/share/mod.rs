//! Scan & Share: the codes an OPD counter and a patient show each other. So far, reading them:
//! a facility's counter code (`facility_qr.rs`) and a patient's ABHA QR (`abha_card.rs`), each
//! failing with a typed `QrProblem` that names what is wrong and never echoes what was read.

pub mod abha_card;
pub mod facility_qr;
pub mod problem;

pub use abha_card::{AbhaQr, AbhaQrLayout};
pub use facility_qr::{FacilityQr, QrHost};
pub use problem::QrProblem;
