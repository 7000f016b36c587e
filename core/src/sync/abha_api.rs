//! ABHA enrolment calls (v3, and v1's demographic route), as PROTOCOL.md lays them out. Bodies
//! are built here and answers read leniently here; the enrolment state machine decides when.

use super::client::{Backbone, Base, Call};
use super::wire::text;
use crate::abha::number::AbhaNumber;
use crate::crypto::seal::{BackboneKey, Sealed};
use crate::error::{Error, Result};
use crate::time::iso_utc;
use serde_json::{Value, json};
use zeroize::Zeroizing;

/// What the backbone says about an ABHA account (from enrolment or the profile route). Every
/// field identifies the person, so `Debug` prints none of them.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct AbhaProfile {
    pub abha_number: String,
    pub abha_address: Option<String>,
    pub name: String,
    pub gender: String,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, as far as the backbone said.
    pub birth_date: Option<String>,
    pub mobile: Option<String>,
}

impl std::fmt::Debug for AbhaProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AbhaProfile(<redacted>)")
    }
}

/// The answer to an enrolment (by Aadhaar OTP or by demographics).
pub(crate) struct Enrolled {
    pub profile: AbhaProfile,
    pub is_new: bool,
    /// The `X-TOKEN` for the profile and card routes.
    pub token: Option<Zeroizing<String>>,
}

/// The details a demographic enrolment sends.
pub(crate) struct Demographics<'a> {
    pub sealed_aadhaar: &'a Sealed,
    pub name: &'a str,
    pub gender: &'a str,
    pub birth_date: &'a str,
    pub mobile: &'a str,
    pub address: &'a str,
    pub state_code: &'a str,
    pub district_code: &'a str,
    pub pin_code: &'a str,
    pub consent_version: &'a str,
    pub consent_language: &'a str,
    pub consent_at_ms: i64,
}

fn bad_answer(what: &str) -> Error {
    Error::UnreadableAnswer { what: what.into() }
}

/// `DD-MM-YYYY`, `d/M/yyyy`, `YYYY-MM-DD` or a bare year → `YYYY-MM-DD` / `YYYY`.
pub(crate) fn normalise_date(s: &str) -> Option<String> {
    let s = s.trim();
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(s.to_string());
    }
    let parts: Vec<&str> = s.split(['-', '/']).collect();
    let [a, b, c] = parts.as_slice() else { return None };
    let (y, m, d) = if a.len() == 4 { (*a, *b, *c) } else { (*c, *b, *a) };
    let (y, m, d): (u32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let date = format!("{y:04}-{m:02}-{d:02}");
    crate::time::parse_date(&date).map(|_| date)
}

pub(crate) fn read_profile(p: &Value) -> Result<AbhaProfile> {
    let number = text(p, &["ABHANumber", "abhaNumber", "healthIdNumber"]).ok_or_else(|| bad_answer("profile"))?;
    let abha_number = AbhaNumber::parse(number).map_err(|_| bad_answer("abha-number"))?.dashed();
    let abha_address = text(p, &["preferredAbhaAddress", "healthId", "abhaAddress"])
        .map(str::to_string)
        .or_else(|| p["phrAddress"][0].as_str().map(str::to_string));
    let name = match text(p, &["name"]) {
        Some(n) => n.to_string(),
        None => ["firstName", "middleName", "lastName"]
            .iter()
            .filter_map(|k| p.get(*k).and_then(Value::as_str))
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    };
    let birth_date = text(p, &["dob", "dateOfBirth"]).and_then(normalise_date).or_else(|| {
        let y = p.get("yearOfBirth").and_then(|v| v.as_str().map(str::to_string).or(v.as_i64().map(|n| n.to_string())));
        y.and_then(|y| normalise_date(&y))
    });
    Ok(AbhaProfile {
        abha_number,
        abha_address,
        name,
        gender: text(p, &["gender"]).unwrap_or("U").to_string(),
        birth_date,
        mobile: text(p, &["mobile", "mobileNumber"]).map(str::to_string),
    })
}

pub(crate) fn read_token(v: &Value) -> Option<Zeroizing<String>> {
    let t = v["tokens"]["token"].as_str().or(v["token"].as_str()).or(v["tokens"]["id_token"].as_str())?;
    Some(Zeroizing::new(t.to_string()))
}

/// A REQUEST-ID for a call that changes nothing (a read), so it needs no keeping.
fn fresh_id() -> Result<String> {
    crate::crypto::random_uid()
}

impl Backbone {
    /// The key Aadhaar numbers and OTPs are sealed to.
    pub async fn public_key(&self) -> Result<BackboneKey> {
        let rid = fresh_id()?;
        let answer = self.call(&Call::get(Base::Abha, "/v3/profile/public/certificate", &rid)).await?;
        let v = answer.json("certificate")?;
        let key = text(&v, &["publicKey", "certificate"]).ok_or_else(|| bad_answer("certificate"))?;
        BackboneKey::parse(key).map_err(|_| bad_answer("certificate"))
    }

    /// Sends an OTP: to the Aadhaar-linked mobile (`mobile_verify` false) or to a new mobile
    /// number within an enrolment's transaction. Returns the transaction id.
    pub(crate) async fn request_otp(
        &self,
        rid: &str,
        txn_id: Option<&str>,
        login_id: &Sealed,
        mobile_verify: bool,
    ) -> Result<String> {
        let (scope, hint, system) = if mobile_verify {
            (json!(["abha-enrol", "mobile-verify"]), "mobile", "abdm")
        } else {
            (json!(["abha-enrol"]), "aadhaar", "aadhaar")
        };
        let mut body = json!({"scope": scope, "loginHint": hint, "loginId": login_id.base64, "otpSystem": system});
        if let Some(t) = txn_id {
            body["txnId"] = json!(t);
        }
        let answer = self.call(&Call::post(Base::Abha, "/v3/enrollment/request/otp", rid, body)).await?;
        Ok(text(&answer.json("otp")?, &["txnId"]).ok_or_else(|| bad_answer("otp"))?.to_string())
    }

    /// Enrols by Aadhaar OTP.
    pub(crate) async fn enrol_by_aadhaar(
        &self,
        rid: &str,
        txn_id: &str,
        otp: &Sealed,
        mobile: &str,
    ) -> Result<Enrolled> {
        let body = json!({
            "authData": {"authMethods": ["otp"], "otp": {
                "timeStamp": iso_utc(self.now_ms()), "txnId": txn_id, "otpValue": otp.base64, "mobile": mobile}},
            "consent": {"code": "abha-enrollment", "version": "1.4"},
        });
        let v =
            self.call(&Call::post(Base::Abha, "/v3/enrollment/enrol/byAadhaar", rid, body)).await?.json("enrolment")?;
        let profile = read_profile(v.get("ABHAProfile").unwrap_or(&v))?;
        Ok(Enrolled { profile, is_new: v["isNew"].as_bool().unwrap_or(true), token: read_token(&v) })
    }

    /// Confirms the OTP sent to a new mobile number.
    pub(crate) async fn verify_mobile(&self, rid: &str, txn_id: &str, otp: &Sealed) -> Result<()> {
        let body = json!({
            "scope": ["abha-enrol", "mobile-verify"],
            "authData": {"authMethods": ["otp"], "otp": {
                "timeStamp": iso_utc(self.now_ms()), "txnId": txn_id, "otpValue": otp.base64}},
        });
        let v =
            self.call(&Call::post(Base::Abha, "/v3/enrollment/auth/byAbdm", rid, body)).await?.json("verification")?;
        // A 200 whose `authResult` is not a success is a refusal (a wrong or expired OTP), not a
        // hiccup: the next OTP goes out as a new request. No `authResult` at all is unreadable.
        match text(&v, &["authResult"]) {
            Some(r) if r.eq_ignore_ascii_case("success") => Ok(()),
            Some(_) => Err(Error::Refused { code: "auth-failed".into() }),
            None => Err(bad_answer("verification")),
        }
    }

    pub(crate) async fn address_suggestions(&self, txn_id: &str) -> Result<Vec<String>> {
        let rid = fresh_id()?;
        let call = Call::get(Base::Abha, "/v3/enrollment/enrol/suggestion", &rid).header("TRANSACTION_ID", txn_id);
        let v = self.call(&call).await?.json("suggestions")?;
        let list = v["abhaAddressList"].as_array().ok_or_else(|| bad_answer("suggestions"))?;
        Ok(list.iter().filter_map(Value::as_str).map(str::to_string).collect())
    }

    /// Creates the ABHA address (user part) and returns it in full.
    pub(crate) async fn create_address(&self, rid: &str, txn_id: &str, user_part: &str) -> Result<String> {
        let body = json!({"txnId": txn_id, "abhaAddress": user_part, "preferred": 1});
        let v = self
            .call(&Call::post(Base::Abha, "/v3/enrollment/enrol/abha-address", rid, body))
            .await?
            .json("address")?;
        let full =
            text(&v, &["preferredAbhaAddress", "abhaAddress", "healthId"]).ok_or_else(|| bad_answer("address"))?;
        Ok(if full.contains('@') { full.to_string() } else { format!("{full}@{}", self.config().cm_id) })
    }

    pub(crate) async fn account(&self, x_token: &str) -> Result<AbhaProfile> {
        let rid = fresh_id()?;
        let call = Call::get(Base::Abha, "/v3/profile/account", &rid).header("X-TOKEN", &format!("Bearer {x_token}"));
        read_profile(&self.call(&call).await?.json("profile")?)
    }

    /// The ABHA card as PNG.
    pub(crate) async fn abha_card(&self, x_token: &str) -> Result<Vec<u8>> {
        let rid = fresh_id()?;
        let call = Call::get(Base::Abha, "/v3/profile/account/abha-card", &rid)
            .header("X-TOKEN", &format!("Bearer {x_token}"));
        let body = self.call(&call).await?.body;
        if !body.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Err(bad_answer("card"));
        }
        Ok(body)
    }

    /// Demographic enrolment (assisted and offline capture).
    pub(crate) async fn enrol_by_demographics(&self, rid: &str, d: &Demographics<'_>) -> Result<Enrolled> {
        let body = json!({
            "aadhaar": d.sealed_aadhaar.base64,
            "name": d.name, "gender": d.gender, "dateOfBirth": d.birth_date, "mobile": d.mobile,
            "address": d.address, "stateCode": d.state_code, "districtCode": d.district_code, "pinCode": d.pin_code,
            "benefitName": "healthlocker-assisted",
            "consent": {"code": "abha-enrollment", "version": d.consent_version, "language": d.consent_language,
                        "capturedAt": iso_utc(d.consent_at_ms)},
        });
        let v = self
            .call(&Call::post(Base::Abha, "/v1/hid/benefit/createHealthId/demo/auth", rid, body))
            .await?
            .json("enrolment")?;
        let is_new = v["isNew"].as_bool().or(v["new"].as_bool()).unwrap_or(true);
        Ok(Enrolled { profile: read_profile(&v)?, is_new, token: read_token(&v) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_written_form() {
        assert_eq!(normalise_date("05-03-1990").as_deref(), Some("1990-03-05"));
        assert_eq!(normalise_date("5/3/1990").as_deref(), Some("1990-03-05"));
        assert_eq!(normalise_date("1990-03-05").as_deref(), Some("1990-03-05"));
        assert_eq!(normalise_date("1990").as_deref(), Some("1990"));
        assert_eq!(normalise_date("31-02-1990"), None);
        assert_eq!(normalise_date("-"), None);
    }

    #[test]
    fn profiles_are_read_from_either_shape() {
        let v = json!({"ABHANumber": "91-6285-4575-5116", "phrAddress": ["91628545755116@sbx"], "firstName": "Asha",
                       "middleName": "", "lastName": "Devi", "dob": "05-03-1990", "gender": "F", "mobile": "9876543210"});
        let p = read_profile(&v).unwrap();
        assert_eq!((p.abha_number.as_str(), p.name.as_str()), ("91-6285-4575-5116", "Asha Devi"));
        assert_eq!(p.abha_address.as_deref(), Some("91628545755116@sbx"));
        assert_eq!(p.birth_date.as_deref(), Some("1990-03-05"));
        let v = json!({"healthIdNumber": "91628545755116", "name": "Asha Devi", "yearOfBirth": "1990", "gender": "F"});
        assert_eq!(read_profile(&v).unwrap().birth_date.as_deref(), Some("1990"));
        assert!(read_profile(&json!({"name": "x"})).is_err());
    }
}
