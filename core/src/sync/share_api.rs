//! Scan & Share's calls (PROTOCOL.md, "Scan & Share (v3)"): the patient's share and token list
//! on `{hiecm}` with their `X-AUTH-TOKEN`; a facility's link-token request (`X-HIP-ID`); and the
//! signed-QR issuer (docs/signed-qr.md) where the configuration names one. Bodies are built and
//! answers read by `share::wire`; this file only carries them.

use super::client::{Backbone, Base, Call};
use crate::error::{Error, Result};
use serde_json::{Value, json};
use zeroize::Zeroizing;

/// How many recent shares the token list asks for.
pub(crate) const TOKEN_LIST_LIMIT: u32 = 10;

impl Backbone {
    /// Shares the patient's profile with a facility's counter, under the outbox item's
    /// REQUEST-ID; `X-HIU-ID` is this app's client id (the PHR app's, in ABDM's words).
    pub(crate) async fn share_profile(
        &self,
        request_id: &str,
        token: &Zeroizing<String>,
        body: Value,
    ) -> Result<Value> {
        let hiu = self.config().client_id.clone();
        let call = Call::post(Base::Hiecm, "/patient-share/v3/share", request_id, body).header("X-HIU-ID", &hiu);
        self.citizen(call, token, "share").await
    }

    /// The patient's recent shares and their tokens.
    pub(crate) async fn share_tokens(&self, token: &Zeroizing<String>) -> Result<Value> {
        let rid = crate::crypto::random_uid()?;
        let path = format!("/patient-share/v3/profile/getTokenDetails?limit={TOKEN_LIST_LIMIT}");
        self.citizen(Call::get(Base::Hiecm, &path, &rid), token, "token-details").await
    }

    /// A facility asks for a link token for a patient its counter registered.
    pub(crate) async fn generate_link_token(&self, request_id: &str, hip_id: &str, body: Value) -> Result<Value> {
        let call = Call::post(Base::Hiecm, "/v3/token/generate-token", request_id, body).header("X-HIP-ID", hip_id);
        self.consent_manager(call, "generate-token").await
    }

    fn issuer_path(&self, leaf: &str) -> Result<String> {
        let base = self.config().qr_issuer_path.as_deref().ok_or(Error::NotFound("signed-QR issuer"))?;
        Ok(format!("{}/{leaf}", base.trim_end_matches('/')))
    }

    /// Asks the issuer to certify this device's QR-signing key (uncompressed SEC1).
    pub(crate) async fn certify_qr_key(&self, token: &Zeroizing<String>, public_key: &[u8]) -> Result<Value> {
        use base64::Engine as _;
        let path = self.issuer_path("certificates")?;
        let rid = crate::crypto::random_uid()?;
        let body = json!({ "publicKey": base64::engine::general_purpose::STANDARD.encode(public_key) });
        let call = Call::post(Base::Gateway, &path, &rid, body).header("X-AUTH-TOKEN", token);
        self.call(&call).await?.json("qr-certificate")
    }

    /// The issuers' keys and the revocation list, as JSON text (kept as fetched).
    pub(crate) async fn qr_trust_list(&self) -> Result<Vec<u8>> {
        let path = self.issuer_path("trust-list")?;
        let rid = crate::crypto::random_uid()?;
        Ok(self.call(&Call::get(Base::Gateway, &path, &rid)).await?.body)
    }
}
