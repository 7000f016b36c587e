//! The calls of linking and of the health-information exchange (PROTOCOL.md, Care contexts and
//! Health-information exchange), and of the locker's own relay (its mailbox). Bodies are built
//! and answers read by the domains (`links`, `exchange`); this file only carries them.

use super::client::{Backbone, Base, Call};
use crate::error::Result;
use serde_json::{Value, json};
use zeroize::Zeroizing;

impl Backbone {
    /// The id this app acts under as a HIU (its citizen's own requests, `PATRQT`) and as a HIP
    /// (its answers to doctors' requests for the records it holds).
    pub(crate) fn service_id(&self) -> String {
        self.config().service_id().to_string()
    }

    /// Finds the citizen's records at a facility by their mobile number.
    pub(crate) async fn discover(&self, token: &Zeroizing<String>, request_id: &str, body: Value) -> Result<Value> {
        let path = "/user-initiated-linking/v3/patient/care-context/discover";
        let call = Call::post(Base::Hiecm, path, request_id, body).header("X-HIU-ID", &self.service_id());
        self.citizen(call, token, "discover").await
    }

    /// Asks the facility to link the chosen care contexts: it sends the citizen an OTP.
    pub(crate) async fn link_init(&self, token: &Zeroizing<String>, request_id: &str, body: Value) -> Result<Value> {
        let path = "/user-initiated-linking/v3/link/care-context/init";
        let call = Call::post(Base::Hiecm, path, request_id, body).header("X-HIU-ID", &self.service_id());
        self.citizen(call, token, "link-init").await
    }

    /// Confirms a link with the OTP.
    pub(crate) async fn link_confirm(
        &self,
        token: &Zeroizing<String>,
        request_id: &str,
        link_ref: &str,
        otp: &str,
    ) -> Result<Value> {
        let path = "/user-initiated-linking/v3/link/care-context/confirm";
        let body = json!({ "linkRefNumber": link_ref, "token": otp });
        let call = Call::post(Base::Hiecm, path, request_id, body).header("X-HIU-ID", &self.service_id());
        self.citizen(call, token, "link-confirm").await
    }

    /// Every care context linked to the citizen, by them or by a facility.
    pub(crate) async fn links(&self, token: &Zeroizing<String>) -> Result<Value> {
        let rid = crate::crypto::random_uid()?;
        self.citizen(Call::get(Base::Hiecm, "/hip/v3/link/patient/links", &rid), token, "links").await
    }

    /// Raises the locker's own consent request for its citizen (`PATRQT`), as a HIU.
    pub(crate) async fn self_consent_request(&self, request_id: &str, body: Value) -> Result<Value> {
        let call = Call::post(Base::Hiecm, "/consent/v3/request/init", request_id, body)
            .header("X-HIU-ID", &self.service_id());
        self.consent_manager(call, "consent-init").await
    }

    /// Asks, as a HIU, for the records an artefact grants: the HIP pushes them to our relay.
    pub(crate) async fn health_information_request(&self, request_id: &str, body: Value) -> Result<Value> {
        let path = "/data-flow/v3/health-information/request";
        let call = Call::post(Base::Hiecm, path, request_id, body).header("X-HIU-ID", &self.service_id());
        self.consent_manager(call, "health-information-request").await
    }

    /// Tells the consent manager how a transfer went (as the HIU that received it, or as the
    /// HIP that sent it).
    pub(crate) async fn health_information_notify(&self, request_id: &str, body: Value) -> Result<Value> {
        let path = "/data-flow/v3/health-information/notify";
        self.consent_manager(Call::post(Base::Hiecm, path, request_id, body), "health-information-notify").await
    }

    /// Acknowledges, as the HIP, a data request that reached us.
    pub(crate) async fn hip_on_request(&self, request_id: &str, body: Value) -> Result<Value> {
        let path = "/data-flow/v3/health-information/hip/on-request";
        let call = Call::post(Base::Hiecm, path, request_id, body).header("X-HIP-ID", &self.service_id());
        self.consent_manager(call, "hip-on-request").await
    }

    /// Pushes one page of records straight to the HIU's `dataPushUrl` (not through the gateway).
    pub(crate) async fn push_page(&self, url: &str, request_id: &str, body: Value) -> Result<()> {
        self.call(&Call::post(Base::Url, url, request_id, body)).await.map(drop)
    }

    /// Opens (or opens again, with a new secret) the citizen's mailbox on the relay.
    pub(crate) async fn relay_register(&self, token: &Zeroizing<String>) -> Result<Value> {
        let rid = crate::crypto::random_uid()?;
        let call = Call::post(Base::Relay, "/v1/mailboxes", &rid, json!({})).header("X-AUTH-TOKEN", token);
        self.call(&call).await?.json("relay-mailbox")
    }

    /// Reads the mailbox after `after`: at most `limit` messages and, past the first,
    /// `max_bytes` of bodies.
    pub(crate) async fn relay_messages(
        &self,
        mailbox: &str,
        secret: &Zeroizing<String>,
        after: i64,
        limit: u32,
        max_bytes: u64,
    ) -> Result<(Value, usize)> {
        let rid = crate::crypto::random_uid()?;
        let path = format!("/v1/mailboxes/{mailbox}/messages?after={after}&limit={limit}&maxBytes={max_bytes}");
        let call = Call::get(Base::Relay, &path, &rid).header("X-MAILBOX-SECRET", secret);
        let answer = self.call(&call).await?;
        Ok((answer.json("relay-messages")?, answer.body.len()))
    }

    /// Removes messages the locker has kept (or has no use for) from the mailbox.
    pub(crate) async fn relay_ack(&self, mailbox: &str, secret: &Zeroizing<String>, seqs: &[i64]) -> Result<()> {
        let rid = crate::crypto::random_uid()?;
        let path = format!("/v1/mailboxes/{mailbox}/ack");
        let call = Call::post(Base::Relay, &path, &rid, json!({ "seqs": seqs })).header("X-MAILBOX-SECRET", secret);
        self.call(&call).await.map(drop)
    }

    /// The relay's address for pushes to this mailbox under `tag` (a pull's own id).
    pub(crate) fn push_url(&self, mailbox: &str, tag: &str) -> Result<String> {
        let relay = self
            .config()
            .relay_url
            .as_deref()
            .ok_or_else(|| crate::error::Error::InvalidInput("the backbone configuration names no relay".into()))?;
        Ok(format!("{}/v1/push/{mailbox}/{tag}", relay.trim_end_matches('/')))
    }
}
