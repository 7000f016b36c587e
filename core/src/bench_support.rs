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

/// For `locker bench consent`: the same release of `ids` without the consent policy, as a
/// release must still be made: the release recorded durably in the audit log (one commit, as
/// the policy's release makes one), then each bundle read out. What the policy adds is then
/// its own work (the records' facts, the grants, the decision, the use in the ledger).
pub fn release_without_policy(locker: &crate::Locker, ids: &[String]) -> Result<Vec<Vec<u8>>> {
    let detail = format!("channel=share records={}", ids.len());
    locker.write(|tx| tx.audit("record.export", None, Some(&detail)))?;
    ids.iter()
        .map(|id| {
            let mut b = Vec::new();
            locker.records().read(id, &mut b)?;
            Ok(b)
        })
        .collect()
}
