//! What opening a store did, or found, that the person using it should hear of.

/// Something opening the store did or found that the person using it should hear of. Never
/// personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenNotice {
    /// The key check file (`locker.keycheck`) was missing, or damaged, and was written again
    /// for the key that opened the store.
    KeyCheckRewritten { was_damaged: bool },
}

impl std::fmt::Display for OpenNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenNotice::KeyCheckRewritten { was_damaged } => write!(
                f,
                "the key check file locker.keycheck was {}; the key opened the store, so it was written again",
                if *was_damaged { "damaged" } else { "missing" }
            ),
        }
    }
}
