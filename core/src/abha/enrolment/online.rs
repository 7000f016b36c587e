//! Online enrolment on the citizen's own phone: Aadhaar OTP → enrol → mobile verification →
//! ABHA address → profile and card saved in the store. Each step is one call; the app reads
//! the enrolment's state to know which comes next, also after a restart.

use super::{
    DAY_MS, DEFAULT_RETENTION_DAYS, Enrolment, EnrolmentOutcome, EnrolmentState, Personal, error_code, is_transient,
};
use crate::abha::aadhaar::Aadhaar;
use crate::abha::address::AbhaAddress;
use crate::abha::personal::{Mobile, seal_otp};
use crate::crypto::random_uid;
use crate::crypto::seal::BackboneKey;
use crate::error::{Error, Result};
use crate::store::enrolments::EnrolmentRow;
use crate::store::{Gender, NewProfile, Profile, ProfileUpdate};
use crate::sync::Backbone;
use EnrolmentState::*;
use zeroize::Zeroizing;

impl crate::Locker {
    /// Starts an online enrolment: fetches the backbone's key, seals the Aadhaar number at
    /// once, stores the enrolment and asks for the Aadhaar OTP. `relation` is the new profile's
    /// relation to the locker's owner (`self` for the owner).
    pub async fn enrol_online_start(
        &self,
        backbone: &Backbone,
        aadhaar: String,
        mobile: &str,
        relation: &str,
    ) -> Result<Enrolment> {
        // Refused here if mistyped, before any network; wiped on every way out.
        let aadhaar = Aadhaar::parse(aadhaar)?;
        let mobile = Mobile::parse(mobile)?;
        let relation = relation.trim().to_ascii_lowercase();
        if relation.is_empty() || relation.len() > 32 || !relation.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        {
            return Err(Error::InvalidInput("the relation is a word such as self, spouse or child".into()));
        }
        let key = backbone.public_key().await?;
        let now = self.now_ms();
        self.store()?.save_backbone_key(&key, now)?;
        let mut personal = Personal::default();
        personal.sealed_aadhaar = Some(aadhaar.seal(&key)?);
        personal.mobile = Some(mobile.digits().to_string());
        personal.relation = Some(relation);
        let mut row = EnrolmentRow {
            id: random_uid()?,
            mode: "online".into(),
            created_at: now,
            updated_at: now,
            erase_after: Some(now + i64::from(DEFAULT_RETENTION_DAYS) * DAY_MS),
            ..EnrolmentRow::default()
        };
        row.set_state(Started);
        personal.write(&mut row)?;
        self.store()?.insert_enrolment(&row, "enrolment.started")?;
        self.enrol_online_request_otp(backbone, &row.id).await
    }

    /// Asks for the Aadhaar OTP, or sends it again.
    pub async fn enrol_online_request_otp(&self, backbone: &Backbone, id: &str) -> Result<Enrolment> {
        let (mut row, mut personal) = self.online_step(id, &[Started, OtpSent])?;
        let rid = self.begin(&mut row, "aadhaar-otp")?;
        let sealed = personal.sealed_aadhaar.clone().ok_or(Error::NotFound("sealed Aadhaar number"))?;
        match backbone.request_otp(&rid, personal.txn_id.as_deref(), &sealed, false).await {
            Ok(txn) => {
                personal.txn_id = Some(txn);
                self.advance(&mut row, &personal, OtpSent, "enrolment.otp")
            }
            Err(e) => Err(self.settle_failure(&mut row, &mut personal, e)),
        }
    }

    /// Enrols with the Aadhaar OTP the citizen received (sealed at once).
    pub async fn enrol_online_verify_otp(&self, backbone: &Backbone, id: &str, otp: String) -> Result<Enrolment> {
        let otp = Zeroizing::new(otp);
        let (mut row, mut personal) = self.online_step(id, &[OtpSent])?;
        personal.pending_otp = Some(seal_otp(otp.to_string(), &self.cached_key()?)?);
        let rid = row.begin_step("aadhaar-enrol");
        personal.write(&mut row)?;
        self.store()?.update_enrolment(&row, None)?;
        let (txn, mobile) = (personal.txn_id.clone().unwrap_or_default(), personal.mobile.clone().unwrap_or_default());
        let sealed = personal.pending_otp.clone().expect("set above");
        match backbone.enrol_by_aadhaar(&rid, &txn, &sealed, &mobile).await {
            Ok(enrolled) => {
                let linked = enrolled.profile.mobile.as_deref().and_then(|m| Mobile::parse(m).ok());
                let next = if linked.is_some_and(|m| m.digits() == mobile) { AddressPending } else { MobileUnverified };
                row.outcome = Some(
                    if enrolled.is_new { EnrolmentOutcome::Created } else { EnrolmentOutcome::AlreadyExisted }
                        .code()
                        .into(),
                );
                personal.profile = Some(enrolled.profile);
                personal.token = enrolled.token.map(|t| t.to_string());
                personal.pending_otp = None;
                self.advance(&mut row, &personal, next, "enrolment.enrolled")
            }
            Err(e) => {
                if !is_transient(&e) {
                    personal.pending_otp = None;
                }
                Err(self.settle_failure(&mut row, &mut personal, e))
            }
        }
    }

    /// Sends an OTP to the mobile the citizen gave, to verify it.
    pub async fn enrol_online_request_mobile_otp(&self, backbone: &Backbone, id: &str) -> Result<Enrolment> {
        let (mut row, mut personal) = self.online_step(id, &[MobileUnverified, MobileOtpSent])?;
        let mobile = Mobile::parse(personal.mobile.as_deref().unwrap_or_default())?;
        let sealed = mobile.seal(&self.cached_key()?)?;
        let rid = self.begin(&mut row, "mobile-otp")?;
        match backbone.request_otp(&rid, personal.txn_id.as_deref(), &sealed, true).await {
            Ok(txn) => {
                personal.txn_id = Some(txn);
                self.advance(&mut row, &personal, MobileOtpSent, "enrolment.mobile-otp")
            }
            Err(e) => Err(self.settle_failure(&mut row, &mut personal, e)),
        }
    }

    /// Verifies the mobile with the OTP sent to it.
    pub async fn enrol_online_verify_mobile_otp(
        &self,
        backbone: &Backbone,
        id: &str,
        otp: String,
    ) -> Result<Enrolment> {
        let otp = Zeroizing::new(otp);
        let (mut row, mut personal) = self.online_step(id, &[MobileOtpSent])?;
        let sealed = seal_otp(otp.to_string(), &self.cached_key()?)?;
        let rid = self.begin(&mut row, "mobile-verify")?;
        let txn = personal.txn_id.clone().unwrap_or_default();
        match backbone.verify_mobile(&rid, &txn, &sealed).await {
            Ok(()) => {
                if let Some(p) = personal.profile.as_mut() {
                    p.mobile = personal.mobile.clone();
                }
                self.advance(&mut row, &personal, AddressPending, "enrolment.mobile-verified")
            }
            Err(e) => Err(self.settle_failure(&mut row, &mut personal, e)),
        }
    }

    /// ABHA addresses the backbone suggests (user parts), free to take.
    pub async fn enrol_online_address_suggestions(&self, backbone: &Backbone, id: &str) -> Result<Vec<String>> {
        let (_, personal) = self.online_step(id, &[AddressPending])?;
        backbone.address_suggestions(personal.txn_id.as_deref().unwrap_or_default()).await
    }

    /// Creates the ABHA address the citizen chose (strict rule: 8–18 letters and digits, at
    /// most one `.` and one `_`, neither first nor last).
    pub async fn enrol_online_create_address(&self, backbone: &Backbone, id: &str, address: &str) -> Result<Enrolment> {
        let chosen = AbhaAddress::for_creation(address)?;
        let (mut row, mut personal) = self.online_step(id, &[AddressPending])?;
        let rid = self.begin(&mut row, "address")?;
        let txn = personal.txn_id.clone().unwrap_or_default();
        match backbone.create_address(&rid, &txn, chosen.user()).await {
            Ok(full) => {
                if let Some(p) = personal.profile.as_mut() {
                    p.abha_address = Some(full);
                }
                self.advance(&mut row, &personal, AddressCreated, "enrolment.address")
            }
            Err(e) => Err(self.settle_failure(&mut row, &mut personal, e)),
        }
    }

    /// Saves the citizen's profile with its ABHA number and address, keeps the ABHA card as
    /// an attachment, and erases the enrolment's working details.
    pub async fn enrol_online_finish(&self, backbone: &Backbone, id: &str) -> Result<Profile> {
        let (row, personal) = self.online_step(id, &[AddressCreated])?;
        let token = personal.token.clone().ok_or(Error::NotFound("ABHA token"))?;
        let mut account = backbone.account(&token).await?;
        let card = backbone.abha_card(&token).await?;
        let ours = personal.profile.as_ref().ok_or(Error::NotFound("ABHA profile"))?;
        if account.abha_address.as_deref().is_none_or(|a| !a.contains('@') || a.starts_with(char::is_numeric)) {
            account.abha_address = ours.abha_address.clone();
        }
        let relation = personal.relation.clone().unwrap_or_else(|| "self".into());
        let birth_date = account.birth_date.clone().or(ours.birth_date.clone()).unwrap_or_default();
        let profile = {
            let mut store = self.store()?;
            let profiles = store.profiles()?;
            let holder = profiles.iter().find(|p| p.abha_number.as_deref() == Some(account.abha_number.as_str()));
            let owner = profiles.iter().find(|p| p.is_owner);
            // The person who already holds this ABHA number is updated, never duplicated; the
            // owner takes it when the citizen enrolled as themself and has none yet; anyone
            // else is a new family profile (an owner with another ABHA keeps theirs).
            let update = match (holder, owner) {
                (Some(h), _) => Some(h),
                (None, Some(o)) if relation == "self" && o.abha_number.is_none() => Some(o),
                _ => None,
            };
            match update {
                Some(p) => {
                    let mut u = ProfileUpdate::from(p);
                    u.abha_number = Some(Some(account.abha_number.clone()));
                    u.abha_address = Some(account.abha_address.clone());
                    store.update_profile(&p.id, &u)?
                }
                None => {
                    let is_owner = relation == "self" && owner.is_none();
                    store.add_profile(&NewProfile {
                        name: account.name.clone(),
                        gender: Gender::parse(&account.gender),
                        birth_date,
                        abha_number: Some(account.abha_number.clone()),
                        abha_address: account.abha_address.clone(),
                        relation: if relation == "self" && !is_owner { "other".into() } else { relation.clone() },
                        is_owner,
                    })?
                }
            }
        };
        self.add_attachment(&profile.id, "image/png", &mut card.as_slice())?;
        let now = self.now_ms();
        self.store()?.erase_enrolment(&row.id, Done.code(), "completed", now)?;
        Ok(profile)
    }

    /// An online enrolment at one of `allowed`, with its details.
    fn online_step(&self, id: &str, allowed: &[EnrolmentState]) -> Result<(EnrolmentRow, Personal)> {
        let row = self.store()?.enrolment_row(id)?;
        if row.mode != "online" {
            return Err(Error::WrongStep { state: row.state()? });
        }
        row.expect_state(allowed)?;
        let personal = Personal::read(&row)?;
        Ok((row, personal))
    }

    fn cached_key(&self) -> Result<BackboneKey> {
        self.store()?.backbone_key()?.ok_or(Error::BackboneKeyMissing)
    }

    /// Marks `step` in flight (persisted) and returns its REQUEST-ID.
    fn begin(&self, row: &mut EnrolmentRow, step: &str) -> Result<String> {
        let rid = row.begin_step(step);
        self.store()?.update_enrolment(row, None)?;
        Ok(rid)
    }

    fn advance(
        &self,
        row: &mut EnrolmentRow,
        personal: &Personal,
        to: EnrolmentState,
        action: &str,
    ) -> Result<Enrolment> {
        row.end_step();
        row.set_state(to);
        row.last_error = None;
        row.updated_at = self.now_ms();
        personal.write(row)?;
        self.store()?.update_enrolment(row, Some((action, to.code())))?;
        row.view()
    }

    /// Records a failed step and returns its error. A transient failure keeps the step in
    /// flight (same REQUEST-ID next time); a final one ends it, and an expired or locked
    /// transaction sends the enrolment back to the start, where a new OTP can be requested.
    fn settle_failure(&self, row: &mut EnrolmentRow, personal: &mut Personal, e: Error) -> Error {
        row.last_error = Some(error_code(&e));
        row.updated_at = self.now_ms();
        if is_transient(&e) {
            row.attempts += 1;
        } else {
            row.end_step();
            if matches!(e, Error::TransactionExpired | Error::OtpLocked | Error::OtpLimit)
                && row.state().is_ok_and(|s| matches!(s, Started | OtpSent))
            {
                personal.txn_id = None;
                row.set_state(Started);
            }
        }
        let saved = personal.write(row).and_then(|()| self.store()?.update_enrolment(row, None));
        match saved {
            Ok(()) => e,
            Err(store_error) => store_error,
        }
    }
}
