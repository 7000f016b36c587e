//! How `locker consent` prints requests, artefacts, histories and uses: a line each for
//! people, one JSON value with `--json` for scripts. Every artefact says whether its signature
//! was verified; a grant made here says it awaits the consent manager.

use locker_core::consent::{ConsentUse, HistoryEntry, Released, StoredArtefact, StoredRequest, Verification};
use serde_json::{Value, json};
use std::path::Path;

fn day(ms: i64) -> String {
    locker_calendar::iso_utc_ms(ms)[..10].to_string()
}

fn types(t: &[locker_core::HiType]) -> Vec<&'static str> {
    t.iter().map(|t| t.as_str()).collect()
}

fn request_json(s: &StoredRequest) -> Value {
    let r = &s.request;
    json!({
        "id": r.id, "status": r.status.code(), "purpose": r.purpose.code(), "patient": r.patient,
        "hiu": {"id": r.hiu.id, "name": r.hiu.name}, "requester": r.requester_name,
        "hi_types": types(&r.hi_types), "from": day(r.permission.date_from_ms), "to": day(r.permission.date_to_ms),
        "erase_at": locker_calendar::iso_utc_ms(r.permission.erase_at_ms), "access_mode": r.permission.access_mode.code(),
        "created_at": locker_calendar::iso_utc_ms(r.created_at_ms),
        "pending": s.pending.map(|p| p.code()), "notice": s.notice,
    })
}

fn verification_text(v: Verification) -> &'static str {
    match v {
        Verification::Verified => "signature verified",
        Verification::Unverified => "UNVERIFIED: the consent manager's signing scheme is unknown",
        Verification::Pending => "granted here, awaiting the consent manager",
    }
}

fn artefact_json(a: &StoredArtefact) -> Value {
    let g = &a.grant;
    json!({
        "id": g.id, "request_id": g.request_id, "status": g.status.code(), "hiu": g.hiu, "hip": g.hip,
        "hi_types": types(&g.hi_types), "from": day(g.permission.date_from_ms), "to": day(g.permission.date_to_ms),
        "erase_at": locker_calendar::iso_utc_ms(g.permission.erase_at_ms), "access_mode": g.permission.access_mode.code(),
        "care_contexts": g.care_contexts.iter().map(|c| &c.care_context_reference).collect::<Vec<_>>(),
        "verification": g.verification.code(), "key_id": a.key_id, "revoke_pending": a.revoke_pending,
    })
}

pub fn requests(list: &[StoredRequest], json: bool) {
    if json {
        println!("{}", Value::Array(list.iter().map(request_json).collect()));
        return;
    }
    if list.is_empty() {
        println!("no consent requests (sign in and `locker consent sync` to fetch them)");
    }
    for s in list {
        let r = &s.request;
        let who = r.hiu.name.as_deref().unwrap_or(&r.hiu.id);
        let pending = if s.pending.is_some() { " (not yet sent)" } else { "" };
        println!(
            "{}  {}{pending}  {} asks for {} of {} to {}, purpose {}",
            r.id,
            r.status.code(),
            who,
            types(&r.hi_types).join(", "),
            day(r.permission.date_from_ms),
            day(r.permission.date_to_ms),
            r.purpose.code()
        );
        if let Some(n) = &s.notice {
            println!("    note: {n}");
        }
    }
}

fn history_lines(h: &[HistoryEntry]) {
    for e in h {
        let note = e.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
        println!("  {}  {} by the {}{note}", locker_calendar::iso_utc_ms(e.at_ms), e.status.code(), e.source.code());
    }
}

fn history_json(h: &[HistoryEntry]) -> Value {
    Value::Array(
        h.iter()
            .map(|e| json!({"at": locker_calendar::iso_utc_ms(e.at_ms), "status": e.status.code(), "source": e.source.code(), "note": e.note}))
            .collect(),
    )
}

pub fn request(s: &StoredRequest, artefacts: &[StoredArtefact], history: &[HistoryEntry], json: bool) {
    if json {
        let mut v = request_json(s);
        v["artefacts"] = Value::Array(artefacts.iter().map(artefact_json).collect());
        v["history"] = history_json(history);
        println!("{v}");
        return;
    }
    requests(std::slice::from_ref(s), false);
    let r = &s.request;
    println!(
        "  requested by {} for {} ({} access)",
        r.requester_name,
        r.hiu.name.as_deref().unwrap_or(&r.hiu.id),
        r.permission.access_mode.code()
    );
    for a in artefacts {
        println!(
            "  grant {}  {} to {}, {}",
            a.grant.id,
            a.grant.status.code(),
            a.grant.hip,
            verification_text(a.grant.verification)
        );
    }
    history_lines(history);
}

pub fn artefact(a: &StoredArtefact, history: &[HistoryEntry], uses: &[ConsentUse], json: bool) {
    if json {
        let mut v = artefact_json(a);
        v["history"] = history_json(history);
        v["uses"] = uses_json(uses);
        println!("{v}");
        return;
    }
    artefacts(std::slice::from_ref(a), false);
    history_lines(history);
    for u in uses {
        println!(
            "  used {}: {} record(s) to {} by {}",
            locker_calendar::iso_utc_ms(u.at_ms),
            u.records.len(),
            u.hiu,
            u.channel
        );
    }
}

pub fn artefacts(list: &[StoredArtefact], json: bool) {
    if json {
        println!("{}", Value::Array(list.iter().map(artefact_json).collect()));
        return;
    }
    if list.is_empty() {
        println!("no artefacts");
    }
    for a in list {
        let g = &a.grant;
        let revoking = if a.revoke_pending { " (revocation not yet sent)" } else { "" };
        println!(
            "{}  {}{revoking}  to {}: {} of {} to {}, {}, erase at {}; {}",
            g.id,
            g.status.code(),
            g.hiu,
            types(&g.hi_types).join(", "),
            day(g.permission.date_from_ms),
            day(g.permission.date_to_ms),
            g.permission.access_mode.code(),
            day(g.permission.erase_at_ms),
            verification_text(g.verification)
        );
    }
}

fn uses_json(u: &[ConsentUse]) -> Value {
    Value::Array(
        u.iter()
            .map(|u| json!({"artefact": u.artefact, "hiu": u.hiu, "channel": u.channel, "records": u.records, "at": locker_calendar::iso_utc_ms(u.at_ms)}))
            .collect(),
    )
}

pub fn uses(list: &[ConsentUse], json: bool) {
    if json {
        println!("{}", uses_json(list));
        return;
    }
    if list.is_empty() {
        println!("nothing has been released");
    }
    for u in list {
        println!(
            "{}  {} record(s) to {} by {} under {}: {}",
            locker_calendar::iso_utc_ms(u.at_ms),
            u.records.len(),
            u.hiu,
            u.channel,
            u.artefact,
            u.records.join(", ")
        );
    }
}

pub fn release(r: &Released, out: &Path, json: bool) {
    if json {
        let v = json!({
            "released": r.decision.permitted.iter().map(|p| json!({"record": p.record, "artefact": p.artefact})).collect::<Vec<_>>(),
            "refused": r.decision.denied.iter().map(|d| json!({"record": d.record, "reason": d.reason.code()})).collect::<Vec<_>>(),
            "out": out.display().to_string(),
        });
        println!("{v}");
        return;
    }
    for p in &r.decision.permitted {
        println!("released {} under {} to {}", p.record, p.artefact, out.display());
    }
    for d in &r.decision.denied {
        println!("refused  {}: {}", d.record, d.reason.explain());
    }
}
