//! `Backbone`: the connection to ABDM's backbone (or the loopback sandbox), built from a
//! `BackboneConfig`. Durations cross the FFI as milliseconds.

use crate::error::{LockerError, run};
use std::sync::Arc;
use std::time::Duration;

/// Where the backbone is and who we are to it. The defaults are the sandbox's (client
/// credentials, `sbx`, timeouts, tries); the URLs have none. `sandbox_config(base_url)` fills the
/// URLs the way `locker-sandbox` lays them out.
#[derive(Clone, uniffi::Record)]
pub struct BackboneConfig {
    /// Base of the gateway (sessions at `{gateway_url}/gateway/v3/sessions`).
    pub gateway_url: String,
    /// Base of the ABHA service.
    pub abha_url: String,
    #[uniffi(default = "healthlocker-sandbox")]
    pub client_id: String,
    #[uniffi(default = "sandbox-secret")]
    pub client_secret: String,
    /// `X-CM-ID`: `sbx` in the sandbox, `abdm` in production.
    #[uniffi(default = "sbx")]
    pub cm_id: String,
    #[uniffi(default = 10000)]
    pub connect_timeout_ms: u64,
    #[uniffi(default = 30000)]
    pub read_timeout_ms: u64,
    /// Tries per call, the first included.
    #[uniffi(default = 6)]
    pub max_attempts: u32,
    /// The longest `Retry-After` honoured within one call.
    #[uniffi(default = 30000)]
    pub max_retry_after_ms: u64,
    /// First pause between tries; it doubles up to `max_backoff_ms`.
    #[uniffi(default = 50)]
    pub initial_backoff_ms: u64,
    #[uniffi(default = 2000)]
    pub max_backoff_ms: u64,
    /// Keys the backbone's certificate chain must pass through, each `sha256/<base64>` of a
    /// SubjectPublicKeyInfo; pin a backup key too. Empty: no pinning. HTTPS only.
    #[uniffi(default = [])]
    pub pinned_keys: Vec<String>,
    /// Root certificates (PEM) trusted besides the public ones: a private deployment's CA.
    #[uniffi(default = "")]
    pub extra_roots_pem: String,
}

impl From<locker_core::BackboneConfig> for BackboneConfig {
    fn from(c: locker_core::BackboneConfig) -> Self {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        BackboneConfig {
            gateway_url: c.gateway_url,
            abha_url: c.abha_url,
            client_id: c.client_id,
            client_secret: c.client_secret,
            cm_id: c.cm_id,
            connect_timeout_ms: ms(c.connect_timeout),
            read_timeout_ms: ms(c.read_timeout),
            max_attempts: c.max_attempts,
            max_retry_after_ms: ms(c.max_retry_after),
            initial_backoff_ms: ms(c.initial_backoff),
            max_backoff_ms: ms(c.max_backoff),
            pinned_keys: c.pinned_keys,
            extra_roots_pem: c.extra_roots_pem,
        }
    }
}

impl From<BackboneConfig> for locker_core::BackboneConfig {
    fn from(c: BackboneConfig) -> Self {
        locker_core::BackboneConfig {
            gateway_url: c.gateway_url,
            abha_url: c.abha_url,
            client_id: c.client_id,
            client_secret: c.client_secret,
            cm_id: c.cm_id,
            connect_timeout: Duration::from_millis(c.connect_timeout_ms),
            read_timeout: Duration::from_millis(c.read_timeout_ms),
            max_attempts: c.max_attempts,
            max_retry_after: Duration::from_millis(c.max_retry_after_ms),
            initial_backoff: Duration::from_millis(c.initial_backoff_ms),
            max_backoff: Duration::from_millis(c.max_backoff_ms),
            pinned_keys: c.pinned_keys,
            extra_roots_pem: c.extra_roots_pem,
        }
    }
}

// The secret stays out of logs, as in the core.
impl std::fmt::Debug for BackboneConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&locker_core::BackboneConfig::from(self.clone()), f)
    }
}

/// The sandbox's configuration for a backbone at `base_url`: gateway there, ABHA service at
/// `{base_url}/abha/api`.
#[uniffi::export]
pub fn sandbox_config(base_url: String) -> BackboneConfig {
    locker_core::BackboneConfig::sandbox(&base_url).into()
}

/// The pin (`sha256/<base64>` of its SubjectPublicKeyInfo) of the first certificate in `pem`,
/// for `BackboneConfig.pinned_keys`.
#[uniffi::export]
pub fn pin_of_certificate(pem: String) -> Result<String, LockerError> {
    run(|| locker_core::sync::pin_of_certificate(&pem))
}

/// A connection to the backbone: one connection pool and the cached gateway session. Make one
/// per app and pass it to the calls that need the network.
#[derive(uniffi::Object)]
pub struct Backbone {
    pub(crate) core: Arc<locker_core::Backbone>,
}

#[uniffi::export]
impl Backbone {
    /// Refuses plain HTTP beyond this machine, no tries or zero timeouts (`InvalidInput`).
    /// Connects nothing yet.
    #[uniffi::constructor]
    pub fn new(config: BackboneConfig) -> Result<Arc<Self>, LockerError> {
        run(|| Ok(Arc::new(Backbone { core: Arc::new(locker_core::Backbone::new(config.into())?) })))
    }

    pub fn config(&self) -> BackboneConfig {
        self.core.config().clone().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_crosses_both_ways_unchanged() {
        let core = locker_core::BackboneConfig::sandbox("http://127.0.0.1:9/");
        let back = locker_core::BackboneConfig::from(BackboneConfig::from(core.clone()));
        assert_eq!(format!("{core:?}"), format!("{back:?}"));
        assert_eq!(
            (back.connect_timeout, back.read_timeout, back.max_retry_after, back.initial_backoff, back.max_backoff),
            (core.connect_timeout, core.read_timeout, core.max_retry_after, core.initial_backoff, core.max_backoff)
        );
        assert_eq!((back.client_secret, back.max_attempts), (core.client_secret, core.max_attempts));
        assert!(!format!("{:?}", sandbox_config("http://127.0.0.1:9".into())).contains("sandbox-secret"));
    }
}
