//! Scan & Share on the wire (PROTOCOL.md, "Scan & Share (v3)"): the share call's body built from
//! a profile, and the facility's answers read as they come: `tokenNumber` as a string or a
//! number, `expiry` as seconds in a string or a number (never a timestamp), failures as
//! `{error:{code,message}}` or `acknowledgement.status:"FAILED"`.

use crate::error::{Error, Result};
use crate::profiles::Profile;
use serde_json::{Map, Value, json};

/// What a counter is told of a person besides their ABHA details: the address and phone the
/// share call carries. Every part is optional; `Debug` shows none of it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ShareContact {
    /// Ten digits.
    pub mobile: Option<String>,
    pub address_line: Option<String>,
    pub district: Option<String>,
    pub state: Option<String>,
    /// Six digits.
    pub pincode: Option<String>,
}

impl std::fmt::Debug for ShareContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareContact").finish_non_exhaustive()
    }
}

fn text(v: &Option<String>) -> Value {
    v.as_deref().map_or(Value::Null, |s| Value::String(s.to_string()))
}

/// The body of `POST {hiecm}/patient-share/v3/share` for `profile` at this counter. Birth parts
/// travel as strings (or null when only the year is known); `abhaNumber` is null for an
/// address-only ABHA; the PIN code goes as `pincode`.
pub(crate) fn share_body(hip_id: &str, counter_id: &str, profile: &Profile, contact: &ShareContact) -> Value {
    let mut birth = profile.birth_date.split('-');
    let year = birth.next().map(str::to_string);
    let month = birth.next().map(|m| m.trim_start_matches('0').to_string());
    let day = birth.next().map(|d| d.trim_start_matches('0').to_string());
    let gender = profile.gender.code();
    json!({
        "intent": "PROFILE_SHARE",
        "metaData": {"hipId": hip_id, "context": counter_id, "hprId": null, "latitude": null, "longitude": null},
        "profile": {"patient": {
            "abhaNumber": text(&profile.abha_number),
            "abhaAddress": text(&profile.abha_address),
            "name": profile.name,
            "gender": gender,
            "dayOfBirth": text(&day),
            "monthOfBirth": text(&month),
            "yearOfBirth": text(&year),
            "address": {
                "line": text(&contact.address_line),
                "district": text(&contact.district),
                "state": text(&contact.state),
                "pincode": text(&contact.pincode),
            },
            "phoneNumber": text(&contact.mobile),
        }},
    })
}

/// What the facility answered a share, as the locker reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ShareAnswer {
    /// A token, valid for this many seconds from when it was read.
    Token { number: String, valid_for_s: u64 },
    /// The facility or the consent manager refused it; `code` is ABDM's, cut to a safe form.
    Failed { code: String },
    /// No answer from the facility yet.
    Pending,
}

/// A number or a string of digits, as `tokenNumber` and `expiry` come.
fn number_or_string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
                .then(|| s.to_string())
        }
        _ => None,
    }
}

fn safe_code(v: Option<&Value>) -> String {
    let raw = match v {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Number(n)) => return n.to_string(),
        _ => "",
    };
    let code: String = raw
        .trim()
        .trim_end_matches([':', ' '])
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect();
    if code.is_empty() { "failed".into() } else { code }
}

/// One entry of the token list, or an on-share acknowledgement: its REQUEST-ID and answer.
pub(crate) fn read_answer(o: &Map<String, Value>) -> Option<(String, ShareAnswer)> {
    let request_id = o
        .get("requestId")
        .or_else(|| o.get("response").and_then(|r| r.get("requestId")))
        .and_then(Value::as_str)?
        .to_string();
    if let Some(e) = o.get("error").filter(|e| e.is_object()) {
        return Some((request_id, ShareAnswer::Failed { code: safe_code(e.get("code")) }));
    }
    let ack = o.get("acknowledgement").and_then(Value::as_object).unwrap_or(o);
    let status = ack.get("status").and_then(Value::as_str).unwrap_or("").to_ascii_uppercase();
    if status == "FAILED" || status == "FAILURE" {
        return Some((request_id, ShareAnswer::Failed { code: safe_code(ack.get("code").or(o.get("code"))) }));
    }
    let profile = ack.get("profile").and_then(Value::as_object).unwrap_or(ack);
    let number = number_or_string(profile.get("tokenNumber"));
    let expiry = number_or_string(profile.get("expiry")).and_then(|s| s.parse::<u64>().ok());
    match (number, expiry) {
        (Some(number), Some(valid_for_s)) => Some((request_id, ShareAnswer::Token { number, valid_for_s })),
        (Some(number), None) => Some((request_id, ShareAnswer::Token { number, valid_for_s: 0 })),
        _ => Some((request_id, ShareAnswer::Pending)),
    }
}

/// The answer to `getTokenDetails`: a list, bare or under `tokens`, `data` or `shares`.
pub(crate) fn read_token_list(v: &Value) -> Result<Vec<(String, ShareAnswer)>> {
    let list = match v {
        Value::Array(a) => a,
        Value::Object(o) => ["tokens", "data", "shares", "tokenDetails"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_array))
            .ok_or_else(|| Error::UnreadableAnswer { what: "token-details".into() })?,
        _ => return Err(Error::UnreadableAnswer { what: "token-details".into() }),
    };
    Ok(list.iter().filter_map(Value::as_object).filter_map(read_answer).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: Value) -> ShareAnswer {
        read_answer(v.as_object().unwrap()).unwrap().1
    }

    #[test]
    fn tokens_and_expiries_are_read_as_strings_or_numbers() {
        let a =
            one(json!({"acknowledgement": {"status": "SUCCESS", "profile": {"tokenNumber": "0007", "expiry": "1799"}},
            "response": {"requestId": "r"}}));
        assert_eq!(a, ShareAnswer::Token { number: "0007".into(), valid_for_s: 1799 });
        let a = one(json!({"requestId": "r", "status": "SUCCESS", "tokenNumber": 12, "expiry": 600}));
        assert_eq!(a, ShareAnswer::Token { number: "12".into(), valid_for_s: 600 });
    }

    #[test]
    fn both_failure_shapes_are_failures() {
        let a = one(json!({"error": {"code": "ABDM-1100: ", "message": "x"}, "response": {"requestId": "r"}}));
        assert_eq!(a, ShareAnswer::Failed { code: "ABDM-1100".into() });
        let a = one(json!({"acknowledgement": {"status": "FAILED"}, "response": {"requestId": "r"}}));
        assert_eq!(a, ShareAnswer::Failed { code: "failed".into() });
        assert_eq!(one(json!({"requestId": "r", "status": "PENDING"})), ShareAnswer::Pending);
    }

    #[test]
    fn a_list_is_read_bare_or_wrapped_and_entries_without_an_id_are_skipped() {
        let entry = json!({"requestId": "r", "tokenNumber": "1", "expiry": "10"});
        assert_eq!(read_token_list(&json!([entry.clone(), {"x": 1}])).unwrap().len(), 1);
        assert_eq!(read_token_list(&json!({"tokens": [entry]})).unwrap().len(), 1);
        assert!(read_token_list(&json!("no")).is_err());
    }
}
