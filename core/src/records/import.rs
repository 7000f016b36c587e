//! Importing a bundle: validated and indexed, inline data over 64 KiB cut out into attachment
//! files, and record, body, search terms, attachments and audit entry committed together.

use super::{ImportOptions, MAX_BUNDLE_BYTES, RecordSummary};
use crate::attachments;
use crate::crypto::random_uid;
use crate::error::{Error, Result};
use crate::fhir::inline_data::{self, Span};
use crate::fhir::{BundleIndex, content_hash, index_bundle};
use crate::store::files::{AttachmentFiles, Encoding, NewFile};
use crate::store::{Store, audit, body};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rusqlite::{Connection, OptionalExtension, params};
use std::io::Write;

/// A bundle checked and indexed, ready to store.
pub(crate) struct Prepared<'a> {
    raw: &'a [u8],
    spans: Vec<Span>,
    skeleton: Vec<u8>,
    offsets: Vec<usize>,
    index: BundleIndex,
    hash: [u8; 32],
    under_consent: Option<String>,
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

pub(crate) fn prepare<'a>(raw: &'a [u8], opts: &ImportOptions) -> Result<Prepared<'a>> {
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
    Ok(Prepared { raw, spans, skeleton, offsets, index, hash, under_consent: opts.under_consent.clone() })
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

/// Imports `bundles` for profile `profile_id` in one transaction stamped `now`. Each bundle gets
/// its own result: a malformed or duplicate one does not stop the others. A store-level failure
/// (disk full, I/O) rolls back the whole batch and returns `Err`; nothing of it remains.
pub(crate) fn import_batch(
    store: &mut Store,
    now: i64,
    profile_id: &str,
    bundles: &[&[u8]],
    opts: &ImportOptions,
) -> Result<Vec<Result<RecordSummary>>> {
    let prepared: Vec<Result<Prepared>> = bundles.iter().map(|b| prepare(b, opts)).collect();
    import_prepared(store, now, profile_id, prepared, |_, _| Ok(()))
}

/// Imports bundles prepared each with its own options, then runs `then` in the same transaction
/// with the results (a pull records the page the bundles came in): the records and that record
/// of them stand or fall together.
pub(crate) fn import_prepared(
    store: &mut Store,
    now: i64,
    profile_id: &str,
    prepared: Vec<Result<Prepared>>,
    then: impl FnOnce(&crate::store::Tx<'_>, &[Result<RecordSummary>]) -> Result<()>,
) -> Result<Vec<Result<RecordSummary>>> {
    let files = std::sync::Arc::clone(store.files());
    let mut written: Vec<String> = Vec::new();
    let outcome = store.write(now, |tx| {
        let profile = crate::profiles::rowid(tx, profile_id)?;
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
            let mut made = Vec::new();
            match insert_record(&sp, now, &files, profile, &p, &mut made) {
                Ok(uid) => {
                    sp.commit()?;
                    written.extend(made);
                    results.push(Ok(p.into_summary(uid, profile_id, now)));
                }
                Err(e) => {
                    drop(sp);
                    files.remove(&made);
                    if !item_level(&e) {
                        return Err(e);
                    }
                    results.push(Err(e));
                }
            }
        }
        then(tx, &results)?;
        Ok(results)
    });
    match &outcome {
        Ok(_) => files.publish(&written),
        Err(_) => files.remove(&written),
    }
    outcome
}

fn insert_record(
    conn: &Connection,
    now: i64,
    files: &AttachmentFiles,
    profile: i64,
    p: &Prepared,
    written: &mut Vec<String>,
) -> Result<String> {
    if let Some(existing) = existing_record(conn, p)? {
        return Err(Error::Duplicate { existing });
    }
    let uid = random_uid()?;
    let ix = &p.index;
    conn.execute(
        "INSERT INTO records (uid, profile_id, hi_type, record_ts, record_date, title, facility, author, care_context,
             spliced_attachments, bundle_identifier, content_sha256, imported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            uid,
            profile,
            ix.hi_type,
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
        attachments::insert(conn, now, &f, profile, Some(rowid), Some(*offset), encoding, media)?;
    }
    if let Some(artefact) = &p.under_consent {
        // Received under a grant: erased when the grant ends (consent/erasure.rs).
        conn.execute("INSERT INTO record_consents (record_id, artefact) VALUES (?1, ?2)", params![rowid, artefact])?;
    }
    let detail = (!p.spans.is_empty()).then(|| format!("attachments={}", p.spans.len()));
    audit::append(conn, now, "record.import", Some(&uid), detail.as_deref())?;
    Ok(uid)
}
