//! A record's bundle back out, byte for byte as imported: the stored skeleton with each large
//! inline value streamed back in from its attachment file. The rows are read first (briefly, on
//! the reader); the bytes then stream with no lock held.

use crate::error::{Error, Result};
use crate::store::body;
use crate::store::files::{AttachmentFiles, Encoding, StoredFile, copy};
use base64::engine::general_purpose::STANDARD;
use rusqlite::{Connection, OptionalExtension};
use std::io::Write;

/// What it takes to write one record's bundle: its skeleton and where its inline data goes.
pub(crate) struct Bundle {
    skeleton: Vec<u8>,
    holes: Vec<(usize, StoredFile)>,
}

/// Reads a record's skeleton and the rows of its spliced attachments.
pub(crate) fn locate(conn: &Connection, id: &str) -> Result<Bundle> {
    let (rowid, stored, expected): (i64, Vec<u8>, i64) = conn
        .prepare_cached(
            "SELECT r.id, b.skeleton, r.spliced_attachments FROM records r JOIN record_bodies b ON b.record_id = r.id
             WHERE r.uid = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or(Error::NotFound("record"))?;
    let skeleton = body::unpack(&stored)?;
    let holes: Vec<(usize, StoredFile)> = {
        let mut st = conn.prepare_cached(
            "SELECT splice_offset, uid, salt, plain_len, encoding FROM attachments
             WHERE record_id = ?1 AND splice_offset IS NOT NULL ORDER BY splice_offset",
        )?;
        let rows = st.query_map([rowid], |r| {
            Ok((
                r.get::<_, i64>(0)? as usize,
                StoredFile {
                    uid: r.get(1)?,
                    salt: r.get(2)?,
                    plain_len: r.get::<_, i64>(3)? as u64,
                    encoding: r.get(4)?,
                },
            ))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if holes.len() as i64 != expected || holes.iter().any(|(off, _)| *off > skeleton.len()) {
        return Err(Error::Corrupt("an attachment of this record is missing".into()));
    }
    Ok(Bundle { skeleton, holes })
}

impl Bundle {
    /// Writes the bundle exactly as it was imported; returns its length.
    pub(crate) fn write_to(&self, files: &AttachmentFiles, out: &mut dyn Write) -> Result<u64> {
        let mut written = 0u64;
        let mut pos = 0;
        for (off, f) in &self.holes {
            out.write_all(&self.skeleton[pos..*off])?;
            written += (*off - pos) as u64;
            let mut stored = files.open(f)?;
            written += match f.encoding {
                Encoding::Base64 => {
                    let mut enc = base64::write::EncoderWriter::new(&mut *out, &STANDARD);
                    let n = copy(&mut stored, &mut enc)?;
                    enc.finish()?;
                    n.div_ceil(3) * 4
                }
                Encoding::JsonString | Encoding::Binary => copy(&mut stored, out)?,
            };
            pos = *off;
        }
        out.write_all(&self.skeleton[pos..])?;
        written += (self.skeleton.len() - pos) as u64;
        Ok(written)
    }
}
