//! `locker bench sync`: a hospital's records pulled end to end encrypted from an in-process
//! sandbox over loopback. The whole pull (request, grant, pages read from the mailbox, decrypted,
//! imported, notify) runs in a fresh `locker` process, so its peak memory is the pull's alone
//! (the sandbox, which builds and encrypts the pages, stays in this one); its rate is set beside
//! a plain import of the very same bundles (same transaction size, no network, no crypto).
//! Fidelius decryption is set beside raw AES-256-GCM on the same bytes (`sync_crypto`), and a
//! pull killed at random moments and resumed must lose and double nothing (`sync_kills`).

use super::sync_crypto;
use super::sync_kills;
use super::{print_figures, round};
use crate::{CliResult, Failure};
use locker_core::exchange::PullState;
use locker_core::{
    Backbone, BackboneConfig, DatabaseKey, ImportOptions, Locker, NewProfile, Quiet, RecordQuery, SyncBudget,
};
use locker_sandbox::{HipRecord, SELF_HIU, Sandbox, SandboxConfig};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The citizen whose records are pulled.
pub const PATIENT: &str = "lakshmi.n@sbx";
const MOBILE: &str = "9876543210";
/// The sample hospital holding them.
pub const HIP: &str = "sbx-hip-district";
/// A pull that has not finished by then is reported as a failure.
const PULL_LIMIT: Duration = Duration::from_secs(600);

/// What `locker bench sync` is asked for.
pub struct Sizes {
    pub records: usize,
    pub kill_records: usize,
    pub kills: usize,
    pub page_entries: usize,
    pub seed: u64,
}

/// A sandbox whose hospital holds `records` records for the citizen (care contexts of up to 100),
/// every care context linked by the hospital itself; the records it holds, as it encrypts them.
pub struct Hospital {
    pub sandbox: Sandbox,
    pub records: Vec<HipRecord>,
}

pub fn hospital(records: usize, page_entries: usize) -> CliResult<Hospital> {
    let sandbox = Sandbox::start(SandboxConfig { push_page_entries: page_entries, ..SandboxConfig::default() })?;
    let per = records.min(100);
    sandbox.set_hip_mobile(HIP, PATIENT, MOBILE);
    sandbox.set_hip_records(HIP, PATIENT, records.div_ceil(per), per);
    let linked = sandbox.hip_link(HIP, PATIENT, None);
    let records = sandbox.hip_records(HIP, PATIENT).into_iter().filter(|r| linked.contains(&r.care_context)).collect();
    Ok(Hospital { sandbox, records })
}

/// The client a phone would have for the sandbox at `url`.
pub fn backbone(url: &str) -> CliResult<Backbone> {
    let config = SandboxConfig::default();
    let mut c = BackboneConfig::local(url, &config.client_id, &config.client_secret);
    c.connect_timeout = Duration::from_secs(2);
    c.read_timeout = Duration::from_secs(10);
    c.initial_backoff = Duration::from_millis(10);
    c.max_backoff = Duration::from_millis(200);
    Ok(Backbone::new(c)?)
}

fn owner() -> NewProfile {
    NewProfile { abha_address: Some(PATIENT.into()), ..crate::demo::sample_owner() }
}

/// A phone's store in `dir`, ready to pull: the owner's profile, signed in to the consent
/// manager, self-requests approved automatically, one sync done (the hospital's links are in).
/// Its key is written to the file returned, for the child processes.
pub fn prepare(h: &Hospital, dir: &Path) -> CliResult<(PathBuf, DatabaseKey)> {
    let key = DatabaseKey::generate()?;
    let store = dir.join("store");
    let locker = Locker::create(&store, key.clone())?;
    locker.profiles().add(&owner())?;
    locker.consent().sign_in(PATIENT, &h.sandbox.phr_login(PATIENT), 86_400 * 30)?;
    locker.consent().set_auto_approval(PATIENT, SELF_HIU, true)?;
    let bb = backbone(&h.sandbox.url())?;
    crate::enrol::block_on(locker.sync(&bb, SyncBudget::default(), &Quiet))?;
    let key_file = dir.join("store.key");
    std::fs::write(&key_file, key.to_hex().as_bytes())?;
    Ok((store, key))
}

/// `locker bench sync-child …` for the store `store` (key in `key_file`), the sandbox at `url`.
pub fn child_command(store: &Path, url: &str) -> std::process::Command {
    let key_file = store.with_file_name("store.key");
    let mut c = std::process::Command::new(std::env::current_exe().unwrap_or_else(|_| "locker".into()));
    c.args(["bench", "sync-child", "--backbone", url]).arg("--store").arg(store).arg("--key-file").arg(key_file);
    c
}

/// What the store holds against what the hospital holds, by content (SHA-256 of each bundle's
/// bytes, read back as imported): (held, lost, duplicated).
pub fn audit(store: &Path, key: &DatabaseKey, expected: &[HipRecord]) -> CliResult<(usize, usize, usize)> {
    let locker = Locker::open(store, key.clone())?;
    let mut held: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut cursor = None;
    let mut bundle = Vec::new();
    loop {
        let page = locker.records().list(&RecordQuery { limit: 500, cursor, ..RecordQuery::default() })?;
        for r in &page.records {
            bundle.clear();
            locker.records().read(&r.id, &mut bundle)?;
            *held.entry(sha256(&bundle)).or_default() += 1;
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let mut want: HashMap<Vec<u8>, usize> = HashMap::new();
    for r in expected {
        *want.entry(sha256(&r.json)).or_default() += 1;
    }
    let lost = want.iter().map(|(h, n)| n.saturating_sub(held.get(h).copied().unwrap_or(0))).sum();
    let duplicated = held.iter().map(|(h, n)| n.saturating_sub(want.get(h).copied().unwrap_or(0).max(1))).sum();
    Ok((held.values().sum(), lost, duplicated))
}

fn sha256(b: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, b).as_ref().to_vec()
}

/// The same bundles imported straight into a fresh store, a page's worth per transaction and
/// each with its care context, as a pull imports them: records/s.
fn import_baseline(records: &[HipRecord], page_entries: usize) -> CliResult<f64> {
    let tmp = tempfile::tempdir()?;
    let locker = Locker::create(&tmp.path().join("store"), DatabaseKey::generate()?)?;
    let profile = locker.profiles().add(&owner())?;
    let t = Instant::now();
    let mut imported = 0;
    for page in records.chunks(page_entries.max(1)) {
        for group in page.chunk_by(|a, b| a.care_context == b.care_context) {
            let bundles: Vec<&[u8]> = group.iter().map(|r| r.json.as_slice()).collect();
            let opts = ImportOptions { care_context: Some(group[0].care_context.clone()), under_consent: None };
            imported +=
                locker.records().import_many(&profile.id, &bundles, &opts)?.iter().filter(|r| r.is_ok()).count();
        }
    }
    let secs = t.elapsed().as_secs_f64();
    if imported != records.len() {
        return Err(Failure::new(format!("the plain import took {imported} of {} bundles", records.len())));
    }
    Ok(records.len() as f64 / secs)
}

/// Runs a child to completion; its figures and its wall time (spawn to exit).
fn run_child(store: &Path, url: &str) -> CliResult<(serde_json::Value, Duration)> {
    let t = Instant::now();
    let out = child_command(store, url).output()?;
    let wall = t.elapsed();
    if !out.status.success() {
        return Err(Failure::new(format!("the pull's child failed: {}", String::from_utf8_lossy(&out.stderr).trim())));
    }
    let v = serde_json::from_slice(&out.stdout).map_err(|_| Failure::new("the pull's child printed no figures"))?;
    Ok((v, wall))
}

pub fn run(sizes: Sizes, json: bool) -> CliResult {
    if sizes.records == 0 || sizes.kill_records == 0 || sizes.page_entries == 0 {
        return Err(Failure::usage("--records, --kill-records and --page-entries must be at least 1"));
    }
    sigpipe(true);
    let figures = measure(&sizes);
    sigpipe(false);
    let (f, lost, duplicated) = figures?;
    print_figures(&f, json);
    if lost + duplicated > 0 {
        return Err(Failure::new(format!("{lost} records lost and {duplicated} doubled across the kills")));
    }
    Ok(())
}

/// The sandbox serves from this process, and its clients are killed mid-answer: a write to
/// their closed sockets must fail (the server drops the connection), not raise SIGPIPE, which
/// `main` restores so that `locker … | head` ends quietly. Ignored while measuring, then restored.
fn sigpipe(ignore: bool) {
    #[cfg(unix)]
    // SAFETY: `signal` with SIG_IGN or SIG_DFL installs no handler of ours and touches no memory.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, if ignore { libc::SIG_IGN } else { libc::SIG_DFL });
    }
}

type Figures = (serde_json::Map<String, serde_json::Value>, usize, usize);

fn measure(sizes: &Sizes) -> CliResult<Figures> {
    let mut f = serde_json::Map::new();
    eprintln!("a hospital holding {} records for {PATIENT}, every care context linked…", sizes.records);
    let h = hospital(sizes.records, sizes.page_entries)?;
    let n = h.records.len();
    let clear_mb = h.records.iter().map(|r| r.json.len()).sum::<usize>() as f64 / 1e6;
    f.insert("records".into(), json!(n));
    f.insert("page_entries".into(), json!(sizes.page_entries));
    f.insert("records_mb".into(), json!(round(clear_mb, 2)));

    eprintln!("pulling them in a fresh process (request, grant, pages, decrypt, import, notify)…");
    let tmp = tempfile::tempdir()?;
    let (store, key) = prepare(&h, tmp.path())?;
    let (child, wall) = run_child(&store, &h.sandbox.url())?;
    let pull_ms = child["pull_ms"].as_f64().unwrap_or(f64::NAN);
    let (held, lost, duplicated) = audit(&store, &key, &h.records)?;
    if held != n || lost + duplicated > 0 {
        return Err(Failure::new(format!("the pull brought {held} of {n} records ({lost} lost, {duplicated} twice)")));
    }
    let pull_per_s = n as f64 / (pull_ms / 1000.0);
    f.insert("pull_ms".into(), json!(round(pull_ms, 1)));
    f.insert("pull_records_per_s".into(), json!(round(pull_per_s, 1)));
    f.insert("pull_mb_s".into(), json!(round(clear_mb / (pull_ms / 1000.0), 2)));
    f.insert("pull_rounds".into(), child["rounds"].clone());
    f.insert("pull_pages".into(), child["pages"].clone());
    f.insert("pull_relay_mb".into(), json!(round(child["relay_bytes"].as_f64().unwrap_or(f64::NAN) / 1e6, 2)));
    f.insert("pull_peak_rss_mb".into(), json!(round(child["peak_rss_mb"].as_f64().unwrap_or(f64::NAN), 1)));

    eprintln!("the same {n} bundles imported straight into a fresh store…");
    let import_per_s = import_baseline(&h.records, sizes.page_entries)?;
    f.insert("import_records_per_s".into(), json!(round(import_per_s, 1)));
    f.insert("pull_vs_import".into(), json!(round(pull_per_s / import_per_s, 3)));

    eprintln!("Fidelius against raw AES-256-GCM on the same {n} entries…");
    for (k, v) in sync_crypto::measure(&h.records, sizes.page_entries)? {
        f.insert(k, v);
    }
    drop(h);

    eprintln!(
        "a pull of {} records killed (SIGKILL) at random moments at least {} times, resumed each time…",
        sizes.kill_records, sizes.kills
    );
    let startup_ms = (wall.as_secs_f64() * 1000.0 - pull_ms).max(0.0);
    let k = sync_kills::run(sizes, startup_ms, pull_ms * sizes.kill_records as f64 / n as f64)?;
    f.insert("kill_records".into(), json!(k.records));
    f.insert("kills".into(), json!(k.kills));
    f.insert("lost".into(), json!(k.lost));
    f.insert("duplicated".into(), json!(k.duplicated));
    f.insert("kill_runs".into(), json!(k.runs));
    f.insert("kill_pulls".into(), json!(k.pulls));
    f.insert("kill_rounds_ms".into(), json!(round(k.total_ms, 1)));
    f.insert("kill_delay_max_ms".into(), json!(round(k.delay_max_ms, 1)));
    f.insert("kill_states".into(), json!(k.states));
    f.insert("kill_at_records".into(), json!(k.at_records));
    f.insert("kill_replays".into(), json!(k.replays));
    f.insert(
        "note".into(),
        json!(
            "pull_*: one fresh locker process, from the pull asked to every transfer notified; the sandbox (which \
             encrypts the pages) runs in the parent. decrypt_mb_s: Session::decrypt of each entry's decoded \
             ciphertext (one Session per transfer, made inside the timing), base64 decoding not included; \
             decrypt_b64_mb_s includes it; pages_decrypt_mb_s is the import path's crypto (per page: key pair from \
             the stored private key, keyMaterial read, a Session, each entry from base64); all MB/s count the \
             decoded ciphertext+tag bytes, 1e6 bytes a MB, best of rounds interleaved with aead_raw_mb_s (ring \
             open_in_place, same key, same bytes, each copied in first as the others are)."
        ),
    );
    Ok((f, k.lost, k.duplicated))
}

/// In a fresh process: open the store at `store` (a pull prepared, or started here if none is),
/// sync until the pull is done, and print `{"pull_ms", "rounds", "pages", "relay_bytes",
/// "records", "peak_rss_mb"}`.
pub fn child(store: &Path, key_file: &Path, url: &str) -> CliResult {
    die_with_parent();
    let key = DatabaseKey::from_hex(&std::fs::read_to_string(key_file)?)?;
    let locker = Locker::open(store, key)?;
    let bb = backbone(url)?;
    crate::enrol::block_on(async {
        let started = Instant::now();
        let pull = match locker.exchange().pulls()?.into_iter().next() {
            Some(p) => p,
            None => {
                let owner = locker.profiles().owner()?.ok_or_else(|| Failure::new("the store has no owner"))?;
                locker.exchange().pull(&owner.id, &[], None)?
            }
        };
        let (mut rounds, mut pages, mut bytes) = (0u32, 0u32, 0u64);
        loop {
            let r = locker.sync(&bb, SyncBudget::default(), &Quiet).await?;
            rounds += 1;
            pages += r.mailbox.pages;
            bytes += r.mailbox.bytes;
            let p = locker.exchange().pull_status(&pull.id)?;
            match p.state {
                PullState::Done => break,
                PullState::Failed => {
                    return Err(Failure::new(format!("the pull failed: {}", p.error_code.unwrap_or_default())));
                }
                _ if started.elapsed() > PULL_LIMIT => {
                    return Err(Failure::new(format!("the pull never finished: {p:?}; last round {:?}", r.failed)));
                }
                _ => {}
            }
            if r.mailbox.messages == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        let pull_ms = started.elapsed().as_secs_f64() * 1000.0;
        println!(
            "{}",
            json!({
                "pull_ms": pull_ms,
                "rounds": rounds,
                "pages": pages,
                "relay_bytes": bytes,
                "records": locker.records().count()?,
                "peak_rss_mb": super::attach::peak_rss_mb()?,
            })
        );
        Ok(())
    })
}

/// A child outlives no bench: killed with its parent (whose sandbox it talks to).
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    // SAFETY: `prctl(PR_SET_PDEATHSIG)` and `getppid` take and touch no memory of ours.
    #[allow(unsafe_code)]
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() == 1 {
            libc::_exit(1);
        }
    }
}
