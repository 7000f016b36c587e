//! Scan & Share: `locker.share()` (the patient at a counter, and their signed code) and
//! `locker.counter()` (a hospital counter's device). Network calls are `async`; scanning,
//! registering and giving tokens are local calls that work offline.

use crate::backbone::Backbone;
use crate::error::{LockerError, run, run_async};
use locker_core::share::{
    CounterDesk, CounterPatient, CounterToken, CounterVisit, QrCertification, Share, ShareContact, SignedQr,
};
use std::sync::Arc;

#[derive(uniffi::Object)]
pub struct Shares {
    pub(crate) core: Arc<locker_core::Locker>,
}

#[uniffi::export(async_runtime = "tokio")]
impl Shares {
    /// Reads the tokens of shares sent and not yet answered; returns how many changed.
    pub async fn refresh(&self, backbone: Arc<Backbone>) -> Result<u32, LockerError> {
        run_async(self.core.share().refresh(&backbone.core)).await
    }

    /// Has the issuer certify this device's QR key, as `patient` (signed in to the consent
    /// manager); nothing is asked while the certificate kept has more than a week left.
    pub async fn certify_qr_key(
        &self,
        backbone: Arc<Backbone>,
        patient: String,
    ) -> Result<QrCertification, LockerError> {
        run_async(self.core.share().certify_qr_key(&backbone.core, &patient)).await
    }
}

#[uniffi::export]
impl Shares {
    /// Shares `profile_id` with the counter whose code was scanned (`facility_code`: its link or
    /// JSON). `phr_url` is the PHR host configured (`BackboneConfig.phr_url`), so the
    /// deployment's own links are read too. Offline, the share waits in the outbox for five
    /// minutes; a token that still holds at that counter is returned instead.
    pub fn scan(
        &self,
        profile_id: String,
        facility_code: String,
        phr_url: Option<String>,
    ) -> Result<Share, LockerError> {
        run(|| self.core.share().scan_code(&profile_id, &facility_code, phr_url.as_deref()))
    }

    /// Shares, newest first, of one profile or all.
    #[uniffi::method(default(profile_id = None))]
    pub fn list(&self, profile_id: Option<String>) -> Result<Vec<Share>, LockerError> {
        run(|| self.core.share().list(profile_id.as_deref()))
    }

    pub fn get(&self, id: String) -> Result<Share, LockerError> {
        run(|| self.core.share().get(&id))
    }

    /// Keeps what a counter is told of `profile_id` besides its ABHA details.
    pub fn set_contact(&self, profile_id: String, contact: ShareContact) -> Result<(), LockerError> {
        run(|| self.core.share().set_contact(&profile_id, &contact))
    }

    pub fn contact(&self, profile_id: String) -> Result<ShareContact, LockerError> {
        run(|| self.core.share().contact(&profile_id))
    }

    /// `profile_id`'s signed code, made now with no network.
    pub fn signed_qr(&self, profile_id: String) -> Result<SignedQr, LockerError> {
        run(|| self.core.share().signed_qr(&profile_id))
    }
}

/// What the patient is told of a share, when there is something to tell.
#[uniffi::export]
pub fn share_notice(share: Share) -> Option<String> {
    share.notice()
}

#[derive(uniffi::Object)]
pub struct Counter {
    pub(crate) core: Arc<locker_core::Locker>,
}

#[uniffi::export(async_runtime = "tokio")]
impl Counter {
    /// Fetches the issuers' trust list (kept unless older than the one kept); the version kept.
    pub async fn refresh_trust(&self, backbone: Arc<Backbone>) -> Result<u64, LockerError> {
        run_async(self.core.counter().refresh_trust(&backbone.core)).await
    }
}

#[uniffi::export]
impl Counter {
    /// Makes this device the counter `counter_id` of facility `hip_id`.
    pub fn open(&self, hip_id: String, counter_id: String) -> Result<CounterDesk, LockerError> {
        run(|| self.core.counter().open(&hip_id, &counter_id))
    }

    pub fn desk(&self) -> Result<Option<CounterDesk>, LockerError> {
        run(|| self.core.counter().desk())
    }

    /// The link this counter's own code shows, on the PHR host `phr_url`.
    pub fn link(&self, phr_url: String) -> Result<String, LockerError> {
        run(|| self.core.counter().link(&phr_url))
    }

    /// Registers the patient whose code was scanned (a signed locker code, checked with no
    /// network, or an ABHA card's or PHR app's code) and gives their token.
    pub fn scan(&self, code: String, cm_id: String) -> Result<CounterVisit, LockerError> {
        run(|| self.core.counter().scan(&code, &cm_id))
    }

    /// Tokens given on `day` (days since 1970-01-01 in India; today when absent), in order.
    #[uniffi::method(default(day = None))]
    pub fn tokens(&self, day: Option<i64>) -> Result<Vec<CounterToken>, LockerError> {
        run(|| self.core.counter().tokens(day))
    }

    pub fn patient(&self, id: String) -> Result<CounterPatient, LockerError> {
        run(|| self.core.counter().patient(&id))
    }

    pub fn trust_version(&self) -> Result<Option<u64>, LockerError> {
        run(|| self.core.counter().trust_version())
    }
}
