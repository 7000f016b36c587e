//! `locker demo`: the story so far, end to end, offline, in a temporary directory, telling the
//! user what each step does and what it proved.

mod consent;
mod enrol;
mod records;
mod share;

use crate::{CliResult, Failure};
use locker_core::{DatabaseKey, Error, Gender, HiType, ImportOptions, Locker, NewProfile, RecordQuery};
use locker_fixtures::{Generator, Kind};
use ring::digest::{SHA256, digest};
use std::path::Path;
use std::time::Instant;

/// One hand-written sample of every ABDM record type, built into the binary so the demo runs
/// from anywhere.
pub const SAMPLES: [(&str, &[u8]); 8] = [
    ("op-consultation.json", include_bytes!("../../../fixtures/bundles/op-consultation.json")),
    ("prescription.json", include_bytes!("../../../fixtures/bundles/prescription.json")),
    ("discharge-summary.json", include_bytes!("../../../fixtures/bundles/discharge-summary.json")),
    ("diagnostic-report.json", include_bytes!("../../../fixtures/bundles/diagnostic-report.json")),
    ("immunization.json", include_bytes!("../../../fixtures/bundles/immunization.json")),
    ("health-document.json", include_bytes!("../../../fixtures/bundles/health-document.json")),
    ("wellness.json", include_bytes!("../../../fixtures/bundles/wellness.json")),
    ("invoice.json", include_bytes!("../../../fixtures/bundles/invoice.json")),
];

pub fn sample_owner() -> NewProfile {
    NewProfile {
        name: "Lakshmi Iyer".into(),
        gender: Gender::Female,
        birth_date: "1986-04-12".into(),
        abha_number: Some("91-6285-4575-5116".into()),
        abha_address: Some("lakshmi.iyer@sbx".into()),
        relation: "self".into(),
        is_owner: true,
    }
}

pub fn sample_member(name: &str, relation: &str) -> NewProfile {
    NewProfile {
        name: name.into(),
        gender: if relation == "spouse" { Gender::Male } else { Gender::Unknown },
        birth_date: "1983".into(),
        abha_number: None,
        abha_address: None,
        relation: relation.into(),
        is_owner: false,
    }
}

fn step(n: u32, text: &str) {
    println!("\n{n}. {text}");
}

fn say(text: impl AsRef<str>) {
    println!("   {}", text.as_ref());
}

fn sha(path: &Path) -> CliResult<String> {
    Ok(hex::encode(digest(&SHA256, &std::fs::read(path)?)))
}

/// Every file under `dir` that contains `needle` in clear.
fn files_containing(dir: &Path, needle: &[u8]) -> CliResult<Vec<String>> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p)?.windows(needle.len()).any(|w| w == needle) {
                hits.push(p.display().to_string());
            }
        }
    }
    Ok(hits)
}

fn ensure(ok: bool, what: &str) -> CliResult {
    if ok { Ok(()) } else { Err(Failure::new(format!("demo step failed: {what}"))) }
}

pub fn run() -> CliResult {
    let started = Instant::now();
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("store");
    println!(
        "healthlocker demo: a family's health records on one phone, ABHA enrolment in a village, a doctor asking to see records, a morning at a hospital's OPD counter, then records brought home from hospitals."
    );
    println!("Working in {} (deleted at the end).", tmp.path().display());

    step(1, "A key for the store");
    let key = DatabaseKey::generate()?;
    say("On a phone the key is made and kept by Android Keystore or the iOS Keychain.");
    say("Here: 32 random bytes, handed to SQLCipher as a raw key (no slow passphrase derivation).");

    step(2, "An encrypted store");
    let t = Instant::now();
    let locker = Locker::create(&dir, key.clone())?;
    say(format!("Created in {:.0} ms: the database, its key check, and an attachments folder.", ms(t)));

    step(3, "The family");
    let (owner, husband, son) = {
        let profiles = locker.profiles();
        let owner = profiles.add(&sample_owner())?;
        let husband = profiles.add(&sample_member("Ravi Iyer", "spouse"))?;
        let son = profiles.add(&sample_member("Arjun Iyer", "child"))?;
        (owner, husband, son)
    };
    say("Lakshmi (the owner, with her ABHA number), her husband Ravi and their son Arjun.");

    step(4, "Records of every ABDM type, and a few years of history");
    let t = Instant::now();
    let records = locker.records();
    for (name, bytes) in SAMPLES {
        let r = records.import(&owner.id, bytes, &ImportOptions::default())?;
        say(format!(
            "{name:<24} → {:<20} {:<10} {}",
            r.hi_type.as_str(),
            r.date.as_deref().unwrap_or("undated"),
            r.title
        ));
    }
    let mut g = Generator::new(7);
    let mut family = Vec::new();
    let mut terms = Vec::new();
    for (i, who) in [&owner.id, &husband.id, &son.id].into_iter().enumerate() {
        g.new_patient();
        let bundles: Vec<Vec<u8>> = (0..[240, 160, 100][i])
            .map(|_| {
                let b = g.next_bundle();
                terms.extend(b.search_terms);
                b.json
            })
            .collect();
        let refs: Vec<&[u8]> = bundles.iter().map(Vec::as_slice).collect();
        for r in records.import_many(who, &refs, &ImportOptions::default())? {
            family.push(r?);
        }
    }
    say(format!("…and {} generated records for the family, all in {:.0} ms.", family.len(), ms(t)));

    step(5, "The same record twice");
    match records.import(&owner.id, SAMPLES[1].1, &ImportOptions::default()) {
        Err(Error::Duplicate { existing }) => {
            say(format!("Refused as a duplicate of {existing}: nothing stored twice."))
        }
        other => return Err(Failure::new(format!("demo step failed: expected a duplicate, got {:?}", other.err()))),
    }

    step(6, "A scan inside a record");
    let scan = g.bundle_with_attachment(Kind::DiagnosticReport, 2 * 1024 * 1024);
    let r = records.import(&owner.id, &scan.json, &ImportOptions::default())?;
    let mut back = Vec::new();
    records.export(&r.id, &mut back)?;
    ensure(back == scan.json, "export returns the bundle as imported")?;
    say(format!(
        "A {:.1} MB lab report carries a 2 MiB PDF. The PDF went to an encrypted attachment file ({} attachment);",
        scan.json.len() as f64 / 1e6,
        r.attachments
    ));
    say("export spliced it back: the bundle came out byte for byte as it went in.");

    step(7, "Finding things");
    let newest = records.list(&RecordQuery { profile_id: Some(owner.id.clone()), limit: 5, ..Default::default() })?;
    say("Lakshmi's five newest:");
    for r in &newest.records {
        say(format!("  {:<10} {:<20} {}", r.date.as_deref().unwrap_or("undated"), r.hi_type.as_str(), r.title));
    }
    let term = terms.get(terms.len() / 2).cloned().unwrap_or_else(|| "fever".into());
    let t = Instant::now();
    let found = records.list(&RecordQuery { text: Some(term.clone()), limit: 500, ..Default::default() })?;
    say(format!("Search \"{term}\": {} records in {:.1} ms.", found.records.len(), ms(t)));
    let labs = records.list(&RecordQuery {
        hi_types: vec![HiType::DiagnosticReport],
        from_date: Some("2020-01-01".into()),
        to_date: Some("2023-12-31".into()),
        limit: 500,
        ..Default::default()
    })?;
    say(format!("Diagnostic reports from 2020 to 2023: {}.", labs.records.len()));

    step(8, "Nothing readable on the disk");
    let mut needles: Vec<&str> = vec!["Lakshmi", "Iyer"];
    needles.extend(newest.records.iter().map(|r| r.title.as_str()));
    for n in &needles {
        ensure(files_containing(&dir, n.as_bytes())?.is_empty(), "no clear text at rest")?;
    }
    say(format!("Searched every file in the store for {} names and titles: none found in clear.", needles.len()));

    step(9, "A wrong key");
    drop(locker);
    let before = sha(&dir.join("locker.db"))?;
    match Locker::open(&dir, DatabaseKey::generate()?) {
        Err(Error::WrongKey) => {}
        other => return Err(Failure::new(format!("demo step failed: expected WrongKey, got {:?}", other.err()))),
    }
    ensure(sha(&dir.join("locker.db"))? == before, "a wrong key leaves the file alone")?;
    say("Refused as WrongKey, not as damage; the database's SHA-256 is unchanged. Nothing was deleted.");

    step(10, "A new key");
    let locker = Locker::open(&dir, key.clone())?;
    let new_key = DatabaseKey::generate()?;
    let t = Instant::now();
    locker.rekey(new_key.clone())?;
    drop(locker);
    ensure(matches!(Locker::open(&dir, key), Err(Error::WrongKey)), "the old key no longer opens")?;
    let locker = Locker::open(&dir, new_key)?;
    say(format!("Re-encrypted in {:.0} ms. Killed at any moment, the old key or the new one opens it.", ms(t)));
    say("Now the old key is refused and the new one opens the store.");

    step(11, "Arjun's profile removed");
    let before =
        locker.records().list(&RecordQuery { profile_id: Some(son.id.clone()), limit: 500, ..Default::default() })?;
    locker.profiles().remove(&son.id)?;
    say(format!(
        "His {} records went with him: rows zeroed, search terms dropped, the log scrubbed.",
        before.records.len()
    ));

    step(12, "A full check");
    let report = locker.check()?;
    ensure(report.is_ok(), "the store passes its check")?;
    let entries = match report.audit {
        locker_core::AuditVerification::Intact { entries } => entries,
        _ => 0,
    };
    say(format!(
        "Database structure, page encryption, search index, {} attachment(s) and an audit chain of {entries} entries: all sound.",
        report.attachments_checked
    ));
    say(format!("{} records in the store.", locker.records().count()?));
    drop(locker);

    let n = enrol::run(tmp.path(), 13)?;
    let n = consent::run(tmp.path(), n)?;
    let n = share::run(tmp.path(), n)?;
    records::run(tmp.path(), n)?;

    println!(
        "\nDone in {:.1} s. Next: `locker --help`, or try it on your own files (see README).",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}
