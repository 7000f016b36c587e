//! Listing records: newest first, filtered by person, type, day and words, a page at a time
//! with a cursor that neither skips nor repeats a record while others are added.

use super::{RecordPage, RecordQuery, RecordSummary};
use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, params_from_iter};

pub(crate) const SUMMARY_SELECT: &str =
    "SELECT r.uid, p.uid, r.hi_type, r.record_date, r.record_ts, r.title, r.facility,
        r.author, r.care_context, r.spliced_attachments, r.imported_at, r.id
     FROM records r JOIN profiles p ON p.id = r.profile_id";

pub(crate) fn summary_from_row(r: &Row) -> rusqlite::Result<RecordSummary> {
    Ok(RecordSummary {
        id: r.get(0)?,
        profile_id: r.get(1)?,
        hi_type: r.get(2)?,
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

/// One record's summary.
pub(crate) fn get(conn: &Connection, id: &str) -> Result<RecordSummary> {
    conn.prepare_cached(&format!("{SUMMARY_SELECT} WHERE r.uid = ?1"))?
        .query_row([id], summary_from_row)
        .optional()?
        .ok_or(Error::NotFound("record"))
}

/// Records matching `q`, newest first.
pub(crate) fn list(conn: &Connection, q: &RecordQuery) -> Result<RecordPage> {
    let limit = q.limit.clamp(1, 500) as i64;
    let mut sql = format!("{SUMMARY_SELECT} WHERE 1");
    let mut args: Vec<SqlValue> = Vec::new();
    if let Some(p) = &q.profile_id {
        sql.push_str(" AND r.profile_id = ?");
        args.push(SqlValue::Integer(crate::profiles::rowid(conn, p)?));
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
    let mut st = conn.prepare_cached(&sql)?;
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
