//! The 14-digit ABHA number, shown `XX-XXXX-XXXX-XXXX`.
//!
//! No checksum is documented, but every real number seen passes a Luhn (mod 10) check while
//! placeholders fail: [`AbhaNumber::passes_luhn`] is a hint for a warning, never a reason to
//! reject a number.

use super::address::AbhaAddress;
use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// An ABHA number: 14 ASCII digits. It identifies a person, so `Debug` never prints it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AbhaNumber {
    digits: String,
}

/// The digit groups of the dashed form.
const GROUPS: [usize; 4] = [2, 4, 4, 4];
const LEN: usize = 14;

impl AbhaNumber {
    /// Accepts `91-6285-4575-5116`, `91628545755116`, surrounding whitespace, and single spaces
    /// instead of dashes between the 2-4-4-4 groups. Anything else is [`Error::InvalidInput`].
    pub fn parse(s: &str) -> Result<AbhaNumber> {
        let s = s.trim();
        if !s.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ' ') {
            return Err(invalid("an ABHA number holds only digits, grouped XX-XXXX-XXXX-XXXX"));
        }
        let groups: Vec<&str> = s.split(['-', ' ']).collect();
        let digit_count: usize = groups.iter().map(|g| g.len()).sum();
        if digit_count != LEN {
            return Err(invalid("an ABHA number has 14 digits"));
        }
        let grouped = groups.len() == GROUPS.len() && groups.iter().zip(GROUPS).all(|(g, n)| g.len() == n);
        if groups.len() != 1 && !grouped {
            return Err(invalid("an ABHA number is written XX-XXXX-XXXX-XXXX or as 14 digits"));
        }
        Ok(AbhaNumber { digits: groups.concat() })
    }

    /// The 14 digits, without separators (what the APIs accept).
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// `XX-XXXX-XXXX-XXXX` (what the APIs return and people read).
    pub fn dashed(&self) -> String {
        let d = &self.digits;
        format!("{}-{}-{}-{}", &d[..2], &d[2..6], &d[6..10], &d[10..])
    }

    /// Whether the 14 digits pass a Luhn (mod 10) check. Every real number seen does and
    /// placeholders such as `11-1111-1111-1111` do not; a failure is a warning only.
    pub fn passes_luhn(&self) -> bool {
        luhn_valid(&self.digits)
    }

    /// The address every ABHA number has: `<14 digits>@<cm_id>` (`@abdm` in production, `@sbx`
    /// in the sandbox).
    pub fn default_address(&self, cm_id: &str) -> AbhaAddress {
        AbhaAddress::from_parts(self.digits.clone(), cm_id)
    }
}

impl FromStr for AbhaNumber {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        AbhaNumber::parse(s)
    }
}

impl fmt::Display for AbhaNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dashed())
    }
}

impl fmt::Debug for AbhaNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AbhaNumber(<redacted>)")
    }
}

fn invalid(msg: &str) -> Error {
    Error::InvalidInput(msg.into())
}

/// The Luhn sum of `digits` (ASCII digits only), counting positions from the right; `offset` 1
/// treats the string as if a check digit followed it.
fn luhn_sum(digits: &[u8], offset: usize) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if (i + offset) % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum()
}

/// Whether `digits` (ASCII digits only, no separators) passes the Luhn (mod 10) check. An empty
/// string or one holding anything but digits does not.
pub fn luhn_valid(digits: &str) -> bool {
    let b = digits.as_bytes();
    !b.is_empty() && b.iter().all(u8::is_ascii_digit) && luhn_sum(b, 0).is_multiple_of(10)
}

/// The digit `d` such that `digits` followed by `d` passes [`luhn_valid`]: for making valid
/// fixtures.
///
/// # Panics
/// If `digits` holds anything but ASCII digits.
pub fn luhn_check_digit(digits: &str) -> u8 {
    let b = digits.as_bytes();
    assert!(b.iter().all(u8::is_ascii_digit), "luhn_check_digit takes ASCII digits only");
    ((10 - luhn_sum(b, 1) % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashed_spaced_and_bare_forms_parse_to_the_same_number() {
        let a = AbhaNumber::parse("91-6285-4575-5116").unwrap();
        for s in ["91628545755116", "  91-6285-4575-5116\n", "91 6285 4575 5116", "91-6285 4575-5116"] {
            assert_eq!(AbhaNumber::parse(s).unwrap(), a, "{s}");
        }
        assert_eq!(a.digits(), "91628545755116");
        assert_eq!(a.dashed(), "91-6285-4575-5116");
        assert_eq!(a.to_string(), "91-6285-4575-5116");
        assert_eq!("91628545755116".parse::<AbhaNumber>().unwrap(), a);
    }

    #[test]
    fn malformed_numbers_are_rejected() {
        for s in [
            "",
            "9162854575511",
            "916285457551160",
            "91-6285-4575-511",
            "916-285-4575-5116",
            "91--6285-4575-5116",
            "91-6285-4575-5116-",
            "91628545755116a",
            "９１628545755116",
            "91.6285.4575.5116",
            "9162-8545-7551-16",
        ] {
            let e = AbhaNumber::parse(s).unwrap_err();
            assert!(matches!(e, Error::InvalidInput(_)), "{s}");
        }
    }

    #[test]
    fn luhn_matches_the_protocol_examples() {
        assert!(AbhaNumber::parse("91-6285-4575-5116").unwrap().passes_luhn());
        assert!(AbhaNumber::parse("15-3638-0684-6247").unwrap().passes_luhn());
        assert!(!AbhaNumber::parse("11-1111-1111-1111").unwrap().passes_luhn());
        assert_eq!(luhn_check_digit("9162854575511"), 6);
        assert_eq!(luhn_check_digit("1536380684624"), 7);
        assert!(luhn_valid("79927398713")); // the textbook example
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("91-6285-4575-5116"));
    }

    #[test]
    fn debug_never_prints_the_number() {
        let a = AbhaNumber::parse("91-6285-4575-5116").unwrap();
        let d = format!("{a:?}");
        assert_eq!(d, "AbhaNumber(<redacted>)");
    }

    #[test]
    fn the_default_address_is_the_digits_at_the_cm() {
        let a = AbhaNumber::parse("91-6285-4575-5116").unwrap();
        assert_eq!(a.default_address("sbx").to_string(), "91628545755116@sbx");
        assert_eq!(a.default_address("ABDM").full("sbx"), "91628545755116@abdm");
    }
}
