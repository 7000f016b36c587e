//! Where the backbone is and who we are to it: configuration, never constants, so the same
//! client talks to our loopback sandbox, ABDM's public sandbox and production.
//!
//! ABDM puts its services on different hosts (PROTOCOL.md: "Hosts differ per service"): the
//! gateway, the ABHA service, the consent manager (`{hiecm}`) and the PHR app's QR host are each
//! their own setting, never derived from one another. [`Preset`] fills them in for ABDM's
//! sandbox or for `locker-sandbox`; credentials are always the caller's to give.

use crate::error::{Error, Result};
use std::fmt;
use std::time::Duration;
use zeroize::Zeroizing;

#[derive(Clone)]
pub struct BackboneConfig {
    /// Base of the gateway: sessions are at `{gateway_url}/gateway/v3/sessions`.
    pub gateway_url: String,
    /// Base of the ABHA service (`…/abha/api`).
    pub abha_url: String,
    /// Base of the consent manager, `{hiecm}`: consent, Scan & Share, linking, data flow.
    pub hiecm_url: String,
    /// The PHR app's host, as facility QR codes carry it (`https://phrsbx.abdm.gov.in`).
    pub phr_url: String,
    /// Where the consent manager publishes the keys it signs artefacts with (a JWKS, path on
    /// the gateway), when it signs RS256 over the canonical JSON of `consentDetail` as
    /// `locker-sandbox` does. `None`: the scheme is unknown (ABDM's own is not public), and
    /// artefacts are kept as unverified.
    pub consent_keys_path: Option<String>,
    /// Where the issuer of signed-QR certificates and its trust list live (docs/signed-qr.md),
    /// as a path on the gateway: `{path}/certificates`, `{path}/trust-list`. ABDM has no such
    /// issuer yet (its QR codes are unsigned): `None` there, and signed QR codes cannot be made
    /// or checked until one is configured. `locker-sandbox` plays it at `/qr/v1`.
    pub qr_issuer_path: Option<String>,
    /// The locker's own relay (DESIGN.md, "Pull, not push"): the bridge that receives the
    /// backbone's callbacks and the hospitals' data pushes for this app and keeps them, unopened,
    /// in a mailbox per citizen until the phone reads them (`{relay_url}/v1/…`). ABDM has none: each
    /// deployment runs its own (`None` there until configured, and nothing is pulled).
    /// `locker-sandbox` plays one at `/relay`.
    pub relay_url: Option<String>,
    /// The id this app is registered under as a HIU and a HIP (`X-HIU-ID` of the citizen's own
    /// requests, `X-HIP-ID` of its answers to doctors). `None`: the client id. `locker-sandbox`
    /// knows it as `sbx-phr-healthlocker`.
    pub service_id: Option<String>,
    pub client_id: String,
    /// Never printed: `Debug` leaves it out, and it is wiped when the configuration is dropped.
    pub client_secret: Zeroizing<String>,
    /// `X-CM-ID`: `sbx` in the sandbox, `abdm` in production; also the ABHA address suffix.
    pub cm_id: String,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for an answer once the request is sent.
    pub read_timeout: Duration,
    /// Tries per call, the first included, before the call is reported as failed. Every try
    /// carries the same REQUEST-ID, so the backbone applies the call at most once.
    pub max_attempts: u32,
    /// The longest `Retry-After` honoured within one call; a longer one ends the call (the
    /// work stays queued for the next drain).
    pub max_retry_after: Duration,
    /// First pause between tries; it doubles on each retry up to `max_backoff` (jittered).
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Keys the backbone's certificate chain must pass through, each `sha256/<base64>` of a
    /// SubjectPublicKeyInfo (the server's, an intermediate's or the root's; pin a backup key
    /// too, so a planned rotation does not lock the app out). Empty: any publicly trusted
    /// certificate for the host is accepted. HTTPS only.
    pub pinned_keys: Vec<String>,
    /// Root certificates (PEM) trusted besides the public WebPKI roots: a private deployment's
    /// own CA. Empty for ABDM's sandbox and production.
    pub extra_roots_pem: String,
}

/// A known deployment, to fill in the addresses and the CM id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Preset {
    /// ABDM's public sandbox: the gateway and the consent manager at `dev.abdm.gov.in/api/hiecm`,
    /// the ABHA service at `abhasbx.abdm.gov.in/abha/api`, the PHR app at `phrsbx.abdm.gov.in`,
    /// `X-CM-ID: sbx` (sources: NHA-ABDM/ABDM-wrapper, 10bedicu/care_abdm).
    AbdmSandbox,
    /// `locker-sandbox` at `base` (e.g. `http://127.0.0.1:8080`): the gateway at `base`, the ABHA
    /// service at `base/abha/api`, the consent manager at `base/api/hiecm`, the PHR app at `base`.
    Local { base: String },
}

impl BackboneConfig {
    /// A configuration for `preset` with these credentials and the default timeouts and retries.
    pub fn preset(preset: &Preset, client_id: &str, client_secret: &str) -> BackboneConfig {
        let (keys, issuer, relay, service) = match preset {
            Preset::AbdmSandbox => (None, None, None, None),
            Preset::Local { base } => (
                Some("/gateway/v3/certs".to_string()),
                Some("/qr/v1".to_string()),
                Some(format!("{}/relay", base.trim_end_matches('/'))),
                Some("sbx-phr-healthlocker".to_string()),
            ),
        };
        let (gateway, abha, hiecm, phr, cm) = match preset {
            Preset::AbdmSandbox => (
                "https://dev.abdm.gov.in/api/hiecm".to_string(),
                "https://abhasbx.abdm.gov.in/abha/api".to_string(),
                "https://dev.abdm.gov.in/api/hiecm".to_string(),
                "https://phrsbx.abdm.gov.in".to_string(),
                "sbx",
            ),
            Preset::Local { base } => {
                let base = base.trim_end_matches('/');
                (base.to_string(), format!("{base}/abha/api"), format!("{base}/api/hiecm"), base.to_string(), "sbx")
            }
        };
        BackboneConfig {
            gateway_url: gateway,
            abha_url: abha,
            hiecm_url: hiecm,
            phr_url: phr,
            consent_keys_path: keys,
            qr_issuer_path: issuer,
            relay_url: relay,
            service_id: service,
            client_id: client_id.to_string(),
            client_secret: Zeroizing::new(client_secret.to_string()),
            cm_id: cm.into(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_attempts: 6,
            max_retry_after: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
            pinned_keys: Vec::new(),
            extra_roots_pem: String::new(),
        }
    }

    /// `locker-sandbox` at `base`, with these credentials ([`Preset::Local`]).
    pub fn local(base: &str, client_id: &str, client_secret: &str) -> BackboneConfig {
        BackboneConfig::preset(&Preset::Local { base: base.to_string() }, client_id, client_secret)
    }

    /// Refuses what would make the client unsafe or useless: plain HTTP beyond this machine,
    /// a URL that is not HTTP at all, no credentials, no tries, no timeouts. Pins and roots are
    /// read (and refused when unreadable) where the TLS setup is made, `tls::client_config`.
    pub(crate) fn validate(&self) -> Result<()> {
        let urls = [&self.gateway_url, &self.abha_url, &self.hiecm_url, &self.phr_url];
        for url in urls.into_iter().chain(self.relay_url.as_ref()) {
            check_url(url, !self.pinned_keys.is_empty())?;
        }
        if self.client_id.trim().is_empty() || self.client_secret.is_empty() {
            return Err(Error::InvalidInput("the client id and secret ABDM issued are needed".into()));
        }
        if self.max_attempts == 0 || self.connect_timeout.is_zero() || self.read_timeout.is_zero() {
            return Err(Error::InvalidInput("attempts and timeouts must be above zero".into()));
        }
        if self.cm_id.is_empty() || !self.cm_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::InvalidInput("the CM id is letters and digits".into()));
        }
        Ok(())
    }

    /// The id this app acts under as a HIU and a HIP.
    pub fn service_id(&self) -> &str {
        self.service_id.as_deref().unwrap_or(&self.client_id)
    }

    /// Names this client to the login pause (`client.rs`): its gateway, client id and secret,
    /// hashed, so a stored pause says nothing of any of them. A refused secret stays paused
    /// however often it is retried; a corrected one is tried at once.
    pub(crate) fn client_key(&self) -> String {
        let mut c = ring::digest::Context::new(&ring::digest::SHA256);
        for part in [self.gateway_url.trim_end_matches('/'), &self.client_id, self.client_secret.as_str()] {
            c.update(&(part.len() as u64).to_be_bytes());
            c.update(part.as_bytes());
        }
        hex::encode(&c.finish().as_ref()[..16])
    }
}

/// A URL the client may call: HTTPS, or plain HTTP to this machine (never with pinned keys).
/// Also applied to the addresses that arrive from outside (a HIU's `dataPushUrl`).
pub(crate) fn check_url(url: &str, pinned: bool) -> Result<reqwest::Url> {
    let parsed =
        reqwest::Url::parse(url).map_err(|_| Error::InvalidInput("a backbone URL is not a valid URL".into()))?;
    match parsed.scheme() {
        "https" => {}
        "http" if pinned => return Err(Error::InvalidInput("pinned keys need HTTPS backbone URLs".into())),
        "http" if is_loopback(&parsed) => {}
        "http" => return Err(Error::InvalidInput("plain HTTP is allowed to this machine only".into())),
        _ => return Err(Error::InvalidInput("a backbone URL must be HTTPS".into())),
    }
    Ok(parsed)
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

// The secret stays out of logs and panics.
impl fmt::Debug for BackboneConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackboneConfig")
            .field("gateway_url", &self.gateway_url)
            .field("abha_url", &self.abha_url)
            .field("hiecm_url", &self.hiecm_url)
            .field("phr_url", &self.phr_url)
            .field("relay_url", &self.relay_url)
            .field("client_id", &self.client_id)
            .field("cm_id", &self.cm_id)
            .field("pinned_keys", &self.pinned_keys)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback_and_credentials_are_required() {
        let mut c = BackboneConfig::local("http://127.0.0.1:8080", "id", "sandbox-secret");
        assert!(c.validate().is_ok());
        c.abha_url = "http://abhasbx.abdm.gov.in/abha/api".into();
        assert!(matches!(c.validate(), Err(Error::InvalidInput(_))));
        c.abha_url = "https://abhasbx.abdm.gov.in/abha/api".into();
        assert!(c.validate().is_ok());
        c.gateway_url = "ftp://x".into();
        assert!(c.validate().is_err());
        assert!(!format!("{c:?}").contains("sandbox-secret"));
        let none = BackboneConfig::local("http://127.0.0.1:8080", "id", "");
        assert!(matches!(none.validate(), Err(Error::InvalidInput(_))));
    }

    #[test]
    fn abdms_sandbox_keeps_each_service_on_its_own_host() {
        let c = BackboneConfig::preset(&Preset::AbdmSandbox, "id", "secret");
        assert!(c.validate().is_ok());
        assert_eq!(c.gateway_url, "https://dev.abdm.gov.in/api/hiecm");
        assert_eq!(c.abha_url, "https://abhasbx.abdm.gov.in/abha/api");
        assert_eq!(c.phr_url, "https://phrsbx.abdm.gov.in");
        assert_eq!(c.cm_id, "sbx");
        let l = BackboneConfig::local("http://127.0.0.1:9/", "id", "s");
        assert_eq!(
            (l.abha_url.as_str(), l.hiecm_url.as_str()),
            ("http://127.0.0.1:9/abha/api", "http://127.0.0.1:9/api/hiecm")
        );
        assert_ne!(c.client_key(), BackboneConfig::preset(&Preset::AbdmSandbox, "other", "secret").client_key());
        assert_ne!(c.client_key(), BackboneConfig::preset(&Preset::AbdmSandbox, "id", "mended").client_key());
        assert_eq!(c.client_key(), BackboneConfig::preset(&Preset::AbdmSandbox, "id", "secret").client_key());
    }
}
