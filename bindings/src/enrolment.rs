//! ABHA enrolment: `locker.enrolment()`. Online: the citizen's own phone, one call per step
//! (Aadhaar OTP → enrol → mobile verification when needed → ABHA address → profile and card
//! saved). Assisted: a field worker's session captures citizens with no network, queues them
//! sealed, submits them when a network appears, hands each ABHA over and erases the details.
//!
//! Calls that reach the backbone are `async` (Kotlin `suspend`, Swift `async`, Python
//! coroutines); the rest are plain local calls. Aadhaar numbers and OTPs cross as `String`s
//! owned by the core, which wipes them once sealed.

use crate::backbone::Backbone;
use crate::error::{LockerError, run, run_async};
use locker_core::{CitizenDetails, ConsentCapture, Enrolment, EnrolmentFilter, Profile, SubmitReport, WorkerSession};
use std::sync::Arc;

#[derive(uniffi::Object)]
pub struct Enrolments {
    pub(crate) core: Arc<locker_core::Locker>,
}

#[uniffi::export(async_runtime = "tokio")]
impl Enrolments {
    /// Starts an online enrolment: fetches the backbone's key, seals the Aadhaar number, stores
    /// the enrolment and asks for the Aadhaar OTP. `relation` is the new profile's relation to
    /// the locker's owner (`self` for the owner). Returns the enrolment at `OtpSent`.
    #[uniffi::method(default(relation = "self"))]
    pub async fn online_start(
        &self,
        backbone: Arc<Backbone>,
        aadhaar: String,
        mobile: String,
        relation: String,
    ) -> Result<Enrolment, LockerError> {
        run_async(self.core.enrolment().online_start(&backbone.core, aadhaar, &mobile, &relation)).await
    }

    /// Asks for the Aadhaar OTP again (also after `TransactionExpired` or `OtpLocked`).
    pub async fn online_request_otp(&self, backbone: Arc<Backbone>, id: String) -> Result<Enrolment, LockerError> {
        run_async(self.core.enrolment().online_request_otp(&backbone.core, &id)).await
    }

    /// Enrols with the Aadhaar OTP the citizen received. A wrong one is `WrongOtp` with the
    /// attempts left. Returns the enrolment at `MobileUnverified` (the mobile given is not the
    /// Aadhaar-linked one) or `AddressPending`.
    pub async fn online_verify_otp(
        &self,
        backbone: Arc<Backbone>,
        id: String,
        otp: String,
    ) -> Result<Enrolment, LockerError> {
        run_async(self.core.enrolment().online_verify_otp(&backbone.core, &id, otp)).await
    }

    /// Sends an OTP to the mobile the citizen gave, to verify it.
    pub async fn online_request_mobile_otp(
        &self,
        backbone: Arc<Backbone>,
        id: String,
    ) -> Result<Enrolment, LockerError> {
        run_async(self.core.enrolment().online_request_mobile_otp(&backbone.core, &id)).await
    }

    /// Verifies the mobile with the OTP sent to it; then an address is to be chosen. A refused
    /// OTP is `Refused` and may be typed again.
    pub async fn online_verify_mobile_otp(
        &self,
        backbone: Arc<Backbone>,
        id: String,
        otp: String,
    ) -> Result<Enrolment, LockerError> {
        run_async(self.core.enrolment().online_verify_mobile_otp(&backbone.core, &id, otp)).await
    }

    /// ABHA addresses (the part before the `@`) the backbone suggests, free to take.
    pub async fn online_address_suggestions(
        &self,
        backbone: Arc<Backbone>,
        id: String,
    ) -> Result<Vec<String>, LockerError> {
        run_async(self.core.enrolment().online_address_suggestions(&backbone.core, &id)).await
    }

    /// Creates the ABHA address the citizen chose (the strict creation rule applies; a taken
    /// one is `AddressTaken`).
    pub async fn online_create_address(
        &self,
        backbone: Arc<Backbone>,
        id: String,
        address: String,
    ) -> Result<Enrolment, LockerError> {
        run_async(self.core.enrolment().online_create_address(&backbone.core, &id, &address)).await
    }

    /// Saves the citizen's profile with its ABHA number and address, keeps the ABHA card (PNG)
    /// as the profile's attachment, and erases the enrolment's working details.
    pub async fn online_finish(&self, backbone: Arc<Backbone>, id: String) -> Result<Profile, LockerError> {
        run_async(self.core.enrolment().online_finish(&backbone.core, &id)).await
    }

    /// Fetches the backbone's sealing key and keeps it, so citizens can be captured with no
    /// network later.
    pub async fn refresh_backbone_key(&self, backbone: Arc<Backbone>) -> Result<(), LockerError> {
        run_async(self.core.enrolment().refresh_backbone_key(&backbone.core)).await
    }

    /// Submits the queued enrolments (of one worker session, or all) through the outbox and
    /// reconciles each answer. Whatever the network or the backbone failed stays queued.
    #[uniffi::method(default(session_id = None))]
    pub async fn submit(
        &self,
        backbone: Arc<Backbone>,
        session_id: Option<String>,
    ) -> Result<SubmitReport, LockerError> {
        run_async(self.core.enrolment().submit(&backbone.core, session_id.as_deref())).await
    }

    /// The ABHA card (PNG) of a submitted enrolment, to show the citizen.
    pub async fn card(&self, backbone: Arc<Backbone>, id: String) -> Result<Vec<u8>, LockerError> {
        run_async(self.core.enrolment().card(&backbone.core, &id)).await
    }
}

#[uniffi::export]
impl Enrolments {
    /// Starts a field worker's session on this device. `retention_days` (1–90, default 7) bounds
    /// how long a citizen's details may stay here.
    #[uniffi::method(default(retention_days = None))]
    pub fn start_session(
        &self,
        worker_id: String,
        device_id: String,
        retention_days: Option<u32>,
    ) -> Result<WorkerSession, LockerError> {
        run(|| self.core.enrolment().start_session(&worker_id, &device_id, retention_days))
    }

    pub fn end_session(&self, session_id: String) -> Result<(), LockerError> {
        run(|| self.core.enrolment().end_session(&session_id))
    }

    pub fn session(&self, session_id: String) -> Result<WorkerSession, LockerError> {
        run(|| self.core.enrolment().session(&session_id))
    }

    /// Captures one citizen into the session's queue, with no network needed: the Aadhaar number
    /// is sealed to the backbone's cached key before this returns (`BackboneKeyMissing` until
    /// `refresh_backbone_key` has run once).
    pub fn capture(
        &self,
        session_id: String,
        details: CitizenDetails,
        aadhaar: String,
        consent: ConsentCapture,
    ) -> Result<Enrolment, LockerError> {
        run(|| self.core.enrolment().capture(&session_id, details, aadhaar, &consent))
    }

    /// Corrects a queued or rejected enrolment (new details, a newly captured Aadhaar number, or
    /// both); it is queued again.
    #[uniffi::method(default(details = None, aadhaar = None))]
    pub fn correct(
        &self,
        id: String,
        details: Option<CitizenDetails>,
        aadhaar: Option<String>,
    ) -> Result<Enrolment, LockerError> {
        run(|| self.core.enrolment().correct(&id, details, aadhaar))
    }

    /// The ABHA card QR payload (JSON) of a submitted enrolment, to show with no network.
    pub fn qr(&self, id: String) -> Result<String, LockerError> {
        run(|| self.core.enrolment().qr(&id))
    }

    /// Records that the citizen has their ABHA and erases their details from the device.
    pub fn confirm_handover(&self, id: String) -> Result<Enrolment, LockerError> {
        run(|| self.core.enrolment().confirm_handover(&id))
    }

    /// Gives an enrolment up and erases its details from the device.
    pub fn cancel(&self, id: String) -> Result<Enrolment, LockerError> {
        run(|| self.core.enrolment().cancel(&id))
    }

    /// Erases every enrolment whose retention period is over; returns how many.
    pub fn purge_expired(&self) -> Result<u32, LockerError> {
        run(|| self.core.enrolment().purge_expired())
    }

    pub fn get(&self, id: String) -> Result<Enrolment, LockerError> {
        run(|| self.core.enrolment().get(&id))
    }

    /// Enrolments, oldest first.
    #[uniffi::method(default(filter))]
    pub fn list(&self, filter: EnrolmentFilter) -> Result<Vec<Enrolment>, LockerError> {
        run(|| self.core.enrolment().list(&filter))
    }
}
