//! The encrypted local store: one directory holding the SQLCipher database, its key check, a
//! lock file and the attachment files. It opens with no network, never loses a committed write
//! to a crash, and never alters a byte of a database it could not open.
//!
//! ```text
//! <dir>/locker.db (+ -wal, -shm)   SQLCipher, raw 32-byte key
//! <dir>/locker.keycheck            tells a wrong key from a damaged file (see keycheck.rs)
//! <dir>/locker.lock                one process at a time
//! <dir>/attachments/<uid>.hla      chunked AES-256-GCM files (see crypto::attachment_stream)
//! ```

pub mod attachments;
pub mod audit;
mod body;
mod check;
mod connection;
pub mod enrolments;
mod io_pipeline;
mod keycheck;
pub mod profiles;
pub mod records;
mod rekey;
pub mod schema;

pub use attachments::{AttachmentInfo, AttachmentReader, AttachmentUpload};
pub use audit::{AuditEntry, AuditVerification};
pub use check::CheckReport;
pub use connection::Keying;
pub use profiles::{Gender, NewProfile, Profile, ProfileUpdate};
pub use records::{ImportOptions, RecordPage, RecordQuery, RecordSummary};

use crate::crypto::random_fill;
use crate::error::{Error, Result};
use keycheck::KeyCheck;
use rusqlite::{Connection, OptionalExtension};
use std::fs;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Where each of a store's files lives.
#[derive(Clone, Debug)]
pub(crate) struct StorePaths {
    pub dir: PathBuf,
    pub db: PathBuf,
    pub keycheck: PathBuf,
    pub lock: PathBuf,
    pub attachments: PathBuf,
    /// A database being built (by create or rekey) before it is renamed into place.
    pub db_next: PathBuf,
}

impl StorePaths {
    fn new(dir: &Path) -> Self {
        StorePaths {
            dir: dir.to_path_buf(),
            db: dir.join("locker.db"),
            keycheck: dir.join("locker.keycheck"),
            lock: dir.join("locker.lock"),
            attachments: dir.join("attachments"),
            db_next: dir.join("locker.db.next"),
        }
    }

    /// What of a store is in the directory, for refusing to build a new one over it and for
    /// telling a lost database from no store at all: names and counts, never contents. The lock
    /// file, a half-built `locker.db.next` and an empty attachment directory are what an
    /// interrupted `create` leaves, and do not count.
    pub(crate) fn parts_present(&self) -> Result<Vec<String>> {
        let mut found: Vec<String> =
            STORE_FILES.iter().filter(|name| self.dir.join(name).exists()).map(|name| name.to_string()).collect();
        match fs::read_dir(&self.attachments) {
            Ok(entries) => {
                let n = entries.count();
                if n > 0 {
                    found.push(format!("attachments/ ({n} file{})", if n == 1 { "" } else { "s" }));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
                found.push("attachments (not a directory)".into())
            }
            Err(e) => return Err(e.into()),
        }
        Ok(found)
    }

    /// Removes a half-built database left by a crash in create or rekey; its journal too.
    fn remove_db_next(&self) -> Result<()> {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", self.db_next.display()));
            match fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// The files of a store that hold its data (besides `attachments/`): a new store is never made
/// where any of them is, and a directory holding them without `locker.db` has lost its database.
pub(crate) const STORE_FILES: &[&str] =
    &["locker.db", "locker.db-wal", "locker.db-shm", "locker.db-journal", "locker.keycheck"];

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

/// An open store. Not shared between threads by itself: the facade puts it behind a mutex.
pub struct Store {
    paths: StorePaths,
    conn: Connection,
    keying: Keying,
    /// Attachment files, and their master key (kept inside the encrypted database).
    files: attachments::AttachmentFiles,
    /// What opening did that the user should hear of.
    notices: Vec<OpenNotice>,
    _lock: fs::File,
}

/// How long to wait for another holder of the store to let go before reporting `Busy`: long
/// enough for a closing instance (or a process that forked while holding the lock and has not
/// yet exec'd) to finish, short enough that a person is not left waiting.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

fn lock(paths: &StorePaths) -> Result<fs::File> {
    let f = fs::OpenOptions::new().create(true).truncate(false).write(true).open(&paths.lock)?;
    let started = std::time::Instant::now();
    loop {
        match f.try_lock() {
            Ok(()) => return Ok(f),
            Err(fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_PATIENCE => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(fs::TryLockError::WouldBlock) => return Err(Error::Busy),
            Err(fs::TryLockError::Error(e)) => return Err(e.into()),
        }
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

impl Store {
    /// Makes a new, empty store in `dir` (created if missing). Refuses if a store is there.
    pub fn create(dir: &Path, keying: Keying) -> Result<Store> {
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
        let mut store = Self::finish_open(paths, keying, lock)?;
        store.audit("store.create", None, None)?;
        Ok(store)
    }

    /// Opens the store in `dir`. A wrong key gives [`Error::WrongKey`] without opening the
    /// database; a damaged one gives [`Error::Corrupt`]; a newer one
    /// [`Error::IncompatibleVersion`]. In all three cases every file is left as it was.
    pub fn open(dir: &Path, keying: Keying) -> Result<Store> {
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
        Self::finish_open(paths, keying, lock)
    }

    fn finish_open(paths: StorePaths, keying: Keying, lock: fs::File) -> Result<Store> {
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
        let files = attachments::AttachmentFiles { dir: paths.attachments.clone(), master };
        let mut store = Store { paths, conn, keying, files, notices, _lock: lock };
        store.clean_attachments()?;
        if let Some(OpenNotice::KeyCheckRewritten { was_damaged }) = store.notices.first().cloned() {
            let detail = if was_damaged { "was=damaged" } else { "was=missing" };
            store.audit("keycheck.rewritten", None, Some(detail))?;
        }
        Ok(store)
    }

    /// What opening this store did that the user should hear of (empty for a store that
    /// opened as it was left).
    pub fn notices(&self) -> &[OpenNotice] {
        &self.notices
    }

    /// The directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.paths.dir
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
