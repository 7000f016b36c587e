//! The QR code an OPD counter shows: ABDM's share-profile link
//! (`https://phrsbx.abdm.gov.in/share-profile?hip-id=…&counter-id=…`, `phr.abdm.gov.in` in
//! production) or its older JSON form (`{"hipId":"…","code":"…"}`). Read leniently (any case in
//! the scheme, host, path and parameter names; trailing slashes; extra parameters; spaces around)
//! and checked strictly where it matters: the facility and counter ids. Never echoes what it read.

use super::problem::QrProblem;
use serde_json::Value;

/// The longest text taken for a facility code (real ones are under 100 characters).
const MAX_LEN: usize = 2048;

/// ABDM's PHR app hosts, as counter codes carry them.
const SANDBOX_HOST: &str = "phrsbx.abdm.gov.in";
const PRODUCTION_HOST: &str = "phr.abdm.gov.in";

/// Which deployment a counter's code points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrHost {
    /// `phrsbx.abdm.gov.in`.
    AbdmSandbox,
    /// `phr.abdm.gov.in`.
    AbdmProduction,
    /// The PHR host this app is configured with (`BackboneConfig::phr_url`), e.g. locker-sandbox.
    Configured,
    /// The older JSON form, which names no host.
    Unnamed,
}

/// A facility's counter, as its QR code names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacilityQr {
    /// The facility's HIP id (`IN3410000260`).
    pub hip_id: String,
    /// The counter, unique within the facility (`12345`).
    pub counter_id: String,
    pub host: QrHost,
}

/// A facility id: ABDM's are letters and digits (`IN3410000260`); read leniently (`-`, `_`).
fn hip_id(s: &str) -> Result<String, QrProblem> {
    let s = s.trim();
    if s.is_empty() {
        return Err(QrProblem::MissingHipId);
    }
    let ok = s.len() <= 64
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(s.to_string()) } else { Err(QrProblem::BadHipId) }
}

/// A counter id: 1–20 letters and digits when created; read leniently (up to 40, `-`, `_`).
fn counter_id(s: &str) -> Result<String, QrProblem> {
    let s = s.trim();
    if s.is_empty() {
        return Err(QrProblem::MissingCounterId);
    }
    let ok = s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(s.to_string()) } else { Err(QrProblem::BadCounterId) }
}

/// `hip-id`, `hipId`, `hip_id`, any case.
fn is_hip_key(k: &str) -> bool {
    matches!(k.to_ascii_lowercase().as_str(), "hip-id" | "hipid" | "hip_id")
}

/// `counter-id`, `counterId`, `counter_id`, and the JSON form's `code`, any case.
fn is_counter_key(k: &str) -> bool {
    matches!(k.to_ascii_lowercase().as_str(), "counter-id" | "counterid" | "counter_id" | "code")
}

impl FacilityQr {
    /// Reads a scanned facility code; links must point to ABDM's PHR app.
    pub fn parse(text: &str) -> Result<FacilityQr, QrProblem> {
        FacilityQr::parse_for(text, None)
    }

    /// Reads a scanned facility code, also accepting links to `configured_phr_url`'s host (the
    /// PHR host of this app's configuration, as `locker-sandbox` serves it).
    pub fn parse_for(text: &str, configured_phr_url: Option<&str>) -> Result<FacilityQr, QrProblem> {
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            return Err(QrProblem::Empty);
        }
        if text.len() > MAX_LEN {
            return Err(QrProblem::TooLong);
        }
        if text.starts_with('{') {
            return FacilityQr::from_json(text);
        }
        FacilityQr::from_link(text, configured_phr_url)
    }

    fn from_json(text: &str) -> Result<FacilityQr, QrProblem> {
        let v: Value = serde_json::from_str(text).map_err(|_| QrProblem::NotFacilityQr)?;
        let obj = v.as_object().ok_or(QrProblem::NotFacilityQr)?;
        let field = |is: fn(&str) -> bool| {
            obj.iter().find(|(k, _)| is(k)).and_then(|(_, v)| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let (hip, counter) = (field(is_hip_key), field(is_counter_key));
        if hip.is_none() && counter.is_none() {
            return Err(QrProblem::NotFacilityQr);
        }
        Ok(FacilityQr {
            hip_id: hip_id(hip.as_deref().unwrap_or(""))?,
            counter_id: counter_id(counter.as_deref().unwrap_or(""))?,
            host: QrHost::Unnamed,
        })
    }

    fn from_link(text: &str, configured_phr_url: Option<&str>) -> Result<FacilityQr, QrProblem> {
        let url = reqwest::Url::parse(text).map_err(|_| QrProblem::NotFacilityQr)?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(QrProblem::NotFacilityQr);
        }
        let host = url.host_str().unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
        let configured = configured_phr_url
            .and_then(|c| reqwest::Url::parse(c).ok())
            .is_some_and(|c| c.host_str().is_some_and(|h| h.eq_ignore_ascii_case(&host)) && c.port() == url.port());
        let host = match host.as_str() {
            SANDBOX_HOST => QrHost::AbdmSandbox,
            PRODUCTION_HOST => QrHost::AbdmProduction,
            _ if configured => QrHost::Configured,
            _ => return Err(QrProblem::UnknownHost),
        };
        let path = url.path().trim_end_matches('/');
        if !path.eq_ignore_ascii_case("/share-profile") {
            return Err(QrProblem::NotShareProfile);
        }
        let param = |is: fn(&str) -> bool| url.query_pairs().find(|(k, _)| is(k)).map(|(_, v)| v.into_owned());
        Ok(FacilityQr {
            hip_id: hip_id(param(is_hip_key).as_deref().unwrap_or(""))?,
            counter_id: counter_id(param(is_counter_key).as_deref().unwrap_or(""))?,
            host,
        })
    }

    /// A counter named by hand (a counter device set up for its facility), by the same rules
    /// as a scanned code's ids.
    pub fn new(hip: &str, counter: &str) -> Result<FacilityQr, QrProblem> {
        Ok(FacilityQr { hip_id: hip_id(hip)?, counter_id: counter_id(counter)?, host: QrHost::Configured })
    }

    /// The share-profile link for this counter on `phr_url` (`https://phrsbx.abdm.gov.in`), as a
    /// counter's own QR code shows it.
    pub fn link(&self, phr_url: &str) -> String {
        format!("{}/share-profile?hip-id={}&counter-id={}", phr_url.trim_end_matches('/'), self.hip_id, self.counter_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(hip: &str, counter: &str, host: QrHost) -> Result<FacilityQr, QrProblem> {
        Ok(FacilityQr { hip_id: hip.into(), counter_id: counter.into(), host })
    }

    #[test]
    fn the_share_profile_link_is_read_in_any_case_with_slashes_and_extra_parameters() {
        let sbx = "https://phrsbx.abdm.gov.in/share-profile?hip-id=IN3410000260&counter-id=12345";
        assert_eq!(FacilityQr::parse(sbx), counter("IN3410000260", "12345", QrHost::AbdmSandbox));
        let prod = "  HTTPS://PHR.ABDM.GOV.IN/Share-Profile/?Counter-ID=ab_9&utm_source=poster&HIP-ID=IN0410000183\n";
        assert_eq!(FacilityQr::parse(prod), counter("IN0410000183", "ab_9", QrHost::AbdmProduction));
        let encoded = "https://phr.abdm.gov.in/share-profile?hip-id=IN%2D77&counter-id=%2012%20";
        assert_eq!(FacilityQr::parse(encoded), counter("IN-77", "12", QrHost::AbdmProduction));
    }

    #[test]
    fn the_older_json_form_is_read_too() {
        assert_eq!(
            FacilityQr::parse(r#"{"hipId":"IN3410000260","code":"7"}"#),
            counter("IN3410000260", "7", QrHost::Unnamed)
        );
        assert_eq!(FacilityQr::parse(r#"{"hipId":"H1","code":42,"extra":true}"#), counter("H1", "42", QrHost::Unnamed));
    }

    #[test]
    fn anything_else_says_what_is_wrong() {
        let cases = [
            ("", QrProblem::Empty),
            ("   ", QrProblem::Empty),
            ("hello", QrProblem::NotFacilityQr),
            ("ftp://phr.abdm.gov.in/share-profile?hip-id=A&counter-id=1", QrProblem::NotFacilityQr),
            ("https://phr.abdm.gov.in.evil.example/share-profile?hip-id=A&counter-id=1", QrProblem::UnknownHost),
            ("https://phr.abdm.gov.in/login?hip-id=A&counter-id=1", QrProblem::NotShareProfile),
            ("https://phr.abdm.gov.in/share-profile?counter-id=1", QrProblem::MissingHipId),
            ("https://phr.abdm.gov.in/share-profile?hip-id=A", QrProblem::MissingCounterId),
            ("https://phr.abdm.gov.in/share-profile?hip-id=A%2Fb&counter-id=1", QrProblem::BadHipId),
            ("https://phr.abdm.gov.in/share-profile?hip-id=A&counter-id=1%3B2", QrProblem::BadCounterId),
            (r#"{"name":"x"}"#, QrProblem::NotFacilityQr),
            (r#"{"hipId":"A"}"#, QrProblem::MissingCounterId),
            (r#"[1,2]"#, QrProblem::NotFacilityQr),
        ];
        for (text, problem) in cases {
            assert_eq!(FacilityQr::parse(text), Err(problem), "{text:?}");
        }
        assert_eq!(FacilityQr::parse(&"a".repeat(3000)), Err(QrProblem::TooLong));
    }

    #[test]
    fn a_configured_phr_host_is_accepted_only_where_configured_and_links_round_trip() {
        let local = "http://127.0.0.1:8080/share-profile?hip-id=H1&counter-id=3";
        assert_eq!(FacilityQr::parse(local), Err(QrProblem::UnknownHost));
        assert_eq!(FacilityQr::parse_for(local, Some("http://127.0.0.1:8080")), counter("H1", "3", QrHost::Configured));
        assert_eq!(FacilityQr::parse_for(local, Some("http://127.0.0.1:9090")), Err(QrProblem::UnknownHost));
        let q = FacilityQr::parse(r#"{"hipId":"IN1","code":"22"}"#).unwrap();
        let link = q.link("https://phrsbx.abdm.gov.in/");
        assert_eq!(link, "https://phrsbx.abdm.gov.in/share-profile?hip-id=IN1&counter-id=22");
        assert_eq!(FacilityQr::parse(&link).map(|f| (f.hip_id, f.counter_id)), Ok(("IN1".into(), "22".into())));
    }
}
