//! `Backbone`: the connection to ABDM's backbone (or the loopback sandbox), built from a
//! `BackboneConfig`. Durations cross the FFI as milliseconds. No credential has a default: the
//! app passes the client id and secret ABDM issued it. The secret crosses as a `ClientSecret`
//! object, which no generated `toString`, `description` or `repr` can print.

use crate::error::{LockerError, run};
use locker_core::Preset;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// A client secret, opaque to the app once made: it prints as nothing and is wiped when freed.
#[derive(uniffi::Object)]
pub struct ClientSecret {
    secret: Zeroizing<String>,
}

#[uniffi::export]
impl ClientSecret {
    #[uniffi::constructor]
    pub fn new(secret: String) -> Arc<Self> {
        Arc::new(ClientSecret { secret: Zeroizing::new(secret) })
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// Where the backbone is and who we are to it. `backbone_preset` fills the addresses for ABDM's
/// sandbox or for `locker-sandbox`; timeouts and tries have defaults.
#[derive(Clone, Debug, uniffi::Record)]
pub struct BackboneConfig {
    /// Base of the gateway (sessions at `{gateway_url}/gateway/v3/sessions`).
    pub gateway_url: String,
    /// Base of the ABHA service.
    pub abha_url: String,
    /// Base of the consent manager, `{hiecm}`.
    pub hiecm_url: String,
    /// The PHR app's host, as facility QR codes carry it.
    pub phr_url: String,
    /// Path on the gateway of the consent manager's artefact-signing keys (JWKS); none when its
    /// signing scheme is unknown (artefacts are then kept as unverified).
    pub consent_keys_path: Option<String>,
    /// Path on the gateway of the signed-QR issuer (certificates, trust list); none where the
    /// deployment has no issuer (then signed codes can be neither made nor checked).
    #[uniffi(default)]
    pub qr_issuer_path: Option<String>,
    /// The locker's own relay, where callbacks and hospitals' pushes wait for the phone; none
    /// until the deployment runs one (then records cannot be pulled).
    #[uniffi(default)]
    pub relay_url: Option<String>,
    /// The id the app is registered under as a HIU and a HIP; none: the client id.
    #[uniffi(default)]
    pub service_id: Option<String>,
    pub client_id: String,
    pub client_secret: Arc<ClientSecret>,
    /// `X-CM-ID`: `sbx` in the sandbox, `abdm` in production.
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
    /// First pause between tries; it doubles (jittered) up to `max_backoff_ms`.
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
            hiecm_url: c.hiecm_url,
            phr_url: c.phr_url,
            consent_keys_path: c.consent_keys_path,
            qr_issuer_path: c.qr_issuer_path,
            relay_url: c.relay_url,
            service_id: c.service_id,
            client_id: c.client_id,
            client_secret: Arc::new(ClientSecret { secret: c.client_secret }),
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
            hiecm_url: c.hiecm_url,
            phr_url: c.phr_url,
            consent_keys_path: c.consent_keys_path,
            qr_issuer_path: c.qr_issuer_path,
            relay_url: c.relay_url,
            service_id: c.service_id,
            client_id: c.client_id,
            client_secret: c.client_secret.secret.clone(),
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

/// A configuration for a known deployment (ABDM's sandbox, or `locker-sandbox` at a base URL)
/// with the app's own credentials.
#[uniffi::export]
pub fn backbone_preset(preset: Preset, client_id: String, client_secret: Arc<ClientSecret>) -> BackboneConfig {
    locker_core::BackboneConfig::preset(&preset, &client_id, &client_secret.secret).into()
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
    /// Refuses plain HTTP beyond this machine, missing credentials, no tries or zero timeouts
    /// (`InvalidInput`). Connects nothing yet.
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
    fn a_config_crosses_both_ways_unchanged_and_never_shows_its_secret() {
        let core = locker_core::BackboneConfig::local("http://127.0.0.1:9/", "client", "s3cret-value");
        let back = locker_core::BackboneConfig::from(BackboneConfig::from(core.clone()));
        assert_eq!(format!("{core:?}"), format!("{back:?}"));
        assert_eq!(
            (back.connect_timeout, back.read_timeout, back.max_retry_after, back.initial_backoff, back.max_backoff),
            (core.connect_timeout, core.read_timeout, core.max_retry_after, core.initial_backoff, core.max_backoff)
        );
        assert_eq!((back.client_secret.as_str(), back.max_attempts), (core.client_secret.as_str(), core.max_attempts));
        let preset = backbone_preset(
            Preset::Local { base: "http://127.0.0.1:9".into() },
            "client".into(),
            ClientSecret::new("s3cret-value".into()),
        );
        assert!(!format!("{preset:?}").contains("s3cret"));
        assert_eq!(preset.abha_url, "http://127.0.0.1:9/abha/api");
    }
}
