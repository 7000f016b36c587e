//! The encrypted local store: one directory holding the SQLCipher database, its key check, a
//! lock file and the attachment files. It opens with no network, never loses a committed write
//! to a crash, and never alters a byte of a database it could not open. It knows no domain type:
//! domains (`profiles`, `records`, `attachments`, `abha::enrolment`, `outbox`) bring their own
//! queries and run them in the transactions it hands out ([`Store::write`]) or on a read-only
//! connection beside the writer ([`Reader`]).
//!
//! ```text
//! <dir>/locker.db (+ -wal, -shm)   SQLCipher, raw 32-byte key
//! <dir>/locker.keycheck            tells a wrong key from a damaged file (see keycheck.rs)
//! <dir>/locker.lock                one process at a time
//! <dir>/attachments/<uid>.hla      chunked AES-256-GCM files (see crypto::attachment_stream)
//! ```

pub(crate) mod audit;
pub(crate) mod body;
mod check;
mod connection;
pub(crate) mod files;
mod io_pipeline;
pub(crate) mod keycheck;
mod notice;
mod paths;
mod rekey;
pub(crate) mod schema;
pub(crate) mod sql_enum;

pub use audit::{AuditEntry, AuditVerification};
pub use check::CheckReport;
pub(crate) use check::check_with;
pub use connection::Keying;
pub use notice::OpenNotice;

use crate::crypto::random_fill;
use crate::error::{Error, Result};
use files::AttachmentFiles;
use keycheck::KeyCheck;
use paths::{StorePaths, create_private_dir, lock};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use std::fs;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

/// An open store: the one writing connection, and what a read-only connection beside it needs.
/// Not shared between threads by itself: the facade puts it behind a mutex.
pub(crate) struct Store {
    paths: StorePaths,
    conn: Connection,
    keying: Keying,
    /// Attachment files, and their master key (kept inside the encrypted database).
    files: Arc<AttachmentFiles>,
    /// What opening did that the user should hear of.
    notices: Vec<OpenNotice>,
    _lock: fs::File,
}

/// One write transaction (IMMEDIATE), with the time it happens at on the `Locker`'s clock. It
/// derefs to the connection; `audit` appends to the chain inside it.
pub(crate) struct Tx<'c> {
    tx: rusqlite::Transaction<'c>,
    now: i64,
}

impl Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.tx
    }
}

impl Tx<'_> {
    /// Milliseconds since the epoch on the `Locker`'s clock: every timestamp this transaction
    /// writes.
    pub(crate) fn now(&self) -> i64 {
        self.now
    }

    /// Appends an audit entry in this transaction: it commits, or vanishes, with the change.
    pub(crate) fn audit(&self, action: &str, subject: Option<&str>, detail: Option<&str>) -> Result<()> {
        audit::append(&self.tx, self.now, action, subject, detail)
    }

    /// A savepoint inside this transaction, for one item of a batch.
    pub(crate) fn savepoint(&mut self) -> Result<rusqlite::Savepoint<'_>> {
        Ok(self.tx.savepoint()?)
    }
}

/// A read-only connection beside the writer (WAL): lists, searches and reads run on it, so they
/// never wait behind an import, a check or a drain. It sees each write once it commits.
pub(crate) struct Reader {
    conn: Connection,
    files: Arc<AttachmentFiles>,
    paths: StorePaths,
    encrypted: bool,
}

impl Reader {
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn files(&self) -> &Arc<AttachmentFiles> {
        &self.files
    }
}

impl Store {
    /// Makes a new, empty store in `dir` (created if missing). Refuses if anything of a store is
    /// there.
    pub(crate) fn create(dir: &Path, keying: Keying, now: i64) -> Result<Store> {
        create_private_dir(dir)?;
        let paths = StorePaths::new(dir);
        let lock = lock(&paths)?;
        // Never over anything of a store: a directory whose database was lost still holds its
        // attachments and key check, which a new store would orphan.
        let found = paths.parts_present()?;
        if !found.is_empty() {
            return Err(Error::StoreExists { found: found.join(", ") });
        }
        create_private_dir(&paths.attachments)?;
        // Built under a temporary name and renamed into place: a crash leaves either no store
        // or a whole one, never a half-made one that would later look damaged.
        paths.remove_db_next()?;
        {
            let mut conn = connection::connect(&paths.db_next, keying.key(), true)?;
            schema::create(&mut conn)?;
            let mut master = Zeroizing::new([0u8; 32]);
            random_fill(master.as_mut())?;
            conn.execute("INSERT INTO meta (name, value) VALUES ('attachment_master_key', ?1)", [&master[..]])?;
            conn.close().map_err(|(_, e)| Error::from(e))?;
        }
        fs::File::open(&paths.db_next)?.sync_all()?;
        fs::rename(&paths.db_next, &paths.db)?;
        crate::files::sync_dir(&paths.dir)?;
        // After the rename: a crash before it leaves only what `create` may build over (the
        // lock file, `.next`), never a lone key check that would make the directory look like
        // a store that lost its database.
        if let Some(key) = keying.key() {
            KeyCheck::write(&paths.keycheck, &[key])?;
        }
        let mut store = Self::finish_open(paths, keying, lock, now)?;
        store.write(now, |tx| tx.audit("store.create", None, None))?;
        Ok(store)
    }

    /// Opens the store in `dir`. A wrong key gives [`Error::WrongKey`] without opening the
    /// database; a damaged one gives [`Error::Corrupt`]; a newer one
    /// [`Error::IncompatibleVersion`]. In all three cases every file is left as it was.
    pub(crate) fn open(dir: &Path, keying: Keying, now: i64) -> Result<Store> {
        let paths = StorePaths::new(dir);
        if !paths.db.exists() {
            let found = paths.parts_present()?;
            if found.is_empty() {
                return Err(Error::NotFound("store"));
            }
            return Err(Error::Corrupt(format!(
                "the database file locker.db is missing, but {} {} here: restore locker.db from a backup (a new store must not be made over them)",
                found.join(", "),
                if found.len() == 1 { "is" } else { "are" }
            )));
        }
        let lock = lock(&paths)?;
        Self::finish_open(paths, keying, lock, now)
    }

    fn finish_open(paths: StorePaths, keying: Keying, lock: fs::File, now: i64) -> Result<Store> {
        let kc = match keying.key() {
            Some(key) => {
                let kc = KeyCheck::read(&paths.keycheck)?;
                if matches!(kc, KeyCheck::Keys(_)) && !kc.accepts(key) {
                    return Err(Error::WrongKey);
                }
                Some(kc)
            }
            None => None,
        };
        let mut conn = connection::connect(&paths.db, keying.key(), false)?;
        let version = match connection::probe(&conn) {
            Ok(v) => v,
            Err(Error::Corrupt(_)) => {
                drop(conn);
                return Err(match (&kc, keying.key()) {
                    // The key check vouched for this key but the database is under the other
                    // one: a rekey was interrupted after the database moved on.
                    (Some(kc), _) if kc.rekey_in_flight() => Error::WrongKey,
                    (Some(KeyCheck::Keys(_)), _) => {
                        Error::Corrupt("the database does not decrypt under its key".into())
                    }
                    (Some(kc), Some(key)) if kc.is_unknown() => connection::classify_unreadable(&paths.db, key)?,
                    _ => Error::Corrupt("the database cannot be read".into()),
                });
            }
            Err(e) => return Err(e),
        };
        schema::ensure_readable(version, schema::CURRENT_VERSION)?;
        check::ensure_not_truncated(&paths)?;
        connection::configure(&conn)?;
        schema::upgrade(&mut conn, schema::UPGRADES, schema::CURRENT_VERSION)?;
        let mut notices = Vec::new();
        if let (Some(kc), Some(key)) = (&kc, keying.key())
            && (kc.is_unknown() || kc.rekey_in_flight())
        {
            // The database opened under this key: it is the one to vouch for from now on.
            KeyCheck::write(&paths.keycheck, &[key])?;
            if kc.is_unknown() {
                notices.push(OpenNotice::KeyCheckRewritten { was_damaged: matches!(kc, KeyCheck::Damaged) });
            }
        }
        paths.remove_db_next()?;
        let master: Zeroizing<Vec<u8>> = Zeroizing::new(
            conn.query_row("SELECT value FROM meta WHERE name = 'attachment_master_key'", [], |r| r.get(0))
                .optional()?
                .ok_or_else(|| Error::Corrupt("the store's attachment key is missing".into()))?,
        );
        let master = Zeroizing::new(
            <[u8; 32]>::try_from(master.as_slice())
                .map_err(|_| Error::Corrupt("the store's attachment key is malformed".into()))?,
        );
        let files = Arc::new(AttachmentFiles { dir: paths.attachments.clone(), master });
        let mut store = Store { paths, conn, keying, files, notices, _lock: lock };
        files::settle_at_open(&store.conn, &store.files)?;
        if let Some(OpenNotice::KeyCheckRewritten { was_damaged }) = store.notices.first().cloned() {
            let detail = if was_damaged { "was=damaged" } else { "was=missing" };
            store.write(now, |tx| tx.audit("keycheck.rewritten", None, Some(detail)))?;
        }
        Ok(store)
    }

    /// What opening this store did that the user should hear of (empty for a store that
    /// opened as it was left).
    pub(crate) fn notices(&self) -> &[OpenNotice] {
        &self.notices
    }

    /// The directory this store lives in.
    pub(crate) fn dir(&self) -> &Path {
        &self.paths.dir
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn files(&self) -> &Arc<AttachmentFiles> {
        &self.files
    }

    /// Runs `f` in one IMMEDIATE transaction stamped `now`, committed if `f` succeeds and
    /// rolled back whole if it fails (or panics).
    pub(crate) fn write<T>(&mut self, now: i64, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut tx = Tx { tx, now };
        let out = f(&mut tx)?;
        tx.tx.commit()?;
        Ok(out)
    }

    /// A new read-only connection to this store (see [`Reader`]).
    pub(crate) fn reader(&self) -> Result<Reader> {
        let conn = connection::connect_reader(&self.paths.db, self.keying.key())?;
        Ok(Reader {
            conn,
            files: Arc::clone(&self.files),
            paths: self.paths.clone(),
            encrypted: self.keying.key().is_some(),
        })
    }

    /// Overwrites the write-ahead log's copies of pages that held deleted data: folds the log
    /// into the database and truncates it. A read still open elsewhere (a `check` on its own
    /// connection) holds the log; this waits a little for it, and says `Busy` if it stays (the
    /// erasure itself stands; the next scrub or close folds the log away).
    pub(crate) fn scrub_wal(&self) -> Result<()> {
        const TRIES: u32 = 100;
        for _ in 0..TRIES {
            let busy: i64 = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
            if busy == 0 {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Err(Error::Busy)
    }
}
