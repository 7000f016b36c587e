//! Where a store's files are, what counts as part of a store, and the lock that keeps a store
//! to one process.

use crate::error::{Error, Result};
use std::fs;
use std::path::{Path, PathBuf};

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
    pub(crate) fn new(dir: &Path) -> Self {
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
    pub(crate) fn remove_db_next(&self) -> Result<()> {
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

/// How long to wait for another holder of the store to let go before reporting `Busy`: long
/// enough for a closing instance (or a process that forked while holding the lock and has not
/// yet exec'd) to finish, short enough that a person is not left waiting.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

pub(crate) fn lock(paths: &StorePaths) -> Result<fs::File> {
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

pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
