//! The Aadhaar number: 12 digits with a Verhoeff check digit. It is never stored in clear: it
//! lives in an [`Aadhaar`] only between capture and sealing to the backbone's key, and every
//! buffer that held it is wiped.

use crate::crypto::seal::{BackboneKey, Sealed};
use crate::error::{Error, Result};
use std::fmt;
use zeroize::Zeroizing;

/// A clear Aadhaar number, alive only between capture and sealing. Wiped on drop; no
/// `Display`, a redacted `Debug`, not `Clone`, not serialisable.
pub struct Aadhaar(Zeroizing<String>);

const LEN: usize = 12;

impl Aadhaar {
    /// 12 digits (spaces or dashes between them allowed, e.g. `2345 6789 0123`), the first one
    /// 2–9, with a valid Verhoeff check digit. Takes ownership of `s` so the caller's copy is
    /// wiped too, whatever the outcome.
    pub fn parse(s: String) -> Result<Aadhaar> {
        let s = Zeroizing::new(s);
        let mut digits = Zeroizing::new(String::with_capacity(LEN));
        for c in s.trim().chars() {
            if c.is_ascii_digit() {
                if digits.len() == LEN {
                    // Checked before pushing, so the buffer never grows and leaves a copy behind.
                    return Err(invalid("an Aadhaar number has 12 digits"));
                }
                digits.push(c);
            } else if c != ' ' && c != '-' {
                return Err(invalid("an Aadhaar number holds only digits, with spaces or dashes between groups"));
            }
        }
        if digits.len() != LEN {
            return Err(invalid("an Aadhaar number has 12 digits"));
        }
        if digits.starts_with(['0', '1']) {
            return Err(invalid("an Aadhaar number never starts with 0 or 1"));
        }
        if !verhoeff_valid(&digits) {
            return Err(invalid("the Aadhaar number's check digit does not match: a digit is probably mistyped"));
        }
        Ok(Aadhaar(digits))
    }

    /// The 12 digits, without separators.
    pub(crate) fn digits(&self) -> &str {
        &self.0
    }

    /// `ENC(aadhaar)` for the enrolment calls. Consumes the value: the clear digits are wiped as
    /// soon as they are sealed.
    pub fn seal(self, key: &BackboneKey) -> Result<Sealed> {
        key.seal(self.digits().as_bytes())
    }
}

/// Parses and seals in one step: the clear value never outlives this call.
pub fn seal_aadhaar(clear: String, key: &BackboneKey) -> Result<Sealed> {
    Aadhaar::parse(clear)?.seal(key)
}

impl fmt::Debug for Aadhaar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Aadhaar(<redacted>)")
    }
}

fn invalid(msg: &str) -> Error {
    Error::InvalidInput(msg.into())
}

/// Verhoeff's multiplication table: the dihedral group D5.
const D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];

/// Verhoeff's permutation table: row `i` is the permutation applied at position `i` (mod 8)
/// counted from the right, the `i`-th power of row 1 (checked by a test).
const P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Inverses in D5.
const INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/// The Verhoeff checksum of ASCII digits, positions counted from the right plus `offset`.
fn verhoeff_sum(digits: &[u8], offset: usize) -> u8 {
    digits
        .iter()
        .rev()
        .enumerate()
        .fold(0, |c, (i, b)| D[c as usize][P[(i + offset) % 8][(b - b'0') as usize] as usize])
}

/// Whether `digits` (ASCII digits only, no separators) ends in a valid Verhoeff check digit. An
/// empty string or one holding anything but digits does not.
pub fn verhoeff_valid(digits: &str) -> bool {
    let b = digits.as_bytes();
    !b.is_empty() && b.iter().all(u8::is_ascii_digit) && verhoeff_sum(b, 0) == 0
}

/// The digit `d` such that `digits` followed by `d` passes [`verhoeff_valid`]: for making valid
/// fixtures.
///
/// # Panics
/// If `digits` holds anything but ASCII digits.
pub fn verhoeff_check_digit(digits: &str) -> u8 {
    let b = digits.as_bytes();
    assert!(b.iter().all(u8::is_ascii_digit), "verhoeff_check_digit takes ASCII digits only");
    INV[verhoeff_sum(b, 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(prefix: &str) -> String {
        format!("{prefix}{}", verhoeff_check_digit(prefix))
    }

    #[test]
    fn the_permutation_table_holds_the_powers_of_its_first_row() {
        for i in 0..8 {
            let next: Vec<u8> = P[i].iter().map(|&x| P[1][x as usize]).collect();
            assert_eq!(next, P[(i + 1) % 8], "row {}", (i + 1) % 8);
        }
        for (a, row) in D.iter().enumerate() {
            assert_eq!(row[INV[a] as usize], 0, "inverse of {a}");
        }
    }

    #[test]
    fn the_published_vector_holds() {
        assert_eq!(verhoeff_check_digit("236"), 3);
        assert!(verhoeff_valid("2363"));
        assert!(!verhoeff_valid("2364"));
        assert_eq!(verhoeff_check_digit("12345"), 1);
        assert!(verhoeff_valid("123451"));
        assert!(!verhoeff_valid(""));
        assert!(!verhoeff_valid("23 63"));
    }

    #[test]
    fn valid_numbers_parse_with_or_without_separators() {
        let n = valid("23456789012");
        let a = Aadhaar::parse(n.clone()).unwrap();
        assert_eq!(a.digits(), n);
        let spaced = format!(" {} {} {} ", &n[..4], &n[4..8], &n[8..]);
        assert_eq!(Aadhaar::parse(spaced).unwrap().digits(), n);
        let dashed = format!("{}-{}-{}", &n[..4], &n[4..8], &n[8..]);
        assert_eq!(Aadhaar::parse(dashed).unwrap().digits(), n);
    }

    #[test]
    fn malformed_numbers_are_rejected_without_echoing_them() {
        let n = valid("23456789012");
        let wrong = format!("{}{}", &n[..11], (n.as_bytes()[11] - b'0' + 1) % 10);
        let cases = [
            String::new(),
            n[..11].to_string(),
            format!("{n}0"),
            format!("{}x", &n[..11]),
            valid("03456789012"),
            valid("13456789012"),
            wrong,
            format!("{}.{}", &n[..6], &n[6..]),
        ];
        for case in cases {
            let msg = match Aadhaar::parse(case.clone()) {
                Err(Error::InvalidInput(m)) => m,
                other => panic!("{other:?}"),
            };
            assert!(case.len() < 4 || !msg.contains(&case[..4]), "{msg}");
        }
    }

    #[test]
    fn debug_is_redacted() {
        let a = Aadhaar::parse(valid("98765432109")).unwrap();
        assert_eq!(format!("{a:?}"), "Aadhaar(<redacted>)");
    }
}
