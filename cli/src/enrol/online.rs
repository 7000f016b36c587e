//! `locker enrol`: the citizen enrols on their own phone. Aadhaar OTP, then the mobile's OTP
//! when it is not the Aadhaar-linked one, then an ABHA address, then the profile is saved with
//! its ABHA number and address and the ABHA card kept as an attachment. Each step is saved by
//! the core, so an enrolment cut short continues with `--resume ID`.

use super::{Net, Prompt};
use crate::args::EnrolArgs;
use crate::{CliResult, Failure, exit};
use locker_core::abha::Mobile;
use locker_core::{Enrolment, EnrolmentFilter, EnrolmentMode, EnrolmentOutcome, EnrolmentState as S, Error, Locker};

pub async fn run(locker: &Locker, net: &Net, args: &EnrolArgs, p: &mut Prompt) -> CliResult {
    let e = match &args.resume {
        Some(id) => {
            let e = locker.enrolment().get(id)?;
            if e.mode != EnrolmentMode::Online {
                return Err(Failure::usage("that is a field worker's enrolment: see `locker enrol queue`"));
            }
            e
        }
        None => {
            for e in locker.enrolment().list(&EnrolmentFilter { session_id: None, pending_only: true })? {
                if e.mode == EnrolmentMode::Online {
                    println!(
                        "note: enrolment {} stopped at step {}; `locker enrol --resume {}` continues it (`locker enrol cancel` drops it)",
                        e.id,
                        e.state.code(),
                        e.id
                    );
                }
            }
            let aadhaar = p.checked_secret(&args.aadhaar, "Aadhaar number (12 digits)", "--aadhaar", super::aadhaar)?;
            let mobile = p.checked(&args.mobile, "Mobile number for the ABHA (10 digits)", "--mobile", |s| {
                Mobile::parse(s).map(|_| s.trim().to_string())
            })?;
            println!("Asking the backbone for an OTP on the mobile linked to this Aadhaar number…");
            locker
                .enrolment()
                .online_start(&net.backbone, aadhaar, &mobile, &args.relation)
                .await
                .map_err(|e| net.failure(e))?
        }
    };
    let id = e.id.clone();
    drive(locker, net, args, p, e).await.map_err(|f| f.resumable(&id))
}

impl Failure {
    /// Adds how to go on, for an enrolment that stopped half-way.
    fn resumable(self, id: &str) -> Failure {
        let message = format!("{}; `locker enrol --resume {id}` continues from here", self.message);
        Failure { message, ..self }
    }
}

/// Takes the enrolment from where it is to the end, one step at a time.
async fn drive(locker: &Locker, net: &Net, args: &EnrolArgs, p: &mut Prompt, mut e: Enrolment) -> CliResult {
    let bb = &net.backbone;
    let mut wanted_address = args.abha_address.clone();
    loop {
        let step = match e.state {
            S::Started => locker.enrolment().online_request_otp(bb, &e.id).await,
            S::OtpSent => {
                let otp = ask_otp(net, args, p, &e, "OTP sent to the Aadhaar-linked mobile")?;
                if otp.is_empty() {
                    locker.enrolment().online_request_otp(bb, &e.id).await
                } else {
                    locker.enrolment().online_verify_otp(bb, &e.id, otp).await
                }
            }
            S::MobileUnverified => {
                println!("The mobile given is not the Aadhaar-linked one: an OTP goes to it to verify it.");
                locker.enrolment().online_request_mobile_otp(bb, &e.id).await
            }
            S::MobileOtpSent => {
                let otp = ask_otp(net, args, p, &e, "OTP sent to the mobile given")?;
                if otp.is_empty() {
                    locker.enrolment().online_request_mobile_otp(bb, &e.id).await
                } else {
                    locker.enrolment().online_verify_mobile_otp(bb, &e.id, otp).await
                }
            }
            S::AddressPending => {
                let chosen = match wanted_address.take() {
                    Some(a) => a,
                    None => choose_address(locker, net, &e.id, p).await?,
                };
                locker.enrolment().online_create_address(bb, &e.id, &chosen).await
            }
            S::AddressCreated => {
                let outcome = e.outcome;
                let profile = locker.enrolment().online_finish(bb, &e.id).await.map_err(|e| net.failure(e))?;
                let verb = match outcome {
                    Some(EnrolmentOutcome::AlreadyExisted) => "This Aadhaar number already had an ABHA",
                    _ => "ABHA created",
                };
                println!(
                    "{verb}: ABHA number {}, ABHA address {}.",
                    profile.abha_number.as_deref().unwrap_or("-"),
                    profile.abha_address.as_deref().unwrap_or("-")
                );
                println!(
                    "Saved as profile {} ({}), with the ABHA card kept as an attachment.",
                    profile.id, profile.relation
                );
                return Ok(());
            }
            S::Done => return Err(Failure::usage("that enrolment is finished: see `locker profile list`")),
            other => return Err(Failure::usage(format!("that enrolment is at step {}", other.code()))),
        };
        e = match step {
            Ok(next) => next,
            // Worth another try at once: the enrolment is where it was (or back at its start).
            Err(err @ (Error::WrongOtp { .. } | Error::AddressTaken | Error::InvalidInput(_)))
                if matches!(e.state, S::OtpSent | S::MobileOtpSent | S::AddressPending) =>
            {
                eprintln!("{err}");
                locker.enrolment().get(&e.id)?
            }
            // An OTP the backbone refused is a wrong OTP to the citizen: say so and ask again
            // (the next one goes as a new request).
            Err(Error::Refused { code }) if matches!(e.state, S::OtpSent | S::MobileOtpSent) => {
                eprintln!("the backbone refused this OTP (code {code}): check it and type it again");
                locker.enrolment().get(&e.id)?
            }
            Err(err @ (Error::TransactionExpired | Error::OtpLocked | Error::OtpLimit)) => {
                eprintln!("{err}: asking for a new OTP");
                let again = locker.enrolment().get(&e.id)?;
                if again.state != S::Started {
                    return Err(net.failure(err));
                }
                again
            }
            Err(err) => return Err(net.failure(err)),
        };
    }
}

/// Offers the backbone's suggestions; the citizen picks one by number or types their own.
async fn choose_address(locker: &Locker, net: &Net, id: &str, p: &mut Prompt) -> CliResult<String> {
    let suggestions =
        locker.enrolment().online_address_suggestions(&net.backbone, id).await.map_err(|e| net.failure(e))?;
    eprintln!("Choose an ABHA address (8 to 18 letters and digits, at most one . and one _):");
    for (i, s) in suggestions.iter().enumerate() {
        eprintln!("  {}. {s}", i + 1);
    }
    loop {
        let a = p.ask(
            if suggestions.is_empty() { "Your ABHA address" } else { "A number from the list, or your own" },
            "pass --abha-address",
        )?;
        if let Ok(n) = a.parse::<usize>()
            && let Some(s) = n.checked_sub(1).and_then(|i| suggestions.get(i))
        {
            return Ok(s.clone());
        }
        if !a.is_empty() {
            return Ok(a);
        }
    }
}

/// The OTP the citizen received: typed (or piped) in, or read from the sandbox. The prompt
/// names the transaction, as the sandbox's terminal does beside each OTP it prints.
fn ask_otp(net: &Net, args: &EnrolArgs, p: &mut Prompt, e: &Enrolment, what: &str) -> CliResult<String> {
    let txn = e.transaction_id.as_deref().unwrap_or("-");
    if args.otp_from_sandbox {
        let otp = sandbox_otp(&net.url, txn)?;
        println!("{what} (transaction {txn}): read from the sandbox");
        return Ok(otp);
    }
    p.ask(&format!("{what} (transaction {txn}; empty line: send it again)"), "the OTP is needed")
}

/// `GET {base}/admin/otp/{txn}` on a loopback sandbox in test mode: a plain HTTP/1.1 request,
/// as the CLI has no HTTP client of its own and this is its only use for one.
fn sandbox_otp(base: &str, txn: &str) -> CliResult<String> {
    use std::io::{Read, Write};
    let refuse = || Failure::usage("--otp-from-sandbox needs a backbone URL like http://127.0.0.1:PORT");
    let rest = base.strip_prefix("http://").ok_or_else(refuse)?;
    let host = rest.split('/').next().unwrap_or_default();
    let addr: std::net::SocketAddr = host.replace("localhost", "127.0.0.1").parse().map_err(|_| refuse())?;
    if !addr.ip().is_loopback() || !txn.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(refuse());
    }
    let unreachable = |_| Failure::with_code(exit::NETWORK, format!("the sandbox at {base} did not give the OTP"));
    let mut conn =
        std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(5)).map_err(unreachable)?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    write!(conn, "GET /admin/otp/{txn} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).map_err(unreachable)?;
    let text = String::from_utf8_lossy(&answer);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(body.trim()).unwrap_or_default();
    match (text.starts_with("HTTP/1.1 200"), v["otp"].as_str()) {
        (true, Some(otp)) => Ok(otp.to_string()),
        _ => Err(Failure::new(format!(
            "the sandbox at {base} did not give the OTP (is it `locker sandbox serve`, in test mode?)"
        ))),
    }
}
