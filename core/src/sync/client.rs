//! The backbone client: one HTTP connection pool, the cached gateway session, ABDM's headers
//! on every call, and the retry rule that lets a call survive a flaky network without ever
//! being applied twice.
//!
//! Retry rule. Every try of a call carries the same `REQUEST-ID`, the backbone's idempotency
//! key, so a try whose answer was lost is answered again, not applied again. A connection that
//! fails or drops, a timeout and a 5xx are tried again after a doubling pause; a 429 waits its
//! `Retry-After`; a rejected token (`900901`, or a 401 with no body) drops the session and
//! tries again at once with a fresh one. Any other answer is final.
//!
//! Logging in. ABDM locks a client id out for eight minutes after eight refused logins, for
//! every device that shares it. So a refused login is never retried at once: for
//! [`LOGIN_REFUSED_PAUSE`] every call fails with `Unauthorized` without reaching the network,
//! and a login answered 429 waits its `Retry-After` the same way, however many calls are queued.

use super::config::BackboneConfig;
use super::wire;
use crate::clock::{self, Clock};
use crate::error::{Error, Result};
use crate::time::iso_utc;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// A connection to the backbone. Cheap to share; one per app is enough.
pub struct Backbone {
    http: reqwest::Client,
    config: BackboneConfig,
    login: tokio::sync::Mutex<Login>,
    clock: Arc<dyn Clock>,
}

/// How long no login is tried after the backbone refused the client's credentials: longer than
/// ABDM's eight-minute lock-out, so a client with a wrong secret never earns one.
pub const LOGIN_REFUSED_PAUSE: Duration = Duration::from_secs(10 * 60);

/// The gateway session, or why none is being asked for.
#[derive(Default)]
struct Login {
    session: Option<Session>,
    /// When (the client's clock, ms) logging in was paused, until when, and what calls get
    /// meanwhile.
    paused: Option<(i64, i64, Pause)>,
}

enum Pause {
    /// The credentials were refused.
    Refused,
    /// The gateway asked for a pause longer than a call may wait (`code` is its error code).
    Throttled { code: String },
}

impl Pause {
    fn error(&self) -> Error {
        match self {
            Pause::Refused => Error::Unauthorized,
            Pause::Throttled { code } => Error::Backbone { status: 429, code: code.clone() },
        }
    }
}

/// A login that failed, and how long to wait before the next one (none: try at the next call).
struct LoginFailed {
    error: Error,
    pause: Option<(Duration, Pause)>,
}

struct Session {
    token: Zeroizing<String>,
    expires_at_ms: i64,
    refresh_at_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base {
    /// Sessions (and, as they arrive, consent and health-information calls).
    Gateway,
    Abha,
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
    pub(crate) fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body)
            .map_err(|_| Error::Backbone { status: 200, code: "unreadable-answer".into() })
    }
}

/// What one try came to.
enum Try {
    Done(Answer),
    /// Try again after the pause given (or the usual backoff).
    Again {
        after: Option<Duration>,
        last: Error,
    },
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
        Ok(Backbone { http, config, login: tokio::sync::Mutex::new(Login::default()), clock })
    }

    pub fn config(&self) -> &BackboneConfig {
        &self.config
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Sends `call`, trying again as the module's rule says, and returns the successful answer.
    pub(crate) async fn call(&self, call: &Call<'_>) -> Result<Answer> {
        let mut pause = self.config.initial_backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let token = self.access_token().await?;
            let (after, last) = match self.try_once(call, &token).await {
                Try::Done(answer) => return Ok(answer),
                Try::Final(e) => return Err(e),
                // Log in again at once: the next try carries a fresh token.
                Try::TokenRejected => {
                    self.drop_session(&token).await;
                    (Some(Duration::ZERO), Error::Unauthorized)
                }
                Try::Again { after, last } => (after, last),
            };
            if attempt >= self.config.max_attempts {
                return Err(last);
            }
            match after {
                Some(wait) if wait > self.config.max_retry_after => return Err(last),
                Some(wait) => tokio::time::sleep(wait).await,
                None => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(self.config.max_backoff);
                }
            }
        }
    }

    async fn try_once(&self, call: &Call<'_>, token: &str) -> Try {
        let url = self.url(call.base, call.path);
        let mut req = if call.post { self.http.post(url) } else { self.http.get(url) };
        req = req.headers(self.common_headers(call.request_id)).bearer_auth(token);
        for (name, value) in &call.headers {
            req = req.header(*name, value.as_str());
        }
        if let Some(body) = &call.body {
            req = req.header("Content-Type", "application/json").body(body.to_string());
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return unsent(&e).map_or(Try::Again { after: None, last: Error::Offline }, Try::Final),
        };
        let status = resp.status().as_u16();
        let retry_after = retry_after(&resp);
        let body = match resp.bytes().await {
            Ok(b) => b.to_vec(),
            // The answer broke off: whether the call was applied is unknown, and the same
            // REQUEST-ID makes asking again safe.
            Err(_) => return Try::Again { after: None, last: Error::Offline },
        };
        match status {
            200..=299 => Try::Done(Answer { body }),
            401 | 403 if wire::is_token_rejection(status, &body) => Try::TokenRejected,
            429 => Try::Again {
                after: Some(retry_after.unwrap_or(self.config.initial_backoff)),
                last: wire::refusal(status, &body),
            },
            500..=599 => Try::Again { after: None, last: wire::refusal(status, &body) },
            _ => Try::Final(wire::refusal(status, &body)),
        }
    }

    fn url(&self, base: Base, path: &str) -> String {
        let base = match base {
            Base::Gateway => &self.config.gateway_url,
            Base::Abha => &self.config.abha_url,
        };
        format!("{}{path}", base.trim_end_matches('/'))
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
    /// While logging in is paused, fails at once with the reason, sending nothing.
    async fn access_token(&self) -> Result<Zeroizing<String>> {
        let mut login = self.login.lock().await;
        let now = self.clock.now_ms();
        if let Some(s) = login.session.as_ref()
            && now < s.refresh_at_ms
            && now < s.expires_at_ms
        {
            return Ok(s.token.clone());
        }
        // A clock set back (a cheap phone's wrong date, mended) ends the pause rather than
        // stretching it by however far the clock moved.
        if let Some((since, until, why)) = &login.paused
            && (*since..*until).contains(&now)
        {
            return Err(why.error());
        }
        login.paused = None;
        match self.open_session().await {
            Ok(fresh) => {
                let token = fresh.token.clone();
                login.session = Some(fresh);
                Ok(token)
            }
            Err(LoginFailed { error, pause }) => {
                if let Some((wait, why)) = pause {
                    let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                    let since = self.clock.now_ms();
                    login.paused = Some((since, since.saturating_add(wait_ms), why));
                }
                Err(error)
            }
        }
    }

    /// Forgets `token` if it is still the cached one (another call may have refreshed it).
    async fn drop_session(&self, token: &str) {
        let mut login = self.login.lock().await;
        if login.session.as_ref().is_some_and(|s| s.token.as_str() == token) {
            login.session = None;
        }
    }

    async fn open_session(&self) -> std::result::Result<Session, LoginFailed> {
        let body = json!({
            "clientId": self.config.client_id,
            "clientSecret": self.config.client_secret,
            "grantType": "client_credentials",
        });
        let url = self.url(Base::Gateway, "/gateway/v3/sessions");
        let now_only = |error| LoginFailed { error, pause: None };
        let mut pause = self.config.initial_backoff;
        for attempt in 1..=self.config.max_attempts {
            let request_id = uuid::Uuid::new_v4().to_string();
            let sent = self
                .http
                .post(&url)
                .headers(self.common_headers(&request_id))
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await;
            let (transient, asked_wait) = match sent {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let asked_wait = retry_after(&resp);
                    let bytes = resp.bytes().await.map(|b| b.to_vec());
                    match (status, bytes) {
                        (200..=299, Ok(b)) => return self.read_session(&b).map_err(now_only),
                        // Refused credentials stay refused until someone changes them, and
                        // each refusal counts towards ABDM's lock-out: pause logging in.
                        (400..=499, Ok(b)) if status != 429 => {
                            let refused = status == 401 || wire::is_token_rejection(status, &b);
                            return Err(if refused {
                                LoginFailed {
                                    error: Error::Unauthorized,
                                    pause: Some((LOGIN_REFUSED_PAUSE, Pause::Refused)),
                                }
                            } else {
                                now_only(wire::refusal(status, &b))
                            });
                        }
                        (429, Ok(b)) => {
                            let wait = asked_wait.unwrap_or(self.config.initial_backoff);
                            if wait > self.config.max_retry_after || attempt == self.config.max_attempts {
                                let code = wire::error_code(&b).unwrap_or_else(|| "none".into());
                                return Err(LoginFailed {
                                    error: Error::Backbone { status, code: code.clone() },
                                    pause: Some((wait, Pause::Throttled { code })),
                                });
                            }
                            (wire::refusal(status, &b), asked_wait)
                        }
                        (_, Ok(b)) => (wire::refusal(status, &b), None),
                        (_, Err(_)) => (Error::Offline, None),
                    }
                }
                Err(e) => match unsent(&e) {
                    Some(final_error) => return Err(now_only(final_error)),
                    None => (Error::Offline, None),
                },
            };
            if attempt == self.config.max_attempts {
                return Err(now_only(transient));
            }
            match asked_wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(self.config.max_backoff);
                }
            }
        }
        Err(now_only(Error::Offline))
    }

    fn read_session(&self, body: &[u8]) -> Result<Session> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|_| Error::Backbone { status: 200, code: "unreadable-session".into() })?;
        let token = wire::text(&v, &["accessToken", "access_token"])
            .ok_or_else(|| Error::Backbone { status: 200, code: "session-without-token".into() })?;
        let lifetime_s = v.get("expiresIn").or_else(|| v.get("expires_in")).and_then(Value::as_i64).unwrap_or(600);
        let lifetime_ms = lifetime_s.max(1) * 1000;
        let now = self.clock.now_ms();
        // Refresh with a tenth of the lifetime (at least a minute, for slow networks) to spare.
        let margin = (lifetime_ms / 10).max(60_000).min(lifetime_ms / 2);
        Ok(Session {
            token: Zeroizing::new(token.to_string()),
            expires_at_ms: now + lifetime_ms,
            refresh_at_ms: now + lifetime_ms - margin,
        })
    }
}

impl std::fmt::Debug for Backbone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backbone").field("config", &self.config).finish_non_exhaustive()
    }
}

/// The `Retry-After` of an answer, in seconds (the form ABDM uses).
fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// A request that could not be sent for a reason trying again will not mend: the server's
/// certificate was refused. `None` for everything else (no network, timeouts, resets).
fn unsent(e: &reqwest::Error) -> Option<Error> {
    super::tls::is_certificate_failure(e).then_some(Error::UntrustedBackbone)
}
