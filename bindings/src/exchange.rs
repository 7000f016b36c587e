//! Records from hospitals: `locker.links()` (linking a facility's records with its OTP),
//! `locker.exchange()` (pulls and doctors' requests), and `locker.sync()`, the one call that does
//! everything pending within a budget, telling a listener how it goes. Network calls are `async`.

use crate::backbone::Backbone;
use crate::error::{LockerError, run, run_async};
use locker_core::exchange::{HipRequest, Pull};
use locker_core::links::{CareLink, Discovery, LinkStarted};
use locker_core::{HiType, SyncBudget, SyncProgress, SyncReport};
use std::sync::Arc;

#[derive(uniffi::Object)]
pub struct Links {
    pub(crate) core: Arc<locker_core::Locker>,
}

#[uniffi::export(async_runtime = "tokio")]
impl Links {
    /// Asks facility `hip_id` which of the citizen's records it holds, by their mobile number.
    pub async fn discover(
        &self,
        backbone: Arc<Backbone>,
        patient: String,
        hip_id: String,
        mobile: String,
    ) -> Result<Discovery, LockerError> {
        run_async(self.core.links().discover(&backbone.core, &patient, &hip_id, &mobile)).await
    }

    /// Starts linking the chosen care contexts (none named: all found); the facility sends an OTP.
    pub async fn choose(
        &self,
        backbone: Arc<Backbone>,
        attempt: String,
        references: Vec<String>,
    ) -> Result<LinkStarted, LockerError> {
        run_async(self.core.links().choose(&backbone.core, &attempt, &references)).await
    }

    /// Confirms with the OTP; returns what is now linked at that facility.
    pub async fn confirm(
        &self,
        backbone: Arc<Backbone>,
        attempt: String,
        otp: String,
    ) -> Result<Vec<CareLink>, LockerError> {
        run_async(self.core.links().confirm(&backbone.core, &attempt, &otp)).await
    }

    /// Pulls the list of links (a facility's own links appear); returns how many are new.
    pub async fn refresh(&self, backbone: Arc<Backbone>) -> Result<u32, LockerError> {
        run_async(self.core.links().refresh(&backbone.core)).await
    }
}

#[uniffi::export]
impl Links {
    /// What is linked, for one citizen or all.
    #[uniffi::method(default(patient = None))]
    pub fn list(&self, patient: Option<String>) -> Result<Vec<CareLink>, LockerError> {
        run(|| self.core.links().list(patient.as_deref()))
    }
}

#[derive(uniffi::Object)]
pub struct Exchange {
    pub(crate) core: Arc<locker_core::Locker>,
}

#[uniffi::export]
impl Exchange {
    /// Starts pulling a profile's records (`hi_types` empty: all) over a range (UTC ms; none:
    /// everything). Works offline: it goes at the next sync.
    #[uniffi::method(default(hi_types = [], from_ms = None, to_ms = None))]
    pub fn pull(
        &self,
        profile_id: String,
        hi_types: Vec<HiType>,
        from_ms: Option<i64>,
        to_ms: Option<i64>,
    ) -> Result<Pull, LockerError> {
        run(|| self.core.exchange().pull(&profile_id, &hi_types, from_ms.zip(to_ms)))
    }

    pub fn pulls(&self) -> Result<Vec<Pull>, LockerError> {
        run(|| self.core.exchange().pulls())
    }

    pub fn pull_status(&self, id: String) -> Result<Pull, LockerError> {
        run(|| self.core.exchange().pull_status(&id))
    }

    /// Doctors' data requests that reached this locker, and what became of each.
    pub fn hip_requests(&self) -> Result<Vec<HipRequest>, LockerError> {
        run(|| self.core.exchange().hip_requests())
    }
}

/// Hears a sync's progress; implemented by the shell (a progress bar, a notification).
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    fn progress(&self, progress: SyncProgress);
}

struct Relay(Arc<dyn SyncListener>);

impl locker_core::SyncListener for Relay {
    fn progress(&self, progress: SyncProgress) {
        self.0.progress(progress)
    }
}

/// Runs one sync (the body of `Locker.sync`).
pub(crate) async fn sync(
    core: &locker_core::Locker,
    backbone: &Backbone,
    budget: SyncBudget,
    listener: Arc<dyn SyncListener>,
) -> Result<SyncReport, LockerError> {
    let relay = Relay(listener);
    run_async(core.sync(&backbone.core, budget, &relay)).await
}
