//! The backbone client: one HTTP connection pool, the cached gateway session, ABDM's headers on
//! every call, and the one retry policy (`retry.rs`) for every call, the session call included.
//!
//! Every try of a call carries the same `REQUEST-ID`, the backbone's idempotency key, so a try
//! whose answer was lost is answered again, not applied again. A connection that fails or drops,
//! a timeout and a 5xx are tried again after the policy's pause; a 429 waits its `Retry-After`
//! (a longer one ends the call as `RateLimited`); a rejected token (`900901`, or a 401 with no
//! body) drops the session and tries again at once with a fresh one. Any other answer is final.
//!
//! Logging in. ABDM locks a client id out for eight minutes after eight refused logins, for
//! every device that shares it. So a refused login is never retried at once: for
//! [`LOGIN_REFUSED_PAUSE`] every call of that client id fails with `Unauthorized` without
//! reaching the network, and a login answered with a long 429 pauses logging in the same way.
//! The pause belongs to the credentials, not to one `Backbone`: every `Backbone` of this process
//! with the same gateway, client id and secret shares it, and the `Locker` keeps it in the store
//! so it holds across restarts of the app (or runs of the CLI). Mended credentials (another
//! secret) are tried at once: one try per secret, never eight of the same.

use super::config::BackboneConfig;
use super::retry::RetryPolicy;
use super::wire;
use crate::clock::{self, Clock};
use crate::error::{Error, Result};
use crate::time::iso_utc;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use zeroize::Zeroizing;

/// A connection to the backbone. Cheap to share; one per app is enough.
pub struct Backbone {
    http: reqwest::Client,
    config: BackboneConfig,
    policy: RetryPolicy,
    session: tokio::sync::Mutex<Option<Session>>,
    clock: Arc<dyn Clock>,
}

/// How long no login is tried after the backbone refused the client's credentials: longer than
/// ABDM's eight-minute lock-out, so a client with a wrong secret never earns one.
pub const LOGIN_REFUSED_PAUSE: Duration = Duration::from_secs(10 * 60);

/// Why logging in is paused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PauseReason {
    /// The credentials were refused.
    Refused,
    /// The gateway asked for a pause longer than a call may wait (`code` is its error code).
    Throttled { code: String },
}

/// A pause in logging in for one client id: from `since_ms` to `until_ms` on the client's clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LoginPause {
    pub since_ms: i64,
    pub until_ms: i64,
    pub reason: PauseReason,
}

impl LoginPause {
    /// Whether it holds at `now`. A clock set back before it began (a cheap phone's wrong date,
    /// mended) ends it rather than stretching it by however far the clock moved.
    pub(crate) fn holds_at(&self, now: i64) -> bool {
        (self.since_ms..self.until_ms).contains(&now)
    }

    fn error(&self, now: i64) -> Error {
        match &self.reason {
            PauseReason::Refused => Error::Unauthorized,
            PauseReason::Throttled { code } => Error::RateLimited {
                code: code.clone(),
                retry_after_s: u64::try_from((self.until_ms - now).max(0) / 1000).unwrap_or(0),
            },
        }
    }
}

/// The login pauses of this process, by client (`BackboneConfig::client_key`).
static PAUSES: LazyLock<Mutex<HashMap<String, LoginPause>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn pauses() -> std::sync::MutexGuard<'static, HashMap<String, LoginPause>> {
    PAUSES.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) struct Session {
    token: Zeroizing<String>,
    expires_at_ms: i64,
    refresh_at_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base {
    /// Sessions.
    Gateway,
    Abha,
    /// The consent manager, `{hiecm}`.
    Hiecm,
    /// The locker's own relay (`relay_url`): no gateway session, its own credentials.
    Relay,
    /// `path` is a whole URL from outside (a HIU's `dataPushUrl`): no gateway session.
    Url,
}

impl Base {
    /// Whether calls here carry the gateway's session (ABDM's services do; the relay and a
    /// push straight to a HIU do not).
    fn gateway(self) -> bool {
        !matches!(self, Base::Relay | Base::Url)
    }
}

/// One call, as sent (every try the same).
pub(crate) struct Call<'a> {
    pub post: bool,
    pub base: Base,
    pub path: &'a str,
    pub body: Option<Value>,
    pub request_id: &'a str,
    /// Route-specific headers (`TRANSACTION_ID`, `X-TOKEN`).
    pub headers: Vec<(&'static str, Zeroizing<String>)>,
}

impl<'a> Call<'a> {
    pub(crate) fn get(base: Base, path: &'a str, request_id: &'a str) -> Self {
        Call { post: false, base, path, body: None, request_id, headers: Vec::new() }
    }

    pub(crate) fn post(base: Base, path: &'a str, request_id: &'a str, body: Value) -> Self {
        Call { post: true, base, path, body: Some(body), request_id, headers: Vec::new() }
    }

    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, Zeroizing::new(value.to_string())));
        self
    }
}

/// A successful answer.
pub(crate) struct Answer {
    pub body: Vec<u8>,
}

impl Answer {
    /// The answer as JSON; `what` names it in the error if it is not (never its content).
    pub(crate) fn json(&self, what: &str) -> Result<Value> {
        serde_json::from_slice(&self.body).map_err(|_| Error::UnreadableAnswer { what: what.into() })
    }
}

/// What one try came to.
enum Try {
    Done(Answer),
    /// Try again after the pause the backbone asked for, or the policy's.
    Again {
        asked: Option<Duration>,
        last: Error,
    },
    /// The access token was refused: log in again and try at once.
    TokenRejected,
    Final(Error),
}

impl Backbone {
    pub fn new(config: BackboneConfig) -> Result<Backbone> {
        Backbone::with_clock(config, clock::system())
    }

    pub fn with_clock(config: BackboneConfig, clock: Arc<dyn Clock>) -> Result<Backbone> {
        config.validate()?;
        let tls = super::tls::client_config(&config)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .timeout(config.connect_timeout + config.read_timeout * 2)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .map_err(|_| Error::InvalidInput("the HTTP client could not be set up".into()))?;
        let policy = RetryPolicy::of(&config);
        Ok(Backbone { http, config, policy, session: tokio::sync::Mutex::new(None), clock })
    }

    pub fn config(&self) -> &BackboneConfig {
        &self.config
    }

    pub(crate) fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The login pause this client id is under, if any (for the store to keep).
    pub(crate) fn login_pause(&self) -> Option<LoginPause> {
        pauses().get(&self.config.client_key()).cloned()
    }

    /// Takes on a pause the store kept from an earlier run, unless a later one is known.
    pub(crate) fn remember_login_pause(&self, p: LoginPause) {
        let mut all = pauses();
        let known = all.entry(self.config.client_key()).or_insert_with(|| p.clone());
        if p.until_ms > known.until_ms {
            *known = p;
        }
    }

    /// Sends `call`, trying again as the module's rule says, and returns the successful answer.
    pub(crate) async fn call(&self, call: &Call<'_>) -> Result<Answer> {
        if !call.base.gateway() {
            let url = self.url(call.base, call.path)?;
            return self.with_retries(|| self.try_once(call, &url, None)).await;
        }
        let url = self.url(call.base, call.path)?;
        self.with_retries(|| async {
            match self.access_token().await {
                Ok(token) => self.try_once(call, &url, Some(&token)).await,
                Err(e) => Try::Final(e),
            }
        })
        .await
    }

    /// The one retry loop: every call, the session call included.
    async fn with_retries<F, Fut>(&self, mut once: F) -> Result<Answer>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Try>,
    {
        let mut failed = 0u32;
        loop {
            let (asked, last) = match once().await {
                Try::Done(answer) => return Ok(answer),
                Try::Final(e) => return Err(e),
                Try::TokenRejected => (Some(Duration::ZERO), Error::Unauthorized),
                Try::Again { asked, last } => (asked, last),
            };
            failed += 1;
            match self.policy.next_try(failed, asked) {
                Some(pause) => tokio::time::sleep(pause).await,
                None => return Err(last),
            }
        }
    }

    async fn try_once(&self, call: &Call<'_>, url: &str, token: Option<&str>) -> Try {
        let mut req = if call.post { self.http.post(url) } else { self.http.get(url) };
        req = req.headers(self.common_headers(call.request_id));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        for (name, value) in &call.headers {
            req = req.header(*name, value.as_str());
        }
        if let Some(body) = &call.body {
            req = req.header("Content-Type", "application/json").body(body.to_string());
        }
        let (status, asked, body) = match self.exchange(req).await {
            Ok(answer) => answer,
            Err(t) => return t,
        };
        match status {
            200..=299 => Try::Done(Answer { body }),
            401 | 403 if token.is_some() && wire::is_token_rejection(status, &body) => {
                self.drop_session(token.unwrap_or_default()).await;
                Try::TokenRejected
            }
            429 => match wire::refusal(status, &body) {
                // Some refusals travel as 429s (too many OTPs): final, not a pause to wait out.
                e @ (Error::OtpLocked | Error::OtpLimit) => Try::Final(e),
                _ => Try::Again { asked: Some(asked.unwrap_or(self.policy.initial)), last: rate_limited(&body, asked) },
            },
            500..=599 => Try::Again { asked: None, last: wire::refusal(status, &body) },
            _ => Try::Final(wire::refusal(status, &body)),
        }
    }

    /// Sends one request and reads its whole answer: (status, `Retry-After`, body), or what the
    /// try came to when there is no answer to read.
    async fn exchange(
        &self,
        req: reqwest::RequestBuilder,
    ) -> std::result::Result<(u16, Option<Duration>, Vec<u8>), Try> {
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                // A refused certificate is not mended by trying again; no network may be.
                return Err(if super::tls::is_certificate_failure(&e) {
                    Try::Final(Error::UntrustedBackbone)
                } else {
                    Try::Again { asked: None, last: Error::Offline }
                });
            }
        };
        let status = resp.status().as_u16();
        let asked = retry_after(&resp);
        match resp.bytes().await {
            Ok(b) => Ok((status, asked, b.to_vec())),
            // The answer broke off: whether the call was applied is unknown, and the same
            // REQUEST-ID makes asking again safe.
            Err(_) => Err(Try::Again { asked: None, last: Error::Offline }),
        }
    }

    fn url(&self, base: Base, path: &str) -> Result<String> {
        let base = match base {
            Base::Gateway => &self.config.gateway_url,
            Base::Abha => &self.config.abha_url,
            Base::Hiecm => &self.config.hiecm_url,
            Base::Relay => self
                .config
                .relay_url
                .as_ref()
                .ok_or_else(|| Error::InvalidInput("the backbone configuration names no relay".into()))?,
            Base::Url => {
                super::config::check_url(path, !self.config.pinned_keys.is_empty())?;
                return Ok(path.to_string());
            }
        };
        Ok(format!("{}{path}", base.trim_end_matches('/')))
    }

    fn common_headers(&self, request_id: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let mut put = |name: &'static str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(name, v);
            }
        };
        put("REQUEST-ID", request_id);
        put("TIMESTAMP", &iso_utc(self.clock.now_ms()));
        put("X-CM-ID", &self.config.cm_id);
        h
    }

    /// The cached access token, fetched or refreshed when it is missing or close to expiry.
    /// While logging in is paused for this client id, fails at once with the reason, sending
    /// nothing.
    async fn access_token(&self) -> Result<Zeroizing<String>> {
        let mut session = self.session.lock().await;
        let now = self.clock.now_ms();
        if let Some(s) = session.as_ref()
            && now < s.refresh_at_ms
            && now < s.expires_at_ms
        {
            return Ok(s.token.clone());
        }
        let key = self.config.client_key();
        {
            let mut all = pauses();
            match all.get(&key) {
                Some(p) if p.holds_at(now) => return Err(p.error(now)),
                Some(_) => {
                    all.remove(&key);
                }
                None => {}
            }
        }
        match self.open_session().await {
            Ok(fresh) => {
                let token = fresh.token.clone();
                *session = Some(fresh);
                Ok(token)
            }
            Err(error) => {
                let since = self.clock.now_ms();
                let pause = match &error {
                    Error::Unauthorized => Some((LOGIN_REFUSED_PAUSE, PauseReason::Refused)),
                    Error::RateLimited { code, retry_after_s } => {
                        Some((Duration::from_secs(*retry_after_s), PauseReason::Throttled { code: code.clone() }))
                    }
                    _ => None,
                };
                if let Some((wait, reason)) = pause {
                    let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                    pauses()
                        .insert(key, LoginPause { since_ms: since, until_ms: since.saturating_add(wait_ms), reason });
                }
                Err(error)
            }
        }
    }

    /// Forgets `token` if it is still the cached one (another call may have refreshed it).
    async fn drop_session(&self, token: &str) {
        let mut session = self.session.lock().await;
        if session.as_ref().is_some_and(|s| s.token.as_str() == token) {
            *session = None;
        }
    }

    /// The session call, through the same retry loop as every other call. Any 4xx but 429 comes
    /// back as `Unauthorized` at once (each refusal counts towards ABDM's lock-out); a long 429
    /// as `RateLimited`.
    async fn open_session(&self) -> Result<Session> {
        let body = json!({
            "clientId": self.config.client_id,
            "clientSecret": self.config.client_secret.as_str(),
            "grantType": "client_credentials",
        })
        .to_string();
        let url = self.url(Base::Gateway, "/gateway/v3/sessions")?;
        let answer = self
            .with_retries(|| async {
                let request_id = match crate::crypto::random_uid() {
                    Ok(id) => id,
                    Err(e) => return Try::Final(e),
                };
                let req = self
                    .http
                    .post(&url)
                    .headers(self.common_headers(&request_id))
                    .header("Content-Type", "application/json")
                    .body(body.clone());
                let (status, asked, answer) = match self.exchange(req).await {
                    Ok(a) => a,
                    Err(t) => return t,
                };
                match status {
                    200..=299 => Try::Done(Answer { body: answer }),
                    429 => Try::Again {
                        asked: Some(asked.unwrap_or(self.policy.initial)),
                        last: rate_limited(&answer, asked),
                    },
                    // Whatever the gateway's words (ABDM answers refused credentials with 400,
                    // 401 or 403 depending on the route's age), a login it will not take is a
                    // refusal of our credentials or our gateway address: paused, never repeated.
                    400..=499 => Try::Final(Error::Unauthorized),
                    _ => Try::Again { asked: None, last: wire::refusal(status, &answer) },
                }
            })
            .await?;
        self.read_session(&answer.body)
    }

    fn read_session(&self, body: &[u8]) -> Result<Session> {
        read_session(body, self.clock.now_ms())
    }
}

impl std::fmt::Debug for Backbone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backbone").field("config", &self.config).finish_non_exhaustive()
    }
}

/// A session answer read at `now`: its token, and when to refresh it (a tenth of its lifetime,
/// at least a minute, for slow networks, before it expires).
pub(crate) fn read_session(body: &[u8], now: i64) -> Result<Session> {
    let v: Value = serde_json::from_slice(body).map_err(|_| Error::UnreadableAnswer { what: "session".into() })?;
    let token = wire::text(&v, &["accessToken", "access_token"])
        .ok_or_else(|| Error::UnreadableAnswer { what: "session".into() })?;
    let lifetime_s = v.get("expiresIn").or_else(|| v.get("expires_in")).and_then(Value::as_i64).unwrap_or(600);
    let lifetime_ms = lifetime_s.clamp(1, 365 * 86_400) * 1000;
    let margin = (lifetime_ms / 10).max(60_000).min(lifetime_ms / 2);
    Ok(Session {
        token: Zeroizing::new(token.to_string()),
        expires_at_ms: now.saturating_add(lifetime_ms),
        refresh_at_ms: now.saturating_add(lifetime_ms - margin),
    })
}

/// The `Retry-After` of an answer, in seconds (the form ABDM uses).
fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// A 429 as the error a call that cannot wait it out ends with.
fn rate_limited(body: &[u8], asked: Option<Duration>) -> Error {
    Error::RateLimited {
        code: wire::error_code(body).unwrap_or_else(|| "none".into()),
        retry_after_s: asked.map_or(1, |d| d.as_secs().max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_lifetime_of_any_size_neither_overflows_nor_expires_before_it_is_used() {
        for (body, now) in [
            (r#"{"accessToken":"t","expiresIn":9223372036854775807}"#, 1_700_000_000_000),
            (r#"{"accessToken":"t","expiresIn":-5}"#, 1_700_000_000_000),
            (r#"{"accessToken":"t","expiresIn":1200}"#, i64::MAX - 1),
        ] {
            let s = read_session(body.as_bytes(), now).unwrap();
            assert!(s.refresh_at_ms <= s.expires_at_ms && s.expires_at_ms >= now.min(i64::MAX - 1), "{body}");
        }
        assert!(matches!(read_session(b"{}", 0), Err(Error::UnreadableAnswer { .. })));
    }

    #[test]
    fn a_pause_ends_when_the_clock_is_set_back_before_it_began() {
        let p = LoginPause { since_ms: 1000, until_ms: 5000, reason: PauseReason::Refused };
        assert!(p.holds_at(1000) && p.holds_at(4999));
        assert!(!p.holds_at(999) && !p.holds_at(5000));
    }
}
