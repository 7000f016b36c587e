//! Attachment files and their rows: PDFs, scans, images, and inline data moved out of bundles.
//!
//! A file is written whole under a temporary name (`<uid>.tmp`) and fsynced, its row is
//! committed, and only then is it renamed to `<uid>.hla`; deletion runs the other way (row
//! first, file after). So a crash leaves at most a `.tmp`: one whose row committed is put in
//! place at the next open, one without a row is removed (it is ours and holds nothing anyone
//! stored). Opening never removes anything else: an `.hla` file without a row, a row whose file
//! has vanished, a file of another name are left as found and reported by `check`; the records
//! that used a vanished file fail export with `Corrupt` rather than come back incomplete.

use super::io_pipeline::{ReadAhead, WriteBehind};
use super::{Store, audit, now_ms};
use crate::crypto::attachment_stream::{CHUNK_LEN, Direct, FileKey, HEADER_LEN, Opener, Sealer, TAG_LEN};
use crate::crypto::{random_fill, random_uid};
use crate::error::{Error, Result};
use crate::fhir::base64_text::LenientBase64;
use crate::files::{EarlyWriteback, sync_dir};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use std::collections::HashSet;
use std::fs;
use std::io::{self, BufReader, Read, Write};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// One sealed chunk with its tag: the unit the I/O threads hand over.
const PIPE_BLOCK: usize = CHUNK_LEN + TAG_LEN;
/// Blocks in flight between the crypto and the file: 4 × 64 KiB.
const PIPE_DEPTH: usize = 4;

/// What an attachment is, without its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub id: String,
    pub profile_id: String,
    /// The record this attachment was inline data of, if any.
    pub record_id: Option<String>,
    pub media_type: String,
    /// Bytes as stored (decoded content, or the verbatim text of non-canonical inline data).
    pub size: u64,
    pub created_at_ms: i64,
}

/// A verified stream of an attachment's content.
pub struct AttachmentReader {
    inner: Box<dyn Read + Send>,
    pub info: AttachmentInfo,
}

impl Read for AttachmentReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl AttachmentReader {
    /// The largest piece `read_chunk` hands out at once.
    pub const MAX_CHUNK: usize = 1024 * 1024;

    /// The next `max` bytes (at most `MAX_CHUNK`), fewer only at the end; empty once the
    /// content is all read. Every byte was authenticated before it is returned.
    pub fn read_chunk(&mut self, max: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; max.clamp(1, Self::MAX_CHUNK)];
        let mut n = 0;
        while n < buf.len() {
            match self.inner.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        buf.truncate(n);
        Ok(buf)
    }
}

/// An attachment being written piece by piece (see `Store::begin_attachment`). Until it is
/// committed it is only a sealed temporary file, removed if the upload is dropped or aborted.
pub struct AttachmentUpload {
    profile_id: String,
    media_type: String,
    file: Option<PendingFile>,
}

const UPLOAD_FINISHED: &str = "this attachment upload is already finished";

impl AttachmentUpload {
    /// Seals the next piece of content.
    pub fn write_chunk(&mut self, bytes: &[u8]) -> Result<()> {
        Ok(self.pending()?.write_all(bytes)?)
    }

    /// Gives up: the temporary file is removed and nothing is stored.
    pub fn abort(&mut self) {
        self.file = None;
    }

    fn pending(&mut self) -> Result<&mut PendingFile> {
        self.file.as_mut().ok_or(Error::InvalidInput(UPLOAD_FINISHED.into()))
    }

    fn take(&mut self) -> Result<PendingFile> {
        self.file.take().ok_or(Error::InvalidInput(UPLOAD_FINISHED.into()))
    }
}

impl Write for AttachmentUpload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().ok_or_else(|| io::Error::other(UPLOAD_FINISHED))?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

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
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Encoding::Binary => "binary",
            Encoding::Base64 => "base64",
            Encoding::JsonString => "json-string",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Encoding> {
        Ok(match s {
            "binary" => Encoding::Binary,
            "base64" => Encoding::Base64,
            "json-string" => Encoding::JsonString,
            _ => return Err(Error::Corrupt("unknown attachment encoding".into())),
        })
    }
}

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
    /// Flushes and fsyncs the file. It keeps its temporary name until its row is committed
    /// ([`AttachmentFiles::publish`]); until then [`AttachmentFiles::remove`] takes it back.
    pub(crate) fn finish(mut self) -> Result<NewFile> {
        let sealer = self.sealer.take().ok_or_else(|| Error::Io(io::Error::other("attachment file already closed")))?;
        let (behind, plain_len) = sealer.finish()?;
        behind.finish()?.into_file().sync_all()?;
        Ok(NewFile { uid: std::mem::take(&mut self.uid), salt: self.salt, plain_len })
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
    pub(crate) fn open(&self, f: &StoredFile) -> Result<impl Read + Send + use<>> {
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
        let opened: Box<dyn Read + Send> = if len > 4 * PIPE_BLOCK as u64 {
            Box::new(Opener::new(ReadAhead::new(file, HEADER_LEN, PIPE_BLOCK, PIPE_DEPTH)?, key, len)?)
        } else {
            Box::new(Opener::new(Direct(BufReader::with_capacity(PIPE_BLOCK, file)), key, len)?)
        };
        Ok(ExactLen { inner: opened, remaining: f.plain_len })
    }

    /// Renames files whose rows are now committed to their final names. Best effort: a file
    /// left under its temporary name is still read (see `open`) and is renamed at the next open.
    pub(crate) fn publish(&self, uids: &[String]) {
        let mut renamed = false;
        for uid in uids {
            renamed |= fs::rename(self.path(uid, "tmp"), self.path(uid, "hla")).is_ok();
        }
        if renamed {
            let _ = sync_dir(&self.dir);
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

impl Store {
    /// Stores a new attachment for a profile, streamed from `content`.
    pub fn add_attachment(
        &mut self,
        profile_id: &str,
        media_type: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentInfo> {
        let mut upload = self.begin_attachment(profile_id, media_type)?;
        copy(content, &mut upload)?;
        self.commit_attachment(&mut upload)
    }

    /// Starts an attachment that arrives piece by piece. Writing needs no access to the store,
    /// so other work goes on meanwhile; `commit_attachment` stores it.
    pub fn begin_attachment(&self, profile_id: &str, media_type: &str) -> Result<AttachmentUpload> {
        let media_type = valid_media_type(media_type)?;
        self.profile_rowid(profile_id)?;
        let file = self.files.create()?;
        Ok(AttachmentUpload { profile_id: profile_id.to_owned(), media_type, file: Some(file) })
    }

    /// Makes an upload's file durable and records it. The upload is finished either way; on
    /// failure nothing of it remains.
    pub fn commit_attachment(&mut self, upload: &mut AttachmentUpload) -> Result<AttachmentInfo> {
        let f = upload.take()?.finish()?;
        let result = (|| {
            let profile = self.profile_rowid(&upload.profile_id)?;
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            insert_row(&tx, &f, profile, None, None, Encoding::Binary, &upload.media_type)?;
            audit::append(&tx, "attachment.add", Some(&f.uid), None)?;
            tx.commit()?;
            Ok(())
        })();
        if let Err(e) = result {
            self.files.remove(std::slice::from_ref(&f.uid));
            return Err(e);
        }
        self.files.publish(std::slice::from_ref(&f.uid));
        self.attachment(&f.uid)
    }

    pub fn attachment(&self, id: &str) -> Result<AttachmentInfo> {
        self.conn()
            .query_row(&format!("{INFO_SELECT} WHERE a.uid = ?1"), [id], info_from_row)
            .optional()?
            .ok_or(Error::NotFound("attachment"))
    }

    /// A profile's attachments, newest first.
    pub fn attachments(&self, profile_id: &str) -> Result<Vec<AttachmentInfo>> {
        let profile = self.profile_rowid(profile_id)?;
        let mut st = self.conn().prepare(&format!("{INFO_SELECT} WHERE a.profile_id = ?1 ORDER BY a.id DESC"))?;
        let rows = st.query_map([profile], info_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Streams an attachment's content, every chunk verified before it is handed out.
    pub fn open_attachment(&self, id: &str) -> Result<AttachmentReader> {
        let info = self.attachment(id)?;
        let f = self.stored_file(id)?.ok_or(Error::NotFound("attachment"))?;
        let stored = self.files.open(&f)?;
        let inner: Box<dyn Read + Send> = match f.encoding {
            Encoding::Binary | Encoding::Base64 => Box::new(stored),
            Encoding::JsonString => Box::new(LenientBase64::new(stored)),
        };
        Ok(AttachmentReader { inner, info })
    }

    pub(crate) fn stored_file(&self, id: &str) -> Result<Option<StoredFile>> {
        let row: Option<(String, Vec<u8>, i64, String)> = self
            .conn()
            .query_row("SELECT uid, salt, plain_len, encoding FROM attachments WHERE uid = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        row.map(|(uid, salt, plain_len, enc)| {
            Ok(StoredFile { uid, salt, plain_len: plain_len as u64, encoding: Encoding::parse(&enc)? })
        })
        .transpose()
    }

    /// Deletes an attachment that was added on its own (inline data of a record goes with the
    /// record).
    pub fn delete_attachment(&mut self, id: &str) -> Result<()> {
        let info = self.attachment(id)?;
        if info.record_id.is_some() {
            return Err(Error::InvalidInput("this attachment is part of a record; delete the record".into()));
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM attachments WHERE uid = ?1", [id])?;
        audit::append(&tx, "attachment.delete", Some(id), None)?;
        tx.commit()?;
        self.files.remove(&[id.to_owned()]);
        Ok(())
    }

    pub(crate) fn attachment_uids_where(&self, condition: &str, param: i64) -> Result<Vec<String>> {
        let mut st = self.conn().prepare(&format!("SELECT uid FROM attachments WHERE {condition}"))?;
        let rows = st.query_map([param], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// At open: a temporary file whose row committed is put in place; one without a row is
    /// removed. Nothing else is touched (see the module documentation).
    pub(crate) fn clean_attachments(&mut self) -> Result<()> {
        if !self.files.dir.is_dir() {
            // The whole directory is gone: leave every row for `check` to report rather than
            // conclude that every attachment was lost.
            fs::create_dir_all(&self.files.dir)?;
            return Ok(());
        }
        let mut temporaries = Vec::new();
        for entry in fs::read_dir(&self.files.dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if let Some(uid) = name.strip_suffix(".tmp").filter(|uid| uuid::Uuid::parse_str(uid).is_ok()) {
                temporaries.push(uid.to_owned());
            }
        }
        if temporaries.is_empty() {
            return Ok(());
        }
        let in_db: HashSet<String> = {
            let mut st = self.conn().prepare("SELECT uid FROM attachments")?;
            st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        let (committed, abandoned): (Vec<String>, Vec<String>) =
            temporaries.into_iter().partition(|uid| in_db.contains(uid));
        self.files.publish(&committed);
        for uid in abandoned {
            fs::remove_file(self.files.path(&uid, "tmp"))?;
        }
        Ok(())
    }

    /// Files in the attachment directory that belong to no attachment of this store, by name:
    /// what `check` reports and nothing ever removes.
    pub(crate) fn stray_attachment_files(&self) -> Result<Vec<String>> {
        let in_db: HashSet<String> = {
            let mut st = self.conn().prepare("SELECT uid FROM attachments")?;
            st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        let mut stray = Vec::new();
        let entries = match fs::read_dir(&self.files.dir) {
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
}

pub(crate) fn insert_row(
    conn: &rusqlite::Connection,
    f: &NewFile,
    profile: i64,
    record: Option<i64>,
    splice_offset: Option<usize>,
    encoding: Encoding,
    media_type: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO attachments (uid, profile_id, record_id, splice_offset, encoding, media_type, salt, plain_len, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![f.uid, profile, record, splice_offset.map(|o| o as i64), encoding.as_str(), media_type, &f.salt[..], f.plain_len as i64, now_ms()],
    )?;
    Ok(())
}

const INFO_SELECT: &str = "SELECT a.uid, p.uid, r.uid, a.media_type, a.plain_len, a.created_at
     FROM attachments a JOIN profiles p ON p.id = a.profile_id LEFT JOIN records r ON r.id = a.record_id";

fn info_from_row(r: &rusqlite::Row) -> rusqlite::Result<AttachmentInfo> {
    Ok(AttachmentInfo {
        id: r.get(0)?,
        profile_id: r.get(1)?,
        record_id: r.get(2)?,
        media_type: r.get(3)?,
        size: r.get::<_, i64>(4)? as u64,
        created_at_ms: r.get(5)?,
    })
}

fn valid_media_type(m: &str) -> Result<String> {
    let m = m.trim();
    let ok = m.len() <= 127
        && m.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
        && m.bytes().all(|b| b.is_ascii_graphic());
    if !ok {
        return Err(Error::InvalidInput("a media type looks like application/pdf".into()));
    }
    Ok(m.to_ascii_lowercase())
}

/// Holds a verified stream to the length its row promised: a file that authenticates but
/// decodes to another length (a row swapped with another's) is tampering too.
struct ExactLen<R> {
    inner: R,
    remaining: u64,
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
