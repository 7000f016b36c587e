//! The consent manager's patient-side calls (PROTOCOL.md, Consent): `{hiecm}/consent/v3/…`
//! with the citizen's `X-AUTH-TOKEN`, and the keys it signs artefacts with. Bodies are built
//! and answers read by `consent::wire`; this file only carries them.

use super::client::{Backbone, Base, Call};
use crate::consent::wire::refused_in_body;
use crate::error::{Error, Result};
use serde_json::{Value, json};
use zeroize::Zeroizing;

/// How many requests or artefacts one page asks for.
pub(crate) const PAGE: u32 = 100;

/// A read's REQUEST-ID: it changes nothing, so it needs no keeping.
fn fresh_id() -> Result<String> {
    crate::crypto::random_uid()
}

impl Backbone {
    /// A patient-side call with the citizen's login token; a 2xx body holding `error` fails.
    pub(crate) async fn citizen(&self, call: Call<'_>, token: &Zeroizing<String>, what: &str) -> Result<Value> {
        self.consent_manager(call.header("X-AUTH-TOKEN", token), what).await
    }

    /// A consent-manager call's answer as JSON (`{}` for an empty 202); a 2xx body holding
    /// `error` fails.
    pub(crate) async fn consent_manager(&self, call: Call<'_>, what: &str) -> Result<Value> {
        let answer = self.call(&call).await?;
        let v = if answer.body.iter().all(u8::is_ascii_whitespace) { json!({}) } else { answer.json(what)? };
        match refused_in_body(&v) {
            Some(e) => Err(e),
            None => Ok(v),
        }
    }

    /// One page of the citizen's consent requests.
    pub(crate) async fn consent_requests(&self, token: &Zeroizing<String>, offset: u32) -> Result<Value> {
        let rid = fresh_id()?;
        let path = format!("/consent/v3/request?limit={PAGE}&offset={offset}");
        self.citizen(Call::get(Base::Hiecm, &path, &rid), token, "consent-requests").await
    }

    /// One consent request.
    pub(crate) async fn consent_request(&self, token: &Zeroizing<String>, id: &str) -> Result<Value> {
        let rid = fresh_id()?;
        let path = format!("/consent/v3/request/{}", segment(id)?);
        self.citizen(Call::get(Base::Hiecm, &path, &rid), token, "consent-request").await
    }

    /// One page of the citizen's artefacts.
    pub(crate) async fn consent_artefacts(&self, token: &Zeroizing<String>, offset: u32) -> Result<Value> {
        let rid = fresh_id()?;
        let path = format!("/consent/v3/artefact?limit={PAGE}&offset={offset}");
        self.citizen(Call::get(Base::Hiecm, &path, &rid), token, "consent-artefacts").await
    }

    /// One artefact.
    pub(crate) async fn consent_artefact(&self, token: &Zeroizing<String>, id: &str) -> Result<Value> {
        let rid = fresh_id()?;
        let path = format!("/consent/v3/artefact/{}", segment(id)?);
        self.citizen(Call::get(Base::Hiecm, &path, &rid), token, "consent-artefact").await
    }

    /// The artefacts granted for one request.
    pub(crate) async fn consent_artefacts_of(&self, token: &Zeroizing<String>, request_id: &str) -> Result<Value> {
        let rid = fresh_id()?;
        let path = format!("/consent/v3/artefact/request/{}", segment(request_id)?);
        self.citizen(Call::get(Base::Hiecm, &path, &rid), token, "consent-artefacts").await
    }

    /// Approves a request (one consent per HIP), under the outbox item's REQUEST-ID.
    pub(crate) async fn approve_consent(
        &self,
        request_id: &str,
        token: &Zeroizing<String>,
        id: &str,
        body: Value,
    ) -> Result<Value> {
        let path = format!("/consent/v3/request/{}/approve", segment(id)?);
        self.citizen(Call::post(Base::Hiecm, &path, request_id, body), token, "consent-approve").await
    }

    /// Denies a request.
    pub(crate) async fn deny_consent(
        &self,
        request_id: &str,
        token: &Zeroizing<String>,
        id: &str,
        reason: Option<&str>,
    ) -> Result<Value> {
        let path = format!("/consent/v3/request/{}/deny", segment(id)?);
        let body = match reason {
            Some(r) => json!({ "reason": r }),
            None => json!({}),
        };
        self.citizen(Call::post(Base::Hiecm, &path, request_id, body), token, "consent-deny").await
    }

    /// Revokes artefacts.
    pub(crate) async fn revoke_consents(
        &self,
        request_id: &str,
        token: &Zeroizing<String>,
        ids: &[String],
    ) -> Result<Value> {
        let body = json!({ "consents": ids });
        self.citizen(Call::post(Base::Hiecm, "/consent/v3/revoke", request_id, body), token, "consent-revoke").await
    }

    /// Creates the citizen's auto-approval policy (it starts enabled); the answer holds its id.
    pub(crate) async fn auto_approval_create(
        &self,
        request_id: &str,
        token: &Zeroizing<String>,
        body: Value,
    ) -> Result<Value> {
        self.citizen(Call::post(Base::Hiecm, "/consent/v3/auto/approve", request_id, body), token, "auto-approval")
            .await
    }

    /// Enables or disables the citizen's auto-approval policy `id`.
    pub(crate) async fn auto_approval_switch(
        &self,
        request_id: &str,
        token: &Zeroizing<String>,
        id: &str,
        enabled: bool,
    ) -> Result<Value> {
        let path = format!("/consent/v3/auto/approve/{}/{}", segment(id)?, if enabled { "enable" } else { "disable" });
        self.citizen(Call::post(Base::Hiecm, &path, request_id, json!({})), token, "auto-approval").await
    }

    /// The consent manager's artefact-signing keys (a JWKS), where the configuration says it
    /// publishes them.
    pub(crate) async fn consent_keys(&self) -> Result<Option<Value>> {
        let Some(path) = self.config().consent_keys_path.clone() else { return Ok(None) };
        let rid = fresh_id()?;
        let answer = self.call(&Call::get(Base::Gateway, &path, &rid)).await?;
        Ok(Some(answer.json("jwks")?))
    }
}

/// An id put in a path: checked to be one (`consent::wire::is_id`: no `/`, `?`, `%`), never
/// trusted to be; a space travels as `%20`.
fn segment(id: &str) -> Result<String> {
    if crate::consent::wire::is_id(id) {
        Ok(id.replace(' ', "%20"))
    } else {
        Err(Error::InvalidInput("an id holds only letters, digits, spaces, '-' and '_'".into()))
    }
}
