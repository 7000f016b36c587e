//! `locker share …` (the patient at a hospital counter), `locker counter …` (the counter's own
//! device) and `locker qr …` (the signed profile code). A code is given as its text or as an
//! image file of it.

pub mod args;
pub mod qr;

use crate::enrol::{Net, block_on, now_ms};
use crate::store::Context;
use crate::{CliResult, Failure};
use args::{CounterArgs, CounterCmd, ShareArgs, ShareCmd};
use locker_core::Locker;
use locker_core::share::frame::Luma;
use locker_core::share::{CounterVisit, Share, ShareContact, ShareStatus};
use serde_json::json;

/// The profile named, or the owner.
pub(crate) fn profile_id(locker: &Locker, named: Option<String>) -> CliResult<String> {
    match named {
        Some(p) => Ok(p),
        None => Ok(locker
            .profiles()
            .owner()?
            .ok_or_else(|| Failure::usage("this locker has no owner: name a profile with --profile"))?
            .id),
    }
}

/// A picture file (PNG, JPEG, …) as grey pixels: on a phone the platform decodes photos and
/// hands frames over; here the image crate does.
pub fn picture(bytes: &[u8]) -> Result<Luma, String> {
    let grey = image::load_from_memory(bytes).map_err(|e| e.to_string())?.into_luma8();
    let (w, h) = grey.dimensions();
    Luma::new(w as usize, h as usize, grey.into_raw()).map_err(|e| e.to_string())
}

/// The text of a code given as text or as an image file of it.
pub fn code_text(code: &str) -> CliResult<String> {
    let path = std::path::Path::new(code);
    if !path.is_file() {
        return Ok(code.to_string());
    }
    let refused = |why: String| Failure::with_code(crate::exit::QR_REFUSED, format!("{}: {why}", path.display()));
    let luma = picture(&std::fs::read(path)?).map_err(refused)?;
    let found = locker_core::share::decode::decode_luma(&luma).map_err(|e| refused(e.to_string()))?;
    found.into_iter().next().ok_or_else(|| refused("no QR code in the image".into()))
}

fn share_json(s: &Share) -> serde_json::Value {
    json!({"id": s.id, "profile": s.profile_id, "hip_id": s.hip_id, "counter_id": s.counter_id,
        "status": s.status.code(), "token": s.token_number, "valid_until_ms": s.valid_until_ms,
        "error": s.error_code, "notice": s.notice()})
}

fn share_line(s: &Share, now_ms: i64) -> String {
    let place = format!("{} counter {}", s.hip_id, s.counter_id);
    match s.status {
        ShareStatus::Token => {
            let left = s.valid_until_ms.map_or(0, |u| ((u - now_ms) / 60_000).max(0));
            format!("token {} at {place} ({left} min left)", s.token_number.as_deref().unwrap_or("?"))
        }
        ShareStatus::Waiting => format!("waiting for a network to share with {place}"),
        ShareStatus::Sent => format!("shared with {place}; waiting for the counter's token"),
        _ => format!("{place}: {}", s.notice().unwrap_or_default()),
    }
}

/// Sends what waits and reads tokens; offline, says so and goes on with what is kept.
fn sync_shares(locker: &Locker, net: &Net) -> bool {
    let drained = block_on(locker.outbox().drain(&net.backbone));
    let read = block_on(locker.share().refresh(&net.backbone));
    drained.is_ok_and(|d| d.halted.is_none()) && read.is_ok()
}

pub fn run_share(ctx: &Context, args: ShareArgs) -> CliResult {
    let locker = ctx.open()?;
    match args.command {
        ShareCmd::Scan { code, profile, json } => {
            let text = code_text(&code)?;
            let net = Net::new(&args.backbone)?;
            let profile = profile_id(&locker, profile)?;
            let share = locker.share().scan_code(&profile, &text, Some(&net.backbone.config().phr_url))?;
            let online = share.status != ShareStatus::Waiting || sync_shares(&locker, &net);
            let share = locker.share().get(&share.id)?;
            if json {
                println!("{}", share_json(&share));
            } else {
                println!("{}", share_line(&share, now_ms()));
                if !online {
                    println!("offline: it goes by itself at the next `locker share tokens` within 5 minutes");
                }
            }
            Ok(())
        }
        ShareCmd::Tokens { offline, json } => {
            if !offline {
                let net = Net::new(&args.backbone)?;
                if !sync_shares(&locker, &net) {
                    eprintln!("offline: showing what this device holds");
                }
            }
            // Shares past their deadline are dropped even with no network.
            locker.outbox().expire()?;
            let list = locker.share().list(None)?;
            if json {
                println!("{}", serde_json::Value::Array(list.iter().map(share_json).collect()));
            } else if list.is_empty() {
                println!("no shares yet: scan a counter's code with `locker share scan`");
            } else {
                for s in &list {
                    println!("{}", share_line(s, now_ms()));
                }
            }
            Ok(())
        }
        ShareCmd::Contact { profile, mobile, line, district, state, pincode } => {
            let profile = profile_id(&locker, profile)?;
            let c = ShareContact { mobile, address_line: line, district, state, pincode };
            locker.share().set_contact(&profile, &c)?;
            println!("kept: counters you share with are told this phone number and address");
            Ok(())
        }
    }
}

fn visit_json(v: &CounterVisit) -> serde_json::Value {
    json!({"token": v.token.number, "valid_until_ms": v.token.valid_until_ms, "new_token": v.new_token,
        "new_patient": v.new_patient, "patient": v.patient.id, "source": v.patient.source.code(),
        "verified": v.patient.verified})
}

pub fn run_counter(ctx: &Context, args: CounterArgs) -> CliResult {
    let locker = ctx.open()?;
    match args.command {
        CounterCmd::Open { hip_id, counter_id, terminal } => {
            let desk = locker.counter().open(&hip_id, &counter_id)?;
            let net = Net::new(&args.backbone)?;
            let link = locker.counter().link(&net.backbone.config().phr_url)?;
            println!("this device is counter {} of {}; its code: {link}", desk.counter_id, desk.hip_id);
            if terminal {
                print!("{}", qr::terminal(&link)?);
            }
            Ok(())
        }
        CounterCmd::Scan { code, json } => {
            let text = code_text(&code)?;
            let net = Net::new(&args.backbone)?;
            let visit = locker.counter().scan(&text, &net.backbone.config().cm_id)?;
            if json {
                println!("{}", visit_json(&visit));
            } else {
                let p = &visit.patient;
                let how = if p.verified { "verified signed code" } else { "unsigned code: check an ID" };
                let again = if visit.new_token { "" } else { " (again: the token still holds)" };
                println!("token {}{again} for {} ({how})", visit.token.number, p.name);
            }
            Ok(())
        }
        CounterCmd::Tokens { json } => {
            let list = locker.counter().tokens(None)?;
            if json {
                let v: Vec<_> = list
                    .iter()
                    .map(|t| {
                        json!({"token": t.number, "patient": t.patient_id, "issued_at_ms": t.issued_at_ms,
                        "valid_until_ms": t.valid_until_ms})
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for t in &list {
                    let p = locker.counter().patient(&t.patient_id)?;
                    println!("{}  {}", t.number, p.name);
                }
                println!("{} token(s) today", list.len());
            }
            Ok(())
        }
        CounterCmd::Sync => {
            let net = Net::new(&args.backbone)?;
            let drained = block_on(locker.outbox().drain(&net.backbone)).map_err(|e| net.failure(e))?;
            if let Some(code) = &drained.halted {
                return Err(net.halted("sending the counter's requests", code));
            }
            let version = block_on(locker.counter().refresh_trust(&net.backbone)).map_err(|e| net.failure(e))?;
            println!("{} request(s) sent; trust list version {version} kept", drained.delivered);
            Ok(())
        }
    }
}
