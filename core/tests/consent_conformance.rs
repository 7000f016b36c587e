//! The consent conformance suite (`fixtures/consent`, described in its README): every decision
//! case and every parse case, run through the public consent API. The cases are plain JSON so
//! that any other implementation of the policy can run them too; this file is ours.
//!
//! Every failure is collected and reported at once, each with its case's file name.

use locker_core::consent::policy::{self, DenyReason, RecordFacts, Release, UseHistory};
use locker_core::consent::wire::{self, ReceivedArtefact};
use locker_core::consent::{AccessMode, ConsentRequest, ConsentStatus, Permission, Verification};
use locker_core::{Error, HiType};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/consent")
}

/// The cases of one folder, by file name, in name order.
fn cases(folder: &str) -> Vec<(String, Value)> {
    let dir = suite().join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().expect("a file name").to_string_lossy().into_owned();
            assert!(name.ends_with(".json"), "{folder}/{name}: the suite holds only .json cases");
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{folder}/{name}: {e}"));
            let case = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{folder}/{name}: not JSON: {e}"));
            (format!("{folder}/{name}"), case)
        })
        .collect()
}

/// A case's own error (a malformed case, not a failed expectation).
type Bad = String;

/// Refuses fields a case may not hold: a misspelt expectation must not pass by being ignored.
fn only(v: &Value, allowed: &[&str], what: &str) -> Result<(), Bad> {
    let obj = v.as_object().ok_or_else(|| format!("{what} is not an object"))?;
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("{what} holds an unknown field {k:?}")),
        None => Ok(()),
    }
}

fn str_field<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a str, Bad> {
    v[key].as_str().ok_or_else(|| format!("{what}.{key} is not a string"))
}

/// A datetime the suite writes: exactly `YYYY-MM-DDTHH:MM:SS.sssZ`, read by `wire::datetime` and
/// checked against an independent formatter, so that a misreading cannot hide in both sides.
fn instant(v: &Value, what: &str) -> Result<i64, Bad> {
    let s = v.as_str().ok_or_else(|| format!("{what} is not a string"))?;
    let ms = wire::datetime(v, what).map_err(|e| format!("{what} {s:?}: {e}"))?;
    if locker_calendar::iso_utc_ms(ms) != s {
        return Err(format!("{what} {s:?} is not in the suite's form YYYY-MM-DDTHH:MM:SS.sssZ (or misread)"));
    }
    Ok(ms)
}

fn hi_type(s: &str) -> Option<HiType> {
    HiType::ALL.into_iter().find(|t| t.as_str() == s)
}

fn mode(s: &str) -> Option<AccessMode> {
    AccessMode::ALL.iter().copied().find(|m| m.code() == s)
}

// ---------------------------------------------------------------------------------------------
// Decide cases

/// Every reason the policy can give; the match fails to compile when a variant is added and not
/// listed here, so the coverage check below cannot go stale.
fn every_reason() -> Vec<DenyReason> {
    let mut all = vec![
        DenyReason::NoGrant,
        DenyReason::NotConfirmed,
        DenyReason::Expired,
        DenyReason::AccessMode,
        DenyReason::RangeWiderThanGranted,
        DenyReason::RepeatsUsed,
        DenyReason::TooFrequent,
        DenyReason::OtherPatient,
        DenyReason::HiType,
        DenyReason::OutsideDateRange,
        DenyReason::CareContext,
    ];
    all.extend(ConsentStatus::ALL.iter().filter(|s| **s != ConsentStatus::Granted).map(|s| DenyReason::NotGranted(*s)));
    for r in &all {
        match r {
            DenyReason::NoGrant
            | DenyReason::NotConfirmed
            | DenyReason::NotGranted(_)
            | DenyReason::Expired
            | DenyReason::AccessMode
            | DenyReason::RangeWiderThanGranted
            | DenyReason::RepeatsUsed
            | DenyReason::TooFrequent
            | DenyReason::OtherPatient
            | DenyReason::HiType
            | DenyReason::OutsideDateRange
            | DenyReason::CareContext => {}
        }
    }
    all
}

struct DecideCase {
    grants: Vec<locker_core::consent::Grant>,
    uses: UseHistory,
    now: i64,
    release: Release,
    permitted: Vec<(String, String)>,
    denied: Vec<(String, String)>,
}

fn read_decide_case(c: &Value) -> Result<DecideCase, Bad> {
    only(c, &["name", "description", "artefacts", "uses", "now", "release", "expect"], "the case")?;
    str_field(c, "name", "the case")?;
    str_field(c, "description", "the case")?;
    let mut grants = Vec::new();
    for (i, a) in c["artefacts"].as_array().ok_or("artefacts is not a list")?.iter().enumerate() {
        let what = format!("artefacts[{i}]");
        only(a, &["status", "verification", "consentDetail", "signature"], &what)?;
        let ReceivedArtefact { mut grant, .. } =
            wire::read_artefact(a).map_err(|e| format!("{what} does not read: {e:?}"))?;
        grant.verification = match &a["verification"] {
            Value::Null => Verification::Verified,
            v => v
                .as_str()
                .and_then(|s| Verification::ALL.iter().copied().find(|x| x.code() == s))
                .ok_or_else(|| format!("{what}.verification is not verified, unverified or pending"))?,
        };
        grants.push(grant);
    }
    let mut uses = UseHistory::new();
    for (i, u) in c["uses"].as_array().ok_or("uses is not a list")?.iter().enumerate() {
        let what = format!("uses[{i}]");
        only(u, &["consentId", "at"], &what)?;
        let at = instant(&u["at"], &format!("{what}.at"))?;
        uses.entry(str_field(u, "consentId", &what)?.to_string()).or_default().push(at);
    }
    let now = instant(&c["now"], "now")?;

    let r = &c["release"];
    only(r, &["hiu", "consentId", "mode", "dateRange", "records"], "release")?;
    let date_range = match &r["dateRange"] {
        Value::Null => None,
        d => {
            only(d, &["from", "to"], "release.dateRange")?;
            Some((instant(&d["from"], "release.dateRange.from")?, instant(&d["to"], "release.dateRange.to")?))
        }
    };
    let mut records = Vec::new();
    for (i, x) in r["records"].as_array().ok_or("release.records is not a list")?.iter().enumerate() {
        let what = format!("release.records[{i}]");
        only(x, &["id", "patient", "hiType", "date", "careContext"], &what)?;
        let t = str_field(x, "hiType", &what)?;
        records.push(RecordFacts {
            id: str_field(x, "id", &what)?.to_string(),
            patient: str_field(x, "patient", &what)?.to_string(),
            hi_type: hi_type(t).ok_or_else(|| format!("{what}.hiType {t:?} is not an hiType"))?,
            date_ms: instant(&x["date"], &format!("{what}.date"))?,
            care_context: str_field(x, "careContext", &what)?.to_string(),
        });
    }
    let m = str_field(r, "mode", "release")?;
    let release = Release {
        hiu: str_field(r, "hiu", "release")?.to_string(),
        consent_id: match &r["consentId"] {
            Value::Null => None,
            v => Some(v.as_str().ok_or("release.consentId is neither null nor a string")?.to_string()),
        },
        mode: mode(m).ok_or_else(|| format!("release.mode {m:?} is not an access mode"))?,
        date_range,
        records,
    };

    let e = &c["expect"];
    only(e, &["permitted", "denied"], "expect")?;
    let pairs = |key: &str, second: &str| -> Result<Vec<(String, String)>, Bad> {
        e[key]
            .as_array()
            .ok_or_else(|| format!("expect.{key} is not a list"))?
            .iter()
            .map(|p| {
                only(p, &["record", second], &format!("expect.{key}[]"))?;
                Ok((str_field(p, "record", key)?.to_string(), str_field(p, second, key)?.to_string()))
            })
            .collect()
    };
    Ok(DecideCase {
        grants,
        uses,
        now,
        release,
        permitted: pairs("permitted", "consentId")?,
        denied: pairs("denied", "reason")?,
    })
}

#[test]
fn every_decision_in_the_conformance_suite_is_the_policys() {
    let all = cases("decide");
    let codes: BTreeSet<String> = every_reason().into_iter().map(DenyReason::code).collect();
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut failures = Vec::new();
    for (file, c) in &all {
        if !names.insert(c["name"].as_str().unwrap_or_default().to_string()) {
            failures.push(format!("{file}: another case has the same name"));
        }
        let case = match read_decide_case(c) {
            Ok(case) => case,
            Err(bad) => {
                failures.push(format!("{file}: malformed case: {bad}"));
                continue;
            }
        };
        for (_, reason) in &case.denied {
            if !codes.contains(reason) {
                failures.push(format!("{file}: {reason:?} is no reason code of the policy"));
            }
            used.insert(reason.clone());
        }
        let d = policy::decide(&case.grants, &case.uses, &case.release, case.now);
        let permitted: Vec<(String, String)> =
            d.permitted.iter().map(|p| (p.record.clone(), p.artefact.clone())).collect();
        let denied: Vec<(String, String)> = d.denied.iter().map(|x| (x.record.clone(), x.reason.code())).collect();
        if permitted != case.permitted || denied != case.denied {
            failures.push(format!(
                "{file}:\n    expected permitted {:?} denied {:?}\n    got      permitted {permitted:?} denied {denied:?}",
                case.permitted, case.denied
            ));
        }
    }
    assert!(all.len() >= 60, "the suite has {} decide cases; it must keep at least 60", all.len());
    let missing: Vec<&String> = codes.difference(&used).collect();
    assert!(missing.is_empty(), "no decide case gives the reasons {missing:?}");
    assert!(failures.is_empty(), "{} of {} decide cases failed:\n{}", failures.len(), all.len(), failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Parse cases

/// What an error is called in a case: the `what` of an unreadable answer, or `refused`.
fn error_name(e: &Error) -> (String, Option<String>) {
    match e {
        Error::UnreadableAnswer { what } => (what.clone(), None),
        Error::Refused { code } => ("refused".into(), Some(code.clone())),
        other => (format!("another error: {other:?}"), None),
    }
}

/// An error expectation against what was read.
fn check_error<T>(got: &Result<T, Error>, expect: &Value) -> Result<Vec<String>, Bad> {
    only(expect, &["error", "code"], "expect")?;
    let want = str_field(expect, "error", "expect")?;
    let Err(e) = got else { return Ok(vec![format!("expected error {want:?}, but it read")]) };
    let (name, code) = error_name(e);
    let mut out = Vec::new();
    if name != want {
        out.push(format!("expected error {want:?}, got {name:?}"));
    }
    if let Some(want_code) = expect.get("code") {
        let want_code = want_code.as_str().ok_or("expect.code is not a string")?;
        if code.as_deref() != Some(want_code) {
            out.push(format!("expected refusal code {want_code:?}, got {code:?}"));
        }
    }
    Ok(out)
}

/// The fields a read artefact or request is compared on, as the suite writes them.
fn permission_fields(p: &Permission) -> Vec<(&'static str, Value)> {
    vec![
        ("accessMode", json!(p.access_mode.code())),
        ("dateFrom", json!(locker_calendar::iso_utc_ms(p.date_from_ms))),
        ("dateTo", json!(locker_calendar::iso_utc_ms(p.date_to_ms))),
        ("dataEraseAt", json!(locker_calendar::iso_utc_ms(p.erase_at_ms))),
        (
            "frequency",
            json!({"unit": p.frequency.unit.code(), "value": p.frequency.value, "repeats": p.frequency.repeats}),
        ),
    ]
}

fn care_contexts(list: &[locker_core::consent::CareContextRef]) -> Value {
    list.iter()
        .map(|c| json!({"patientReference": c.patient_reference, "careContextReference": c.care_context_reference}))
        .collect()
}

fn artefact_fields(a: &ReceivedArtefact) -> Vec<(&'static str, Value)> {
    let g = &a.grant;
    let mut f = vec![
        ("id", json!(g.id)),
        ("status", json!(g.status.code())),
        ("patient", json!(g.patient)),
        ("hiu", json!(g.hiu)),
        ("hip", json!(g.hip)),
        ("hiTypes", json!(g.hi_types.iter().map(|t| t.as_str()).collect::<Vec<_>>())),
        ("careContexts", care_contexts(&g.care_contexts)),
        ("signature", json!(a.signature)),
    ];
    f.extend(permission_fields(&g.permission));
    f
}

fn request_fields(r: &ConsentRequest) -> Vec<(&'static str, Value)> {
    let mut f = vec![
        ("id", json!(r.id)),
        ("status", json!(r.status.code())),
        ("purpose", json!(r.purpose.code())),
        ("patient", json!(r.patient)),
        ("hiu", json!(r.hiu.id)),
        ("hip", json!(r.hip.as_ref().map(|h| &h.id))),
        ("requesterName", json!(r.requester_name)),
        ("createdAt", json!(locker_calendar::iso_utc_ms(r.created_at_ms))),
        ("hiTypes", json!(r.hi_types.iter().map(|t| t.as_str()).collect::<Vec<_>>())),
        ("careContexts", care_contexts(&r.care_contexts)),
    ];
    f.extend(permission_fields(&r.permission));
    f
}

/// A success expectation: `ok: true` and any of the fields, each compared (ABHA addresses
/// ignoring ASCII case, as the policy compares them).
fn check_fields(fields: &[(&'static str, Value)], expect: &Value) -> Result<Vec<String>, Bad> {
    let mut out = Vec::new();
    for (key, want) in expect.as_object().ok_or("expect is not an object")? {
        if key == "ok" {
            if want != &json!(true) {
                return Err("expect.ok is true or absent; an error is written {\"error\": …}".into());
            }
            continue;
        }
        let got = fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .ok_or_else(|| format!("expect.{key} is no field this kind of case compares"))?;
        let same = match (key.as_str(), got, want) {
            ("patient", Value::String(g), Value::String(w)) => g.eq_ignore_ascii_case(w),
            _ => got == want,
        };
        if !same {
            out.push(format!("{key}: expected {want}, got {got}"));
        }
    }
    Ok(out)
}

fn check_one(kind: &str, input: &Value, expect: &Value) -> Result<Vec<String>, Bad> {
    let is_error = expect.get("error").is_some();
    if !is_error && expect.get("ok") != Some(&json!(true)) {
        return Err("expect holds neither \"ok\": true nor \"error\"".into());
    }
    match kind {
        "artefact" => {
            let got = wire::read_artefact(input);
            match (&got, is_error) {
                (_, true) => check_error(&got, expect),
                (Ok(a), false) => check_fields(&artefact_fields(a), expect),
                (Err(e), false) => Ok(vec![format!("expected it to read, got {e:?}")]),
            }
        }
        "request" => {
            let got = wire::read_request(input);
            match (&got, is_error) {
                (_, true) => check_error(&got, expect),
                (Ok(r), false) => check_fields(&request_fields(r), expect),
                (Err(e), false) => Ok(vec![format!("expected it to read, got {e:?}")]),
            }
        }
        other => Err(format!("{other:?} is not artefact or request")),
    }
}

fn check_parse_case(c: &Value) -> Result<Vec<String>, Bad> {
    only(c, &["name", "description", "parse", "of", "input", "expect"], "the case")?;
    str_field(c, "name", "the case")?;
    str_field(c, "description", "the case")?;
    let (input, expect) = (&c["input"], &c["expect"]);
    match str_field(c, "parse", "the case")? {
        "list" => {
            let of = str_field(c, "of", "the case")?;
            // The keys and names the pull uses (refresh.rs).
            let (keys, what): (&[&str], &str) = match of {
                "request" => (&["requests"], "consent-requests"),
                "artefact" => (&["consentArtefacts", "artefacts"], "consent-artefacts"),
                other => return Err(format!("of {other:?} is not request or artefact")),
            };
            let got = wire::list(input, keys, what);
            if expect.get("error").is_some() {
                return check_error(&got, expect);
            }
            only(expect, &["ok", "count", "items"], "expect")?;
            let items = match got {
                Ok(items) => items,
                Err(e) => return Ok(vec![format!("expected the list to read, got {e:?}")]),
            };
            let mut out = Vec::new();
            let count = expect["count"].as_u64().ok_or("expect.count is not a number")?;
            if items.len() as u64 != count {
                out.push(format!("expected {count} elements, got {}", items.len()));
            }
            let wants = expect["items"].as_array().ok_or("expect.items is not a list")?;
            if wants.len() as u64 != count {
                return Err("expect.items does not hold count expectations".into());
            }
            for (i, (item, want)) in items.iter().zip(wants).enumerate() {
                out.extend(check_one(of, item, want)?.into_iter().map(|f| format!("element {i}: {f}")));
            }
            Ok(out)
        }
        kind => {
            if c.get("of").is_some() {
                return Err("only a list case says what it is of".into());
            }
            check_one(kind, input, expect)
        }
    }
}

#[test]
fn every_body_in_the_conformance_suite_reads_as_written() {
    let all = cases("parse");
    let mut failures = Vec::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    for (file, c) in &all {
        if !names.insert(c["name"].as_str().unwrap_or_default().to_string()) {
            failures.push(format!("{file}: another case has the same name"));
        }
        match check_parse_case(c) {
            Ok(found) => failures.extend(found.into_iter().map(|f| format!("{file}: {f}"))),
            Err(bad) => failures.push(format!("{file}: malformed case: {bad}")),
        }
    }
    assert!(all.len() >= 20, "the suite has {} parse cases; it must keep at least 20", all.len());
    for kind in ["artefact", "request", "list"] {
        assert!(all.iter().any(|(_, c)| c["parse"] == kind), "no parse case of {kind}");
    }
    assert!(failures.is_empty(), "{} of {} parse cases failed:\n{}", failures.len(), all.len(), failures.join("\n"));
}

/// The runner itself: a case that expects the wrong thing fails, and a misspelt field is caught,
/// so that the suite above cannot pass by checking nothing.
#[test]
fn the_runner_catches_a_wrong_expectation_and_a_misspelt_field() {
    let (_, good) = cases("decide").into_iter().next().expect("a decide case");
    let mut wrong = good.clone();
    wrong["expect"] = json!({"permitted": [], "denied": [{"record": "r1", "reason": "hi-type"}]});
    let case = read_decide_case(&wrong).expect("still well formed");
    let d = policy::decide(&case.grants, &case.uses, &case.release, case.now);
    assert!(d.denied.iter().map(|x| (x.record.clone(), x.reason.code())).collect::<Vec<_>>() != case.denied);
    let mut misspelt = good.clone();
    misspelt["expected"] = misspelt["expect"].take();
    assert!(read_decide_case(&misspelt).is_err());

    let (_, parse) = cases("parse").into_iter().find(|(_, c)| c["parse"] == "artefact").expect("an artefact case");
    let mut wrong = parse.clone();
    wrong["expect"] = json!({"ok": true, "id": "not-its-id"});
    assert!(!check_parse_case(&wrong).expect("well formed").is_empty());
    wrong["expect"] = json!({"ok": true, "idd": "x"});
    assert!(check_parse_case(&wrong).is_err());
}
