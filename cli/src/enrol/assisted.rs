//! `locker enrol --assisted`, `queue`, `submit`, `handover`: a field worker's device. Each
//! citizen is captured and sealed at once, queued, submitted when there is a network,
//! reconciled, handed over, and then erased from the device.
//!
//! The worker sees citizens' names (this is their work list) but never an Aadhaar number, a
//! mobile number or an ABHA number: those reach the citizen through the card or the QR only.

use super::{Net, Prompt};
use crate::args::EnrolArgs;
use crate::records::format_ms;
use crate::store::Context;
use crate::{CliResult, Failure, exit};
use locker_core::{
    CitizenDetails, ConsentCapture, Enrolment, EnrolmentFilter, Error, Gender, Locker, SubmitReport, WorkerSession,
};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The worker session this device is in, kept across commands in `<store>.session` beside the
/// store (its id only: no personal data), since the core keeps sessions but has no "current
/// session". Beside, not inside: the store's directory holds the store's own files only.
fn session_file(ctx: &Context) -> PathBuf {
    let mut name = ctx.dir.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "locker-store".into());
    name.push(".session");
    let file = ctx.dir.with_file_name(name);
    // Earlier releases kept it inside the store as `cli-session`.
    let legacy = ctx.dir.join("cli-session");
    if legacy.is_file() && !file.exists() {
        let _ = std::fs::rename(&legacy, &file);
    }
    file
}

fn session(ctx: &Context, locker: &Locker, worker: &str, device: &str, days: Option<u32>) -> CliResult<WorkerSession> {
    let file = session_file(ctx);
    if let Ok(id) = std::fs::read_to_string(&file)
        && let Ok(s) = locker.enrolment().session(id.trim())
    {
        if s.worker_id == worker && s.device_id == device && s.ended_at_ms.is_none() {
            return Ok(s);
        }
        locker.enrolment().end_session(&s.id)?;
    }
    let s = locker.enrolment().start_session(worker, device, days)?;
    std::fs::write(&file, format!("{}\n", s.id)).map_err(|e| Failure::file("write", &file, &e))?;
    println!("started worker session {} for {worker} on {device}", s.id);
    Ok(s)
}

pub async fn start_session(
    ctx: &Context,
    locker: &Locker,
    net: &Net,
    worker: &str,
    device: &str,
    days: Option<u32>,
) -> CliResult {
    let s = session(ctx, locker, worker, device, days)?;
    locker.enrolment().refresh_backbone_key(&net.backbone).await.map_err(|e| net.failure(e))?;
    println!(
        "worker session {} ready, with the backbone's key: citizens can now be captured offline (keeping their details at most {} days)",
        s.id,
        s.retention_ms / 86_400_000
    );
    Ok(())
}

pub async fn capture(ctx: &Context, locker: &Locker, net: &Net, a: &EnrolArgs, p: &mut Prompt) -> CliResult {
    let c = &a.citizen;
    let worker = p.value(&c.worker, "Worker id", "--worker")?;
    let device = p.value(&c.device, "Device id", "--device")?;
    let session = session(ctx, locker, &worker, &device, c.retention_days)?;
    // A fresh key when there is a network: capture seals to the newest key the device has.
    let mut online = !c.offline;
    if online && let Err(e) = locker.enrolment().refresh_backbone_key(&net.backbone).await {
        println!("note: {}; capturing offline", net.failure(e).message);
        online = false;
    }
    // Each answer is checked as it is typed (and asked again when refused), by the same rules
    // capture applies.
    let today = now_ms();
    let details = CitizenDetails {
        name: p.checked(&c.name, "Name (as on the Aadhaar card)", "--name", CitizenDetails::check_name)?,
        gender: p
            .checked(&c.gender, "Gender (M, F or O)", "--gender", |s| CitizenDetails::check_gender(Gender::parse(s)))?,
        birth_date: p.checked(&c.birth_date, "Birth date (YYYY-MM-DD, or YYYY)", "--birth-date", |s| {
            CitizenDetails::check_birth_date(s, today)
        })?,
        mobile: p.checked(&a.mobile, "Mobile (10 digits)", "--mobile", CitizenDetails::check_mobile)?,
        address: p.checked(&c.address, "Address", "--address", CitizenDetails::check_address)?,
        state_code: p.checked(&c.state_code, "State (LGD code)", "--state-code", CitizenDetails::check_state_code)?,
        district_code: p.checked(
            &c.district_code,
            "District (LGD code)",
            "--district-code",
            CitizenDetails::check_district_code,
        )?,
        pin_code: p.checked(&c.pin_code, "PIN code (6 digits)", "--pin-code", CitizenDetails::check_pin_code)?,
    };
    let aadhaar = p.checked_secret(&a.aadhaar, "Aadhaar number (12 digits)", "--aadhaar", super::aadhaar)?;
    let consent = ConsentCapture {
        language: p.value_or(
            &c.consent_language,
            "Language the consent text was read in",
            "--consent-language",
            "en",
        )?,
        text_version: p.value_or(&c.consent_version, "Version of the consent text", "--consent-version", "1.4")?,
    };
    let e = locker.enrolment().capture(&session.id, details, aadhaar, &consent).map_err(|e| match e {
        Error::BackboneKeyMissing => Failure::with_code(
            exit::NETWORK,
            "the backbone's encryption key is not on this device yet: run once without --offline, with a network",
        ),
        other => other.into(),
    })?;
    println!(
        "captured {}: queued as {} (its details leave this device by {} at the latest)",
        e.name.as_deref().unwrap_or("the citizen"),
        e.id,
        erase_day(&e)
    );
    if !online {
        println!("submit it when there is a network: `locker enrol submit`");
        return Ok(());
    }
    let report = locker.enrolment().submit(&net.backbone, Some(&session.id)).await.map_err(|e| net.failure(e))?;
    print_report(net, &report, false, false)?;
    Ok(())
}

pub fn queue(locker: &Locker, json: bool) -> CliResult {
    let all = locker.enrolment().list(&EnrolmentFilter::default())?;
    if json {
        let v: Vec<_> = all.iter().map(to_json).collect();
        println!("{}", serde_json::to_string_pretty(&v).expect("JSON values serialise"));
        return Ok(());
    }
    if all.is_empty() {
        println!("no enrolments on this device");
    }
    for e in &all {
        println!("{}", line(e));
    }
    Ok(())
}

pub async fn submit(locker: &Locker, net: &Net, json: bool) -> CliResult {
    let report = locker.enrolment().submit(&net.backbone, None).await.map_err(|e| net.failure(e))?;
    print_report(net, &report, json, true)?;
    Ok(())
}

pub async fn handover(locker: &Locker, net: &Net, id: &str, card: Option<&Path>, qr: bool) -> CliResult {
    let name = locker.enrolment().get(id)?.name.unwrap_or_else(|| "the citizen".into());
    if let Some(file) = card {
        let png = locker.enrolment().card(&net.backbone, id).await.map_err(|e| net.failure(e))?;
        std::fs::write(file, png).map_err(|e| Failure::file("write the card to", file, &e))?;
        println!("saved {name}'s ABHA card to {} (delete it once shown or printed)", file.display());
    }
    if qr {
        println!("{}", locker.enrolment().qr(id)?);
    }
    locker.enrolment().confirm_handover(id)?;
    println!("handed over to {name}: their details are erased from this device");
    Ok(())
}

/// Milliseconds since the epoch on this machine's clock.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn erase_day(e: &Enrolment) -> String {
    e.erase_after_ms.map(|ms| format_ms(ms)[..10].to_string()).unwrap_or_else(|| "-".into())
}

/// One line for the worker: id, state, outcome, then name, or what went wrong.
fn line(e: &Enrolment) -> String {
    let mut s = format!(
        "{}  {:<12} {:<15} erase by {}  {}",
        e.id,
        e.state.code(),
        e.outcome.map(|o| o.code()).unwrap_or("-"),
        if e.erased { "-         ".into() } else { erase_day(e) },
        if e.erased { "(erased)" } else { e.name.as_deref().unwrap_or("-") }
    );
    if let Some(r) = &e.reason {
        s.push_str(&format!(": {r}"));
    } else if let Some(err) = &e.last_error {
        s.push_str(&format!(" (tried {}; last: {err})", crate::times(e.attempts)));
    }
    s
}

fn to_json(e: &Enrolment) -> serde_json::Value {
    json!({
        "id": e.id,
        "mode": match e.mode { locker_core::EnrolmentMode::Online => "online", _ => "assisted" },
        "state": e.state.code(),
        "outcome": e.outcome.map(|o| o.code()),
        "reason": e.reason,
        "name": e.name,
        "session": e.session_id,
        "attempts": e.attempts,
        "last_error": e.last_error,
        "consent_language": e.consent_language,
        "consent_version": e.consent_version,
        "created_at": format_ms(e.created_at_ms),
        "erase_after": e.erase_after_ms.map(format_ms),
        "erased": e.erased,
    })
}

/// Prints a submission's report. A submission that stopped early is reported too; `halt_fails`
/// makes it the command's failure (one line on standard error, exit 9 or 10), for `enrol
/// submit`, whose whole job it was; a capture that went on to submit succeeded either way.
fn print_report(net: &Net, r: &SubmitReport, json: bool, halt_fails: bool) -> CliResult {
    let halted = r.halted.as_deref().filter(|_| halt_fails).map(|code| net.halted("the submission", code));
    if json {
        let v = json!({
            "created": r.created,
            "already_existed": r.already_existed,
            "rejected": r.rejected,
            "still_queued": r.still_queued,
            "expired": r.expired,
            "halted": r.halted,
            "enrolments": r.enrolments.iter().map(to_json).collect::<Vec<_>>(),
        });
        println!("{v}");
        return halted.map_or(Ok(()), Err);
    }
    for e in &r.enrolments {
        println!("{}", line(e));
    }
    println!(
        "{} created, {} already existed, {} rejected, {} still queued, {} expired",
        r.created, r.already_existed, r.rejected, r.still_queued, r.expired
    );
    if r.still_queued > 0 {
        println!("the queued ones go with the next `locker enrol submit`");
    }
    if r.created + r.already_existed > 0 {
        println!("hand each ABHA over with `locker enrol handover ID --card FILE` (or --qr)");
    }
    match (halted, &r.halted) {
        (Some(failure), _) => Err(failure),
        (None, Some(code)) => {
            println!("{}", net.halted("the submission", code).message());
            Ok(())
        }
        (None, None) => Ok(()),
    }
}
