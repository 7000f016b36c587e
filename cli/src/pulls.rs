//! `locker records pull` and `locker records pulls`: the citizen's records brought home from the
//! hospitals linked to them. A pull is the locker asking for its own citizen (a self-request,
//! granted by their auto-approval or by hand), then per hospital for the records, encrypted end
//! to end to a key made here and erased once they came. Starting one works offline; `locker
//! sync` moves it on.

use crate::args::BackboneArgs;
use crate::enrol::{Net, block_on};
use crate::store::Context;
use crate::{CliResult, Failure};
use clap::Args;
use locker_core::HiType;
use locker_core::exchange::{HipRequest, Pull, PullState, Transfer};
use serde_json::{Value, json};

/// `locker records pull`
#[derive(Args)]
pub struct PullArgs {
    /// Whose records (default: the owner); the profile needs an ABHA address.
    #[arg(long)]
    pub profile: Option<String>,
    /// Only these record types (repeatable; default: every type).
    #[arg(long = "type")]
    pub types: Vec<String>,
    /// Records from this day (YYYY-MM-DD) on.
    #[arg(long)]
    pub from: Option<String>,
    /// Records up to this day (YYYY-MM-DD), the whole day.
    #[arg(long)]
    pub to: Option<String>,
    /// Let this locker's own requests for the profile's records be granted without asking (kept
    /// here, set at the consent manager at the next sync). Without it, approve the request with
    /// `locker consent approve` once a sync has brought it.
    #[arg(long)]
    pub auto_approve: bool,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

pub fn start(ctx: &Context, args: PullArgs) -> CliResult {
    let locker = ctx.open()?;
    let profile = crate::share::profile_id(&locker, args.profile)?;
    let types = args
        .types
        .iter()
        .map(|t| HiType::parse(t).ok_or_else(|| Failure::usage(format!("unknown record type {t:?}"))))
        .collect::<CliResult<Vec<_>>>()?;
    let range = match (&args.from, &args.to) {
        (None, None) => None,
        (from, to) => Some((
            from.as_deref().map(|f| crate::consent::instant(f, false)).transpose()?.unwrap_or(0),
            match to {
                Some(t) => crate::consent::instant(t, true)?,
                None => crate::enrol::now_ms(),
            },
        )),
    };
    if args.auto_approve {
        let address = locker.profiles().get(&profile)?.abha_address.ok_or_else(|| {
            Failure::usage(format!(
                "the profile has no ABHA address to pull records for: `locker profile update {profile} --abha-address NAME@sbx`"
            ))
        })?;
        // The locker's own requests come from the id it is registered under as a HIU.
        let net = Net::new(&args.backbone)?;
        let hiu = net.backbone.config().service_id().to_string();
        let now = locker.consent().auto_approval(&address)?;
        if !now.is_some_and(|a| a.enabled && a.synced && a.hiu == hiu) {
            locker.consent().set_auto_approval(&address, &hiu, true)?;
            // The setting and the pull's request go on lanes of their own: sent now, the setting
            // is in force before the request reaches the consent manager.
            let sent = block_on(locker.outbox().drain(&net.backbone));
            if !sent.is_ok_and(|d| d.halted.is_none()) {
                eprintln!(
                    "note: auto-approval could not be sent now; it goes at the next sync, and if the pull's request reaches the consent manager first, grant it with `locker consent approve`"
                );
            }
        }
    }
    let pull = locker.exchange().pull(&profile, &types, range)?;
    if args.json {
        println!("{}", pull_json(&pull));
    } else {
        println!("pull {} started: `locker sync` sends it and brings the records home", pull.id);
        if !args.auto_approve {
            println!(
                "unless auto-approval is on (--auto-approve), approve its request after the next sync: `locker consent requests`"
            );
        }
    }
    Ok(())
}

pub fn list(ctx: &Context, json: bool) -> CliResult {
    let locker = ctx.open()?;
    let pulls = locker.exchange().pulls()?;
    if json {
        println!("{}", Value::Array(pulls.iter().map(pull_json).collect()));
        return Ok(());
    }
    if pulls.is_empty() {
        println!("no pulls yet: link a hospital (`locker link discover`), then `locker records pull`");
    }
    for p in &pulls {
        println!("{}", pull_line(p));
        for t in &p.transfers {
            println!("    {}", transfer_line(t));
        }
    }
    Ok(())
}

pub fn pull_json(p: &Pull) -> Value {
    let transfers: Vec<Value> = p
        .transfers
        .iter()
        .map(|t| {
            json!({"id": t.id, "hip_id": t.hip_id, "state": t.state, "page_count": t.page_count,
                "pages_imported": t.pages_imported, "pages_failed": t.pages_failed,
                "records_imported": t.records_imported, "already_held": t.already_held,
                "checksum_warnings": t.checksum_warnings, "key_kept": t.key_kept})
        })
        .collect();
    json!({"id": p.id, "profile": p.profile_id, "state": p.state.code(), "error": p.error_code,
        "records_imported": records(p), "transfers": transfers, "created_at_ms": p.created_at_ms,
        "updated_at_ms": p.updated_at_ms})
}

fn records(p: &Pull) -> u32 {
    p.transfers.iter().map(|t| t.records_imported).sum()
}

/// One line: the pull, where it is, and what it brought.
pub fn pull_line(p: &Pull) -> String {
    let started = crate::records::format_ms(p.created_at_ms);
    let what = match p.state {
        PullState::Asking => "waiting to be sent (at the next sync)".to_string(),
        PullState::Waiting => "waiting for its grant (auto-approval, or `locker consent approve`)".to_string(),
        PullState::Fetching => format!(
            "{} record(s) so far from {} hospital(s); the rest comes at a later sync",
            records(p),
            p.transfers.len()
        ),
        PullState::Done => format!("{} record(s) from {} hospital(s)", records(p), p.transfers.len()),
        PullState::Failed => format!("ended: {}", p.error_code.as_deref().unwrap_or("refused")),
    };
    format!("pull {}  {:<8} started {started}: {what}", p.id, p.state.code())
}

/// One line: a hospital's part of a pull.
pub fn transfer_line(t: &Transfer) -> String {
    let pages = match t.page_count {
        Some(n) => format!("{}/{n} page(s)", t.pages_imported),
        None => format!("{} page(s)", t.pages_imported),
    };
    let mut line = format!("{:<18} {:<9} {pages}, {} record(s)", t.hip_id, t.state, t.records_imported);
    if t.already_held > 0 {
        line.push_str(&format!(", {} already held", t.already_held));
    }
    if t.pages_failed > 0 {
        line.push_str(&format!(", {} page(s) failed their check (kept for another try)", t.pages_failed));
    }
    if t.checksum_warnings > 0 {
        line.push_str(&format!(", {} checksum warning(s)", t.checksum_warnings));
    }
    line.push_str(if t.key_kept { "; its key kept until the rest comes" } else { "; its key erased" });
    line
}

pub fn hip_request_json(h: &HipRequest) -> Value {
    json!({"transaction_id": h.transaction_id, "consent_id": h.consent_id, "hiu": h.hiu, "state": h.state,
        "records": h.records, "pages_sent": h.pages_sent, "refusal": h.refusal})
}

/// One line: a doctor's request for the records held here, and what became of it.
pub fn hip_request_line(h: &HipRequest) -> String {
    let who = h.hiu.as_deref().unwrap_or("a doctor");
    let what = match (h.state.as_str(), &h.refusal) {
        ("notified", _) => format!("answered: {} record(s) sent in {} page(s)", h.records, h.pages_sent),
        ("refused", r) => format!("refused: {}", r.as_deref().unwrap_or("no grant covers it")),
        (s, _) => s.to_string(),
    };
    format!("doctor's request {} from {who}: {what}", h.transaction_id)
}
