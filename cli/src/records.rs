//! `locker records …`

use crate::args::RecordsCmd;
use crate::store::Context;
use crate::{CliResult, Failure, exit};
use indicatif::{ProgressBar, ProgressStyle};
use locker_core::{Error, HiType, ImportOptions, RecordQuery, RecordSummary};
use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

/// Files per transaction: large enough to amortise the commit, small enough that a kill loses
/// little and the progress bar moves.
const BATCH: usize = 64;

pub fn run(ctx: &Context, cmd: RecordsCmd) -> CliResult {
    match cmd {
        RecordsCmd::Import { files, profile, json } => import(ctx, &files, profile, json),
        RecordsCmd::List { profile, types, from, to, search, limit, cursor, json, ids } => {
            let hi_types = types
                .iter()
                .map(|t| HiType::parse(t).ok_or_else(|| Failure::usage(format!("unknown record type {t:?}"))))
                .collect::<CliResult<Vec<_>>>()?;
            let q = RecordQuery {
                profile_id: profile,
                hi_types,
                from_date: from,
                to_date: to,
                text: search,
                limit,
                cursor,
            };
            list(ctx, &q, json, ids)
        }
        RecordsCmd::Show { id } => show(ctx, &id),
        RecordsCmd::Export { id, out } => {
            let locker = ctx.open()?;
            match out {
                Some(path) => {
                    let n = locker.records().export_to(&id, &path).map_err(|e| match e {
                        Error::Io(io) => Failure::file("write", &path, &io),
                        other => other.into(),
                    })?;
                    eprintln!("wrote {n} bytes to {}", path.display());
                }
                None => {
                    let mut out = io::stdout().lock();
                    locker.records().export(&id, &mut out)?;
                    out.flush()?;
                }
            }
            Ok(())
        }
        RecordsCmd::Delete { id } => {
            ctx.open()?.records().delete(&id)?;
            println!("deleted {id}");
            Ok(())
        }
        RecordsCmd::Pull(args) => crate::pulls::start(ctx, *args),
        RecordsCmd::Pulls { json } => crate::pulls::list(ctx, json),
    }
}

fn import(ctx: &Context, files: &[PathBuf], profile: Option<String>, json: bool) -> CliResult {
    let locker = ctx.open()?;
    let profile = match profile {
        Some(p) => p,
        None => crate::profiles::owner_id(&locker)?,
    };
    let bar = ProgressBar::new(files.len() as u64);
    if files.len() > 1 {
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} files  {per_sec}  eta {eta}").expect("a valid template"),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let (mut imported, mut duplicates) = (0, 0);
    let mut failed: Vec<u8> = Vec::new();
    let single = files.len() == 1;
    let mut only_failure: Option<Failure> = None;
    for batch in files.chunks(BATCH) {
        let contents: Vec<io::Result<Vec<u8>>> = batch.iter().map(fs::read).collect();
        let readable: Vec<&[u8]> = contents.iter().filter_map(|c| c.as_ref().ok().map(Vec::as_slice)).collect();
        let mut results = locker.records().import_many(&profile, &readable, &ImportOptions::default())?.into_iter();
        let mut out = io::stdout().lock();
        bar.suspend(|| -> io::Result<()> {
            for (file, content) in batch.iter().zip(&contents) {
                let outcome = match content {
                    Err(e) => Err(Failure::file("read", file, e)),
                    Ok(_) => results.next().expect("one result per readable file").map_err(|e| match e {
                        Error::Duplicate { existing } => Failure::with_code(exit::DUPLICATE, existing),
                        other => Failure::from(other),
                    }),
                };
                match &outcome {
                    Ok(_) => imported += 1,
                    Err(f) if f.code == exit::DUPLICATE => duplicates += 1,
                    Err(f) => failed.push(f.code),
                }
                // One file: what went wrong is the command's one error line (below), not a
                // line of a list.
                report(&mut out, file, &outcome, json, !single)?;
                if single {
                    only_failure = outcome.err();
                }
            }
            out.flush()
        })?;
        bar.inc(batch.len() as u64);
    }
    bar.finish_and_clear();
    if let Some(f) = only_failure {
        let file = files[0].display();
        let message = if f.code == exit::DUPLICATE {
            format!("{file} is already in the store, as {}", f.message)
        } else {
            format!("{file} was not imported: {}", f.message)
        };
        return Err(Failure::with_code(f.code, message));
    }
    let tally = format!("{imported} imported, {duplicates} already in the store, {} failed", failed.len());
    // The first failure's kind decides the exit code; duplicates alone exit as duplicates.
    if let Some(code) = failed.first() {
        return Err(Failure::with_code(*code, format!("not every file could be imported: {tally}")));
    }
    if duplicates > 0 {
        return Err(Failure::with_code(exit::DUPLICATE, format!("some files were already in the store: {tally}")));
    }
    eprintln!("{tally}");
    Ok(())
}

/// One line per file: what was imported on standard output, what was not (and why) on standard
/// error when `errors` asks for it; with `--json`, every outcome as one JSON object on standard
/// output as well.
fn report(
    out: &mut dyn Write,
    file: &std::path::Path,
    outcome: &Result<RecordSummary, Failure>,
    json: bool,
    errors: bool,
) -> io::Result<()> {
    let name = file.display().to_string();
    if json {
        let v = match outcome {
            Ok(r) => serde_json::json!({"file": name, "status": "imported", "id": r.id, "hi_type": r.hi_type.as_str()}),
            Err(f) if f.code == exit::DUPLICATE => {
                serde_json::json!({"file": name, "status": "duplicate", "id": f.message})
            }
            Err(f) => serde_json::json!({"file": name, "status": "failed", "reason": f.message}),
        };
        writeln!(out, "{v}")?;
    }
    match outcome {
        Ok(r) if !json => {
            writeln!(out, "imported  {name}  {}  {}  {}", r.id, r.hi_type, r.date.as_deref().unwrap_or("undated"))
        }
        Ok(_) => Ok(()),
        Err(_) if !errors => Ok(()),
        Err(f) if f.code == exit::DUPLICATE => {
            eprintln!("duplicate {name}: already stored as {}", f.message);
            Ok(())
        }
        Err(f) => {
            eprintln!("failed    {name}: {}", f.message);
            Ok(())
        }
    }
}

/// The store gives at most this many records a page; a larger `--limit` is read page by page.
const PAGE: u32 = 500;

fn list(ctx: &Context, q: &RecordQuery, json: bool, ids: bool) -> CliResult {
    let locker = ctx.open()?;
    let wanted = q.limit.max(1) as usize;
    let mut records = Vec::new();
    let mut query = q.clone();
    let next_cursor = loop {
        query.limit = (wanted - records.len()).min(PAGE as usize) as u32;
        let page = locker.records().list(&query)?;
        records.extend(page.records);
        match page.next_cursor {
            Some(c) if records.len() < wanted => query.cursor = Some(c),
            next => break next,
        }
    };
    if json {
        let v = serde_json::json!({
            "records": records.iter().map(summary_json).collect::<Vec<_>>(),
            "next_cursor": next_cursor,
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("JSON values serialise"));
        return Ok(());
    }
    if ids {
        for r in &records {
            println!("{}", r.id);
        }
        return Ok(());
    }
    if records.is_empty() {
        println!("no records match");
    }
    for r in &records {
        println!(
            "{}  {:<10} {:<20} {:<40} {}",
            r.id,
            r.date.as_deref().unwrap_or("undated"),
            r.hi_type.as_str(),
            truncate(&r.title, 40),
            r.facility.as_deref().unwrap_or("")
        );
    }
    if let Some(c) = next_cursor {
        println!("more: add --cursor {c}");
    }
    Ok(())
}

fn show(ctx: &Context, id: &str) -> CliResult {
    let locker = ctx.open()?;
    let records = locker.records();
    let r = records.get(id)?;
    println!("{}", serde_json::to_string_pretty(&summary_json(&r)).expect("JSON values serialise"));
    let mut bundle = Vec::new();
    records.read(id, &mut bundle)?;
    if bundle.len() > 1024 * 1024 {
        println!("(the bundle is {} bytes; write it out with `locker records export {id} --out FILE`)", bundle.len());
        return Ok(());
    }
    let text = bundle.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bundle);
    let v: serde_json::Value =
        serde_json::from_slice(text).map_err(|_| Failure::new("the stored bundle is not JSON"))?;
    println!("{}", serde_json::to_string_pretty(&v).expect("JSON values serialise"));
    Ok(())
}

pub fn summary_json(r: &RecordSummary) -> serde_json::Value {
    serde_json::json!({
        "id": r.id, "profile_id": r.profile_id, "hi_type": r.hi_type.as_str(), "date": r.date,
        "title": r.title, "facility": r.facility, "author": r.author, "care_context": r.care_context,
        "attachments": r.attachments, "imported_at": format_ms(r.imported_at_ms),
    })
}

pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n - 1).chain(['…']).collect() }
}

/// UTC milliseconds → `YYYY-MM-DD HH:MM:SSZ`.
pub fn format_ms(ms: i64) -> String {
    locker_calendar::display_utc(ms)
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_format_as_utc() {
        assert_eq!(super::format_ms(0), "1970-01-01 00:00:00Z");
        assert_eq!(super::format_ms(1_709_600_000_000), "2024-03-05 00:53:20Z");
    }
}
