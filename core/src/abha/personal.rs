//! Other personal values captured at enrolment: one-time passwords and mobile numbers.

use crate::crypto::seal::{BackboneKey, Sealed};
use crate::error::{Error, Result};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A one-time password as typed: normally 6 digits, 4–8 accepted. Wiped on drop, a redacted
/// `Debug`, not `Clone`.
pub struct Otp(Zeroizing<String>);

const OTP_MAX: usize = 8;

impl Otp {
    /// 4 to 8 digits; surrounding whitespace and spaces between digits are ignored. Takes
    /// ownership of `s` so the caller's copy is wiped too, whatever the outcome.
    pub fn parse(s: String) -> Result<Otp> {
        let s = Zeroizing::new(s);
        let mut digits = Zeroizing::new(String::with_capacity(OTP_MAX));
        for c in s.chars() {
            if c.is_ascii_digit() {
                if digits.len() == OTP_MAX {
                    return Err(invalid("a one-time password has 4 to 8 digits"));
                }
                digits.push(c);
            } else if !c.is_whitespace() {
                return Err(invalid("a one-time password holds only digits"));
            }
        }
        if digits.len() < 4 {
            return Err(invalid("a one-time password has 4 to 8 digits"));
        }
        Ok(Otp(digits))
    }

    /// The digits, without spaces.
    pub(crate) fn digits(&self) -> &str {
        &self.0
    }

    /// `ENC(otp)` for the enrolment calls. Consumes the value: the clear digits are wiped as
    /// soon as they are sealed.
    pub fn seal(self, key: &BackboneKey) -> Result<Sealed> {
        key.seal(self.digits().as_bytes())
    }
}

/// Parses and seals in one step: the clear value never outlives this call.
pub fn seal_otp(clear: String, key: &BackboneKey) -> Result<Sealed> {
    Otp::parse(clear)?.seal(key)
}

impl fmt::Debug for Otp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Otp(<redacted>)")
    }
}

/// An Indian mobile number: 10 digits, the first 6–9. Wiped on drop; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Mobile(String);

impl Mobile {
    /// 10 digits starting 6–9, optionally after a `+91`, `91` or `0` prefix (only when exactly 10
    /// digits follow it), with spaces or dashes anywhere between digits: `+91 98765 43210`,
    /// `098765-43210`, `9876543210`.
    pub fn parse(s: &str) -> Result<Mobile> {
        let s = s.trim();
        let (plus, rest) = match s.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let mut digits = Zeroizing::new(String::with_capacity(16));
        for c in rest.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if c != ' ' && c != '-' {
                return Err(invalid("a mobile number holds only digits, with an optional +91"));
            }
        }
        let national = match (plus, digits.len()) {
            (false, 10) => &digits[..],
            (false, 11) if digits.starts_with('0') => &digits[1..],
            (_, 12) if digits.starts_with("91") => &digits[2..],
            (true, _) => return Err(invalid("a mobile number after +91 has 10 digits")),
            _ => return Err(invalid("a mobile number has 10 digits")),
        };
        if !national.starts_with(['6', '7', '8', '9']) {
            return Err(invalid("an Indian mobile number starts with 6, 7, 8 or 9"));
        }
        Ok(Mobile(national.to_owned()))
    }

    /// The 10 digits, without prefix or separators.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// `ENC(mobile)`, as mobile verification sends it.
    pub fn seal(&self, key: &BackboneKey) -> Result<Sealed> {
        key.seal(self.0.as_bytes())
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Mobile(<redacted>)")
    }
}

fn invalid(msg: &str) -> Error {
    Error::InvalidInput(msg.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otps_of_four_to_eight_digits_parse() {
        assert_eq!(Otp::parse("123456".into()).unwrap().digits(), "123456");
        assert_eq!(Otp::parse(" 123 456\n".into()).unwrap().digits(), "123456");
        assert_eq!(Otp::parse("1234".into()).unwrap().digits(), "1234");
        assert_eq!(Otp::parse("12345678".into()).unwrap().digits(), "12345678");
        for s in ["", "123", "123456789", "12345a", "12-3456", "１２３４５６"] {
            assert!(matches!(Otp::parse(s.into()), Err(Error::InvalidInput(_))), "{s}");
        }
        assert_eq!(format!("{:?}", Otp::parse("123456".into()).unwrap()), "Otp(<redacted>)");
    }

    #[test]
    fn mobiles_parse_with_the_usual_prefixes() {
        for s in [
            "9876543210",
            "+91 98765 43210",
            "+919876543210",
            "919876543210",
            "09876543210",
            "98765-43210",
            " +91-98765-43210 ",
        ] {
            assert_eq!(Mobile::parse(s).unwrap().digits(), "9876543210", "{s}");
        }
        // Ten digits win over a prefix reading: this is a number that starts with 91.
        assert_eq!(Mobile::parse("9123456789").unwrap().digits(), "9123456789");
    }

    #[test]
    fn malformed_mobiles_are_rejected_without_echoing_them() {
        for s in [
            "",
            "987654321",
            "98765432100",
            "0919876543210",
            "+9876543210",
            "+09876543210",
            "+1 9876543210",
            "5876543210",
            "+91 5876543210",
            "(987) 654-3210",
            "98765 4321O",
        ] {
            match Mobile::parse(s) {
                Err(Error::InvalidInput(m)) => assert!(!m.contains("98765") && !m.contains("58765"), "{m}"),
                other => panic!("{s}: {other:?}"),
            }
        }
        assert_eq!(format!("{:?}", Mobile::parse("9876543210").unwrap()), "Mobile(<redacted>)");
    }
}
