//! `locker`: the demo, every flow by hand, and the benchmarks.
//!
//! Errors are one line on standard error and a non-zero exit code; never a panic or a backtrace.

#![deny(unsafe_code)]

mod args;
mod bench;
mod consent;
mod demo;
mod enrol;
mod fidelius;
mod fixtures;
mod link;
mod outbox;
mod profiles;
mod pulls;
mod records;
mod sandbox;
mod share;
mod store;
mod sync;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

/// Exit codes, one table for every command, as README lists it, so scripts can tell failures
/// apart. A closed standard output (`locker … | head`) ends locker as it ends any Unix tool: by
/// SIGPIPE, which shells report as 141.
pub mod exit {
    /// Something else: the file system failed, or locker stopped on a bug.
    pub const OTHER: u8 = 1;
    /// Bad input: arguments, a file that is not a valid bundle or key, a value refused.
    pub const USAGE: u8 = 2;
    pub const WRONG_KEY: u8 = 3;
    /// The store (or a file in it) is damaged or was tampered with; also a store whose database
    /// is missing.
    pub const DAMAGED: u8 = 4;
    /// The store was written by a newer version of locker.
    pub const TOO_NEW: u8 = 5;
    /// No such store, record, profile, enrolment or file.
    pub const NOT_FOUND: u8 = 6;
    /// Already there, or already done: a duplicate record, an ABHA number another profile holds,
    /// a store where `init` was asked for one, an enrolment already past that step.
    pub const DUPLICATE: u8 = 7;
    /// The store is open in another process.
    pub const BUSY: u8 = 8;
    /// The backbone could not be reached: no network, or a server that is not the backbone (a
    /// refused certificate, an answer the backbone never sends).
    pub const NETWORK: u8 = 9;
    /// The backbone refused: our credentials, a request it will not take, or a pause it asks for.
    pub const REFUSED: u8 = 10;
    /// The consent policy let none of the records go: no grant covers them.
    pub const NOT_PERMITTED: u8 = 11;
    /// A scanned code was not accepted: not a code of that kind, or a signed code that did not
    /// verify (its signature, its issuer, its dates).
    pub const QR_REFUSED: u8 = 12;
    /// The exchange's encryption (Fidelius) refused a key, a nonce or a payload: a public key
    /// not on the curve, a private key out of range, data that did not authenticate.
    pub const CRYPTO_REFUSED: u8 = 13;
}

/// A failure worth one line to the user.
pub struct Failure {
    message: String,
    code: u8,
}

impl From<locker_core::Error> for Failure {
    fn from(e: locker_core::Error) -> Self {
        use locker_core::Error as E;
        let code = match &e {
            E::WrongKey => exit::WRONG_KEY,
            E::Corrupt(_) | E::Tampered => exit::DAMAGED,
            E::IncompatibleVersion { .. } => exit::TOO_NEW,
            E::NotFound(_) => exit::NOT_FOUND,
            E::Duplicate { .. } | E::StoreExists { .. } | E::AddressTaken | E::WrongStep { .. } => exit::DUPLICATE,
            E::Busy => exit::BUSY,
            E::InvalidInput(_) | E::WrongOtp { .. } => exit::USAGE,
            // An answer the backbone never sends is most often not the backbone's: a captive
            // portal's page, a proxy's error.
            E::Offline | E::UntrustedBackbone | E::BackboneKeyMissing | E::UnreadableAnswer { .. } => exit::NETWORK,
            E::Unauthorized
            | E::Backbone { .. }
            | E::RateLimited { .. }
            | E::Refused { .. }
            | E::OtpLocked
            | E::OtpLimit
            | E::TransactionExpired
            | E::SealedValueRejected
            | E::SignInNeeded
            | E::SignatureInvalid => exit::REFUSED,
            E::Closed | E::StorageFull | E::Io(_) | E::Database(_) => exit::OTHER,
            E::Qr(_) | E::SignedQr(_) => exit::QR_REFUSED,
            // A key, nonce or payload of the exchange's encryption that does not hold up.
            E::Fidelius(_) => exit::CRYPTO_REFUSED,
        };
        let message = match e {
            E::Io(io) => format!("file system error: {}", explain(&io)),
            other => other.to_string(),
        };
        Failure::with_code(code, message)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        locker_core::Error::from(e).into()
    }
}

/// What an I/O error means, in words a person reads, instead of the library's ("entity not
/// found", "invalid data").
pub fn explain(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "there is no such file or directory".into(),
        K::PermissionDenied => "permission denied".into(),
        K::IsADirectory => "it is a directory, not a file".into(),
        K::NotADirectory => "a part of the path is a file, not a directory".into(),
        K::AlreadyExists => "it already exists".into(),
        K::InvalidData => "it is not text (not UTF-8)".into(),
        K::StorageFull => "the device is full".into(),
        K::ReadOnlyFilesystem => "the file system is read-only".into(),
        K::UnexpectedEof => "it ended too soon".into(),
        _ => format!("the system reported: {e}"),
    }
}

impl Failure {
    pub fn with_code(code: u8, message: impl Into<String>) -> Self {
        Failure { message: message.into(), code }
    }

    /// The line it prints.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn new(message: impl Into<String>) -> Self {
        Failure::with_code(exit::OTHER, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Failure::with_code(exit::USAGE, message)
    }

    /// `cannot <doing> <path>: <what is wrong>`, with the exit code the cause calls for: a
    /// missing file is not found, a path that cannot be used is bad input.
    pub fn file(doing: &str, path: &std::path::Path, e: &std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let code = match e.kind() {
            K::NotFound => exit::NOT_FOUND,
            K::PermissionDenied | K::IsADirectory | K::NotADirectory | K::InvalidData | K::AlreadyExists => exit::USAGE,
            _ => exit::OTHER,
        };
        Failure::with_code(code, format!("cannot {doing} {}: {}", path.display(), explain(e)))
    }
}

/// `once`, `twice`, `3 times`.
pub fn times(n: u32) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

pub type CliResult<T = ()> = Result<T, Failure>;

fn run(cli: Cli) -> CliResult {
    let ctx = store::Context { dir: cli.store, key_file: cli.key_file };
    match cli.command {
        Command::Keygen { file } => store::keygen(&file),
        Command::Init => store::init(&ctx),
        Command::Profile(cmd) => profiles::run(&ctx, cmd),
        Command::Records(cmd) => records::run(&ctx, cmd),
        Command::Check => store::check(&ctx),
        Command::Rekey { new_key_file } => store::rekey(&ctx, &new_key_file),
        Command::Audit { limit } => store::audit(&ctx, limit),
        Command::Enrol(args) => enrol::run(&ctx, *args),
        Command::Outbox(args) => outbox::run(&ctx, *args),
        Command::Consent(args) => consent::run(&ctx, *args),
        Command::Share(args) => share::run_share(&ctx, *args),
        Command::Counter(args) => share::run_counter(&ctx, *args),
        Command::Qr(args) => share::qr::run(&ctx, *args),
        Command::Link(args) => link::run(&ctx, *args),
        Command::Sync(args) => sync::run(&ctx, *args),
        Command::Fidelius(args) => fidelius::run(*args),
        Command::Sandbox(cmd) => sandbox::run(cmd),
        Command::Demo => demo::run(),
        Command::Bench(cmd) => bench::run(cmd),
        Command::Fixtures(cmd) => fixtures::run(cmd),
    }
}

fn main() -> ExitCode {
    restore_sigpipe();
    std::panic::set_hook(Box::new(|_| {}));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version are not errors: print them as clap lays them out.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            eprintln!("error: {}", usage_line(&e.render().to_string()));
            return ExitCode::from(exit::USAGE);
        }
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(f)) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
        Err(_) => {
            eprintln!("error: an internal error stopped locker; nothing half-written was kept");
            ExitCode::from(exit::OTHER)
        }
    }
}

/// clap's error as one line: its first line with what follows it (the missing arguments, the
/// valid values), and where to read more, from its usage line.
fn usage_line(rendered: &str) -> String {
    let mut lines = rendered.lines().map(str::trim);
    let mut message = lines.next().unwrap_or("invalid arguments").trim_start_matches("error: ").to_string();
    let mut command = "locker".to_string();
    for line in lines {
        if let Some(usage) = line.strip_prefix("Usage: ") {
            let words: Vec<&str> = usage.split_whitespace().take_while(|w| !w.starts_with(['-', '<', '['])).collect();
            command = words.join(" ");
        } else if !line.is_empty() && !line.starts_with("For more information") && !line.starts_with("tip:") {
            message.push(' ');
            message.push_str(line);
        }
    }
    format!("{message} (see `{command} --help`)")
}

/// Rust ignores SIGPIPE, so a write to a closed pipe fails and `println!` panics. Restoring the
/// default makes `locker … | head -1` end quietly, as every Unix tool does.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: `signal` with SIG_DFL installs no handler of ours and touches no memory; it runs
    // first thing in main, before any thread exists.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_missing_argument_is_named_on_the_one_line() {
        let rendered = "error: the following required arguments were not provided:\n  --name <NAME>\n  --gender <GENDER>\n\nUsage: locker profile add --name <NAME> --gender <GENDER> --birth-date <BIRTH_DATE>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            super::usage_line(rendered),
            "the following required arguments were not provided: --name <NAME> --gender <GENDER> (see `locker profile add --help`)"
        );
    }

    #[test]
    fn counts_read_as_words() {
        assert_eq!(super::times(1), "once");
        assert_eq!(super::times(2), "twice");
        assert_eq!(super::times(5), "5 times");
    }
}
