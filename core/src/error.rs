//! The core's one public error type.
//!
//! Messages name what went wrong and never what it was about: no names, phone numbers, ABHA or
//! Aadhaar numbers, record text or file contents ever reach an error string, because error
//! strings end up in logs, crash reports and support tickets.

use std::io;

/// Every failure the core reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The key does not open this store. Nothing on disk was touched.
    #[error("the key does not open this store")]
    WrongKey,
    /// The store's files are damaged. They were left exactly as they were found.
    #[error("the store is damaged: {0}")]
    Corrupt(String),
    /// The store was written by a newer version of healthlocker and was left alone.
    #[error("the store has schema version {found}; this build reads up to {supported}")]
    IncompatibleVersion { found: i64, supported: i64 },
    /// The directory already holds parts of a store (`found` names them: file names and counts,
    /// nothing else); a new store is never made over them.
    #[error("this directory already holds parts of a store ({found}): open it with its key instead")]
    StoreExists { found: String },
    /// The caller gave something this API cannot accept.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// No such object.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The same thing is already stored; `existing` is its id.
    #[error("already stored as {existing}")]
    Duplicate { existing: String },
    /// An attachment failed authentication: changed, truncated, reordered or swapped.
    #[error("an attachment failed its integrity check")]
    Tampered,
    /// The locker was closed; open it again to go on.
    #[error("the locker is closed")]
    Closed,
    /// The store is already open: another process, or another `Locker` in this one, holds it.
    #[error("the store is already open (in this process or another)")]
    Busy,
    /// The device has no space left for this write; nothing was half-written.
    #[error("the device is out of storage space")]
    StorageFull,
    /// A file-system error.
    #[error("file system error: {0}")]
    Io(#[source] io::Error),
    /// A database error that is none of the above.
    #[error("database error: {0}")]
    Database(String),
    /// The backbone could not be reached (no network, or it did not answer in time). Nothing
    /// was lost: whatever was being sent stays queued with its REQUEST-ID.
    #[error("the backbone could not be reached")]
    Offline,
    /// The server did not prove it is the backbone: its TLS certificate has an unknown issuer,
    /// names another host, has expired, or (with pinned keys) chains through no pinned key.
    /// Not retried; queued work stays queued.
    #[error("the backbone's TLS certificate was refused")]
    UntrustedBackbone,
    /// The backbone refused our client credentials. The same client tries no login again for
    /// ten minutes (ABDM locks a client id out after eight refused logins): calls meanwhile get
    /// this error without reaching the network, and queued work stays queued.
    #[error("the backbone refused the client credentials")]
    Unauthorized,
    /// The backbone answered with an error this API has no closer name for. `code` is ABDM's
    /// error code, cut to `[A-Za-z0-9-]{1,32}`; messages from the backbone are not passed on,
    /// as they may carry personal data.
    #[error("the backbone refused the request (HTTP {status}, code {code})")]
    Backbone { status: u16, code: String },
    /// The backbone asks for a pause longer than a call waits (HTTP 429): nothing was lost; the
    /// work stays queued until `retry_after_s` seconds have passed.
    #[error("the backbone asks for a pause of {retry_after_s} s (code {code})")]
    RateLimited { code: String, retry_after_s: u64 },
    /// The backbone answered, successfully by its status, that it will not do this (a failed
    /// `authResult`, a `FAILED` status): sending it again will not change that.
    #[error("the backbone refused this request (code {code})")]
    Refused { code: String },
    /// The backbone's answer could not be read (`what` names the answer, never its content):
    /// whether the call was applied is unknown, so it is asked again with the same REQUEST-ID.
    #[error("the backbone's answer ({what}) could not be read")]
    UnreadableAnswer { what: String },
    /// The OTP was wrong; `attempts_left` more may be tried in this transaction.
    #[error("wrong OTP; {attempts_left} attempts left")]
    WrongOtp { attempts_left: u32 },
    /// Too many wrong OTPs: the transaction is locked; start again.
    #[error("too many wrong OTPs: start the enrolment again")]
    OtpLocked,
    /// Too many OTPs were requested; wait before starting again.
    #[error("too many OTPs requested: wait, then start again")]
    OtpLimit,
    /// The backbone's transaction expired (OTPs last about ten minutes); request a new OTP.
    #[error("the transaction expired: request a new OTP")]
    TransactionExpired,
    /// The backbone could not open a value sealed on this device (its key changed since):
    /// the value must be captured again.
    #[error("the backbone could not read a sealed value: capture it again")]
    SealedValueRejected,
    /// That ABHA address is taken: choose another.
    #[error("that ABHA address is taken")]
    AddressTaken,
    /// Sealing needs the backbone's public key, and this device has never fetched it: connect
    /// once (starting a worker session does) before capturing offline.
    #[error("the backbone's encryption key is not on this device yet: connect once first")]
    BackboneKeyMissing,
    /// The step asked for does not fit where this object (an enrolment, an outbox item) is;
    /// `state` is the code of where it is (e.g. `handed_over`).
    #[error("this is at step {state}, which does not allow that")]
    WrongStep { state: String },
    /// The consent manager needs the citizen signed in (no login token on this device for that
    /// ABHA address, or the one kept was refused): sign in, then sync again. Nothing was lost.
    #[error("sign in to the consent manager again")]
    SignInNeeded,
    /// A consent artefact's signature did not verify under any key its consent manager
    /// publishes: it was changed, or it is not the consent manager's. It was refused.
    #[error("a consent artefact's signature did not verify; it was refused")]
    SignatureInvalid,
    /// A scanned code was not accepted: the problem names what is wrong, never what was read.
    #[error("the scanned code was not accepted: {0}")]
    Qr(crate::share::QrProblem),
    /// A signed code did not verify: the problem names which check failed (its signature, its
    /// issuer, its dates…), never what it holds.
    #[error("the signed code was refused: {0}")]
    SignedQr(crate::share::signed::SignedQrProblem),
    /// A Fidelius (health-data exchange) key, nonce, key material or payload was refused: the
    /// problem names which and why, never the bytes.
    #[error("the exchange's encryption refused it: {0}")]
    Fidelius(crate::crypto::fidelius::FideliusProblem),
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        if crate::crypto::attachment_stream::is_tampered(&e) {
            return Error::Tampered;
        }
        if e.raw_os_error() == Some(libc_enospc()) || e.kind() == io::ErrorKind::StorageFull {
            Error::StorageFull
        } else {
            Error::Io(e)
        }
    }
}

const fn libc_enospc() -> i32 {
    28 // ENOSPC on Linux, Android, macOS and iOS alike
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode;
        if let rusqlite::Error::FromSqlConversionFailure(..) = e {
            return Error::Corrupt("a stored value is not one this build can read".into());
        }
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
                Error::Corrupt("the database failed to decrypt or parse".into())
            }
            Some(ErrorCode::DiskFull) => Error::StorageFull,
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => Error::Busy,
            // SQLite's own messages name tables, columns and constraints, never values.
            _ => Error::Database(e.to_string()),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        // serde_json reports positions and expectations, not the content it choked on.
        Error::InvalidInput(format!("not valid JSON ({:?} at line {})", e.classify(), e.line()))
    }
}

impl From<crate::share::QrProblem> for Error {
    fn from(p: crate::share::QrProblem) -> Self {
        Error::Qr(p)
    }
}

impl From<crate::crypto::fidelius::FideliusProblem> for Error {
    fn from(p: crate::crypto::fidelius::FideliusProblem) -> Self {
        Error::Fidelius(p)
    }
}
