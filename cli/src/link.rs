//! `locker link …`: the citizen's records at a hospital, linked to their ABHA address. The
//! hospital (a HIP) finds them by the mobile number it has on file (`discover`), the citizen
//! chooses, the hospital sends an OTP and the link is made with it (`confirm`), and `list` shows
//! what is linked: here, and by a hospital on its own (which `locker sync` brings in).
//!
//! Discovery and confirmation are calls a person waits on: they go out at once, never through
//! the outbox. One attempt id, printed by `discover`, carries the attempt to the end.

use crate::args::BackboneArgs;
use crate::enrol::{Net, block_on};
use crate::store::Context;
use crate::{CliResult, Failure, exit};
use clap::{Args, Subcommand};
use locker_core::links::{CareLink, Discovery, LinkStarted};
use locker_core::{Error, Locker};
use serde_json::{Value, json};

/// `locker link …`
#[derive(Args)]
pub struct LinkArgs {
    #[command(subcommand)]
    pub command: LinkCmd,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

#[derive(Subcommand)]
pub enum LinkCmd {
    /// Ask a hospital which of the citizen's records it holds, found by the mobile number it has
    /// on file; prints the care contexts (visits) not linked yet and the attempt's id.
    Discover {
        /// The hospital's HIP id (the sandbox's: sbx-hip-district, sbx-hip-phc).
        #[arg(long)]
        hip: String,
        /// The mobile number the hospital has on file (ten digits; never printed back).
        #[arg(long)]
        mobile: String,
        /// The citizen's ABHA address (default: the owner's).
        #[arg(long)]
        patient: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Link what a discovery found. Without --otp: choose the care contexts (all, or each
    /// --choose) and the hospital sends an OTP; then `locker link confirm ATTEMPT --otp CODE`
    /// links them. The attempt's id stays the same throughout.
    Confirm {
        /// The attempt's id, as `locker link discover` printed it.
        attempt: String,
        /// A care context to link (repeat for more; default: all that were found).
        #[arg(long = "choose", value_name = "REF", conflicts_with = "otp")]
        choose: Vec<String>,
        /// The OTP the hospital sent: links what was chosen.
        #[arg(long)]
        otp: Option<String>,
        /// Against `locker sandbox serve` only: choose, read the OTP from the sandbox's admin
        /// route and link, in one go (for scripts and trying things out).
        #[arg(long, conflicts_with = "otp")]
        otp_from_sandbox: bool,
        #[arg(long)]
        json: bool,
    },
    /// What is linked: each care context, at which hospital, linked here or by the hospital.
    List {
        /// Only this citizen's (an ABHA address; default: everyone's on this device).
        #[arg(long)]
        patient: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Context, args: LinkArgs) -> CliResult {
    let locker = ctx.open()?;
    match args.command {
        LinkCmd::Discover { hip, mobile, patient, json } => {
            let patient = match patient {
                Some(p) => p,
                None => owner_address(&locker)?,
            };
            let net = Net::new(&args.backbone)?;
            let found = block_on(locker.links().discover(&net.backbone, &patient, &hip, &mobile))
                .map_err(|e| failure(&net, e, &hip))?;
            if json {
                println!("{}", discovery_json(&found));
            } else {
                discovery_text(&found, &patient);
            }
            Ok(())
        }
        LinkCmd::Confirm { attempt, choose, otp, otp_from_sandbox, json } => {
            let net = Net::new(&args.backbone)?;
            let otp = match otp {
                Some(otp) => otp,
                None => {
                    let started = block_on(locker.links().choose(&net.backbone, &attempt, &choose))
                        .map_err(|e| failure(&net, e, &attempt))?;
                    if !otp_from_sandbox {
                        if json {
                            println!("{}", started_json(&started));
                        } else {
                            started_text(&started);
                        }
                        return Ok(());
                    }
                    crate::sandbox::link_otp(&args.backbone.url, &started.link_reference)?
                }
            };
            let linked = block_on(locker.links().confirm(&net.backbone, &attempt, &otp))
                .map_err(|e| failure(&net, e, &attempt))?;
            if json {
                let v: Vec<Value> = linked.iter().map(link_json).collect();
                println!("{}", json!({"attempt": attempt, "state": "linked", "linked": v}));
            } else {
                let hip = linked.first().map_or("the hospital", |l| l.hip_id.as_str());
                println!(
                    "linked: {} care context(s) at {hip}; `locker records pull` then `locker sync` bring their records home",
                    linked.len()
                );
            }
            Ok(())
        }
        LinkCmd::List { patient, json } => {
            let list = locker.links().list(patient.as_deref())?;
            if json {
                println!("{}", Value::Array(list.iter().map(link_json).collect()));
            } else if list.is_empty() {
                println!("nothing linked yet: find records at a hospital with `locker link discover`");
            } else {
                for l in &list {
                    let how = if l.linked_here { "linked here" } else { "linked by the hospital" };
                    println!(
                        "{}  {:<18} {}  {how}, {}  {}",
                        l.patient,
                        l.hip_name.as_deref().unwrap_or(&l.hip_id),
                        l.care_context,
                        crate::records::format_ms(l.linked_at_ms),
                        l.display
                    );
                }
                let mut hips: Vec<&str> = list.iter().map(|l| l.hip_id.as_str()).collect();
                hips.sort_unstable();
                hips.dedup();
                println!("{} care context(s) at {} hospital(s)", list.len(), hips.len());
            }
            Ok(())
        }
    }
}

/// The owner's ABHA address: whose records are looked for when no --patient is given.
fn owner_address(locker: &Locker) -> CliResult<String> {
    let owner = locker
        .profiles()
        .owner()?
        .ok_or_else(|| Failure::usage("this locker has no owner: name the citizen with --patient"))?;
    owner.abha_address.ok_or_else(|| {
        Failure::usage(format!(
            "the owner has no ABHA address: give --patient, or `locker profile update {} --abha-address NAME@sbx`",
            owner.id
        ))
    })
}

/// A core error in words that say what to do next; `about` is the hospital or the attempt.
fn failure(net: &Net, e: Error, about: &str) -> Failure {
    match e {
        Error::NotFound("discovery") => Failure::with_code(
            exit::NOT_FOUND,
            format!(
                "no discovery waits for a choice under attempt {about} (its OTP was sent already? then add --otp CODE; else discover again)"
            ),
        ),
        Error::NotFound("link waiting for its OTP") => Failure::with_code(
            exit::NOT_FOUND,
            format!(
                "no link waits for an OTP under attempt {about}: `locker link confirm {about}` (without --otp) has the hospital send one; a linked attempt is done"
            ),
        ),
        Error::Refused { code } | Error::Backbone { code, .. } if code == "ABDM-1010" => Failure::with_code(
            exit::NOT_FOUND,
            format!("{about} found no records for that mobile number (is it the one the hospital has on file?)"),
        ),
        Error::TransactionExpired => Failure::with_code(
            exit::REFUSED,
            format!("attempt {about} has expired at the hospital: discover again with `locker link discover`"),
        ),
        Error::SignInNeeded => Failure::with_code(
            exit::REFUSED,
            "the consent manager needs the citizen to sign in first: `locker consent sign-in NAME@sbx`",
        ),
        other => net.failure(other),
    }
}

fn discovery_json(d: &Discovery) -> Value {
    let patients: Vec<Value> = d
        .patients
        .iter()
        .map(|p| {
            let ccs: Vec<Value> =
                p.care_contexts.iter().map(|c| json!({"reference": c.reference, "display": c.display})).collect();
            json!({"reference": p.reference, "hi_type": p.hi_type, "care_contexts": ccs})
        })
        .collect();
    json!({"attempt": d.attempt, "hip_id": d.hip_id, "patients": patients})
}

fn discovery_text(d: &Discovery, patient: &str) {
    let n: usize = d.patients.iter().map(|p| p.care_contexts.len()).sum();
    if n == 0 {
        println!("{} holds nothing for {patient} that is not linked already", d.hip_id);
        return;
    }
    println!("{} found {n} care context(s) for {patient} not linked yet:", d.hip_id);
    for p in &d.patients {
        for c in &p.care_contexts {
            println!("  {}  {:<20} {}", c.reference, p.hi_type.as_deref().unwrap_or("-"), c.display);
        }
    }
    println!("attempt {}", d.attempt);
    println!(
        "link them: `locker link confirm {}` (add --choose REF for some only); the hospital sends an OTP",
        d.attempt
    );
}

fn started_json(s: &LinkStarted) -> Value {
    json!({"attempt": s.attempt, "state": "otp-sent", "link_reference": s.link_reference,
        "otp_expires_at_ms": s.otp_expires_at_ms})
}

fn started_text(s: &LinkStarted) {
    let until = s.otp_expires_at_ms.map(|ms| format!(", valid until {}", crate::records::format_ms(ms)));
    println!(
        "the hospital sent an OTP to the mobile number it has on file, for link {}{}",
        s.link_reference,
        until.unwrap_or_default()
    );
    println!("link with: `locker link confirm {} --otp CODE`", s.attempt);
}

fn link_json(l: &CareLink) -> Value {
    json!({"patient": l.patient, "hip_id": l.hip_id, "hip_name": l.hip_name, "patient_reference": l.patient_reference,
        "care_context": l.care_context, "display": l.display, "linked_here": l.linked_here,
        "linked_at_ms": l.linked_at_ms})
}
