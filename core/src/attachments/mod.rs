//! Attachments: files kept for a profile (a scanned report, a photo of a prescription) and the
//! inline data of records, which import moves out of bundles. Content streams in and out in
//! pieces with bounded memory, sealed and verified chunk by chunk (`store::files`); the store's
//! writer is held only to record an attachment, never while its bytes move.

use crate::Locker;
use crate::error::{Error, Result};
use crate::fhir::base64_text::LenientBase64;
use crate::files::write_atomically;
use crate::store::files::{self, Encoding, NewFile, PendingFile};
use rusqlite::{Connection, OptionalExtension, params};
use std::fs;
use std::io::{self, BufRead, Read, Write};
use std::path::Path;

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
    inner: Box<dyn BufRead + Send>,
    pub info: AttachmentInfo,
}

impl Read for AttachmentReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl AttachmentReader {
    /// Writes the rest of the content to `out`, each authenticated piece straight from where it
    /// was decrypted; returns how many bytes.
    pub fn copy_to(&mut self, out: &mut dyn Write) -> Result<u64> {
        let mut total = 0u64;
        loop {
            let piece = self.inner.fill_buf()?;
            if piece.is_empty() {
                return Ok(total);
            }
            out.write_all(piece)?;
            let n = piece.len();
            self.inner.consume(n);
            total += n as u64;
        }
    }

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

/// An attachment being written piece by piece (see [`Attachments::begin`]). Until it is
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
        Ok(self.file.as_mut().ok_or(Error::InvalidInput(UPLOAD_FINISHED.into()))?.write_all(bytes)?)
    }

    /// Gives up: the temporary file is removed and nothing is stored.
    pub fn abort(&mut self) {
        self.file = None;
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

/// A profile's attachments: the room [`Locker::attachments`] hands out.
pub struct Attachments<'a>(pub(crate) &'a Locker);

impl Attachments<'_> {
    /// Starts an attachment that arrives piece by piece. Writing needs no access to the store,
    /// so other work goes on meanwhile; [`Attachments::commit`] stores it.
    pub fn begin(&self, profile_id: &str, media_type: &str) -> Result<AttachmentUpload> {
        let media_type = valid_media_type(media_type)?;
        let files = self.0.read(|r| {
            crate::profiles::rowid(r.conn(), profile_id)?;
            Ok(std::sync::Arc::clone(r.files()))
        })?;
        let file = files.create()?;
        Ok(AttachmentUpload { profile_id: profile_id.to_owned(), media_type, file: Some(file) })
    }

    /// Makes an upload's file durable and records it. The upload is finished either way; on
    /// failure nothing of it remains.
    pub fn commit(&self, upload: &mut AttachmentUpload) -> Result<AttachmentInfo> {
        let f = upload.take()?.finish()?;
        let (profile_id, media_type) = (upload.profile_id.clone(), upload.media_type.clone());
        self.0.with_store(|s| {
            let now = self.0.now_ms();
            let written = s.write(now, |tx| {
                let profile = crate::profiles::rowid(tx, &profile_id)?;
                insert(tx, tx.now(), &f, profile, None, None, Encoding::Binary, &media_type)?;
                tx.audit("attachment.add", Some(&f.uid), None)
            });
            match written {
                Ok(()) => s.files().publish(std::slice::from_ref(&f.uid)),
                Err(e) => {
                    s.files().remove(std::slice::from_ref(&f.uid));
                    return Err(e);
                }
            }
            info(s.conn(), &f.uid)
        })
    }

    /// Stores an attachment streamed from `content`; the store stays free for other work while
    /// the content is sealed.
    pub fn add(&self, profile_id: &str, media_type: &str, content: &mut dyn Read) -> Result<AttachmentInfo> {
        let mut upload = self.begin(profile_id, media_type)?;
        upload.file.as_mut().ok_or(Error::InvalidInput(UPLOAD_FINISHED.into()))?.read_from(content)?;
        self.commit(&mut upload)
    }

    /// Stores the file at `path` as an attachment.
    pub fn add_file(&self, profile_id: &str, media_type: &str, path: &Path) -> Result<AttachmentInfo> {
        self.add(profile_id, media_type, &mut fs::File::open(path)?)
    }

    pub fn get(&self, id: &str) -> Result<AttachmentInfo> {
        self.0.read(|r| info(r.conn(), id))
    }

    /// A profile's attachments, newest first.
    pub fn list(&self, profile_id: &str) -> Result<Vec<AttachmentInfo>> {
        self.0.read(|r| {
            let profile = crate::profiles::rowid(r.conn(), profile_id)?;
            let mut st =
                r.conn().prepare_cached(&format!("{INFO_SELECT} WHERE a.profile_id = ?1 ORDER BY a.id DESC"))?;
            let rows = st.query_map([profile], info_from_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Streams an attachment's content, every chunk verified before it is handed out. The
    /// stream needs no lock: other work goes on while it is read.
    pub fn open(&self, id: &str) -> Result<AttachmentReader> {
        let (info, stored, files) = self.0.read(|r| {
            let info = info(r.conn(), id)?;
            let stored = files::stored_file(r.conn(), id)?.ok_or(Error::NotFound("attachment"))?;
            Ok((info, stored, std::sync::Arc::clone(r.files())))
        })?;
        let content = match files.open(&stored) {
            Ok(c) => c,
            // Deleted between the read of its row and the open of its file: gone, not damaged.
            Err(_) if self.0.read(|r| files::stored_file(r.conn(), id))?.is_none() => {
                return Err(Error::NotFound("attachment"));
            }
            Err(e) => return Err(e),
        };
        let inner: Box<dyn BufRead + Send> = match stored.encoding {
            Encoding::Binary | Encoding::Base64 => Box::new(content),
            Encoding::JsonString => Box::new(io::BufReader::new(LenientBase64::new(content))),
        };
        Ok(AttachmentReader { inner, info })
    }

    /// Writes an attachment's verified content to `dest` (replaced whole, never half-written).
    pub fn save_to(&self, id: &str, dest: &Path) -> Result<u64> {
        let mut reader = self.open(id)?;
        write_atomically(dest, |w| reader.copy_to(w))
    }

    /// Deletes an attachment that was added on its own (inline data of a record goes with the
    /// record).
    pub fn delete(&self, id: &str) -> Result<()> {
        self.0.with_store(|s| {
            let now = self.0.now_ms();
            s.write(now, |tx| {
                if info(tx, id)?.record_id.is_some() {
                    return Err(Error::InvalidInput("this attachment is part of a record; delete the record".into()));
                }
                tx.execute("DELETE FROM attachments WHERE uid = ?1", [id])?;
                tx.audit("attachment.delete", Some(id), None)
            })?;
            s.files().remove(&[id.to_owned()]);
            Ok(())
        })
    }
}

/// Records a file written for profile `profile` (row id), as inline data of `record` at
/// `splice_offset` when it is one, at `now`, inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert(
    conn: &Connection,
    now: i64,
    f: &NewFile,
    profile: i64,
    record: Option<i64>,
    splice_offset: Option<usize>,
    encoding: Encoding,
    media_type: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO attachments (uid, profile_id, record_id, splice_offset, encoding, media_type, salt, plain_len,
             created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        f.uid,
        profile,
        record,
        splice_offset.map(|o| o as i64),
        encoding,
        media_type,
        &f.salt[..],
        f.plain_len as i64,
        now
    ])?;
    Ok(())
}

/// The files of attachments matching a profile or a record (by row id), for removing once
/// their rows are gone.
pub(crate) fn uids_of(conn: &Connection, of: Owner) -> Result<Vec<String>> {
    let (sql, id) = match of {
        Owner::Profile(id) => ("SELECT uid FROM attachments WHERE profile_id = ?1", id),
        Owner::Record(id) => ("SELECT uid FROM attachments WHERE record_id = ?1", id),
    };
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whose attachments: a profile's or a record's, by row id.
pub(crate) enum Owner {
    Profile(i64),
    Record(i64),
}

fn info(conn: &Connection, id: &str) -> Result<AttachmentInfo> {
    conn.prepare_cached(&format!("{INFO_SELECT} WHERE a.uid = ?1"))?
        .query_row([id], info_from_row)
        .optional()?
        .ok_or(Error::NotFound("attachment"))
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
