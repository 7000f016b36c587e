//! `locker enrol …`: ABHA enrolment by hand. Online on the citizen's own phone (`online.rs`), or
//! a field worker capturing citizens with or without a network (`assisted.rs`).
//!
//! Whatever is not given as a flag is asked for on standard input, so a script can pipe the
//! answers (OTPs included). Prompts, and what answering them needs, go to standard error;
//! progress and results to standard output, so that a failure is one line on standard error. Aadhaar and mobile numbers are never printed back, and ABHA numbers only to the
//! citizen who just enrolled.

mod assisted;
mod online;
mod prompt;

use crate::args::{BackboneArgs, EnrolArgs, EnrolCmd};
use crate::store::{Context, read_key, write_key_file};
use crate::{CliResult, Failure, exit};
use locker_core::{Backbone, BackboneConfig, DatabaseKey, Error, Locker, Preset};
use std::future::Future;
use std::path::PathBuf;

pub(crate) use assisted::now_ms;
pub use prompt::Prompt;

pub fn run(ctx: &Context, args: EnrolArgs) -> CliResult {
    let backbone = Net::new(&args.backbone)?;
    // Listing, submitting and handing over need enrolments already there: no store is made.
    let creates = matches!(args.command, None | Some(EnrolCmd::Session { .. }));
    let locker = open_for_enrolment(ctx, creates)?;
    let mut prompt = Prompt::stdin();
    block_on(async {
        match args.command {
            Some(EnrolCmd::Session { worker, device, retention_days }) => {
                assisted::start_session(ctx, &locker, &backbone, &worker, &device, retention_days).await
            }
            Some(EnrolCmd::Queue { json }) => assisted::queue(&locker, json),
            Some(EnrolCmd::Submit { json }) => assisted::submit(&locker, &backbone, json).await,
            Some(EnrolCmd::Cancel { id }) => {
                let e = locker.enrolment().cancel(&id)?;
                println!("enrolment {} cancelled: its details are erased from this device", e.id);
                Ok(())
            }
            Some(EnrolCmd::Handover { id, card, qr }) => {
                assisted::handover(&locker, &backbone, &id, card.as_deref(), qr || card.is_none()).await
            }
            None if args.assisted => assisted::capture(ctx, &locker, &backbone, &args, &mut prompt).await,
            None => online::run(&locker, &backbone, &args, &mut prompt).await,
        }
    })
}

/// The backbone and where it is, for messages.
pub struct Net {
    pub backbone: Backbone,
    pub url: String,
}

/// The credentials `locker sandbox serve` accepts: the CLI's default when `--client-id` and
/// `--client-secret` are not given (the library has none).
pub const SANDBOX_CLIENT_ID: &str = "healthlocker-sandbox";
pub const SANDBOX_CLIENT_SECRET: &str = "sandbox-secret";

/// A local sandbox at `url`, with the credentials it accepts by default.
pub fn sandbox_config(url: &str) -> BackboneConfig {
    BackboneConfig::local(url, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
}

impl Net {
    pub fn new(a: &BackboneArgs) -> CliResult<Net> {
        let (preset, id, secret) = match a.preset.as_str() {
            "abdm-sandbox" => {
                let (Some(id), Some(secret)) = (&a.client_id, &a.client_secret) else {
                    return Err(Failure::usage(
                        "ABDM's sandbox needs the client id and secret ABDM issued you: --client-id and --client-secret",
                    ));
                };
                (Preset::AbdmSandbox, id.as_str(), secret.as_str())
            }
            _ => (
                Preset::Local { base: a.url.clone() },
                a.client_id.as_deref().unwrap_or(SANDBOX_CLIENT_ID),
                a.client_secret.as_deref().unwrap_or(SANDBOX_CLIENT_SECRET),
            ),
        };
        let mut config = BackboneConfig::preset(&preset, id, secret);
        for (given, field) in [
            (&a.gateway_url, &mut config.gateway_url),
            (&a.abha_url, &mut config.abha_url),
            (&a.hiecm_url, &mut config.hiecm_url),
            (&a.phr_url, &mut config.phr_url),
            (&a.cm_id, &mut config.cm_id),
        ] {
            if let Some(v) = given {
                *field = v.clone();
            }
        }
        config.pinned_keys = a.pins.clone();
        if let Some(file) = &a.ca_file {
            config.extra_roots_pem =
                std::fs::read_to_string(file).map_err(|e| Failure::file("read the CA file", file, &e))?;
        }
        let url = config.gateway_url.clone();
        Ok(Net { backbone: Backbone::new(config)?, url })
    }

    /// A drain (of `what`) that stopped early, from the outbox's code for why (`offline`,
    /// `unauthorized`, `rate-limited:…`, …): in words, with the exit code of that failure.
    pub fn halted(&self, what: &str, code: &str) -> Failure {
        let url = &self.url;
        let (exit_code, why) = match code.split(':').next().unwrap_or(code) {
            "offline" => (exit::NETWORK, format!("the backbone at {url} could not be reached")),
            "untrusted-backbone" => {
                (exit::NETWORK, format!("the server at {url} is not the backbone: its certificate was refused"))
            }
            "unreadable-answer" => {
                (exit::NETWORK, format!("the server at {url} answered with what the backbone never sends"))
            }
            "unauthorized" => (
                exit::REFUSED,
                format!("the backbone at {url} refused the client credentials (see --client-id, --client-secret)"),
            ),
            "rate-limited" => (exit::REFUSED, format!("the backbone at {url} asks for a pause")),
            "sign-in-needed" => (
                exit::REFUSED,
                format!("the consent manager at {url} needs the citizen to sign in again (`locker consent sign-in`)"),
            ),
            _ => (exit::REFUSED, format!("the backbone at {url} refused this client")),
        };
        Failure::with_code(exit_code, format!("{what} stopped early: {why} ({code}); what was not sent stays queued"))
    }

    /// A core error as one line, saying what to do when the backbone is the trouble.
    pub fn failure(&self, e: Error) -> Failure {
        match e {
            Error::Offline => Failure::with_code(
                exit::NETWORK,
                format!("the backbone at {} could not be reached (is `locker sandbox serve` running there?)", self.url),
            ),
            Error::UntrustedBackbone => Failure::with_code(
                exit::NETWORK,
                format!(
                    "the server at {} is not the backbone: its certificate was refused (a captive portal? see --ca-file, --pin)",
                    self.url
                ),
            ),
            Error::Unauthorized => Failure::with_code(
                exit::REFUSED,
                format!(
                    "the backbone at {} refused the client credentials (see --client-id, --client-secret; ABDM locks a client id out for 8 minutes after 8 refused logins, so check them before trying again)",
                    self.url
                ),
            ),
            Error::RateLimited { code, retry_after_s } => Failure::with_code(
                exit::REFUSED,
                format!(
                    "the backbone at {} asks for a pause of {retry_after_s} s (code {code}): nothing was lost, try again after it",
                    self.url
                ),
            ),
            other => other.into(),
        }
    }
}

/// An Aadhaar number as typed, checked (12 digits, Verhoeff check digit) before anything else
/// is asked; the core seals it at capture.
pub fn aadhaar(typed: &str) -> Result<String, Error> {
    locker_core::abha::Aadhaar::parse(typed.to_string())?;
    Ok(typed.trim().to_string())
}

/// Runs async core calls on a runtime of this thread.
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts on this thread")
        .block_on(f)
}

/// The key file used when none is given: beside the store, named after it.
fn default_key_file(dir: &std::path::Path) -> PathBuf {
    let mut name = dir.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "locker-store".into());
    name.push(".key");
    dir.with_file_name(name)
}

/// Opens the store, creating it the first time when `create`, so that a newcomer's first
/// `locker enrol` just works: with no key file configured, the key lives in `<store>.key`
/// beside the store (made, readable by its owner alone, with a notice, when neither exists).
pub fn open_for_enrolment(ctx: &Context, create: bool) -> CliResult<Locker> {
    let (file, chosen) = match &ctx.key_file {
        Some(f) => (f.clone(), true),
        None => (default_key_file(&ctx.dir), false),
    };
    let no_store =
        || Failure::with_code(exit::NOT_FOUND, format!("no store in {} (enrol someone first)", ctx.dir.display()));
    if chosen || file.exists() {
        let key = read_key(&file)?;
        return match Locker::open(&ctx.dir, key.clone()) {
            Err(Error::NotFound("store")) if !create => Err(no_store()),
            Err(Error::NotFound("store")) => {
                let locker = Locker::create(&ctx.dir, key)?;
                println!("created an encrypted store in {}", ctx.dir.display());
                Ok(locker)
            }
            other => Ok(other?),
        };
    }
    // No key anywhere: a store already here needs its own key; otherwise make both.
    let key = DatabaseKey::generate()?;
    match Locker::open(&ctx.dir, key.clone()) {
        Err(Error::NotFound("store")) if !create => return Err(no_store()),
        Err(Error::NotFound("store")) => {}
        _ => {
            return Err(Failure::with_code(
                exit::USAGE,
                format!(
                    "{} holds a store: pass its key with --key-file FILE or set LOCKER_KEY_FILE",
                    ctx.dir.display()
                ),
            ));
        }
    }
    write_key_file(&file, &key)?;
    let locker = Locker::create(&ctx.dir, key)?;
    println!(
        "created an encrypted store in {} with its key in {} (keep it safe; other commands need --key-file {})",
        ctx.dir.display(),
        file.display(),
        file.display()
    );
    Ok(locker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;

    fn net(args: &[&str]) -> CliResult<Net> {
        let cli = Cli::try_parse_from([&["locker", "enrol", "queue"], args].concat()).expect("arguments parse");
        let Command::Enrol(e) = cli.command else { panic!("enrol") };
        Net::new(&e.backbone)
    }

    #[test]
    fn each_service_has_its_own_address_from_a_preset_or_a_flag() {
        let abdm = net(&["--preset", "abdm-sandbox", "--client-id", "HIP_1", "--client-secret", "s"]).ok().unwrap();
        let c = abdm.backbone.config();
        assert_eq!(c.gateway_url, "https://dev.abdm.gov.in/api/hiecm");
        assert_eq!(c.abha_url, "https://abhasbx.abdm.gov.in/abha/api");
        assert_eq!((c.phr_url.as_str(), c.cm_id.as_str()), ("https://phrsbx.abdm.gov.in", "sbx"));
        let moved =
            net(&["--abha-url", "http://127.0.0.1:9/elsewhere", "--hiecm-url", "http://127.0.0.1:9/cm"]).ok().unwrap();
        let c = moved.backbone.config();
        assert_eq!(
            (c.abha_url.as_str(), c.hiecm_url.as_str()),
            ("http://127.0.0.1:9/elsewhere", "http://127.0.0.1:9/cm")
        );
        assert_eq!(c.gateway_url, "http://127.0.0.1:8080");
        // ABDM's own sandbox gets no made-up credentials.
        assert!(net(&["--preset", "abdm-sandbox"]).is_err());
    }
}
