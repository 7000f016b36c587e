//! A citizen's details as a field worker captures them, and the rule for each field. Each rule
//! is public so that a shell can check an answer the moment it is typed (and ask again) instead
//! of after the last question; capture applies them all again. Errors name the field, never its
//! value, and `Debug` prints no value.

use crate::abha::personal::Mobile;
use crate::error::{Error, Result};
use crate::profiles::Gender;
use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroize;

/// A citizen's details as the worker captures them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitizenDetails {
    pub name: String,
    /// Male, female or other (`Unknown` is refused).
    pub gender: Gender,
    /// `YYYY-MM-DD`, or `YYYY` when only the year is known.
    pub birth_date: String,
    pub mobile: String,
    pub address: String,
    pub state_code: String,
    pub district_code: String,
    pub pin_code: String,
}

impl fmt::Debug for CitizenDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CitizenDetails(<redacted>)")
    }
}

fn invalid(msg: &str) -> Error {
    Error::InvalidInput(msg.into())
}

fn digits(s: &str, n: std::ops::RangeInclusive<usize>) -> bool {
    n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

impl CitizenDetails {
    /// 2 to 100 characters, no digits; inner runs of spaces become one.
    pub fn check_name(s: &str) -> Result<String> {
        let name = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.chars().count() < 2 || name.chars().count() > 100 {
            return Err(invalid("the name must be 2 to 100 characters"));
        }
        if name.chars().any(|c| c.is_ascii_digit() || c.is_control()) {
            return Err(invalid("the name must not contain digits"));
        }
        Ok(name)
    }

    /// Male, female or other: demographic enrolment has no "unknown".
    pub fn check_gender(g: Gender) -> Result<Gender> {
        match g {
            Gender::Unknown => Err(invalid("the gender must be male, female or other (M, F or O)")),
            g => Ok(g),
        }
    }

    /// `YYYY-MM-DD` or `YYYY`, a day that exists, not after `today_ms`.
    pub fn check_birth_date(s: &str, today_ms: i64) -> Result<String> {
        crate::time::parse_birth_date(s, today_ms)
    }

    /// An Indian mobile number; kept as its 10 digits.
    pub fn check_mobile(s: &str) -> Result<String> {
        Ok(Mobile::parse(s)?.digits().to_string())
    }

    /// At most 300 characters.
    pub fn check_address(s: &str) -> Result<String> {
        let address = s.trim().to_string();
        if address.chars().count() > 300 {
            return Err(invalid("the address is at most 300 characters"));
        }
        Ok(address)
    }

    /// A state's LGD code: 1 to 3 digits.
    pub fn check_state_code(s: &str) -> Result<String> {
        let code = s.trim();
        if !digits(code, 1..=3) {
            return Err(invalid("the state is its LGD code: 1 to 3 digits"));
        }
        Ok(code.to_string())
    }

    /// A district's LGD code: 1 to 4 digits.
    pub fn check_district_code(s: &str) -> Result<String> {
        let code = s.trim();
        if !digits(code, 1..=4) {
            return Err(invalid("the district is its LGD code: 1 to 4 digits"));
        }
        Ok(code.to_string())
    }

    /// Six digits, not starting with 0.
    pub fn check_pin_code(s: &str) -> Result<String> {
        let pin = s.trim();
        if !digits(pin, 6..=6) || pin.starts_with('0') {
            return Err(invalid("the PIN code has 6 digits and does not start with 0"));
        }
        Ok(pin.to_string())
    }

    /// Checks and normalises every field.
    pub(crate) fn validated(mut self, today_ms: i64) -> Result<CitizenDetails> {
        self.name = Self::check_name(&self.name)?;
        self.gender = Self::check_gender(self.gender)?;
        self.birth_date = Self::check_birth_date(&self.birth_date, today_ms)?;
        self.mobile = Self::check_mobile(&self.mobile)?;
        self.address = Self::check_address(&self.address)?;
        self.state_code = Self::check_state_code(&self.state_code)?;
        self.district_code = Self::check_district_code(&self.district_code)?;
        self.pin_code = Self::check_pin_code(&self.pin_code)?;
        Ok(self)
    }

    pub(crate) fn wipe(&mut self) {
        for s in [
            &mut self.name,
            &mut self.birth_date,
            &mut self.mobile,
            &mut self.address,
            &mut self.state_code,
            &mut self.district_code,
            &mut self.pin_code,
        ] {
            s.zeroize();
        }
        self.gender = Gender::Unknown;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_is_checked_on_its_own_and_debug_shows_no_value() {
        assert_eq!(CitizenDetails::check_name("  Asha   Devi ").unwrap(), "Asha Devi");
        assert!(CitizenDetails::check_name("R2D2").is_err());
        assert!(CitizenDetails::check_gender(Gender::Unknown).is_err());
        assert!(CitizenDetails::check_mobile("12345").is_err());
        assert!(CitizenDetails::check_state_code("Karnataka").is_err());
        assert_eq!(CitizenDetails::check_district_code(" 572 ").unwrap(), "572");
        assert!(CitizenDetails::check_pin_code("012345").is_err());
        assert!(CitizenDetails::check_pin_code("").is_err());
        let d = CitizenDetails {
            name: "Asha Devi".into(),
            gender: Gender::Female,
            birth_date: "1990-03-05".into(),
            mobile: "9876543210".into(),
            address: "12 Temple Street".into(),
            state_code: "29".into(),
            district_code: "572".into(),
            pin_code: "560001".into(),
        };
        let shown = format!("{d:?}");
        for value in ["Asha", "1990", "98765", "Temple", "560001"] {
            assert!(!shown.contains(value), "{shown}");
        }
    }
}
