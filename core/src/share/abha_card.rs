//! The QR code a patient shows: the ABHA card's (`{"hidn","hid","name","gender","statelgd",
//! "distlgd","dob","state name","district_name","mobile","address"}`) or the PHR app's profile
//! QR (`"phr"` for `"hid"`; no state name, district name or mobile; `hidn` only when a number is
//! linked). Unsigned: what it says is what the patient claims, nothing more. Read as PROTOCOL.md
//! found them in the field: empty strings anywhere, `dob` in any of four forms or masked, a state
//! name where a code belongs. Nothing read is ever printed: `Debug` shows only the layout.

use super::problem::QrProblem;
use crate::abha::address::AbhaAddress;
use crate::abha::number::AbhaNumber;
use crate::profiles::Gender;
use serde_json::{Map, Value};

/// The longest text taken for an ABHA QR (real ones are a few hundred bytes).
const MAX_LEN: usize = 4096;

/// Which app drew the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbhaQrLayout {
    /// The ABHA card (`hid`).
    Card,
    /// The PHR app's profile QR (`phr`).
    PhrApp,
}

/// What a patient's ABHA QR claims.
#[derive(Clone, PartialEq, Eq)]
pub struct AbhaQr {
    pub layout: AbhaQrLayout,
    /// Dashed (`XX-XXXX-XXXX-XXXX`), when the code carries one.
    pub abha_number: Option<String>,
    /// Whether the number passes the Luhn check every real number seen passes (a hint to warn
    /// on, never a reason to refuse: PROTOCOL.md).
    pub number_passes_luhn: bool,
    /// As written, or the number's default address (`<14 digits>@<cm>`) when none is.
    pub abha_address: String,
    pub name: Option<String>,
    pub gender: Gender,
    /// `YYYY-MM-DD` or `YYYY`; `None` when absent or masked.
    pub birth_date: Option<String>,
    /// The code showed a masked birth date (`xx/9/19xx`).
    pub birth_date_masked: bool,
    /// The state's LGD code, when `statelgd` holds digits.
    pub state_code: Option<String>,
    /// The state's name (`state name`, or `statelgd` when it holds a name).
    pub state_name: Option<String>,
    pub district_code: Option<String>,
    pub district_name: Option<String>,
    pub mobile: Option<String>,
    pub address: Option<String>,
}

impl std::fmt::Debug for AbhaQr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AbhaQr").field("layout", &self.layout).finish_non_exhaustive()
    }
}

/// A field's text, `None` when absent, not text, empty or only `-` (as `distlgd` often is).
fn field(o: &Map<String, Value>, key: &str) -> Option<String> {
    let s = match o.get(key)? {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty() && s != "-").then_some(s)
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl AbhaQr {
    /// Reads a scanned ABHA QR. `cm_id` (`abdm`, `sbx`) completes the default address of a code
    /// that carries a number and no address.
    pub fn parse(scanned: &str, cm_id: &str) -> Result<AbhaQr, QrProblem> {
        let text = scanned.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            return Err(QrProblem::Empty);
        }
        if text.len() > MAX_LEN {
            return Err(QrProblem::TooLong);
        }
        let v: Value = serde_json::from_str(text).map_err(|_| QrProblem::NotAbhaQr)?;
        let o = v.as_object().ok_or(QrProblem::NotAbhaQr)?;
        let (layout, address) = match (field(o, "hid"), field(o, "phr")) {
            (Some(a), _) => (AbhaQrLayout::Card, Some(a)),
            (None, Some(a)) => (AbhaQrLayout::PhrApp, Some(a)),
            (None, None) if o.contains_key("phr") => (AbhaQrLayout::PhrApp, None),
            (None, None) => (AbhaQrLayout::Card, None),
        };
        let number = match field(o, "hidn") {
            Some(n) => Some(AbhaNumber::parse(&n).map_err(|_| QrProblem::BadAbhaNumber)?),
            None => None,
        };
        if !(o.contains_key("hidn") || o.contains_key("hid") || o.contains_key("phr")) {
            return Err(QrProblem::NotAbhaQr);
        }
        let abha_address = match (address, &number) {
            (Some(a), _) => AbhaAddress::parse(&a).map_err(|_| QrProblem::BadAbhaAddress)?.to_string(),
            (None, Some(n)) => format!("{}@{}", n.digits(), cm_id.to_ascii_lowercase()),
            (None, None) => return Err(QrProblem::MissingAbha),
        };
        let dob = field(o, "dob");
        let birth_date = dob.as_deref().and_then(crate::sync::abha_api::normalise_date);
        let statelgd = field(o, "statelgd");
        let (state_code, state_from_lgd) = match statelgd {
            Some(s) if digits(&s) => (Some(s), None),
            other => (None, other),
        };
        Ok(AbhaQr {
            layout,
            number_passes_luhn: number.as_ref().is_some_and(AbhaNumber::passes_luhn),
            abha_number: number.map(|n| n.dashed()),
            abha_address,
            name: field(o, "name"),
            gender: match field(o, "gender").as_deref().map(str::to_ascii_uppercase).as_deref() {
                Some("M") => Gender::Male,
                Some("F") => Gender::Female,
                Some("O") => Gender::Other,
                _ => Gender::Unknown,
            },
            birth_date_masked: dob.as_deref().is_some_and(|d| d.contains(['x', 'X'])),
            birth_date,
            state_code,
            state_name: field(o, "state name").or(state_from_lgd),
            district_code: field(o, "distlgd").filter(|d| digits(d)),
            district_name: field(o, "district_name"),
            mobile: field(o, "mobile").filter(|m| digits(m)),
            address: field(o, "address"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = r#"{"hidn":"15-3638-0684-6247","hid":"asha.verma@abdm","name":"Asha Verma","gender":"F",
        "statelgd":"29","distlgd":"572","dob":"5/3/1986","state name":"Karnataka","district_name":"Mysuru",
        "mobile":"9876543210","address":"12 MG Road"}"#;

    #[test]
    fn an_abha_card_is_read_field_by_field() {
        let q = AbhaQr::parse(CARD, "abdm").unwrap();
        assert_eq!(q.layout, AbhaQrLayout::Card);
        assert_eq!(q.abha_number.as_deref(), Some("15-3638-0684-6247"));
        assert!(q.number_passes_luhn);
        assert_eq!(q.abha_address, "asha.verma@abdm");
        assert_eq!((q.gender, q.birth_date.as_deref()), (Gender::Female, Some("1986-03-05")));
        assert_eq!((q.state_code.as_deref(), q.state_name.as_deref()), (Some("29"), Some("Karnataka")));
        assert_eq!((q.district_code.as_deref(), q.mobile.as_deref()), (Some("572"), Some("9876543210")));
        assert!(!format!("{q:?}").contains("Asha"), "Debug shows no personal data");
    }

    #[test]
    fn the_phr_apps_layout_and_the_traps_of_the_field_are_read() {
        let phr =
            r#"{"phr":"ravi.k@sbx","name":"Ravi K","gender":"m","dob":"1979","statelgd":"Karnataka","distlgd":"-"}"#;
        let q = AbhaQr::parse(phr, "sbx").unwrap();
        assert_eq!(
            (q.layout, q.abha_number.clone(), q.abha_address.as_str()),
            (AbhaQrLayout::PhrApp, None, "ravi.k@sbx")
        );
        assert_eq!((q.gender, q.birth_date.as_deref()), (Gender::Male, Some("1979")));
        assert_eq!(
            (q.state_code.clone(), q.state_name.as_deref(), q.district_code.clone()),
            (None, Some("Karnataka"), None)
        );
        let masked = r#"{"hidn":"91628545755116","hid":"","name":"","gender":"X","dob":"xx/9/19xx","mobile":""}"#;
        let q = AbhaQr::parse(masked, "abdm").unwrap();
        assert_eq!(q.abha_address, "91628545755116@abdm", "the default address of the number");
        assert_eq!((q.birth_date.clone(), q.birth_date_masked, q.gender), (None, true, Gender::Unknown));
        assert_eq!((q.name.clone(), q.mobile.clone()), (None, None));
        let dashed_dob = r#"{"hid":"a.b.c@abdm","dob":"05-03-1986"}"#;
        assert_eq!(AbhaQr::parse(dashed_dob, "abdm").unwrap().birth_date.as_deref(), Some("1986-03-05"));
    }

    #[test]
    fn what_is_not_an_abha_qr_says_what_is_wrong() {
        let cases = [
            ("", QrProblem::Empty),
            ("not json", QrProblem::NotAbhaQr),
            (r#"{"hipId":"IN1","code":"2"}"#, QrProblem::NotAbhaQr),
            (r#"{"hid":"","hidn":""}"#, QrProblem::MissingAbha),
            (r#"{"hidn":"1234"}"#, QrProblem::BadAbhaNumber),
            (r#"{"hid":"a b@abdm"}"#, QrProblem::BadAbhaAddress),
        ];
        for (text, problem) in cases {
            assert_eq!(AbhaQr::parse(text, "abdm").map(|_| ()), Err(problem), "{text:?}");
        }
    }
}
