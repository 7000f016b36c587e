//! The scanned-code part of the QR conformance suite (fixtures/qr/scanned/, described in
//! fixtures/qr/README.md): ABDM's own codes as the field writes them, a facility's counter code
//! and a patient's ABHA code, each case the text scanned and what must be read from it (or the
//! problem it must be refused with). Every failing case is reported by file; unknown fields are
//! refused; every problem a scanned code can have is given by some case.

use locker_core::share::{AbhaQr, AbhaQrLayout, FacilityQr, QrHost, QrProblem};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn suite() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/qr/scanned")
}

fn host(h: QrHost) -> &'static str {
    match h {
        QrHost::AbdmSandbox => "abdm-sandbox",
        QrHost::AbdmProduction => "abdm-production",
        QrHost::Configured => "configured",
        QrHost::Unnamed => "unnamed",
    }
}

fn text(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::String)
}

/// What was read, as the case's `expected` names it.
fn facility_read(q: FacilityQr) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("hip_id".into(), q.hip_id.into());
    m.insert("counter_id".into(), q.counter_id.into());
    m.insert("host".into(), host(q.host).into());
    m
}

fn abha_read(q: AbhaQr) -> Map<String, Value> {
    let mut m = Map::new();
    let layout = match q.layout {
        AbhaQrLayout::Card => "card",
        AbhaQrLayout::PhrApp => "phr-app",
    };
    m.insert("layout".into(), layout.into());
    m.insert("abha_number".into(), text(q.abha_number));
    m.insert("abha_address".into(), q.abha_address.into());
    m.insert("name".into(), text(q.name));
    m.insert("gender".into(), q.gender.code().into());
    m.insert("birth_date".into(), text(q.birth_date));
    m.insert("birth_date_masked".into(), q.birth_date_masked.into());
    m.insert("state_code".into(), text(q.state_code));
    m.insert("state_name".into(), text(q.state_name));
    m.insert("district_code".into(), text(q.district_code));
    m.insert("district_name".into(), text(q.district_name));
    m.insert("mobile".into(), text(q.mobile));
    m
}

/// Runs one case; `Err` says what is wrong, `Ok` gives the problem it was refused with, if any.
fn run(case: &Value) -> Result<Option<&'static str>, String> {
    let o = case.as_object().ok_or("not a JSON object")?;
    let allowed = ["description", "kind", "text", "phr_url", "cm_id", "expected"];
    if let Some(k) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!("unknown field {k:?}"));
    }
    let scanned = o.get("text").and_then(Value::as_str).ok_or("no text")?;
    let expected = o.get("expected").and_then(Value::as_object).ok_or("no expected")?;
    let read = match o.get("kind").and_then(Value::as_str) {
        Some("facility") => {
            let phr = o.get("phr_url").and_then(Value::as_str);
            FacilityQr::parse_for(scanned, phr).map(facility_read)
        }
        Some("abha") => {
            let cm = o.get("cm_id").and_then(Value::as_str).ok_or("an abha case names its cm_id")?;
            AbhaQr::parse(scanned, cm).map(abha_read)
        }
        other => return Err(format!("unknown kind {other:?}")),
    };
    let wants_ok = expected.get("ok").and_then(Value::as_bool).ok_or("expected.ok")?;
    match (read, wants_ok) {
        (Ok(got), true) => {
            for (k, want) in expected.iter().filter(|(k, _)| *k != "ok") {
                let have = got.get(k).ok_or_else(|| format!("unknown expected field {k:?}"))?;
                if have != want {
                    return Err(format!("{k}: read {have}, expected {want}"));
                }
            }
            Ok(None)
        }
        (Err(p), false) => {
            if expected.keys().any(|k| k != "ok" && k != "problem") {
                return Err("a refused case expects only ok and problem".into());
            }
            let want = expected.get("problem").and_then(Value::as_str).ok_or("expected.problem")?;
            if p.code() != want { Err(format!("refused as {}, expected {want}", p.code())) } else { Ok(Some(p.code())) }
        }
        (Ok(_), false) => Err("read, expected a refusal".into()),
        (Err(p), true) => Err(format!("refused as {}, expected it read", p.code())),
    }
}

#[test]
fn every_scanned_code_case_reads_as_it_says() {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(suite()).expect("fixtures/qr/scanned").map(|e| e.expect("an entry").path()).collect();
    files.sort();
    let (mut failures, mut produced) = (Vec::new(), BTreeSet::new());
    for path in &files {
        let name = path.file_name().expect("a name").to_string_lossy().into_owned();
        let case: Value = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        match run(&case) {
            Ok(Some(code)) => {
                produced.insert(code);
            }
            Ok(None) => {}
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), files.len(), failures.join("\n"));
    assert!(files.len() >= 40, "{} cases", files.len());
    // Pictures are the decoder's problems (tests/python/test_qr_images.py), not a text's.
    let pictures = [QrProblem::NoCodeInImage, QrProblem::ImageUnreadable, QrProblem::ImageTooLarge];
    let text_problems = QrProblem::ALL.into_iter().filter(|p| !pictures.contains(p));
    for p in text_problems {
        assert!(produced.contains(p.code()), "no case gives {}", p.code());
    }
}
