//! Attachment files: PDFs, scans, images, and inline data moved out of bundles, each sealed
//! into its own chunked AES-256-GCM file (crypto::attachment_stream) under a key derived from
//! the store's master key and the file's own salt, which lives only in its row.
//!
//! A file is written whole under a temporary name (`<uid>.tmp`) and fsynced, its row is
//! committed, and only then is it renamed to `<uid>.hla`; deletion runs the other way (row
//! first, file after). So a crash leaves at most a `.tmp`: one whose row committed is put in
//! place at the next open, one without a row is removed (it is ours and holds nothing anyone
//! stored). Opening never removes anything else: an `.hla` file without a row, a row whose file
//! has vanished, a file of another name are left as found and reported by `check`; the records
//! that used a vanished file fail export with `Corrupt` rather than come back incomplete.

use super::io_pipeline::{ReadAhead, WriteBehind};
use crate::crypto::attachment_stream::{CHUNK_LEN, Direct, FileKey, HEADER_LEN, Opener, Sealer, TAG_LEN};
use crate::crypto::{random_fill, random_uid};
use crate::error::{Error, Result};
use crate::files::{EarlyWriteback, sync_dir};
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashSet;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// One sealed chunk with its tag: the unit the I/O threads hand over.
const PIPE_BLOCK: usize = CHUNK_LEN + TAG_LEN;
/// Blocks in flight between the crypto and the file: 16 × 64 KiB.
const PIPE_DEPTH: usize = 16;

/// How an attachment's stored bytes relate to what the user sees and what export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Added as a file; the bytes are the content.
    Binary,
    /// Inline data that was canonical base64: stored decoded, re-encoded on export.
    Base64,
    /// Inline data in any other form: stored verbatim, decoded leniently when read.
    JsonString,
}

impl Encoding {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Encoding::Binary => "binary",
            Encoding::Base64 => "base64",
            Encoding::JsonString => "json-string",
        }
    }

    pub(crate) fn from_code(s: &str) -> Option<Encoding> {
        [Encoding::Binary, Encoding::Base64, Encoding::JsonString].into_iter().find(|e| e.code() == s)
    }
}

super::sql_enum::stored_as_text!(Encoding);

/// A file written and durable, not yet in the database.
pub(crate) struct NewFile {
    pub uid: String,
    pub salt: [u8; 32],
    pub plain_len: u64,
}

/// An attachment file being written: sealed chunk by chunk into `<uid>.tmp` and made durable by
/// `finish`; renamed to `<uid>.hla` once its row is committed. Dropped unfinished, it removes
/// its temporary.
pub(crate) struct PendingFile {
    uid: String,
    salt: [u8; 32],
    tmp: PathBuf,
    sealer: Option<Sealer<WriteBehind<EarlyWriteback>>>,
}

impl PendingFile {
    /// Flushes and fsyncs the file, and its directory entry: a row committed after this never
    /// names a file a crash could lose. It keeps its temporary name until its row is committed
    /// ([`AttachmentFiles::publish`]); until then [`AttachmentFiles::remove`] takes it back.
    pub(crate) fn finish(mut self) -> Result<NewFile> {
        let sealer = self.sealer.take().ok_or_else(|| Error::Io(io::Error::other("attachment file already closed")))?;
        let (behind, plain_len) = sealer.finish()?;
        behind.finish()?.into_file().sync_all()?;
        if let Some(dir) = self.tmp.parent() {
            sync_dir(dir)?;
        }
        Ok(NewFile { uid: std::mem::take(&mut self.uid), salt: self.salt, plain_len })
    }
}

impl PendingFile {
    /// Seals all of `from` into the file, read straight into the sealer's buffer.
    pub(crate) fn read_from(&mut self, from: &mut dyn Read) -> io::Result<u64> {
        self.sealer.as_mut().ok_or_else(|| io::Error::other("attachment file already closed"))?.read_from(from)
    }
}

impl Write for PendingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sealer.as_mut().ok_or_else(|| io::Error::other("attachment file already closed"))?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.uid.is_empty() {
            // Unfinished, or failed while finishing: the temporary must not linger.
            self.sealer = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Where and how one stored attachment is read.
pub(crate) struct StoredFile {
    pub uid: String,
    pub salt: Vec<u8>,
    pub plain_len: u64,
    pub encoding: Encoding,
}

/// Copies with chunk-sized buffers: `io::copy`'s 8 KiB would split every chunk eight ways.
pub(crate) fn copy(from: &mut dyn Read, to: &mut dyn Write) -> io::Result<u64> {
    let mut buf = vec![0u8; CHUNK_LEN];
    let mut total = 0;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
}

fn uid_bytes(uid: &str) -> Result<[u8; 16]> {
    uuid::Uuid::parse_str(uid)
        .map(|u| *u.as_bytes())
        .map_err(|_| Error::Corrupt("an attachment id is malformed".into()))
}

/// The attachment directory and the key that opens its files.
pub(crate) struct AttachmentFiles {
    pub dir: PathBuf,
    pub master: Zeroizing<[u8; 32]>,
}

impl AttachmentFiles {
    fn path(&self, uid: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{uid}.{ext}"))
    }

    fn key(&self, uid: &str, salt: &[u8]) -> Result<FileKey> {
        let salt: &[u8; 32] = salt.try_into().map_err(|_| Error::Corrupt("an attachment salt is malformed".into()))?;
        Ok(FileKey::derive(&self.master, salt, &uid_bytes(uid)?))
    }

    /// Seals what `fill` writes into a new, durable attachment file.
    pub(crate) fn write(&self, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<NewFile> {
        let mut pending = self.create()?;
        fill(&mut pending)?;
        pending.finish()
    }

    /// Starts a new attachment file under a temporary name; it becomes durable at `finish`, and
    /// vanishes if dropped before.
    pub(crate) fn create(&self) -> Result<PendingFile> {
        let uid = random_uid()?;
        let mut salt = [0u8; 32];
        random_fill(&mut salt)?;
        let tmp = self.path(&uid, "tmp");
        let file = fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let mut pending = PendingFile { uid, salt, tmp, sealer: None };
        let behind = WriteBehind::new(EarlyWriteback::new(file), PIPE_BLOCK, PIPE_DEPTH)?;
        pending.sealer = Some(Sealer::new(behind, self.key(&pending.uid, &salt)?)?);
        Ok(pending)
    }

    /// Opens and verifies a stored file; yields its stored bytes.
    pub(crate) fn open(&self, f: &StoredFile) -> Result<impl BufRead + Send + use<>> {
        // A committed row whose file is not yet renamed (the writer is between its commit and
        // `publish`, or crashed there) has its whole, fsynced content under the temporary name.
        let file = match fs::File::open(self.path(&f.uid, "hla")) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::File::open(self.path(&f.uid, "tmp")) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(Error::Corrupt("an attachment file is missing".into()));
                }
                Err(e) => return Err(e.into()),
            },
            Err(e) => return Err(e.into()),
        };
        let len = file.metadata()?.len();
        let key = self.key(&f.uid, &f.salt)?;
        // Small files are read directly: a thread would cost more than it overlaps.
        let opened: Box<dyn BufRead + Send> = if len > 4 * PIPE_BLOCK as u64 {
            Box::new(Opener::new(ReadAhead::new(file, HEADER_LEN, PIPE_BLOCK, PIPE_DEPTH)?, key, len)?)
        } else {
            Box::new(Opener::new(Direct(BufReader::with_capacity(PIPE_BLOCK, file)), key, len)?)
        };
        Ok(ExactLen { inner: opened, remaining: f.plain_len })
    }

    /// Renames files whose rows are now committed to their final names. Best effort, and not
    /// made durable: a file left (or after a crash, found again) under its temporary name is
    /// still read (see `open`), and is renamed at the next open.
    pub(crate) fn publish(&self, uids: &[String]) {
        for uid in uids {
            let _ = fs::rename(self.path(uid, "tmp"), self.path(uid, "hla"));
        }
    }

    /// Unlinks the files of rows that are gone (or were never committed), under either name. A
    /// failure here only leaves a file `check` reports; it is already undecryptable without its
    /// row's salt.
    pub(crate) fn remove(&self, uids: &[String]) {
        for uid in uids {
            for ext in ["hla", "tmp"] {
                let _ = fs::remove_file(self.path(uid, ext));
            }
        }
    }
}

/// At open: a temporary file whose row committed is put in place; one without a row is
/// removed. Nothing else is touched (see the module documentation).
pub(crate) fn settle_at_open(conn: &Connection, files: &AttachmentFiles) -> Result<()> {
    if !files.dir.is_dir() {
        // The whole directory is gone: leave every row for `check` to report rather than
        // conclude that every attachment was lost.
        fs::create_dir_all(&files.dir)?;
        return Ok(());
    }
    let mut temporaries = Vec::new();
    for entry in fs::read_dir(&files.dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(uid) = name.strip_suffix(".tmp").filter(|uid| uuid::Uuid::parse_str(uid).is_ok()) {
            temporaries.push(uid.to_owned());
        }
    }
    if temporaries.is_empty() {
        return Ok(());
    }
    let in_db = uids(conn)?;
    let (committed, abandoned): (Vec<String>, Vec<String>) =
        temporaries.into_iter().partition(|uid| in_db.contains(uid));
    files.publish(&committed);
    // Best effort: a file that cannot be removed now (read-only media, a permission changed by
    // hand) must not keep the store from opening; it is tried again at the next open, and
    // without its row it can never be decrypted.
    for uid in abandoned {
        let _ = fs::remove_file(files.path(&uid, "tmp"));
    }
    Ok(())
}

/// Every attachment file a row names.
fn uids(conn: &Connection) -> Result<HashSet<String>> {
    let mut st = conn.prepare("SELECT uid FROM attachments")?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Files in the attachment directory that belong to no attachment of this store, by name:
/// what `check` reports and nothing ever removes.
pub(crate) fn strays(conn: &Connection, files: &AttachmentFiles) -> Result<Vec<String>> {
    let in_db = uids(conn)?;
    let mut stray = Vec::new();
    let entries = match fs::read_dir(&files.dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(stray),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        // A `.tmp` named by a uid is an upload in progress (or one the next open settles).
        let ours = name.strip_suffix(".hla").is_some_and(|u| in_db.contains(u))
            || name.strip_suffix(".tmp").is_some_and(|u| uuid::Uuid::parse_str(u).is_ok());
        if !ours {
            stray.push(format!("attachments/{name}"));
        }
    }
    stray.sort();
    Ok(stray)
}

/// Where and how the file of attachment `uid` is read, from its row.
pub(crate) fn stored_file(conn: &Connection, uid: &str) -> Result<Option<StoredFile>> {
    let row: Option<(String, Vec<u8>, i64, Encoding)> = conn
        .query_row("SELECT uid, salt, plain_len, encoding FROM attachments WHERE uid = ?1", [uid], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    Ok(row.map(|(uid, salt, plain_len, encoding)| StoredFile { uid, salt, plain_len: plain_len as u64, encoding }))
}

/// Holds a verified stream to the length its row promised: a file that authenticates but
/// decodes to another length (a row swapped with another's) is tampering too.
struct ExactLen<R> {
    inner: R,
    remaining: u64,
}

impl<R: BufRead> BufRead for ExactLen<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let remaining = self.remaining;
        let b = self.inner.fill_buf()?;
        if b.len() as u64 > remaining || (b.is_empty() && remaining != 0) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, crate::crypto::attachment_stream::TamperedStream));
        }
        Ok(b)
    }

    fn consume(&mut self, n: usize) {
        self.remaining = self.remaining.saturating_sub(n as u64);
        self.inner.consume(n);
    }
}

impl<R: Read> Read for ExactLen<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.remaining || (n == 0 && !buf.is_empty() && self.remaining != 0) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, crate::crypto::attachment_stream::TamperedStream));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}
