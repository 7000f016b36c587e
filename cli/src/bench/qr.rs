//! `locker bench qr`: drawing a code (PNG), and reading codes from degraded camera frames
//! (`frames.rs`) with the locker's decoder, against zxing-cpp (through `tools/zxing-decode.py`)
//! and rqrr (the decoder not shipped, through the same passes) on the very same files in the
//! same run. Each decode is timed from the already-decoded grey pixels, for every decoder.
//!
//! Each part of the figures is one function returning a JSON map, so figures from other modules
//! (the signed QR's version at M, its signing and verifying, the counter's token) join as one
//! more such function called from `run`.

use super::frames::{self, Frame};
use super::{percentile_ms, print_figures, round, timed};
use crate::{CliResult, Failure};
use locker_core::share::decode::{self, scan};
use locker_core::share::frame::Luma;
use locker_core::share::render::Qr;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub fn run(seed: u64, keep: Option<PathBuf>, json: bool) -> CliResult {
    let mut f = Map::new();
    f.extend(super::qr_signed::signed_figures()?);
    f.extend(super::qr_signed::counter_figures()?);
    f.extend(render_figures(seed));
    f.extend(decode_figures(seed, keep)?);
    print_figures(&f, json);
    Ok(())
}

/// `render_png_ms`: a signed-QR-sized text (300 alphanumeric characters, version 10 at M) drawn
/// to PNG at 8 pixels a module, encoding included; the median of 200.
pub fn render_figures(seed: u64) -> Map<String, Value> {
    let text = frames::texts(&mut frames::Rng::new(seed)).swap_remove(0);
    let mut samples: Vec<Duration> = (0..200)
        .map(|_| timed(|| Qr::new(&text).and_then(|q| q.png(8)).expect("a 300-character text fits")).1)
        .collect();
    let mut f = Map::new();
    f.insert("render_png_ms".into(), json!(round(percentile_ms(&mut samples, 50.0), 3)));
    f
}

/// Who read a frame, how fast.
#[derive(Default)]
struct Tally {
    ok: usize,
    times: Vec<Duration>,
    by_kind: BTreeMap<String, usize>,
}

impl Tally {
    fn add(&mut self, frame: &Frame, texts: &[String], time: Duration) {
        let ok = texts.contains(&frame.expected);
        self.ok += ok as usize;
        *self.by_kind.entry(family(&frame.kind)).or_default() += ok as usize;
        self.times.push(time);
    }
    fn p50(&mut self) -> f64 {
        round(percentile_ms(&mut self.times, 50.0), 3)
    }
}

/// `decode_success` and `decode_ms_p50` (ours), `single_pass_success` (ours with no retry passes),
/// `rqrr_*`, and `zxing_success`, `zxing_ms_p50` (or `"zxing": "absent"`).
pub fn decode_figures(seed: u64, keep: Option<PathBuf>) -> CliResult<Map<String, Value>> {
    let temp = tempfile::tempdir()?;
    let dir = match &keep {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| Failure::file("create", d, &e))?;
            d.clone()
        }
        None => temp.path().to_path_buf(),
    };
    let frames = frames::generate(&dir, seed)?;
    eprintln!("{} degraded frames in {}", frames.len(), dir.display());
    let (mut ours, mut single, mut rx) = (Tally::default(), Tally::default(), Tally::default());
    for frame in &frames {
        let luma = frames::load(&frame.path)?;
        let (texts, t) = timed(|| decode::decode_luma(&luma).unwrap_or_default());
        ours.add(frame, &texts, t);
        let (texts, t) = timed(|| single_pass(&luma));
        single.add(frame, &texts, t);
        let (texts, t) = timed(|| scan(&luma, rqrr_detect));
        rx.add(frame, &texts, t);
    }
    let mut f = Map::new();
    f.insert("frames".into(), json!(frames.len()));
    f.insert("decode_success".into(), json!(ours.ok));
    f.insert("decode_ms_p50".into(), json!(ours.p50()));
    f.insert("single_pass_success".into(), json!(single.ok));
    f.insert("rqrr_success".into(), json!(rx.ok));
    f.insert("rqrr_ms_p50".into(), json!(rx.p50()));
    let mut columns = vec![("ours", &ours.by_kind), ("1-pass", &single.by_kind), ("rqrr", &rx.by_kind)];
    let zx = zxing(&dir, &frames);
    match &zx {
        Ok(z) => {
            f.insert("zxing_success".into(), json!(z.1.ok));
            f.insert("zxing_ms_p50".into(), json!(round(percentile_ms(&mut z.1.times.clone(), 50.0), 3)));
            f.insert("zxing_version".into(), json!(z.0));
            columns.push(("zxing", &z.1.by_kind));
        }
        Err(why) => {
            eprintln!("zxing-cpp not measured: {why}");
            f.insert("zxing".into(), json!("absent"));
        }
    }
    print_by_kind(&frames, &columns);
    Ok(f)
}

/// The locker's decoder on the frame as it is: what the retry passes add is `decode_success`
/// less this.
fn single_pass(luma: &Luma) -> Vec<String> {
    let mut first = true;
    scan(luma, |l| if std::mem::take(&mut first) { decode::detect(l) } else { Vec::new() })
}

/// rqrr (quirc's port), the decoder not shipped, over one picture: every grid that decodes.
fn rqrr_detect(luma: &Luma) -> Vec<String> {
    let (w, px) = (luma.width(), luma.pixels());
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, luma.height(), |x, y| px[y * w + x]);
    img.detect_grids().into_iter().filter_map(|g| g.decode().ok().map(|(_, text)| text)).collect()
}

/// zxing-cpp's reading of every frame in `dir`: its version and tally, or why it is absent.
fn zxing(dir: &Path, frames: &[Frame]) -> Result<(String, Tally), String> {
    let root = repo_root();
    let script = root.join("tools/zxing-decode.py");
    let python = std::env::var_os("LOCKER_ZXING_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
        let venv = root.join("target/venv/bin/python");
        if venv.exists() { venv } else { PathBuf::from("python3") }
    });
    let out = Command::new(&python).arg(&script).arg(dir).output().map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!("{} exited with {}", script.display(), out.status));
    }
    let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("its output is not JSON: {e}"))?;
    let mut read: BTreeMap<&str, (Vec<String>, f64)> = BTreeMap::new();
    for r in v["frames"].as_array().into_iter().flatten() {
        let texts = r["texts"].as_array().into_iter().flatten().filter_map(|t| t.as_str().map(String::from)).collect();
        read.insert(r["file"].as_str().unwrap_or_default(), (texts, r["ms"].as_f64().unwrap_or(f64::NAN)));
    }
    let mut tally = Tally::default();
    for frame in frames {
        let name = frame.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let (texts, ms) = read.get(name).ok_or_else(|| format!("no result for {name}"))?;
        tally.add(frame, texts, Duration::from_secs_f64(ms / 1000.0));
    }
    Ok((v["zxing"].as_str().unwrap_or("?").to_string(), tally))
}

/// The directory holding `tools/zxing-decode.py`: the current one or above, else the workspace
/// this binary was built from.
fn repo_root() -> PathBuf {
    let has = |d: &Path| d.join("tools/zxing-decode.py").is_file();
    std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.ancestors().find(|d| has(d)).map(Path::to_path_buf))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

/// The degradation a frame's kind names, without its strength: `rotate-23` → `rotate`.
fn family(kind: &str) -> String {
    if kind.contains('+') { "mixed".into() } else { kind.split('-').next().unwrap_or(kind).into() }
}

/// Successes by degradation, one column a decoder, on stderr (the figures go to stdout).
fn print_by_kind(frames: &[Frame], columns: &[(&str, &BTreeMap<String, usize>)]) {
    let mut totals: BTreeMap<String, usize> = BTreeMap::new();
    frames.iter().for_each(|f| *totals.entry(family(&f.kind)).or_default() += 1);
    let head: String = columns.iter().map(|(name, _)| format!("{name:>8}")).collect();
    eprintln!("{:<10}{:>6}{head}", "frames", "n");
    for (kind, n) in &totals {
        let row: String = columns.iter().map(|(_, c)| format!("{:>8}", c.get(kind).copied().unwrap_or(0))).collect();
        eprintln!("{kind:<10}{n:>6}{row}");
    }
}
