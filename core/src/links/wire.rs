//! Reading linking's answers (PROTOCOL.md, Care contexts): what a facility found, the link it
//! started, what it linked, and the list of every link. Lenient on what varies between HIPs
//! (a missing display, `count` as a string), strict on what the locker relies on (references).

use crate::error::{Error, Result};
use serde_json::{Value, json};

/// A care context as a facility names it.
#[derive(Clone, PartialEq, Eq)]
pub struct FoundCareContext {
    pub reference: String,
    /// What the facility calls it ("OPD visit, 11 March"): the record's content, never printed.
    pub display: String,
}

impl std::fmt::Debug for FoundCareContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FoundCareContext").field("reference", &self.reference).finish_non_exhaustive()
    }
}

/// The citizen as a facility knows them, with care contexts there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundPatient {
    /// The facility's own reference for the citizen.
    pub reference: String,
    pub care_contexts: Vec<FoundCareContext>,
    /// The record type the facility says the care contexts hold, when it says.
    pub hi_type: Option<String>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn reference(v: &Value, what: &str) -> Result<String> {
    let r = text(v, "referenceNumber").ok_or_else(|| Error::UnreadableAnswer { what: what.into() })?;
    if r.len() > 128 || r.chars().any(char::is_control) {
        return Err(Error::UnreadableAnswer { what: what.into() });
    }
    Ok(r)
}

fn care_contexts(v: &Value, what: &str) -> Result<Vec<FoundCareContext>> {
    let list = v.get("careContexts").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    list.iter()
        .map(|c| {
            Ok(FoundCareContext { reference: reference(c, what)?, display: text(c, "display").unwrap_or_default() })
        })
        .collect()
}

/// The patients of `v`'s `patient` (a list in v3, an object in older HIPs).
fn patients(v: &Value, what: &str) -> Result<Vec<FoundPatient>> {
    let list: Vec<&Value> = match v.get("patient") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => return Err(Error::UnreadableAnswer { what: what.into() }),
    };
    list.into_iter()
        .map(|p| {
            Ok(FoundPatient {
                reference: reference(p, what)?,
                care_contexts: care_contexts(p, what)?,
                hi_type: text(p, "hiType"),
            })
        })
        .collect()
}

/// The patients a discovery found, with its transaction (no patient found: none).
pub(crate) fn read_found(v: &Value) -> Result<(String, Vec<FoundPatient>)> {
    let what = "discover";
    let txn = text(v, "transactionId").ok_or_else(|| Error::UnreadableAnswer { what: what.into() })?;
    let found = match v.get("patient") {
        Some(Value::Array(_) | Value::Object(_)) => patients(v, what)?,
        _ => Vec::new(),
    };
    Ok((txn, found))
}

/// Patients as this device keeps them between discovery and confirmation (`read_kept` reads them).
pub(crate) fn kept(patients: &[FoundPatient]) -> Value {
    Value::Array(
        patients
            .iter()
            .map(|p| {
                let ccs: Vec<Value> = p
                    .care_contexts
                    .iter()
                    .map(|c| json!({ "referenceNumber": c.reference, "display": c.display }))
                    .collect();
                json!({ "referenceNumber": p.reference, "careContexts": ccs, "hiType": p.hi_type })
            })
            .collect(),
    )
}

/// What `kept` wrote.
pub(crate) fn read_kept(v: Value) -> Result<Vec<FoundPatient>> {
    patients(&json!({ "patient": v }), "link-attempt")
}

/// The body of a link's start: the chosen care contexts of each chosen patient.
pub(crate) fn init_body(txn: &str, chosen: &[FoundPatient]) -> Value {
    let patients: Vec<Value> = chosen
        .iter()
        .map(|p| {
            let ccs: Vec<Value> = p.care_contexts.iter().map(|c| json!({ "referenceNumber": c.reference })).collect();
            let mut o = json!({ "referenceNumber": p.reference, "careContexts": ccs, "count": ccs.len() });
            if let Some(t) = &p.hi_type {
                o["hiType"] = json!(t);
            }
            o
        })
        .collect();
    json!({ "transactionId": txn, "patient": patients })
}

/// A started link: its reference, and until when its OTP holds (when said).
pub(crate) fn read_started(v: &Value) -> Result<(String, Option<i64>)> {
    let link = v.get("link").unwrap_or(v);
    let r = reference(link, "link-init")?;
    let expiry = link
        .pointer("/meta/communicationExpiry")
        .and_then(Value::as_str)
        .and_then(|s| crate::consent::wire::datetime(&json!(s), "communicationExpiry").ok());
    Ok((r, expiry))
}

/// A link as listed: the facility, the citizen's reference there, and the care contexts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ListedLink {
    pub hip_id: String,
    pub hip_name: Option<String>,
    pub patient: FoundPatient,
}

/// Every link of `{patient:{links:[…]}}` (or a bare list).
pub(crate) fn read_links(v: &Value) -> Result<Vec<ListedLink>> {
    let what = "links";
    let list = v
        .pointer("/patient/links")
        .or_else(|| v.get("links"))
        .and_then(Value::as_array)
        .ok_or_else(|| Error::UnreadableAnswer { what: what.into() })?;
    list.iter()
        .map(|l| {
            let hip = l.get("hip").unwrap_or(&Value::Null);
            Ok(ListedLink {
                hip_id: text(hip, "id").ok_or_else(|| Error::UnreadableAnswer { what: what.into() })?,
                hip_name: text(hip, "name"),
                patient: FoundPatient {
                    reference: reference(l, what)?,
                    care_contexts: care_contexts(l, what)?,
                    hi_type: None,
                },
            })
        })
        .collect()
}

/// The care contexts a confirmation linked (`patient` a list or an object).
pub(crate) fn read_confirmed(v: &Value) -> Result<Vec<FoundPatient>> {
    patients(v, "link-confirm")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_reads_list_and_object_forms_and_numbers_as_text() {
        let v = json!({"transactionId": "t1", "patient": [{"referenceNumber": 77, "display": "x",
            "careContexts": [{"referenceNumber": "CC-1", "display": "Visit"}, {"referenceNumber": "CC-2"}],
            "hiType": "OPConsultation", "count": "2"}], "matchedBy": ["MOBILE"]});
        let (txn, found) = read_found(&v).unwrap();
        assert_eq!(txn, "t1");
        assert_eq!(found[0].reference, "77");
        assert_eq!(found[0].care_contexts.len(), 2);
        let o = json!({"transactionId": "t2", "patient": {"referenceNumber": "P", "careContexts": []}});
        assert_eq!(read_found(&o).unwrap().1.len(), 1);
        assert!(read_found(&json!({"patient": []})).is_err());
        let bad = json!({"transactionId": "t", "patient": [{"careContexts": []}]});
        assert!(read_found(&bad).is_err());
    }

    #[test]
    fn links_and_started_links_are_read() {
        let v = json!({"patient": {"links": [{"hip": {"id": "h", "name": "H"}, "referenceNumber": "P",
            "display": "d", "careContexts": [{"referenceNumber": "C"}]}]}});
        let l = read_links(&v).unwrap();
        assert_eq!((l[0].hip_id.as_str(), l[0].patient.care_contexts[0].reference.as_str()), ("h", "C"));
        let s = json!({"link": {"referenceNumber": "L1", "authenticationType": "DIRECT",
            "meta": {"communicationMedium": "MOBILE", "communicationHint": "OTP",
                     "communicationExpiry": "2026-01-01T00:10:00.000Z"}}});
        let (r, exp) = read_started(&s).unwrap();
        assert_eq!(r, "L1");
        assert!(exp.is_some());
    }
}
