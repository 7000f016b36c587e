//! Opening one SQLCipher connection: keying, the PRAGMAs DESIGN.md fixes, and telling a wrong
//! key from a damaged file when the key check cannot.
//!
//! Never, on any error here, delete, truncate or "recreate" the database: under SQLCipher a
//! wrong key and a damaged page look the same, and the user's records are behind either.

use crate::crypto::DatabaseKey;
use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// How a store is keyed.
pub enum Keying {
    /// SQLCipher with this raw key: the only way the shipped library opens a store.
    Key(DatabaseKey),
    /// No encryption at all. Exists so the benchmark can measure SQLCipher's cost on the very
    /// same code path; compiled only with the `plain-store` feature, which the bindings lack.
    #[cfg(feature = "plain-store")]
    Plain,
}

impl Keying {
    pub(crate) fn key(&self) -> Option<&DatabaseKey> {
        match self {
            Keying::Key(k) => Some(k),
            #[cfg(feature = "plain-store")]
            Keying::Plain => None,
        }
    }
}

/// Bytes per database page (SQLCipher 4's default, pinned by `cipher_compatibility = 4`).
pub(crate) const PAGE_SIZE: u64 = 4096;

/// Opens the file and applies the key; reads nothing yet.
pub(crate) fn connect(path: &Path, key: Option<&DatabaseKey>, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    if let Some(key) = key {
        // Off, deliberately (docs/decisions.md, D1): SQLCipher keeps its keys in its own wiped,
        // locked heap either way; ON adds mlock and a wipe to every SQLite allocation, which
        // measured 5x slower imports and 7x slower reads here.
        conn.execute_batch("PRAGMA cipher_log_level = NONE; PRAGMA cipher_memory_security = OFF;")?;
        conn.execute_batch(&key.sqlcipher_pragma("key", None))?;
        conn.execute_batch("PRAGMA cipher_compatibility = 4;")?;
    }
    Ok(conn)
}

/// A read-only connection to a store already opened (and configured) by its writer: the key,
/// then the settings a reader needs. WAL lets it read the last committed state while the writer
/// works.
pub(crate) fn connect_reader(path: &Path, key: Option<&DatabaseKey>) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    if let Some(key) = key {
        conn.execute_batch("PRAGMA cipher_log_level = NONE; PRAGMA cipher_memory_security = OFF;")?;
        conn.execute_batch(&key.sqlcipher_pragma("key", None))?;
        conn.execute_batch("PRAGMA cipher_compatibility = 4;")?;
    }
    probe(&conn)?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8192;")?;
    Ok(conn)
}

/// Reads page 1 and the schema: the first moment a wrong key or a damaged header shows.
pub(crate) fn probe(conn: &Connection) -> Result<i64> {
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
    super::schema::user_version(conn)
}

/// The per-connection settings, applied once the key is known to be right.
pub(crate) fn configure(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -16384;
         PRAGMA journal_size_limit = 4194304;",
    )?;
    Ok(())
}

/// With no trustworthy key check, decide between "wrong key" and "damaged" from the pages
/// themselves: under a wrong key every page fails its HMAC; in a damaged file some pass.
pub(crate) fn classify_unreadable(path: &Path, key: &DatabaseKey) -> Result<Error> {
    let conn = connect(path, Some(key), false)?;
    let failures: usize = {
        let mut st = conn.prepare("PRAGMA cipher_integrity_check")?;
        let rows = st.query_map([], |_| Ok(()))?;
        rows.count()
    };
    let pages = (std::fs::metadata(path)?.len() / PAGE_SIZE) as usize;
    Ok(if pages > 0 && failures >= pages {
        Error::WrongKey
    } else {
        Error::Corrupt("pages fail authentication".into())
    })
}
