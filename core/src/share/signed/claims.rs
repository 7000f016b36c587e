//! The claims a signed QR carries: a CBOR map with integer keys 1 to 9 (docs/signed-qr.md).
//! Written deterministically (ascending keys, shortest forms), so a QR made twice from the same
//! profile has the same payload; read strictly, so whatever a counter shows was written by the
//! rules. Nothing read is ever printed: `Debug` shows only times and which claims are present.

use super::problem::SignedQrProblem;
use crate::abha::AbhaNumber;
use crate::profiles::Gender;
use ciborium::Value;
use std::fmt;

/// The longest a QR may be valid for: a week, so a lost phone's QR does not outlive it long.
pub const MAX_VALIDITY_SECS: u64 = 7 * 24 * 3600;
/// The longest ABHA address, in bytes.
pub const MAX_ADDRESS_LEN: usize = 64;
/// The longest name, in bytes.
pub const MAX_NAME_LEN: usize = 99;

const ISSUED_AT: u64 = 1;
const EXPIRES_AT: u64 = 2;
const ABHA_NUMBER: u64 = 3;
const ABHA_ADDRESS: u64 = 4;
const NAME: u64 = 5;
const GENDER: u64 = 6;
const BIRTH: u64 = 7;
const MOBILE: u64 = 8;
const PINCODE: u64 = 9;

/// 14 digits as a number: what key 3 holds.
const ABHA_RANGE: std::ops::Range<u64> = 10_000_000_000_000..100_000_000_000_000;
const MOBILE_RANGE: std::ops::Range<u64> = 1_000_000_000..10_000_000_000;
const PINCODE_RANGE: std::ops::Range<u32> = 100_000..1_000_000;

/// What a signed QR says about its holder.
#[derive(Clone, PartialEq, Eq)]
pub struct QrClaims {
    /// Unix seconds.
    pub issued_at: u64,
    /// Unix seconds; after `issued_at`, at most [`MAX_VALIDITY_SECS`] later.
    pub expires_at: u64,
    /// One of the number and the address is required. A number with a leading zero cannot be
    /// carried (key 3 is the 14 digits as an integer) and is refused.
    pub abha_number: Option<AbhaNumber>,
    /// As the PHR app shows it (`asha.kumari@sbx`): lower case, at most 64 bytes.
    pub abha_address: Option<String>,
    /// 1 to 99 bytes.
    pub name: String,
    pub gender: Gender,
    /// `yyyymmdd`, with `mm` and `dd` 0 when unknown (`19900000`, `19900500`).
    pub birth: u32,
    /// 10 digits.
    pub mobile: Option<u64>,
    /// 6 digits.
    pub pincode: Option<u32>,
}

impl fmt::Debug for QrClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrClaims")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("has_abha_number", &self.abha_number.is_some())
            .field("has_abha_address", &self.abha_address.is_some())
            .finish_non_exhaustive()
    }
}

fn valid_birth(birth: u32) -> bool {
    let (year, month, day) = (birth / 10_000, birth / 100 % 100, birth % 100);
    let days = match month {
        0 => 0,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return false,
    };
    (1000..=9999).contains(&year) && day <= days
}

fn abha_as_integer(n: &AbhaNumber) -> Option<u64> {
    n.digits().parse().ok().filter(|v| ABHA_RANGE.contains(v))
}

impl QrClaims {
    /// Whether every rule of the table holds.
    fn check(&self) -> Result<(), SignedQrProblem> {
        let ok = self.expires_at > self.issued_at
            && self.expires_at - self.issued_at <= MAX_VALIDITY_SECS
            && (self.abha_number.is_some() || self.abha_address.is_some())
            && self.abha_number.as_ref().is_none_or(|n| abha_as_integer(n).is_some())
            && self
                .abha_address
                .as_deref()
                .is_none_or(|a| !a.is_empty() && a.len() <= MAX_ADDRESS_LEN && !a.chars().any(char::is_uppercase))
            && !self.name.is_empty()
            && self.name.len() <= MAX_NAME_LEN
            && valid_birth(self.birth)
            && self.mobile.is_none_or(|m| MOBILE_RANGE.contains(&m))
            && self.pincode.is_none_or(|p| PINCODE_RANGE.contains(&p));
        if ok { Ok(()) } else { Err(SignedQrProblem::BadClaims) }
    }

    /// The CBOR map: keys ascending, every head in its shortest form. Claims that break a rule
    /// are `BadClaims`: the locker never signs what a counter would refuse.
    pub fn to_cbor(&self) -> Result<Vec<u8>, SignedQrProblem> {
        self.check()?;
        let mut fields: Vec<(u64, Field)> =
            vec![(ISSUED_AT, Field::Uint(self.issued_at)), (EXPIRES_AT, Field::Uint(self.expires_at))];
        if let Some(n) = self.abha_number.as_ref().and_then(abha_as_integer) {
            fields.push((ABHA_NUMBER, Field::Uint(n)));
        }
        if let Some(a) = &self.abha_address {
            fields.push((ABHA_ADDRESS, Field::Text(a)));
        }
        fields.push((NAME, Field::Text(&self.name)));
        fields.push((GENDER, Field::Text(self.gender.code())));
        fields.push((BIRTH, Field::Uint(self.birth.into())));
        if let Some(m) = self.mobile {
            fields.push((MOBILE, Field::Uint(m)));
        }
        if let Some(p) = self.pincode {
            fields.push((PINCODE, Field::Uint(p.into())));
        }
        let mut out = Vec::with_capacity(128);
        head(&mut out, 5, fields.len() as u64);
        for (key, field) in fields {
            head(&mut out, 0, key);
            match field {
                Field::Uint(v) => head(&mut out, 0, v),
                Field::Text(t) => {
                    head(&mut out, 3, t.len() as u64);
                    out.extend_from_slice(t.as_bytes());
                }
            }
        }
        Ok(out)
    }

    /// Reads the CBOR map strictly: a definite-length map of keys 1 to 9, each once, each of
    /// its type and within its rule, in shortest form, and nothing after it.
    pub fn from_cbor(bytes: &[u8]) -> Result<QrClaims, SignedQrProblem> {
        let bad = SignedQrProblem::BadClaims;
        let value: Value = ciborium::de::from_reader(bytes).map_err(|_| bad)?;
        // ciborium writes every head in its shortest form and definite lengths: reading and
        // writing back the same bytes proves the input had them too (and had nothing after).
        let mut again = Vec::with_capacity(bytes.len());
        ciborium::ser::into_writer(&value, &mut again).map_err(|_| bad)?;
        if again != bytes {
            return Err(bad);
        }
        let Value::Map(entries) = value else { return Err(bad) };
        let mut seen = 0u16;
        let mut c = Partial::default();
        for (k, v) in entries {
            let key = k.as_integer().and_then(|k| u64::try_from(k).ok()).filter(|k| (1..=9).contains(k)).ok_or(bad)?;
            if seen & (1 << key) != 0 {
                return Err(bad);
            }
            seen |= 1 << key;
            let uint = || v.as_integer().and_then(|i| u64::try_from(i).ok()).ok_or(bad);
            let text = || v.as_text().map(str::to_owned).ok_or(bad);
            match key {
                ISSUED_AT => c.issued_at = Some(uint()?),
                EXPIRES_AT => c.expires_at = Some(uint()?),
                ABHA_NUMBER => {
                    let n = uint()?;
                    c.abha_number = Some(AbhaNumber::parse(&n.to_string()).map_err(|_| bad)?);
                }
                ABHA_ADDRESS => c.abha_address = Some(text()?),
                NAME => c.name = Some(text()?),
                GENDER => c.gender = Some(Gender::from_code(&text()?).ok_or(bad)?),
                BIRTH => c.birth = Some(u32::try_from(uint()?).map_err(|_| bad)?),
                MOBILE => c.mobile = Some(uint()?),
                _ => c.pincode = Some(u32::try_from(uint()?).map_err(|_| bad)?),
            }
        }
        let claims = QrClaims {
            issued_at: c.issued_at.ok_or(bad)?,
            expires_at: c.expires_at.ok_or(bad)?,
            abha_number: c.abha_number,
            abha_address: c.abha_address,
            name: c.name.ok_or(bad)?,
            gender: c.gender.ok_or(bad)?,
            birth: c.birth.ok_or(bad)?,
            mobile: c.mobile,
            pincode: c.pincode,
        };
        claims.check()?;
        Ok(claims)
    }
}

enum Field<'a> {
    Uint(u64),
    Text(&'a str),
}

#[derive(Default)]
struct Partial {
    issued_at: Option<u64>,
    expires_at: Option<u64>,
    abha_number: Option<AbhaNumber>,
    abha_address: Option<String>,
    name: Option<String>,
    gender: Option<Gender>,
    birth: Option<u32>,
    mobile: Option<u64>,
    pincode: Option<u32>,
}

/// A CBOR head (RFC 8949 section 3) in its shortest form.
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xFF => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xFFFF => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xFFFF_FFFF => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The profile docs/signed-qr.md's budget is about: every claim, of a typical length.
    pub(crate) fn typical(issued_at: u64) -> QrClaims {
        QrClaims {
            issued_at,
            expires_at: issued_at + 24 * 3600,
            abha_number: Some(AbhaNumber::parse("91-4321-8765-2109").unwrap()),
            abha_address: Some("asha.kumari@sbx".into()),
            name: "Asha Devi Kumari".into(),
            gender: Gender::Female,
            birth: 19_870_314,
            mobile: Some(9_876_543_210),
            pincode: Some(560_001),
        }
    }

    #[test]
    fn a_profile_round_trips_in_deterministic_bytes() {
        let c = typical(1_767_225_600);
        let cbor = c.to_cbor().unwrap();
        assert_eq!(cbor.len(), 83, "1 + 6 + 6 + 10 + 17 + 18 + 3 + 6 + 10 + 6");
        assert_eq!(&cbor[..8], &[0xA9, 0x01, 0x1A, 0x69, 0x55, 0xB9, 0x00, 0x02]);
        assert_eq!(QrClaims::from_cbor(&cbor).unwrap(), c);
        assert_eq!(c.to_cbor().unwrap(), cbor);
    }

    #[test]
    fn debug_shows_nothing_personal() {
        let shown = format!("{:?}", typical(1_767_225_600));
        for secret in ["Asha", "asha", "9876", "91432", "560001", "1987", "Female"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    fn cbor(v: Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(&v, &mut out).unwrap();
        out
    }

    fn map(entries: &[(i64, Value)]) -> Value {
        Value::Map(entries.iter().map(|(k, v)| (Value::Integer((*k).into()), v.clone())).collect())
    }

    fn minimal() -> Vec<(i64, Value)> {
        vec![
            (1, Value::Integer(1_767_225_600.into())),
            (2, Value::Integer(1_767_312_000.into())),
            (4, Value::Text("a@sbx".into())),
            (5, Value::Text("A".into())),
            (6, Value::Text("U".into())),
            (7, Value::Integer(19_900_000.into())),
        ]
    }

    #[test]
    fn claims_that_break_a_rule_are_refused() {
        assert!(QrClaims::from_cbor(&cbor(map(&minimal()))).is_ok());
        let with = |k: i64, v: Value| {
            let mut m = minimal();
            m.retain(|(key, _)| *key != k);
            m.push((k, v));
            cbor(map(&m))
        };
        let without = |k: i64| {
            let mut m = minimal();
            m.retain(|(key, _)| *key != k);
            cbor(map(&m))
        };
        let mut duplicate = minimal();
        duplicate.push((5, Value::Text("B".into())));
        let cases = [
            ("unknown key", with(10, Value::Integer(1.into()))),
            ("key 0", with(0, Value::Integer(1.into()))),
            ("text key", cbor(Value::Map(vec![(Value::Text("1".into()), Value::Integer(1.into()))]))),
            ("duplicate key", cbor(map(&duplicate))),
            ("no name", without(5)),
            ("empty name", with(5, Value::Text(String::new()))),
            ("100-byte name", with(5, Value::Text("n".repeat(100)))),
            ("no number, no address", without(4)),
            ("13-digit number", with(3, Value::Integer(9_143_218_765_210u64.into()))),
            ("upper-case address", with(4, Value::Text("Asha@sbx".into()))),
            ("65-byte address", with(4, Value::Text("a".repeat(65)))),
            ("gender X", with(6, Value::Text("X".into()))),
            ("gender as a number", with(6, Value::Integer(1.into()))),
            ("month 13", with(7, Value::Integer(19_901_300.into()))),
            ("30 February", with(7, Value::Integer(19_900_230.into()))),
            ("day without month", with(7, Value::Integer(19_900_015.into()))),
            ("text where uint belongs", with(1, Value::Text("1767225600".into()))),
            ("negative time", with(1, Value::Integer((-1).into()))),
            ("expires before issue", with(2, Value::Integer(1_767_225_600.into()))),
            ("valid for 8 days", with(2, Value::Integer((1_767_225_600 + 8 * 86_400).into()))),
            ("9-digit mobile", with(8, Value::Integer(987_654_321.into()))),
            ("5-digit pincode", with(9, Value::Integer(56_000.into()))),
            ("an array", cbor(Value::Array(vec![]))),
        ];
        for (what, bytes) in cases {
            assert_eq!(QrClaims::from_cbor(&bytes), Err(SignedQrProblem::BadClaims), "{what}");
        }
    }

    #[test]
    fn encodings_other_than_the_shortest_are_refused() {
        let good = cbor(map(&minimal()));
        let mut trailing = good.clone();
        trailing.push(0);
        let mut long_head = good.clone();
        // key 1 (0x01) as 0x18 0x01
        long_head.splice(1..2, [0x18, 0x01]);
        let mut indefinite = good.clone();
        indefinite[0] = 0xBF;
        indefinite.push(0xFF);
        for bytes in [trailing, long_head, indefinite, good[..good.len() - 1].to_vec()] {
            assert_eq!(QrClaims::from_cbor(&bytes), Err(SignedQrProblem::BadClaims));
        }
    }

    #[test]
    fn the_locker_never_writes_claims_a_counter_would_refuse() {
        let mut c = typical(1_767_225_600);
        c.abha_number = Some(AbhaNumber::parse("01234567890123").unwrap());
        assert_eq!(c.to_cbor(), Err(SignedQrProblem::BadClaims), "a leading zero cannot be carried");
        let mut c = typical(1_767_225_600);
        c.expires_at = c.issued_at + MAX_VALIDITY_SECS + 1;
        assert_eq!(c.to_cbor(), Err(SignedQrProblem::BadClaims));
    }
}
