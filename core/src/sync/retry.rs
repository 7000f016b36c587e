//! The one retry policy and the one classification of failures, for every call to the backbone
//! (session calls included) and for the outbox that delivers queued calls.
//!
//! Policy: the pause after `n` failed tries doubles from `initial_backoff` up to `max_backoff`,
//! with "equal jitter" (half fixed, half random), so a thousand phones that find the network
//! together do not retry in step. A `Retry-After` is honoured instead when the backbone gives one.
//!
//! Classification, of what a failure means for queued work:
//! - [`Disposition::Retry`]: the backbone had trouble with this call (5xx, an unreadable
//!   answer): try it again later with the same REQUEST-ID;
//! - [`Disposition::Halt`]: a failure every other call would meet too (no network, a server
//!   that is not the backbone, our credentials refused, a route our client may not use, a pause
//!   the backbone asks for): stop the whole drain, keep everything queued;
//! - [`Disposition::Wedge`]: the backbone refused this call (its content, not the moment): keep
//!   it, with its reason, until the user retries or discards it;
//! - [`Disposition::Local`]: this device failed (storage full, the store closed): stop, and
//!   report it.

use super::config::BackboneConfig;
use crate::error::Error;
use std::time::Duration;

/// What a failure means for queued work (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Retry,
    Halt,
    Wedge,
    Local,
}

/// The classification of every failure, in one place.
pub fn classify(e: &Error) -> Disposition {
    match e {
        Error::Offline
        | Error::UntrustedBackbone
        | Error::Unauthorized
        | Error::SignInNeeded
        | Error::RateLimited { .. } => Disposition::Halt,
        // Our client may not use this route (no role, no scope): every item of it would meet
        // the same, and none of them is at fault.
        Error::Backbone { status: 401 | 403, .. } => Disposition::Halt,
        Error::Backbone { status, .. } if *status >= 500 => Disposition::Retry,
        Error::UnreadableAnswer { .. } => Disposition::Retry,
        Error::Busy | Error::StorageFull | Error::Io(_) | Error::Database(_) | Error::Closed | Error::Corrupt(_) => {
            Disposition::Local
        }
        _ => Disposition::Wedge,
    }
}

/// A short code for a failure, to store and show (`last_error`): never personal data.
pub fn code_of(e: &Error) -> String {
    match e {
        Error::Offline => "offline".into(),
        Error::UntrustedBackbone => "untrusted-backbone".into(),
        Error::Unauthorized => "unauthorized".into(),
        Error::RateLimited { code, .. } => format!("rate-limited:{code}"),
        Error::Refused { code } => format!("refused:{code}"),
        Error::UnreadableAnswer { what } => format!("unreadable-answer:{what}"),
        Error::Backbone { status, code } => format!("http-{status}:{code}"),
        Error::SealedValueRejected => "sealed-value-rejected".into(),
        Error::WrongOtp { .. } => "wrong-otp".into(),
        Error::OtpLocked => "otp-locked".into(),
        Error::OtpLimit => "otp-limit".into(),
        Error::TransactionExpired => "transaction-expired".into(),
        Error::AddressTaken => "address-taken".into(),
        Error::InvalidInput(_) => "invalid-input".into(),
        Error::NotFound(what) => format!("not-found:{}", what.replace(' ', "-")),
        Error::BackboneKeyMissing => "backbone-key-missing".into(),
        Error::WrongStep { state } => format!("wrong-step:{state}"),
        Error::WrongKey => "wrong-key".into(),
        Error::Corrupt(_) => "corrupt".into(),
        Error::IncompatibleVersion { .. } => "incompatible-version".into(),
        Error::StoreExists { .. } => "store-exists".into(),
        Error::Duplicate { .. } => "duplicate".into(),
        Error::Tampered => "tampered".into(),
        Error::Closed => "closed".into(),
        Error::Busy => "busy".into(),
        Error::StorageFull => "storage-full".into(),
        Error::Io(_) => "io".into(),
        Error::Database(_) => "database".into(),
        Error::SignInNeeded => "sign-in-needed".into(),
        Error::SignatureInvalid => "signature-invalid".into(),
        Error::Qr(p) => format!("qr:{}", p.code()),
        Error::SignedQr(p) => format!("signed-qr:{}", p.code()),
        Error::Fidelius(p) => format!("fidelius:{}", p.code()),
    }
}

/// How long the backbone asked us to wait, when it did.
pub(crate) fn retry_after(e: &Error) -> Option<Duration> {
    match e {
        Error::RateLimited { retry_after_s, .. } => Some(Duration::from_secs(*retry_after_s)),
        _ => None,
    }
}

/// The backoff settings of one backbone configuration.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
    /// Tries of one call, the first included.
    pub max_attempts: u32,
    /// The longest `Retry-After` waited out within a call; a longer one ends the call.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    pub(crate) fn of(c: &BackboneConfig) -> RetryPolicy {
        RetryPolicy {
            initial: c.initial_backoff,
            max: c.max_backoff,
            max_attempts: c.max_attempts,
            max_retry_after: c.max_retry_after,
        }
    }

    /// The pause after `failed` failed tries (1 for the first): `initial · 2^(failed-1)` up to
    /// `max`, then half of it kept and half drawn at random.
    pub(crate) fn backoff(&self, failed: u32) -> Duration {
        let doubled = self.initial.saturating_mul(1u32 << failed.saturating_sub(1).min(20));
        let full = doubled.min(self.max);
        let half = full / 2;
        half + half.mul_f64(unit_random())
    }

    /// Within one call, after `failed` failed tries: the pause before the next try, or `None`
    /// when the call should end now. A `Retry-After` longer than `max_retry_after` ends it
    /// (the work stays queued for a later drain).
    pub(crate) fn next_try(&self, failed: u32, asked: Option<Duration>) -> Option<Duration> {
        if failed >= self.max_attempts {
            return None;
        }
        match asked {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait),
            None => Some(self.backoff(failed)),
        }
    }
}

/// A random number in [0, 1), from the system's generator (1/2 should it ever fail: the pause
/// is then merely not jittered).
fn unit_random() -> f64 {
    let mut b = [0u8; 4];
    match crate::crypto::random_fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(2),
            max_attempts: 4,
            max_retry_after: Duration::from_secs(30),
        }
    }

    #[test]
    fn pauses_double_up_to_the_cap_with_half_of_each_random() {
        let p = policy();
        for (failed, full) in [(1, 100), (2, 200), (3, 400), (5, 1600), (6, 2000), (40, 2000)] {
            for _ in 0..50 {
                let d = p.backoff(failed).as_millis() as u64;
                assert!((full / 2..=full).contains(&d), "after {failed}: {d} ms, not in {}..={full}", full / 2);
            }
        }
        let draws: std::collections::HashSet<u128> = (0..50).map(|_| p.backoff(6).as_micros()).collect();
        assert!(draws.len() > 10, "jittered");
    }

    #[test]
    fn a_call_ends_after_its_tries_or_on_a_pause_longer_than_it_may_wait() {
        let p = policy();
        assert!(p.next_try(1, None).is_some());
        assert_eq!(p.next_try(1, Some(Duration::from_secs(3))), Some(Duration::from_secs(3)));
        assert_eq!(p.next_try(1, Some(Duration::from_secs(31))), None);
        assert_eq!(p.next_try(4, None), None);
    }

    #[test]
    fn every_failure_has_one_meaning_for_queued_work() {
        use Disposition::*;
        let cases = [
            (Error::Offline, Halt),
            (Error::UntrustedBackbone, Halt),
            (Error::Unauthorized, Halt),
            (Error::RateLimited { code: "900800".into(), retry_after_s: 60 }, Halt),
            (Error::Backbone { status: 503, code: "none".into() }, Retry),
            (Error::Backbone { status: 403, code: "ABDM-1403".into() }, Halt),
            (Error::Backbone { status: 401, code: "none".into() }, Halt),
            (Error::UnreadableAnswer { what: "profile".into() }, Retry),
            (Error::Backbone { status: 422, code: "ABDM-1115".into() }, Wedge),
            (Error::Refused { code: "auth-failed".into() }, Wedge),
            (Error::SealedValueRejected, Wedge),
            (Error::StorageFull, Local),
        ];
        for (e, d) in cases {
            assert_eq!(classify(&e), d, "{e:?}");
        }
    }
}
