//! ABDM's error bodies, read leniently, and turned into the core's typed errors.
//!
//! The shapes seen: `{code, message}`, `{error: {code, message}}`, `{errorCode, errorMessage}`,
//! codes with a trailing `": "`, and 401s with no body at all. Messages are read only for the
//! one figure we need (attempts left) and never passed on: they may name the person.

use crate::error::Error;
use serde_json::Value;

/// The code in an ABDM error body, trimmed of the `": "` some gateways append.
pub(crate) fn error_code(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let code = [&v["code"], &v["error"]["code"], &v["errorCode"], &v["details"][0]["code"]].into_iter().find_map(
        |c| match c {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        },
    )?;
    let code = code.trim().trim_end_matches(':').trim_end();
    safe_code(code)
}

/// A code as the backbone sent it, cut to what is safe to store and show: `[A-Za-z0-9-]`, at
/// most 32 characters (up to the first character outside that set). A code is an identifier,
/// never a place for a name or a number to travel through to our logs.
pub(crate) fn safe_code(code: &str) -> Option<String> {
    let cut: String = code.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').take(32).collect();
    (!cut.is_empty()).then_some(cut)
}

fn error_message(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    [&v["message"], &v["error"]["message"], &v["errorMessage"]]
        .into_iter()
        .find_map(|m| m.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The first number in the message of a wrong-OTP answer: "Invalid OTP. 2 attempts left".
fn attempts_left(body: &[u8]) -> u32 {
    let msg = error_message(body);
    let digits: String = msg.chars().skip_while(|c| !c.is_ascii_digit()).take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().unwrap_or(0)
}

/// True when the answer says the access token is no good: `900901`, or a 401 with no body.
pub(crate) fn is_token_rejection(status: u16, body: &[u8]) -> bool {
    match error_code(body).as_deref() {
        Some("900901") => true,
        Some(_) => false,
        None => status == 401,
    }
}

/// A refusal that retrying will not change, as the core's error.
pub(crate) fn refusal(status: u16, body: &[u8]) -> Error {
    let code = error_code(body);
    match code.as_deref() {
        Some("900901") => Error::Unauthorized,
        Some("ABDM-1204") => Error::WrongOtp { attempts_left: attempts_left(body) },
        Some("ABDM-1100") => Error::OtpLocked,
        Some("ABDM-1101") => Error::OtpLimit,
        Some("ABDM-1205") => Error::TransactionExpired,
        Some("ABDM-1116") => Error::SealedValueRejected,
        Some("ABDM-1020") => Error::AddressTaken,
        // The citizen's X-AUTH-TOKEN (consent manager, patient side) was refused.
        Some("ABDM-1017") => Error::SignInNeeded,
        Some("ABDM-1021") => Error::InvalidInput("the backbone refused that ABHA address".into()),
        None if status == 401 => Error::Unauthorized,
        _ => Error::Backbone { status, code: code.unwrap_or_else(|| "none".into()) },
    }
}

/// Reads the first present string among `keys` (field names drift between ABDM documents).
pub(crate) fn text<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str)).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_from_every_shape_and_trimmed() {
        assert_eq!(error_code(br#"{"code":"ABDM-1204: ","message":"x"}"#).as_deref(), Some("ABDM-1204"));
        assert_eq!(error_code(br#"{"error":{"code":"900901","message":"x"}}"#).as_deref(), Some("900901"));
        assert_eq!(error_code(br#"{"errorCode":"HIS-1"}"#).as_deref(), Some("HIS-1"));
        assert_eq!(error_code(br#"{"code":900901}"#).as_deref(), Some("900901"));
        assert_eq!(error_code(b""), None);
        assert_eq!(error_code(b"<html>"), None);
        // Anything beyond an identifier is cut off before it is stored or shown.
        assert_eq!(error_code(br#"{"code":"ABDM-1115 Ravi Kumar 9876543210"}"#).as_deref(), Some("ABDM-1115"));
        assert_eq!(error_code(br#"{"code":"ABDM_1\n<script>"}"#).as_deref(), Some("ABDM"));
        let long = format!(r#"{{"code":"{}"}}"#, "A".repeat(100));
        assert_eq!(error_code(long.as_bytes()).map(|c| c.len()), Some(32));
        assert_eq!(error_code(r#"{"code":"été"}"#.as_bytes()), None);
    }

    #[test]
    fn refusals_become_typed_errors() {
        let wrong = refusal(400, br#"{"code":"ABDM-1204: ","message":"Invalid OTP. 2 attempts left"}"#);
        assert!(matches!(wrong, Error::WrongOtp { attempts_left: 2 }));
        assert!(matches!(refusal(401, b""), Error::Unauthorized));
        assert!(matches!(refusal(400, br#"{"code":"ABDM-1205"}"#), Error::TransactionExpired));
        match refusal(422, br#"{"code":"ABDM-9999","message":"Ravi Kumar is wrong"}"#) {
            Error::Backbone { status: 422, code } => assert_eq!(code, "ABDM-9999"),
            other => panic!("{other:?}"),
        }
        assert!(!refusal(422, br#"{"code":"X","message":"Ravi Kumar"}"#).to_string().contains("Ravi"));
        assert!(is_token_rejection(401, b""));
        assert!(is_token_rejection(401, br#"{"code":"900901: "}"#));
        assert!(!is_token_rejection(400, br#"{"code":"ABDM-1204"}"#));
    }
}
