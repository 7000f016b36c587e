//! Online enrolment on the citizen's own phone: Aadhaar OTP → enrol → mobile verification →
//! ABHA address → profile and card saved in the store. Each step is one call the person waits
//! on; the app reads the enrolment's state to know which comes next, also after a restart.
//!
//! A step's call is recorded as in flight (its step and REQUEST-ID) before it is sent. Failures
//! are settled by the one classification: one the backbone or the network had (`Retry`,
//! `Halt`) keeps the step in flight, so trying again sends the same REQUEST-ID; a refusal
//! (`Wedge`) ends it, so the next try (a corrected OTP) is a new request.

use super::rows::{self, EnrolmentRow, Erasure, Step};
use super::{
    DAY_MS, DEFAULT_RETENTION_DAYS, Enrolment, EnrolmentMode, EnrolmentOutcome, EnrolmentState, Enrolments, Personal,
};
use crate::abha::aadhaar::Aadhaar;
use crate::abha::address::AbhaAddress;
use crate::abha::personal::{Mobile, seal_otp};
use crate::attachments;
use crate::crypto::seal::BackboneKey;
use crate::error::{Error, Result};
use crate::network::with_backbone;
use crate::profiles::{self, Gender, NewProfile, Profile, ProfileUpdate};
use crate::store::files::Encoding;
use crate::sync::Backbone;
use crate::sync::retry::{Disposition, classify, code_of};
use EnrolmentState::*;
use zeroize::Zeroizing;

impl Enrolments<'_> {
    /// Starts an online enrolment: fetches the backbone's key, seals the Aadhaar number at
    /// once, stores the enrolment and asks for the Aadhaar OTP. `relation` is the new profile's
    /// relation to the locker's owner (`self` for the owner).
    pub async fn online_start(
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
        let key = with_backbone(self.0, backbone, backbone.public_key()).await?;
        let now = self.0.now_ms();
        let mut personal = Personal::default();
        personal.sealed_aadhaar = Some(aadhaar.seal(&key)?);
        personal.mobile = Some(mobile.digits().to_string());
        personal.relation = Some(relation);
        let mut row = EnrolmentRow::new(EnrolmentMode::Online, Started, now)?;
        row.erase_after = Some(now + i64::from(DEFAULT_RETENTION_DAYS) * DAY_MS);
        personal.write(&mut row)?;
        self.0.write(|tx| {
            rows::save_backbone_key(tx, &key)?;
            rows::insert(tx, &row, "enrolment.started")
        })?;
        self.online_request_otp(backbone, &row.id).await
    }

    /// Asks for the Aadhaar OTP, or sends it again.
    pub async fn online_request_otp(&self, backbone: &Backbone, id: &str) -> Result<Enrolment> {
        let (mut row, mut personal) = self.online_step(id, &[Started, OtpSent])?;
        let rid = self.begin(&mut row, Step::AadhaarOtp)?;
        let sealed = personal.sealed_aadhaar.clone().ok_or(Error::NotFound("sealed Aadhaar number"))?;
        let sent =
            with_backbone(self.0, backbone, backbone.request_otp(&rid, personal.txn_id.as_deref(), &sealed, false));
        match sent.await {
            Ok(txn) => {
                personal.txn_id = Some(txn);
                self.advance(&mut row, &personal, OtpSent, "enrolment.otp")
            }
            Err(e) => Err(self.settle_failure(&mut row, &mut personal, e)),
        }
    }

    /// Enrols with the Aadhaar OTP the citizen received (sealed at once).
    pub async fn online_verify_otp(&self, backbone: &Backbone, id: &str, otp: String) -> Result<Enrolment> {
        let otp = Zeroizing::new(otp);
        let (mut row, mut personal) = self.online_step(id, &[OtpSent])?;
        personal.pending_otp = Some(seal_otp(otp.to_string(), &self.cached_key()?)?);
        let rid = row.begin_step(Step::AadhaarEnrol)?;
        personal.write(&mut row)?;
        self.0.write(|tx| rows::update(tx, &row, None))?;
        let (txn, mobile) = (personal.txn_id.clone().unwrap_or_default(), personal.mobile.clone().unwrap_or_default());
        let sealed = personal.pending_otp.clone().expect("set above");
        match with_backbone(self.0, backbone, backbone.enrol_by_aadhaar(&rid, &txn, &sealed, &mobile)).await {
            Ok(enrolled) => {
                let linked = enrolled.profile.mobile.as_deref().and_then(|m| Mobile::parse(m).ok());
                let next = if linked.is_some_and(|m| m.digits() == mobile) { AddressPending } else { MobileUnverified };
                row.outcome =
                    Some(if enrolled.is_new { EnrolmentOutcome::Created } else { EnrolmentOutcome::AlreadyExisted });
                personal.profile = Some(enrolled.profile);
                personal.token = enrolled.token.map(|t| t.to_string());
                personal.pending_otp = None;
                self.advance(&mut row, &personal, next, "enrolment.enrolled")
            }
            Err(e) => {
                if classify(&e) == Disposition::Wedge {
                    personal.pending_otp = None;
                }
                Err(self.settle_failure(&mut row, &mut personal, e))
            }
        }
    }

    /// Sends an OTP to the mobile the citizen gave, to verify it.
    pub async fn online_request_mobile_otp(&self, backbone: &Backbone, id: &str) -> Result<Enrolment> {
        let (mut row, mut personal) = self.online_step(id, &[MobileUnverified, MobileOtpSent])?;
        let mobile = Mobile::parse(personal.mobile.as_deref().unwrap_or_default())?;
        let sealed = mobile.seal(&self.cached_key()?)?;
        let rid = self.begin(&mut row, Step::MobileOtp)?;
        let sent =
            with_backbone(self.0, backbone, backbone.request_otp(&rid, personal.txn_id.as_deref(), &sealed, true));
        match sent.await {
            Ok(txn) => {
                personal.txn_id = Some(txn);
                self.advance(&mut row, &personal, MobileOtpSent, "enrolment.mobile-otp")
            }
            Err(e) => Err(self.settle_failure(&mut row, &mut personal, e)),
        }
    }

    /// Verifies the mobile with the OTP sent to it. A refused OTP (`Refused`) may be typed
    /// again: the next try is a new request.
    pub async fn online_verify_mobile_otp(&self, backbone: &Backbone, id: &str, otp: String) -> Result<Enrolment> {
        let otp = Zeroizing::new(otp);
        let (mut row, mut personal) = self.online_step(id, &[MobileOtpSent])?;
        let sealed = seal_otp(otp.to_string(), &self.cached_key()?)?;
        let rid = self.begin(&mut row, Step::MobileVerify)?;
        let txn = personal.txn_id.clone().unwrap_or_default();
        match with_backbone(self.0, backbone, backbone.verify_mobile(&rid, &txn, &sealed)).await {
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
    pub async fn online_address_suggestions(&self, backbone: &Backbone, id: &str) -> Result<Vec<String>> {
        let (_, personal) = self.online_step(id, &[AddressPending])?;
        let txn = personal.txn_id.clone().unwrap_or_default();
        with_backbone(self.0, backbone, backbone.address_suggestions(&txn)).await
    }

    /// Creates the ABHA address the citizen chose (strict rule: 8–18 letters and digits, at
    /// most one `.` and one `_`, neither first nor last).
    pub async fn online_create_address(&self, backbone: &Backbone, id: &str, address: &str) -> Result<Enrolment> {
        let chosen = AbhaAddress::for_creation(address)?;
        let (mut row, mut personal) = self.online_step(id, &[AddressPending])?;
        let rid = self.begin(&mut row, Step::Address)?;
        let txn = personal.txn_id.clone().unwrap_or_default();
        match with_backbone(self.0, backbone, backbone.create_address(&rid, &txn, chosen.user())).await {
            Ok(full) => {
                if let Some(p) = personal.profile.as_mut() {
                    p.abha_address = Some(full);
                }
                self.advance(&mut row, &personal, AddressCreated, "enrolment.address")
            }
            Err(e) => Err(self.settle_failure(&mut row, &mut personal, e)),
        }
    }

    /// Saves the citizen's profile with its ABHA number and address, keeps the ABHA card as an
    /// attachment, and erases the enrolment's working details: all in one transaction, so an
    /// enrolment finished again after a crash finds either nothing done or everything (never a
    /// second card).
    pub async fn online_finish(&self, backbone: &Backbone, id: &str) -> Result<Profile> {
        let (_, personal) = self.online_step(id, &[AddressCreated])?;
        let token = Zeroizing::new(personal.token.clone().ok_or(Error::NotFound("ABHA token"))?);
        let (mut account, card) = with_backbone(self.0, backbone, async {
            Ok((backbone.account(&token).await?, backbone.abha_card(&token).await?))
        })
        .await?;
        let ours = personal.profile.as_ref().ok_or(Error::NotFound("ABHA profile"))?;
        if account.abha_address.as_deref().is_none_or(|a| !a.contains('@') || a.starts_with(char::is_numeric)) {
            account.abha_address = ours.abha_address.clone();
        }
        let relation = personal.relation.clone().unwrap_or_else(|| "self".into());
        let birth_date = account.birth_date.clone().or(ours.birth_date.clone()).unwrap_or_default();
        self.0
            .with_store(|s| {
                let card_file = s.files().write(|w| Ok(w.write_all(&card)?))?;
                let now = self.0.now_ms();
                let saved = s.write(now, |tx| {
                    // Still where it was: a second finish of the same enrolment stops here.
                    rows::get(tx, id)?.expect_state(&[AddressCreated])?;
                    let all = profiles::all(tx)?;
                    let holder = all.iter().find(|p| p.abha_number.as_deref() == Some(account.abha_number.as_str()));
                    let owner = all.iter().find(|p| p.is_owner);
                    // The person who already holds this ABHA number is updated, never duplicated;
                    // the owner takes it when the citizen enrolled as themself and has none yet;
                    // anyone else is a new family profile (an owner with another ABHA keeps theirs).
                    let update = match (holder, owner) {
                        (Some(h), _) => Some(h),
                        (None, Some(o)) if relation == "self" && o.abha_number.is_none() => Some(o),
                        _ => None,
                    };
                    let profile = match update {
                        Some(p) => {
                            let mut u = ProfileUpdate::from(p);
                            u.abha_number = Some(Some(account.abha_number.clone()));
                            u.abha_address = Some(account.abha_address.clone());
                            profiles::update(tx, &p.id, &u)?
                        }
                        None => {
                            let is_owner = relation == "self" && owner.is_none();
                            profiles::insert(
                                tx,
                                &NewProfile {
                                    name: account.name.clone(),
                                    gender: Gender::parse(&account.gender),
                                    birth_date: birth_date.clone(),
                                    abha_number: Some(account.abha_number.clone()),
                                    abha_address: account.abha_address.clone(),
                                    relation: if relation == "self" && !is_owner {
                                        "other".into()
                                    } else {
                                        relation.clone()
                                    },
                                    is_owner,
                                },
                            )?
                        }
                    };
                    let rowid = profiles::rowid(tx, &profile.id)?;
                    attachments::insert(tx, tx.now(), &card_file, rowid, None, None, Encoding::Binary, "image/png")?;
                    tx.audit("attachment.add", Some(&card_file.uid), None)?;
                    rows::erase(tx, id, Done, Erasure::Completed)?;
                    Ok(profile)
                });
                match &saved {
                    Ok(_) => s.files().publish(std::slice::from_ref(&card_file.uid)),
                    Err(_) => s.files().remove(std::slice::from_ref(&card_file.uid)),
                }
                saved
            })
            .and_then(|profile| {
                self.0.scrub_wal()?;
                Ok(profile)
            })
    }

    /// An online enrolment at one of `allowed`, with its details.
    fn online_step(&self, id: &str, allowed: &[EnrolmentState]) -> Result<(EnrolmentRow, Personal)> {
        let row = self.0.read(|r| rows::get(r.conn(), id))?;
        if row.mode != EnrolmentMode::Online {
            return Err(Error::WrongStep { state: row.state.code().into() });
        }
        row.expect_state(allowed)?;
        let personal = Personal::read(&row)?;
        Ok((row, personal))
    }

    fn cached_key(&self) -> Result<BackboneKey> {
        self.0.read(|r| rows::backbone_key(r.conn()))?.ok_or(Error::BackboneKeyMissing)
    }

    /// Marks `step` in flight (persisted) and returns its REQUEST-ID.
    fn begin(&self, row: &mut EnrolmentRow, step: Step) -> Result<String> {
        let rid = row.begin_step(step)?;
        self.0.write(|tx| rows::update(tx, row, None))?;
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
        row.state = to;
        row.last_error = None;
        row.updated_at = self.0.now_ms();
        personal.write(row)?;
        self.0.write(|tx| rows::update(tx, row, Some((action, to.code()))))?;
        self.get(&row.id)
    }

    /// Records a failed step and returns its error, by the one classification: a failure of
    /// the network or the backbone keeps the step in flight (same REQUEST-ID next time); a
    /// refusal ends it, and an expired or locked transaction sends the enrolment back to the
    /// start, where a new OTP can be requested.
    fn settle_failure(&self, row: &mut EnrolmentRow, personal: &mut Personal, e: Error) -> Error {
        row.last_error = Some(code_of(&e));
        row.updated_at = self.0.now_ms();
        match classify(&e) {
            Disposition::Retry | Disposition::Halt => row.attempts += 1,
            Disposition::Local => return e,
            Disposition::Wedge => {
                row.end_step();
                if matches!(e, Error::TransactionExpired | Error::OtpLocked | Error::OtpLimit)
                    && matches!(row.state, Started | OtpSent)
                {
                    personal.txn_id = None;
                    row.state = Started;
                }
            }
        }
        let saved = personal.write(row).and_then(|()| self.0.write(|tx| rows::update(tx, row, None)));
        match saved {
            Ok(()) => e,
            Err(store_error) => store_error,
        }
    }
}
