//! `LockerError`: the one error the bindings raise, variant for variant the core's, with the
//! core's details (which never carry personal data). Also the boundary every call crosses.

use std::panic::{AssertUnwindSafe, catch_unwind};

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
            E::InvalidInput(m) => LockerError::InvalidInput { reason: m },
            E::NotFound(what) => LockerError::NotFound { what: what.into() },
            E::Duplicate { existing } => LockerError::Duplicate { existing },
            E::Tampered => LockerError::Tampered,
            E::Closed => LockerError::Closed,
            E::Busy => LockerError::Busy,
            E::StorageFull => LockerError::StorageFull,
            E::Io(e) => LockerError::Io { reason: e.to_string() },
            E::Database(m) => LockerError::Database { reason: m },
        }
    }
}

/// Runs one call into the core. A panic becomes `Internal` with a fixed message: a panic's own
/// text is not ours to vouch for, so it stays out of the error (the panic hook still reports
/// it to the platform log with its location).
pub(crate) fn run<T>(call: impl FnOnce() -> locker_core::Result<T>) -> Result<T, LockerError> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(result) => result.map_err(LockerError::from),
        Err(_) => Err(LockerError::Internal {
            reason: "healthlocker stopped on a bug; the operation was not completed".into(),
        }),
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
    }
}
