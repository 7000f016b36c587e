//! Changing the store's key without a moment where neither key opens it.
//!
//! SQLCipher's in-place `PRAGMA rekey` rewrites pages through the write-ahead log under two
//! keys at once; we do not rely on how that behaves when killed halfway. Instead:
//!
//! 1. export the whole database under the new key to `locker.db.next`, fsync it;
//! 2. make the key check vouch for both keys;
//! 3. close the database (its WAL is checkpointed and removed), rename `.next` over it;
//! 4. reopen under the new key; make the key check vouch for the new key alone.
//!
//! Killed before 3's rename, the old key opens the store (and `.next` is cleared); after it,
//! the new key does. Either way the key check accepts the key that works, and a key that does
//! not work gets `WrongKey`, never `Corrupt`. The shell must therefore persist the new key
//! before calling rekey and keep the old one until rekey returns.
//!
//! Attachments are untouched: their master key lives inside the database and moves with it.

use super::keycheck::KeyCheck;
use super::{Keying, Store, connection, schema};
use crate::crypto::DatabaseKey;
use crate::error::{Error, Result};
use crate::files::sync_dir;
use rusqlite::Connection;
use std::fs;
use std::path::PathBuf;

impl Store {
    /// Re-encrypts the store under `new_key`. See the module documentation for what holds if
    /// the process dies part way.
    pub(crate) fn rekey(&mut self, new_key: DatabaseKey, now: i64) -> Result<()> {
        let old = self
            .keying
            .key()
            .cloned()
            .ok_or_else(|| Error::InvalidInput("an unencrypted store cannot be rekeyed".into()))?;
        self.paths.remove_db_next()?;
        if let Err(e) =
            self.export_to_next(&new_key).and_then(|()| KeyCheck::write(&self.paths.keycheck, &[&old, &new_key]))
        {
            self.abandon(&old);
            return Err(e);
        }
        // Close: SQLite checkpoints the WAL into the old file and deletes it.
        let closing = std::mem::replace(&mut self.conn, Connection::open_in_memory()?);
        let wal = PathBuf::from(format!("{}-wal", self.paths.db.display()));
        let closed = closing.close().map_err(|(_, e)| Error::from(e));
        if closed.is_err() || fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            // The old file still depends on its WAL; do not swap it out from under it.
            self.reconnect(&old)?;
            self.abandon(&old);
            return Err(closed.err().unwrap_or(Error::Busy));
        }
        if let Err(e) = fs::rename(&self.paths.db_next, &self.paths.db) {
            // The old file is still the store, under the old key.
            self.reconnect(&old)?;
            self.abandon(&old);
            return Err(e.into());
        }
        // From here the store is under the new key, whatever fails next: the connection and the
        // keying follow it first, and the failure is reported after.
        let synced = sync_dir(&self.paths.dir);
        self.reconnect(&new_key)?;
        self.keying = Keying::Key(new_key.clone());
        KeyCheck::write(&self.paths.keycheck, &[&new_key])?;
        synced?;
        self.write(now, |tx| tx.audit("key.rekey", None, None))
    }

    /// A rekey that did not happen: the half-made copy goes, and the key check vouches for the
    /// old key alone again. Best effort: a leftover copy is cleared by the next rekey or open,
    /// and a key check that still names both keys accepts the old one.
    fn abandon(&self, old: &DatabaseKey) {
        let _ = self.paths.remove_db_next();
        let _ = KeyCheck::write(&self.paths.keycheck, &[old]);
    }

    fn export_to_next(&self, new_key: &DatabaseKey) -> Result<()> {
        let conn = self.conn();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let path =
            self.paths.db_next.to_str().ok_or_else(|| Error::InvalidInput("the store path is not UTF-8".into()))?;
        let key_literal = zeroize::Zeroizing::new(format!("x'{}'", *new_key.to_hex()));
        // The connection was opened without SQLITE_OPEN_CREATE; an empty file is a new database.
        fs::File::create(&self.paths.db_next)?;
        conn.execute("ATTACH DATABASE ?1 AS rekeyed KEY ?2", [path, key_literal.as_str()])?;
        let exported = (|| {
            conn.execute_batch("PRAGMA rekeyed.cipher_compatibility = 4; PRAGMA rekeyed.synchronous = FULL;")?;
            conn.query_row("SELECT sqlcipher_export('rekeyed')", [], |_| Ok(()))?;
            conn.execute_batch(&format!("PRAGMA rekeyed.user_version = {};", schema::user_version(conn)?))?;
            Ok::<_, Error>(())
        })();
        conn.execute("DETACH DATABASE rekeyed", [])?;
        exported?;
        fs::File::open(&self.paths.db_next)?.sync_all()?;
        Ok(())
    }

    fn reconnect(&mut self, key: &DatabaseKey) -> Result<()> {
        let conn = connection::connect(&self.paths.db, Some(key), false)?;
        connection::probe(&conn)?;
        connection::configure(&conn)?;
        self.conn = conn;
        Ok(())
    }
}
