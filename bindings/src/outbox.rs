//! What the backbone must hear: `locker.outbox()`. Its status for the user, its drain when the
//! shell says the network is there, and what the user does with a wedged item.

use crate::backbone::Backbone;
use crate::error::{LockerError, run, run_async};
use locker_core::{DrainReport, OutboxItem, OutboxStatus};
use std::sync::Arc;

#[derive(uniffi::Object)]
pub struct Outbox {
    pub(crate) core: Arc<locker_core::Locker>,
}

#[uniffi::export(async_runtime = "tokio")]
impl Outbox {
    /// Sends every item that is due, a few at a time; stops at the first failure every item
    /// would meet (no network, …). Nothing is lost or sent twice.
    pub async fn drain(&self, backbone: Arc<Backbone>) -> Result<DrainReport, LockerError> {
        run_async(self.core.outbox().drain(&backbone.core)).await
    }
}

#[uniffi::export]
impl Outbox {
    /// Counts by state and kind, the age of the oldest waiting item, each wedged item's reason.
    pub fn status(&self) -> Result<OutboxStatus, LockerError> {
        run(|| self.core.outbox().status())
    }

    /// Every item, oldest first.
    pub fn items(&self) -> Result<Vec<OutboxItem>, LockerError> {
        run(|| self.core.outbox().items())
    }

    /// Sends a wedged item again, as a new request.
    pub fn retry(&self, id: i64) -> Result<OutboxItem, LockerError> {
        run(|| self.core.outbox().retry(id))
    }

    /// Gives a wedged item up; its domain settles what it was for.
    pub fn discard(&self, id: i64) -> Result<(), LockerError> {
        run(|| self.core.outbox().discard(id))
    }
}
