//! ABDM FHIR R4 document bundles: check the shape, classify the record, pull out what the
//! store lists and searches by, and find inline binary data large enough to move out of the
//! JSON. Nothing here stores anything.

pub(crate) mod base64_text;
mod bundle;
mod hi_type;
pub(crate) mod inline_data;

pub use bundle::BundleIndex;
pub(crate) use bundle::{content_hash, index_bundle};
pub use hi_type::HiType;
