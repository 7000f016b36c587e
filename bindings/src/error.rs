//! `LockerError`: the one error the bindings raise, variant for variant the core's, with the
//! core's details (which never carry personal data). Also the boundary every call crosses.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

/// The core's messages travel in the fields that carry them (`reason`, `what`); the variant
/// itself is the kind to act on.
#[derive(Debug, uniffi::Error)]
pub enum LockerError {
    WrongKey,
    Corrupt {
        reason: String,
    },
    IncompatibleVersion {
        found: i64,
        supported: i64,
    },
    StoreExists {
        found: String,
    },
    InvalidInput {
        reason: String,
    },
    NotFound {
        what: String,
    },
    Duplicate {
        existing: String,
    },
    Tampered,
    Closed,
    Busy,
    StorageFull,
    Io {
        reason: String,
    },
    Database {
        reason: String,
    },
    Offline,
    UntrustedBackbone,
    Unauthorized,
    Backbone {
        status: u16,
        code: String,
    },
    RateLimited {
        code: String,
        retry_after_s: u64,
    },
    Refused {
        code: String,
    },
    UnreadableAnswer {
        what: String,
    },
    WrongOtp {
        attempts_left: u32,
    },
    OtpLocked,
    OtpLimit,
    TransactionExpired,
    SealedValueRejected,
    AddressTaken,
    BackboneKeyMissing,
    WrongStep {
        state: String,
    },
    /// The consent manager wants the citizen to sign in again (no login kept for their ABHA
    /// address, or the one kept was refused). Nothing was lost.
    SignInNeeded,
    /// A consent artefact's signature did not verify under any key its consent manager
    /// publishes; it was refused.
    SignatureInvalid,
    /// A scanned code was not accepted: `code` is the stable name of what is wrong
    /// (`missing-abha`, `bad-signature`, `expired`…), `reason` says it in words. Neither echoes
    /// what was read.
    QrRefused {
        code: String,
        reason: String,
    },
    /// A Fidelius (health-data exchange) key, nonce, key material or payload was refused: `code`
    /// names what is wrong (`bad-public-key`, `not-on-curve`, `bad-private-key`, `bad-nonce`,
    /// `tag-mismatch`…), `reason` says it in words. Neither echoes the bytes.
    CryptoRefused {
        code: String,
        reason: String,
    },
    /// A bug in healthlocker: the operation stopped and was rolled back.
    Internal {
        reason: String,
    },
}

// uniffi asks for Display; foreign code reads the variant and its fields, never this text.
impl std::fmt::Display for LockerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for LockerError {}

impl From<locker_core::Error> for LockerError {
    fn from(e: locker_core::Error) -> Self {
        use locker_core::Error as E;
        // Field names avoid `message`: it would clash with the exception's own in Kotlin.
        match e {
            E::WrongKey => LockerError::WrongKey,
            E::Corrupt(m) => LockerError::Corrupt { reason: m },
            E::IncompatibleVersion { found, supported } => LockerError::IncompatibleVersion { found, supported },
            E::StoreExists { found } => LockerError::StoreExists { found },
            E::InvalidInput(m) => LockerError::InvalidInput { reason: m },
            E::NotFound(what) => LockerError::NotFound { what: what.into() },
            E::Duplicate { existing } => LockerError::Duplicate { existing },
            E::Tampered => LockerError::Tampered,
            E::Closed => LockerError::Closed,
            E::Busy => LockerError::Busy,
            E::StorageFull => LockerError::StorageFull,
            E::Io(e) => LockerError::Io { reason: e.to_string() },
            E::Database(m) => LockerError::Database { reason: m },
            E::Offline => LockerError::Offline,
            E::UntrustedBackbone => LockerError::UntrustedBackbone,
            E::Unauthorized => LockerError::Unauthorized,
            E::Backbone { status, code } => LockerError::Backbone { status, code },
            E::RateLimited { code, retry_after_s } => LockerError::RateLimited { code, retry_after_s },
            E::Refused { code } => LockerError::Refused { code },
            E::UnreadableAnswer { what } => LockerError::UnreadableAnswer { what },
            E::WrongOtp { attempts_left } => LockerError::WrongOtp { attempts_left },
            E::OtpLocked => LockerError::OtpLocked,
            E::OtpLimit => LockerError::OtpLimit,
            E::TransactionExpired => LockerError::TransactionExpired,
            E::SealedValueRejected => LockerError::SealedValueRejected,
            E::AddressTaken => LockerError::AddressTaken,
            E::BackboneKeyMissing => LockerError::BackboneKeyMissing,
            E::WrongStep { state } => LockerError::WrongStep { state },
            E::SignInNeeded => LockerError::SignInNeeded,
            E::SignatureInvalid => LockerError::SignatureInvalid,
            E::Qr(p) => LockerError::QrRefused { code: p.code().into(), reason: p.to_string() },
            E::SignedQr(p) => LockerError::QrRefused { code: p.code().into(), reason: p.to_string() },
            E::Fidelius(p) => LockerError::CryptoRefused { code: p.code().into(), reason: p.to_string() },
        }
    }
}

/// Runs one call into the core. A panic becomes `Internal` with a fixed message: a panic's own
/// text is not ours to vouch for, so it stays out of the error (the panic hook still reports
/// it to the platform log with its location).
pub(crate) fn run<T>(call: impl FnOnce() -> locker_core::Result<T>) -> Result<T, LockerError> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(result) => result.map_err(LockerError::from),
        Err(_) => Err(internal()),
    }
}

/// [`run`] for a network call: every poll of the core's future runs under `catch_unwind`, so a
/// panic at any point of the call (before or after an `await`) comes back as `Internal`.
pub(crate) async fn run_async<T>(call: impl Future<Output = locker_core::Result<T>>) -> Result<T, LockerError> {
    match CatchUnwind(Box::pin(call)).await {
        Ok(result) => result.map_err(LockerError::from),
        Err(()) => Err(internal()),
    }
}

fn internal() -> LockerError {
    LockerError::Internal { reason: "healthlocker stopped on a bug; the operation was not completed".into() }
}

/// A future that turns a panic in its inner future's `poll` into `Err(())`. The inner future is
/// boxed so it can be polled without `unsafe` pinning; after a panic it is never polled again
/// (the wrapper is complete and the caller drops it).
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_the_core_comes_back_as_an_error() {
        let r: Result<(), _> = run(|| panic!("a bug"));
        assert!(matches!(r, Err(LockerError::Internal { .. })));
    }

    #[test]
    fn core_errors_keep_their_kind() {
        assert!(matches!(run::<()>(|| Err(locker_core::Error::WrongKey)), Err(LockerError::WrongKey)));
        let r = run::<()>(|| Err(locker_core::Error::NotFound("record")));
        assert!(matches!(r, Err(LockerError::NotFound { ref what }) if what == "record"));
        assert!(matches!(run::<()>(|| Err(locker_core::Error::SignInNeeded)), Err(LockerError::SignInNeeded)));
        assert!(matches!(run::<()>(|| Err(locker_core::Error::SignatureInvalid)), Err(LockerError::SignatureInvalid)));
    }

    /// Polls a future to completion on this thread (the tests need no runtime).
    fn block_on<F: Future>(f: F) -> F::Output {
        struct Noop;
        impl std::task::Wake for Noop {
            fn wake(self: std::sync::Arc<Self>) {}
        }
        let waker = std::task::Waker::from(std::sync::Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    /// Pending once, then runs its closure: a panic there comes after the first poll, as after an `await`.
    struct PendingOnce<G>(bool, Option<G>);

    impl<T, G: FnOnce() -> T + Unpin> Future for PendingOnce<G> {
        type Output = T;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
            if !self.0 {
                self.0 = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready((self.1.take().expect("polled after completion"))())
        }
    }

    #[test]
    fn a_panic_in_an_async_call_comes_back_as_an_error_before_or_after_an_await() {
        let r: Result<(), _> = block_on(run_async(async { panic!("a bug before any await") }));
        assert!(matches!(r, Err(LockerError::Internal { .. })));
        let r: Result<(), _> =
            block_on(run_async(async { PendingOnce(false, Some(|| panic!("a bug after an await"))).await }));
        assert!(matches!(r, Err(LockerError::Internal { .. })));
    }

    #[test]
    fn async_results_and_core_errors_come_through() {
        let r = block_on(run_async(async { PendingOnce(false, Some(|| Ok(7))).await }));
        assert!(matches!(r, Ok(7)));
        let r = block_on(run_async(async { Err::<(), _>(locker_core::Error::WrongOtp { attempts_left: 2 }) }));
        assert!(matches!(r, Err(LockerError::WrongOtp { attempts_left: 2 })));
    }
}
