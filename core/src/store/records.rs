//! Health records: ABDM document bundles, indexed for listing and search, stored whole.
//!
//! Import validates and indexes a bundle, cuts out inline data over 64 KiB into attachment
//! files, and commits record, body, search terms, attachments and audit entry together. Export
//! splices the data back, so the bundle comes out byte for byte as it went in.

use super::attachments::{Encoding, NewFile, StoredFile, copy, insert_row};
use super::{Store, audit, body, now_ms};
use crate::crypto::random_uid;
use crate::error::{Error, Result};
use crate::fhir::inline_data::{self, Span};
use crate::fhir::{BundleIndex, HiType, content_hash, index_bundle};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params, params_from_iter};
use std::io::Write;

/// The largest bundle accepted, attachments included.
pub const MAX_BUNDLE_BYTES: usize = 512 * 1024 * 1024;

/// Options for an import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The care context the record arrived under (from a HIP's data push), when known; it
    /// takes precedence over what the bundle says.
    pub care_context: Option<String>,
}

/// What a list shows about a record.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordSummary {
    pub id: String,
    pub profile_id: String,
    pub hi_type: HiType,
    /// The day the record is about, as written (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// The instant the record is about, UTC milliseconds (0 when undated); the sort key.
    pub sort_ms: i64,
    pub title: String,
    pub facility: Option<String>,
    pub author: Option<String>,
    pub care_context: Option<String>,
    /// Inline data moved to attachment storage.
    pub attachments: u32,
    pub imported_at_ms: i64,
}

/// Which records to list: newest first, `limit` at a time.
#[derive(Clone, Debug)]
pub struct RecordQuery {
    pub profile_id: Option<String>,
    /// Any of these types; empty means all.
    pub hi_types: Vec<HiType>,
    /// Inclusive bounds on the record's day, `YYYY-MM-DD`.
    pub from_date: Option<String>,
    pub to_date: Option<String>,
    /// Words to find in titles and display texts; the last may be a prefix.
    pub text: Option<String>,
    pub limit: u32,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl Default for RecordQuery {
    fn default() -> Self {
        RecordQuery {
            profile_id: None,
            hi_types: Vec::new(),
            from_date: None,
            to_date: None,
            text: None,
            limit: 50,
            cursor: None,
        }
    }
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordPage {
    pub records: Vec<RecordSummary>,
    /// Present when there may be more.
    pub next_cursor: Option<String>,
}

/// A bundle checked and indexed, ready to store.
struct Prepared<'a> {
    raw: &'a [u8],
    spans: Vec<Span>,
    skeleton: Vec<u8>,
    offsets: Vec<usize>,
    index: BundleIndex,
    hash: [u8; 32],
}

impl Prepared<'_> {
    /// What a list shows of this bundle, once stored as `id`.
    fn into_summary(self, id: String, profile_id: &str, imported_at_ms: i64) -> RecordSummary {
        let ix = self.index;
        RecordSummary {
            id,
            profile_id: profile_id.to_owned(),
            hi_type: ix.hi_type,
            sort_ms: ix.date.as_ref().map_or(0, |d| d.1),
            date: ix.date.map(|d| d.0),
            title: ix.title,
            facility: ix.facility,
            author: ix.author,
            care_context: ix.care_context,
            attachments: self.spans.len() as u32,
            imported_at_ms,
        }
    }
}

fn prepare<'a>(raw: &'a [u8], opts: &ImportOptions) -> Result<Prepared<'a>> {
    if raw.len() > MAX_BUNDLE_BYTES {
        return Err(Error::InvalidInput("the bundle is larger than 512 MiB".into()));
    }
    let spans = inline_data::large_data_spans(raw);
    let (skeleton, offsets) = inline_data::cut(raw, &spans);
    // Editors on Windows start files with a UTF-8 byte order mark, which JSON parsers refuse.
    // It is skipped for reading only: the stored bundle keeps it, so export stays byte-exact.
    let json = skeleton.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&skeleton);
    let value: serde_json::Value = serde_json::from_slice(json)?;
    let index = index_bundle(&value, opts.care_context.as_deref())?;
    let data: Vec<&[u8]> = spans.iter().map(|s| &raw[s.start..s.end]).collect();
    let hash = content_hash(&value, &data);
    Ok(Prepared { raw, spans, skeleton, offsets, index, hash })
}

/// Writes one span's data into an attachment: decoded when canonical, verbatim otherwise.
fn span_writer(text: &[u8]) -> (Encoding, impl FnOnce(&mut dyn Write) -> Result<()> + '_) {
    let canonical = inline_data::canonical_base64_len(text).is_some();
    let encoding = if canonical { Encoding::Base64 } else { Encoding::JsonString };
    let fill = move |w: &mut dyn Write| -> Result<()> {
        if !canonical {
            w.write_all(text)?;
            return Ok(());
        }
        // 4-character groups decode independently: go a chunk at a time, never whole.
        let mut buf = Vec::with_capacity(48 * 1024);
        for piece in text.chunks(64 * 1024) {
            buf.clear();
            STANDARD
                .decode_vec(piece, &mut buf)
                .map_err(|_| Error::InvalidInput("inline data is not valid base64".into()))?;
            w.write_all(&buf)?;
        }
        Ok(())
    };
    (encoding, fill)
}

const SUMMARY_SELECT: &str = "SELECT r.uid, p.uid, r.hi_type, r.record_date, r.record_ts, r.title, r.facility,
        r.author, r.care_context, r.spliced_attachments, r.imported_at, r.id
     FROM records r JOIN profiles p ON p.id = r.profile_id";

fn summary_from_row(r: &Row) -> rusqlite::Result<RecordSummary> {
    let hi: String = r.get(2)?;
    Ok(RecordSummary {
        id: r.get(0)?,
        profile_id: r.get(1)?,
        // A type this build does not know can only come from damage; show it as a document.
        hi_type: HiType::parse(&hi).unwrap_or(HiType::HealthDocumentRecord),
        date: r.get(3)?,
        sort_ms: r.get(4)?,
        title: r.get(5)?,
        facility: r.get(6)?,
        author: r.get(7)?,
        care_context: r.get(8)?,
        attachments: r.get(9)?,
        imported_at_ms: r.get(10)?,
    })
}

/// User text → an FTS5 query that cannot be a syntax error: each word quoted, all required,
/// the last one a prefix (so results follow typing).
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{w}\""))
        .collect();
    let last = words.len().checked_sub(1)?;
    Some(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| if i == last { format!("{w}*") } else { w.clone() })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn encode_cursor(sort_ms: i64, rowid: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{sort_ms}:{rowid}"))
}

fn decode_cursor(c: &str) -> Result<(i64, i64)> {
    let bad = || Error::InvalidInput("the cursor is not one this store gave out".into());
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?).map_err(|_| bad())?;
    let (a, b) = text.split_once(':').ok_or_else(bad)?;
    Ok((a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?))
}

fn valid_day(d: &str) -> Result<&str> {
    if d.len() == 10 && crate::time::parse_date(d).is_some() {
        Ok(d)
    } else {
        Err(Error::InvalidInput("a date bound is YYYY-MM-DD".into()))
    }
}

/// Whether an import error belongs to that one bundle (the batch goes on) or to the store.
fn item_level(e: &Error) -> bool {
    matches!(e, Error::InvalidInput(_) | Error::Duplicate { .. })
}

fn existing_record(conn: &Connection, p: &Prepared) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT uid FROM records WHERE content_sha256 = ?1 OR bundle_identifier = ?2 LIMIT 1",
            params![&p.hash[..], p.index.identifier],
            |r| r.get(0),
        )
        .optional()?)
}

impl Store {
    /// Imports one bundle into a profile.
    pub fn import_bundle(&mut self, profile_id: &str, bundle: &[u8], opts: &ImportOptions) -> Result<RecordSummary> {
        self.import_bundles(profile_id, &[bundle], opts)?.pop().expect("one result per bundle")
    }

    /// Imports many bundles in one transaction. Each bundle gets its own result: a malformed
    /// or duplicate one does not stop the others. A store-level failure (disk full, I/O)
    /// rolls back the whole batch and returns `Err`; nothing of it remains.
    pub fn import_bundles(
        &mut self,
        profile_id: &str,
        bundles: &[&[u8]],
        opts: &ImportOptions,
    ) -> Result<Vec<Result<RecordSummary>>> {
        let profile = self.profile_rowid(profile_id)?;
        let prepared: Vec<Result<Prepared>> = bundles.iter().map(|b| prepare(b, opts)).collect();
        let mut written: Vec<String> = Vec::new();
        let outcome = (|| {
            let mut tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut results = Vec::with_capacity(prepared.len());
            for p in prepared {
                let p = match p {
                    Ok(p) => p,
                    Err(e) => {
                        results.push(Err(e));
                        continue;
                    }
                };
                let sp = tx.savepoint()?;
                let mut files = Vec::new();
                match insert_record(&sp, &self.files, profile, &p, &mut files) {
                    Ok((uid, imported_at)) => {
                        sp.commit()?;
                        written.extend(files);
                        results.push(Ok(p.into_summary(uid, profile_id, imported_at)));
                    }
                    Err(e) => {
                        drop(sp);
                        self.files.remove(&files);
                        if !item_level(&e) {
                            return Err(e);
                        }
                        results.push(Err(e));
                    }
                }
            }
            tx.commit()?;
            Ok(results)
        })();
        match &outcome {
            Ok(_) => self.files.publish(&written),
            Err(_) => self.files.remove(&written),
        }
        outcome
    }

    pub fn record(&self, id: &str) -> Result<RecordSummary> {
        self.conn()
            .query_row(&format!("{SUMMARY_SELECT} WHERE r.uid = ?1"), [id], summary_from_row)
            .optional()?
            .ok_or(Error::NotFound("record"))
    }

    /// Records matching `q`, newest first.
    pub fn list_records(&self, q: &RecordQuery) -> Result<RecordPage> {
        let limit = q.limit.clamp(1, 500) as i64;
        let mut sql = format!("{SUMMARY_SELECT} WHERE 1");
        let mut args: Vec<SqlValue> = Vec::new();
        if let Some(p) = &q.profile_id {
            sql.push_str(" AND r.profile_id = ?");
            args.push(SqlValue::Integer(self.profile_rowid(p)?));
        }
        if !q.hi_types.is_empty() {
            sql.push_str(&format!(" AND r.hi_type IN ({})", vec!["?"; q.hi_types.len()].join(", ")));
            args.extend(q.hi_types.iter().map(|t| SqlValue::Text(t.as_str().to_owned())));
        }
        if let Some(from) = &q.from_date {
            sql.push_str(" AND r.record_date >= ?");
            args.push(SqlValue::Text(valid_day(from)?.to_owned()));
        }
        if let Some(to) = &q.to_date {
            sql.push_str(" AND r.record_date <= ?");
            args.push(SqlValue::Text(valid_day(to)?.to_owned()));
        }
        if let Some(m) = q.text.as_deref().and_then(fts_query) {
            sql.push_str(" AND r.id IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)");
            args.push(SqlValue::Text(m));
        }
        if let Some(c) = &q.cursor {
            let (ts, id) = decode_cursor(c)?;
            sql.push_str(" AND (r.record_ts, r.id) < (?, ?)");
            args.extend([SqlValue::Integer(ts), SqlValue::Integer(id)]);
        }
        sql.push_str(" ORDER BY r.record_ts DESC, r.id DESC LIMIT ?");
        args.push(SqlValue::Integer(limit + 1));
        let mut st = self.conn().prepare_cached(&sql)?;
        let mut rows = st.query(params_from_iter(args))?;
        let mut records = Vec::new();
        let mut next_cursor = None;
        let mut last_rowid = 0;
        while let Some(r) = rows.next()? {
            if records.len() as i64 == limit {
                let last: &RecordSummary = records.last().expect("limit is at least 1");
                next_cursor = Some(encode_cursor(last.sort_ms, last_rowid));
                break;
            }
            records.push(summary_from_row(r)?);
            last_rowid = r.get(11)?;
        }
        Ok(RecordPage { records, next_cursor })
    }

    /// Writes the bundle exactly as it was imported, streaming any large inline data back in.
    pub fn read_bundle(&self, id: &str, out: &mut dyn Write) -> Result<u64> {
        let (rowid, stored, expected): (i64, Vec<u8>, i64) = self
            .conn()
            .query_row(
                "SELECT r.id, b.skeleton, r.spliced_attachments FROM records r JOIN record_bodies b ON b.record_id = r.id
                 WHERE r.uid = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or(Error::NotFound("record"))?;
        let skeleton = body::unpack(&stored)?;
        let holes: Vec<(usize, StoredFile)> = {
            let mut st = self.conn().prepare_cached(
                "SELECT splice_offset, uid, salt, plain_len, encoding FROM attachments
                 WHERE record_id = ?1 AND splice_offset IS NOT NULL ORDER BY splice_offset",
            )?;
            let rows = st.query_map([rowid], |r| {
                Ok((
                    r.get::<_, i64>(0)? as usize,
                    r.get(1)?,
                    r.get(2)?,
                    r.get::<_, i64>(3)? as u64,
                    r.get::<_, String>(4)?,
                ))
            })?;
            rows.map(|r| {
                let (off, uid, salt, plain_len, enc) = r?;
                Ok((off, StoredFile { uid, salt, plain_len, encoding: Encoding::parse(&enc)? }))
            })
            .collect::<Result<_>>()?
        };
        if holes.len() as i64 != expected || holes.iter().any(|(off, _)| *off > skeleton.len()) {
            return Err(Error::Corrupt("an attachment of this record is missing".into()));
        }
        let mut written = 0u64;
        let mut pos = 0;
        for (off, f) in &holes {
            out.write_all(&skeleton[pos..*off])?;
            written += (*off - pos) as u64;
            let mut stored = self.files.open(f)?;
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
        out.write_all(&skeleton[pos..])?;
        written += (skeleton.len() - pos) as u64;
        Ok(written)
    }

    /// [`Store::read_bundle`], recorded in the audit log: the bundle leaves the locker.
    pub fn export_bundle(&mut self, id: &str, out: &mut dyn Write) -> Result<u64> {
        let n = self.read_bundle(id, out)?;
        self.audit("record.export", Some(id), None)?;
        Ok(n)
    }

    /// Deletes a record, its body, its search terms and its attachments.
    pub fn delete_record(&mut self, id: &str) -> Result<()> {
        let rowid: i64 = self
            .conn()
            .query_row("SELECT id FROM records WHERE uid = ?1", [id], |r| r.get(0))
            .optional()?
            .ok_or(Error::NotFound("record"))?;
        let files = self.attachment_uids_where("record_id = ?1", rowid)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM records WHERE id = ?1", [rowid])?;
        audit::append(&tx, "record.delete", Some(id), None)?;
        tx.commit()?;
        self.files.remove(&files);
        Ok(())
    }

    /// How many records the store holds.
    pub fn record_count(&self) -> Result<u64> {
        Ok(self.conn().query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0))? as u64)
    }
}

fn insert_record(
    conn: &Connection,
    files: &super::attachments::AttachmentFiles,
    profile: i64,
    p: &Prepared,
    written: &mut Vec<String>,
) -> Result<(String, i64)> {
    if let Some(existing) = existing_record(conn, p)? {
        return Err(Error::Duplicate { existing });
    }
    let uid = random_uid()?;
    let now = now_ms();
    let ix = &p.index;
    conn.execute(
        "INSERT INTO records (uid, profile_id, hi_type, record_ts, record_date, title, facility, author, care_context,
             spliced_attachments, bundle_identifier, content_sha256, imported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            uid,
            profile,
            ix.hi_type.as_str(),
            ix.date.as_ref().map_or(0, |d| d.1),
            ix.date.as_ref().map(|d| &d.0),
            ix.title,
            ix.facility,
            ix.author,
            ix.care_context,
            p.spans.len() as i64,
            ix.identifier,
            &p.hash[..],
            now,
        ],
    )?;
    let rowid = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO record_bodies (record_id, skeleton) VALUES (?1, ?2)",
        params![rowid, body::pack(&p.skeleton)],
    )?;
    conn.execute(
        "INSERT INTO records_fts (rowid, title, body) VALUES (?1, ?2, ?3)",
        params![rowid, ix.title, ix.search_text],
    )?;
    for (span, offset) in p.spans.iter().zip(&p.offsets) {
        let (encoding, fill) = span_writer(&p.raw[span.start..span.end]);
        let f: NewFile = files.write(fill)?;
        written.push(f.uid.clone());
        let media = span.media_type.as_deref().unwrap_or("application/octet-stream");
        insert_row(conn, &f, profile, Some(rowid), Some(*offset), encoding, media)?;
    }
    let detail = (!p.spans.is_empty()).then(|| format!("attachments={}", p.spans.len()));
    audit::append(conn, "record.import", Some(&uid), detail.as_deref())?;
    Ok((uid, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_user_text_becomes_a_safe_match_expression() {
        assert_eq!(fts_query("para"), Some("\"para\"*".into()));
        assert_eq!(fts_query("blood \"sugar\" OR (x"), Some("\"blood\" \"sugar\" \"OR\" \"x\"*".into()));
        assert_eq!(fts_query("  -*- "), None);
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode_cursor(&encode_cursor(-5, 42)).unwrap(), (-5, 42));
        assert!(matches!(decode_cursor("%%%"), Err(Error::InvalidInput(_))));
        assert!(matches!(decode_cursor(&URL_SAFE_NO_PAD.encode("1-2")), Err(Error::InvalidInput(_))));
    }
}
