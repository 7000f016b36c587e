//! ABDM's identifiers as a form checks them while the user types: ABHA numbers, ABHA addresses
//! (the lenient rule for addresses seen in the wild, the strict one for a new address), Aadhaar
//! numbers (a yes or no only: the digits never come back) and mobile numbers.

use crate::error::{LockerError, run};
use locker_core::abha::{Aadhaar, AbhaAddress, AbhaNumber, Mobile};

/// An ABHA number as parsed: `digits` (14), `dashed` (`XX-XXXX-XXXX-XXXX`, as ABDM shows it).
/// `passes_luhn` is a hint, not a rule: no checksum is documented (every real number seen passes
/// Luhn, placeholders such as `11-1111-1111-1111` do not), so a form warns on `false` and still
/// accepts the number.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct AbhaNumberInfo {
    pub digits: String,
    pub dashed: String,
    pub passes_luhn: bool,
}

/// An ABHA address as parsed: the part before the `@`, and the suffix (lower case) when one was
/// written. `address` is the normalised whole (`user@suffix`, or `user` alone).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct AbhaAddressInfo {
    pub user: String,
    pub suffix: Option<String>,
    pub address: String,
}

impl From<AbhaAddress> for AbhaAddressInfo {
    fn from(a: AbhaAddress) -> Self {
        AbhaAddressInfo { user: a.user().to_string(), suffix: a.suffix().map(str::to_string), address: a.to_string() }
    }
}

/// Parses an ABHA number written dashed, spaced or as 14 bare digits; anything else is
/// `InvalidInput` saying which rule broke.
#[uniffi::export]
pub fn parse_abha_number(text: String) -> Result<AbhaNumberInfo, LockerError> {
    run(|| {
        let n = AbhaNumber::parse(&text)?;
        Ok(AbhaNumberInfo { digits: n.digits().to_string(), dashed: n.dashed(), passes_luhn: n.passes_luhn() })
    })
}

/// Parses an existing ABHA address with the lenient rule (3–50 characters of letters, digits
/// and `. _ % + -`, an optional `@suffix`).
#[uniffi::export]
pub fn parse_abha_address(text: String) -> Result<AbhaAddressInfo, LockerError> {
    run(|| Ok(AbhaAddress::parse(&text)?.into()))
}

/// Checks a new ABHA address against ABDM's creation rule (8–18 letters and digits, at most one
/// `.` and one `_`, neither first nor last); `InvalidInput` says which rule broke.
#[uniffi::export]
pub fn validate_abha_address_for_creation(text: String) -> Result<AbhaAddressInfo, LockerError> {
    run(|| Ok(AbhaAddress::for_creation(&text)?.into()))
}

/// True when `text` is a well-formed Aadhaar number: 12 digits (spaces or dashes between
/// groups allowed), not starting with 0 or 1, with a matching Verhoeff check digit. The number
/// is wiped inside the library; nothing of it is returned or logged.
#[uniffi::export]
pub fn aadhaar_is_valid(text: String) -> bool {
    run(|| Ok(Aadhaar::parse(text).is_ok())).unwrap_or(false)
}

/// An Indian mobile number's 10 digits, from `+91 98765 43210`, `098765-43210` or `9876543210`;
/// anything else is `InvalidInput`.
#[uniffi::export]
pub fn parse_mobile(text: String) -> Result<String, LockerError> {
    run(|| Ok(Mobile::parse(&text)?.digits().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_luhn_failure_is_a_hint_not_a_refusal() {
        let n = parse_abha_number("11 1111 1111 1111".into()).unwrap();
        assert_eq!((n.dashed.as_str(), n.passes_luhn), ("11-1111-1111-1111", false));
        assert!(parse_abha_number("91-6285-4575-5116".into()).unwrap().passes_luhn);
        assert!(matches!(parse_abha_number("1234".into()), Err(LockerError::InvalidInput { .. })));
    }

    #[test]
    fn aadhaar_validity_is_a_plain_answer() {
        assert!(!aadhaar_is_valid("123412341234".into()));
        assert!(!aadhaar_is_valid("not a number".into()));
    }
}
