//! Where the backbone is and who we are to it: configuration, never constants, so the same
//! client talks to our loopback sandbox, ABDM's public sandbox and production.

use crate::error::{Error, Result};
use std::fmt;
use std::time::Duration;

#[derive(Clone)]
pub struct BackboneConfig {
    /// Base of the gateway: sessions are at `{gateway_url}/gateway/v3/sessions`
    /// (ABDM's sandbox: `https://dev.abdm.gov.in/api/hiecm`).
    pub gateway_url: String,
    /// Base of the ABHA service (ABDM's sandbox: `https://abhasbx.abdm.gov.in/abha/api`).
    pub abha_url: String,
    pub client_id: String,
    pub client_secret: String,
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
    /// First pause between tries; it doubles on each retry up to `max_backoff`.
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

impl BackboneConfig {
    /// A backbone whose gateway is at `base` and ABHA service at `base/abha/api`, with the
    /// sandbox's client credentials: how `locker-sandbox` is laid out.
    pub fn sandbox(base: &str) -> BackboneConfig {
        let base = base.trim_end_matches('/');
        BackboneConfig {
            gateway_url: base.to_string(),
            abha_url: format!("{base}/abha/api"),
            client_id: "healthlocker-sandbox".into(),
            client_secret: "sandbox-secret".into(),
            cm_id: "sbx".into(),
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

    /// Refuses what would make the client unsafe or useless: plain HTTP beyond this machine,
    /// a URL that is not HTTP at all, no tries, no timeouts. Pins and roots are read (and
    /// refused when unreadable) where the TLS setup is made, `tls::client_config`.
    pub(crate) fn validate(&self) -> Result<()> {
        for url in [&self.gateway_url, &self.abha_url] {
            let parsed = reqwest::Url::parse(url)
                .map_err(|_| Error::InvalidInput("a backbone URL is not a valid URL".into()))?;
            match parsed.scheme() {
                "https" => {}
                "http" if !self.pinned_keys.is_empty() => {
                    return Err(Error::InvalidInput("pinned keys need HTTPS backbone URLs".into()));
                }
                "http" if is_loopback(&parsed) => {}
                "http" => return Err(Error::InvalidInput("plain HTTP is allowed to this machine only".into())),
                _ => return Err(Error::InvalidInput("a backbone URL must be HTTPS".into())),
            }
        }
        if self.max_attempts == 0 || self.connect_timeout.is_zero() || self.read_timeout.is_zero() {
            return Err(Error::InvalidInput("attempts and timeouts must be above zero".into()));
        }
        if self.cm_id.is_empty() || !self.cm_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::InvalidInput("the CM id is letters and digits".into()));
        }
        Ok(())
    }
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
    fn plain_http_only_on_loopback() {
        let mut c = BackboneConfig::sandbox("http://127.0.0.1:8080");
        assert!(c.validate().is_ok());
        c.abha_url = "http://abhasbx.abdm.gov.in/abha/api".into();
        assert!(matches!(c.validate(), Err(Error::InvalidInput(_))));
        c.abha_url = "https://abhasbx.abdm.gov.in/abha/api".into();
        assert!(c.validate().is_ok());
        c.gateway_url = "ftp://x".into();
        assert!(c.validate().is_err());
        assert!(!format!("{c:?}").contains("sandbox-secret"));
    }
}
