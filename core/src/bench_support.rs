//! For `locker bench outbox` only (feature `bench`, never in a shipped build): the demographic
//! enrolment call an outbox drain sends, sent by hand, so the bench can time the very same
//! requests over the very same client without the outbox, and so measure what the outbox costs.

#![allow(missing_docs)]

use crate::CitizenDetails;
use crate::crypto::seal::{BackboneKey, Sealed};
use crate::error::Result;
use crate::sync::Backbone;

/// A citizen's submission, sealed and ready to send.
pub struct RawSubmission {
    details: CitizenDetails,
    sealed: Sealed,
}

impl RawSubmission {
    pub fn new(details: CitizenDetails, aadhaar: String, key: &BackboneKey) -> Result<RawSubmission> {
        Ok(RawSubmission { details, sealed: crate::abha::seal_aadhaar(aadhaar, key)? })
    }

    /// Sends it under `request_id`, as a drain would.
    pub async fn send(&self, backbone: &Backbone, request_id: &str) -> Result<()> {
        let demographics =
            crate::abha::enrolment::submit::demographics(&self.details, &self.sealed, "1.4", "hi", 1_700_000_000_000);
        backbone.enrol_by_demographics(request_id, &demographics).await.map(|_| ())
    }
}

/// A fresh REQUEST-ID, as the outbox fixes one at enqueue.
pub fn request_id() -> Result<String> {
    crate::crypto::random_uid()
}
