//! Talking to ABDM's backbone: configuration, the HTTP client with its gateway session and
//! retry rule, ABDM's error bodies, and the calls each flow makes.

pub mod abha_api;
pub mod client;
pub mod config;
pub(crate) mod consent_api;
pub(crate) mod hie_api;
pub mod retry;
pub(crate) mod share_api;
pub mod tls;
pub(crate) mod wire;

pub use abha_api::AbhaProfile;
pub use client::Backbone;
pub use config::{BackboneConfig, Preset};
pub use retry::{Disposition, classify};
pub use tls::{pin_of_certificate, pin_of_spki};
