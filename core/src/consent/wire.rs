//! Consent bodies as the consent manager sends them, read leniently where the field is loose
//! (datetimes with or without fraction and `Z`, the old `ROVKED`, ids that are not UUIDs, field
//! names that drift) and strictly where a wrong reading would grant something (statuses, modes,
//! units, dates). Also the bodies we send. Every error names the field, never its value.

use super::model::{
    AccessMode, CareContextRef, ConsentRequest, ConsentStatus, Frequency, FrequencyUnit, Grant, GrantChoice, Party,
    Permission, Purpose, Verification,
};
use crate::error::{Error, Result};
use crate::fhir::HiType;
use crate::time::iso_utc;
use serde_json::{Value, json};

/// The longest id accepted.
const MAX_ID: usize = 128;

fn bad(what: &str) -> Error {
    Error::UnreadableAnswer { what: what.into() }
}

/// An id as ABDM makes them: `[A-Za-z0-9][A-Za-z0-9 _-]*` (typed as UUIDs, not always UUIDs).
pub fn id(v: &Value, what: &str) -> Result<String> {
    let s = v.as_str().ok_or_else(|| bad(what))?;
    if is_id(s) { Ok(s.to_string()) } else { Err(bad(what)) }
}

/// Whether `s` is an id as ABDM makes them: `[A-Za-z0-9][A-Za-z0-9 _-]*`, at most 128 long.
pub(crate) fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'_' | b'-'))
}

/// A consent-manager datetime → UTC ms: `YYYY-MM-DDTHH:MM:SS[.fraction][Z]`, no zone meaning UTC.
pub fn datetime(v: &Value, what: &str) -> Result<i64> {
    let s = v.as_str().ok_or_else(|| bad(what))?.trim();
    let zoned = match s.split_once('T') {
        None => format!("{s}T00:00:00Z"),
        Some((_, t)) if t.ends_with('Z') || t.contains('+') || t.contains('-') => s.to_string(),
        Some(_) => format!("{s}Z"),
    };
    crate::time::parse_fhir_datetime(&zoned).map(|(_, ms)| ms).ok_or_else(|| bad(what))
}

fn text(v: &Value, what: &str) -> Result<String> {
    v.as_str().map(str::to_string).ok_or_else(|| bad(what))
}

fn number(v: &Value, what: &str) -> Result<u32> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| bad(what))
}

/// A status; the misspelling `ROVKED` of old documents reads as `REVOKED`.
pub(crate) fn status(v: &Value, what: &str) -> Result<ConsentStatus> {
    let s = v.as_str().ok_or_else(|| bad(what))?;
    if s == "ROVKED" {
        return Ok(ConsentStatus::Revoked);
    }
    ConsentStatus::from_code(s).ok_or_else(|| bad(what))
}

fn purpose(v: &Value) -> Result<Purpose> {
    let code = v["code"].as_str().or(v.as_str()).ok_or_else(|| bad("purpose"))?;
    Purpose::from_code(code).ok_or_else(|| bad("purpose"))
}

/// hiTypes: an unknown type is skipped (a grant of a type this build does not know covers no
/// record it holds); none known at all is an error.
fn hi_types(v: &Value) -> Result<Vec<HiType>> {
    let list = v.as_array().ok_or_else(|| bad("hiTypes"))?;
    let mut out: Vec<HiType> = Vec::new();
    for t in list.iter().filter_map(Value::as_str).filter_map(HiType::from_code) {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.is_empty() { Err(bad("hiTypes")) } else { Ok(out) }
}

fn permission(v: &Value) -> Result<Permission> {
    if !v.is_object() {
        return Err(bad("permission"));
    }
    let access_mode =
        v["accessMode"].as_str().and_then(AccessMode::from_code).ok_or_else(|| bad("permission.accessMode"))?;
    let date_from_ms = datetime(&v["dateRange"]["from"], "permission.dateRange.from")?;
    let date_to_ms = datetime(&v["dateRange"]["to"], "permission.dateRange.to")?;
    if date_from_ms > date_to_ms {
        return Err(bad("permission.dateRange"));
    }
    let erase_at_ms = datetime(&v["dataEraseAt"], "permission.dataEraseAt")?;
    let f = &v["frequency"];
    let unit = f["unit"].as_str().and_then(FrequencyUnit::from_code).ok_or_else(|| bad("permission.frequency.unit"))?;
    let frequency = Frequency {
        unit,
        value: number(&f["value"], "permission.frequency.value")?,
        repeats: number(&f["repeats"], "permission.frequency.repeats")?,
    };
    Ok(Permission { access_mode, date_from_ms, date_to_ms, erase_at_ms, frequency })
}

fn party(v: &Value, what: &str) -> Result<Party> {
    Ok(Party { id: id(&v["id"], what)?, name: v["name"].as_str().map(str::to_string) })
}

fn care_contexts(v: &Value) -> Result<Vec<CareContextRef>> {
    let Some(list) = v.as_array() else {
        return if v.is_null() { Ok(Vec::new()) } else { Err(bad("careContexts")) };
    };
    list.iter()
        .map(|c| {
            Ok(CareContextRef {
                patient_reference: text(&c["patientReference"], "careContexts.patientReference")?,
                care_context_reference: text(&c["careContextReference"], "careContexts.careContextReference")?,
            })
        })
        .collect()
}

/// The citizen's ABHA address in `patient.id`.
fn patient(v: &Value) -> Result<String> {
    let p = v["id"].as_str().ok_or_else(|| bad("patient.id"))?;
    super::normal_patient(p).map_err(|_| bad("patient.id"))
}

/// A body that is a success by its status yet holds `error` is a refusal.
pub(crate) fn refused_in_body(v: &Value) -> Option<Error> {
    let e = v.get("error").filter(|e| !e.is_null())?;
    let code = e["code"].as_str().and_then(|c| crate::sync::wire::safe_code(c.trim_end_matches([':', ' '])));
    Some(Error::Refused { code: code.unwrap_or_else(|| "none".into()) })
}

/// One consent request (`GET /consent/v3/request/{id}`, or an element of the list).
pub fn read_request(v: &Value) -> Result<ConsentRequest> {
    if let Some(e) = refused_in_body(v) {
        return Err(e);
    }
    let requester = &v["requester"];
    Ok(ConsentRequest {
        id: id(v.get("id").or(v.get("requestId")).unwrap_or(&Value::Null), "id")?,
        purpose: purpose(&v["purpose"])?,
        patient: patient(&v["patient"])?,
        hiu: party(&v["hiu"], "hiu")?,
        hip: if v["hip"].is_null() { None } else { Some(party(&v["hip"], "hip")?) },
        care_contexts: care_contexts(&v["careContexts"])?,
        requester_name: requester["name"].as_str().unwrap_or("").to_string(),
        hi_types: hi_types(&v["hiTypes"])?,
        permission: permission(&v["permission"])?,
        status: status(&v["status"], "status")?,
        created_at_ms: datetime(&v["createdAt"], "createdAt")?,
    })
}

/// An artefact as received: its grant, its `consentDetail` exactly as sent (what the signature
/// covers) and its signature.
#[derive(Clone)]
pub struct ReceivedArtefact {
    pub grant: Grant,
    pub detail: Value,
    pub signature: Option<String>,
}

// The detail names the patient: `Debug` shows the grant (which leaves them out) only.
impl std::fmt::Debug for ReceivedArtefact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceivedArtefact").field("grant", &self.grant).finish_non_exhaustive()
    }
}

/// One artefact (`{status, consentDetail, signature}`; the v0.5 field name `consentArtefact`
/// is read too). Verification is left to the caller: it reads `Unverified` here.
pub fn read_artefact(v: &Value) -> Result<ReceivedArtefact> {
    if let Some(e) = refused_in_body(v) {
        return Err(e);
    }
    let detail = v
        .get("consentDetail")
        .or(v.get("consentArtefact"))
        .filter(|d| d.is_object())
        .ok_or_else(|| bad("consentDetail"))?;
    let care_contexts = care_contexts(&detail["careContexts"])?;
    let grant = Grant {
        id: id(&detail["consentId"], "consentDetail.consentId")?,
        request_id: None,
        status: status(&v["status"], "status")?,
        patient: patient(&detail["patient"])?,
        hiu: party(&detail["hiu"], "consentDetail.hiu")?.id,
        hip: party(&detail["hip"], "consentDetail.hip")?.id,
        hi_types: hi_types(&detail["hiTypes"])?,
        care_contexts,
        permission: permission(&detail["permission"])?,
        verification: Verification::Unverified,
    };
    let signature = v["signature"].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    Ok(ReceivedArtefact { grant, detail: detail.clone(), signature })
}

/// A list answer: the array under any of `keys`, or the body itself when it is an array.
pub fn list<'a>(v: &'a Value, keys: &[&str], what: &str) -> Result<&'a [Value]> {
    if let Some(e) = refused_in_body(v) {
        return Err(e);
    }
    if let Some(a) = v.as_array() {
        return Ok(a);
    }
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_array)).map(Vec::as_slice).ok_or_else(|| bad(what))
}

/// The body of an approval: one consent per HIP, as the citizen chose it.
pub(crate) fn approval_body(request: &ConsentRequest, choices: &[GrantChoice]) -> Value {
    let p = &request.permission;
    let consents: Vec<Value> = choices
        .iter()
        .map(|c| {
            json!({
                "hiTypes": c.hi_types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                "hip": {"id": c.hip.id, "name": c.hip.name},
                "careContexts": c.care_contexts.iter().map(|cc| json!({
                    "patientReference": cc.patient_reference,
                    "careContextReference": cc.care_context_reference,
                })).collect::<Vec<_>>(),
                "permission": {
                    "accessMode": p.access_mode.code(),
                    "dateRange": {"from": iso_utc(c.date_from_ms), "to": iso_utc(c.date_to_ms)},
                    "dataEraseAt": iso_utc(c.erase_at_ms),
                    "frequency": {"unit": p.frequency.unit.code(), "value": p.frequency.value, "repeats": p.frequency.repeats},
                },
            })
        })
        .collect();
    json!({ "consents": consents })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_are_read_with_or_without_fraction_and_zone() {
        let z = datetime(&json!("2024-05-01T10:00:00.000Z"), "t").unwrap();
        assert_eq!(datetime(&json!("2024-05-01T10:00:00"), "t").unwrap(), z);
        assert_eq!(datetime(&json!("2024-05-01T10:00:00.123456"), "t").unwrap(), z + 123);
        assert!(datetime(&json!("01-05-2024"), "t").is_err());
    }

    #[test]
    fn ids_need_not_be_uuids_but_must_be_plain() {
        assert!(id(&json!("abc 12_x-9"), "id").is_ok());
        assert!(id(&json!("-abc"), "id").is_err());
        assert!(id(&json!("a/b"), "id").is_err());
        assert!(id(&json!(12), "id").is_err());
    }
}
