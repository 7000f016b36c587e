//! ABHA addresses: `name@abdm` in production, `name@sbx` in the sandbox, `@ndhm` in old data.
//!
//! Two rules: [`AbhaAddress::parse`] is lenient, for addresses that already exist (read from the
//! backbone or a QR code); [`AbhaAddress::for_creation`] applies the backbone's rule for a new
//! address. Error messages name the rule that broke, never the address.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// An ABHA address. It identifies a person, so `Debug` never prints it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AbhaAddress {
    user: String,
    /// Lower case, e.g. `sbx`, `abdm`, `ndhm`.
    suffix: Option<String>,
}

impl AbhaAddress {
    /// Lenient, for addresses read from the backbone or QR codes: a user part of 3–50 characters
    /// from `[A-Za-z0-9._%+-]`, then optionally `@suffix` (2–20 letters or digits, compared
    /// without regard to case and kept in lower case). Surrounding whitespace is ignored.
    pub fn parse(s: &str) -> Result<AbhaAddress> {
        let (user, suffix) = split(s)?;
        let n = user.chars().count();
        if !(3..=50).contains(&n) {
            return Err(invalid("an ABHA address needs 3 to 50 characters before the '@'"));
        }
        if !user.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')) {
            return Err(invalid("an ABHA address may hold only letters, digits and . _ % + - before the '@'"));
        }
        Ok(AbhaAddress { user: user.to_owned(), suffix })
    }

    /// Strict, for creating a new address: a user part of 8–18 letters and digits with at most
    /// one `.` and at most one `_`, neither first nor last; `user` or `user@suffix`.
    pub fn for_creation(s: &str) -> Result<AbhaAddress> {
        let (user, suffix) = split(s)?;
        if !user.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_') {
            return Err(invalid("a new ABHA address may hold only letters, digits, one '.' and one '_'"));
        }
        if !(8..=18).contains(&user.len()) {
            return Err(invalid("a new ABHA address needs 8 to 18 characters before the '@'"));
        }
        if user.matches('.').count() > 1 {
            return Err(invalid("a new ABHA address may hold at most one '.'"));
        }
        if user.matches('_').count() > 1 {
            return Err(invalid("a new ABHA address may hold at most one '_'"));
        }
        let edge = |c: Option<char>| matches!(c, Some('.' | '_'));
        if edge(user.chars().next()) || edge(user.chars().last()) {
            return Err(invalid("a new ABHA address may not start or end with '.' or '_'"));
        }
        Ok(AbhaAddress { user: user.to_owned(), suffix })
    }

    /// An address made of parts already known to be well formed (an ABHA number's digits and the
    /// configured CM id).
    pub(crate) fn from_parts(user: String, cm_id: &str) -> AbhaAddress {
        let cm = cm_id.trim();
        AbhaAddress { user, suffix: (!cm.is_empty()).then(|| cm.to_ascii_lowercase()) }
    }

    /// The part before the `@`.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The part after the `@`, in lower case, if the address had one.
    pub fn suffix(&self) -> Option<&str> {
        self.suffix.as_deref()
    }

    /// `user@suffix`, using `cm_id` (the `X-CM-ID` value, e.g. `sbx` or `abdm`) when the address
    /// has no suffix of its own.
    pub fn full(&self, cm_id: &str) -> String {
        match &self.suffix {
            Some(s) => format!("{}@{s}", self.user),
            None => format!("{}@{}", self.user, cm_id.trim().to_ascii_lowercase()),
        }
    }
}

/// Splits a trimmed `user[@suffix]`, checking the suffix.
fn split(s: &str) -> Result<(&str, Option<String>)> {
    let s = s.trim();
    let Some((user, suffix)) = s.split_once('@') else {
        return Ok((s, None));
    };
    if suffix.contains('@') {
        return Err(invalid("an ABHA address holds at most one '@'"));
    }
    if !(2..=20).contains(&suffix.len()) || !suffix.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid("an ABHA address ends in '@' and 2 to 20 letters or digits, such as '@abdm'"));
    }
    Ok((user, Some(suffix.to_ascii_lowercase())))
}

fn invalid(msg: &str) -> Error {
    Error::InvalidInput(msg.into())
}

impl FromStr for AbhaAddress {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        AbhaAddress::parse(s)
    }
}

impl fmt::Display for AbhaAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.suffix {
            Some(s) => write!(f, "{}@{s}", self.user),
            None => f.write_str(&self.user),
        }
    }
}

impl fmt::Debug for AbhaAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AbhaAddress(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_parse_accepts_addresses_seen_in_the_wild() {
        let a = AbhaAddress::parse(" ravi.kumar_12@SBX ").unwrap();
        assert_eq!(a.user(), "ravi.kumar_12");
        assert_eq!(a.suffix(), Some("sbx"));
        assert_eq!(a.to_string(), "ravi.kumar_12@sbx");
        assert_eq!(a.full("abdm"), "ravi.kumar_12@sbx");
        assert_eq!(a, AbhaAddress::parse("ravi.kumar_12@sbx").unwrap());

        let b = AbhaAddress::parse("abc").unwrap();
        assert_eq!(b.suffix(), None);
        assert_eq!(b.to_string(), "abc");
        assert_eq!(b.full("ABDM"), "abc@abdm");
        assert!(AbhaAddress::parse("a+b%c-d._e@ndhm").is_ok());
        assert!(AbhaAddress::parse(&"x".repeat(50)).is_ok());
    }

    #[test]
    fn lenient_parse_rejects_what_is_not_an_address() {
        for s in ["", "ab", "ab@sbx", "@sbx", "name@", "name@s", "name@sbx@abdm", "na me@sbx", "näme@sbx", "name@sb-x"]
        {
            assert!(AbhaAddress::parse(s).is_err(), "{s:?}");
        }
        assert!(AbhaAddress::parse(&"x".repeat(51)).is_err());
        assert!(AbhaAddress::parse(&format!("name@{}", "a".repeat(21))).is_err());
    }

    #[test]
    fn strict_rule_says_which_rule_broke() {
        let msg = |s: &str| match AbhaAddress::for_creation(s).unwrap_err() {
            Error::InvalidInput(m) => m,
            e => panic!("{e:?}"),
        };
        assert!(msg("short").contains("8 to 18"));
        assert!(msg("a.b.cdefgh").contains("one '.'"));
        assert!(msg("a_b_cdefgh").contains("one '_'"));
        assert!(msg(".abcdefgh").contains("start or end"));
        assert!(msg("abcdefgh_").contains("start or end"));
        assert!(msg("abcd-efgh").contains("only letters"));
        assert!(!msg("secretname-x").contains("secretname"));
    }

    #[test]
    fn debug_is_redacted() {
        let a = AbhaAddress::parse("ravi.kumar@sbx").unwrap();
        assert_eq!(format!("{a:?}"), "AbhaAddress(<redacted>)");
    }
}
