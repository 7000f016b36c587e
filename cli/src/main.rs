//! `locker`: the demo, every flow by hand, and the benchmarks.
//!
//! Errors are one line on standard error and a non-zero exit code; never a panic or a backtrace.

#![deny(unsafe_code)]

mod args;
mod bench;
mod demo;
mod enrol;
mod fixtures;
mod profiles;
mod records;
mod sandbox;
mod store;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

/// Exit codes, as README lists them, so scripts can tell failures apart.
pub mod exit {
    pub const OTHER: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const WRONG_KEY: u8 = 3;
    pub const DAMAGED: u8 = 4;
    pub const TOO_NEW: u8 = 5;
    pub const NOT_FOUND: u8 = 6;
    pub const DUPLICATE: u8 = 7;
    pub const BUSY: u8 = 8;
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
            E::Duplicate { .. } => exit::DUPLICATE,
            E::Busy => exit::BUSY,
            E::InvalidInput(_) => exit::USAGE,
            _ => exit::OTHER,
        };
        Failure::with_code(code, e.to_string())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        locker_core::Error::from(e).into()
    }
}

impl Failure {
    pub fn with_code(code: u8, message: impl Into<String>) -> Self {
        Failure { message: message.into(), code }
    }

    pub fn new(message: impl Into<String>) -> Self {
        Failure::with_code(exit::OTHER, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Failure::with_code(exit::USAGE, message)
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
        Command::Sandbox(cmd) => sandbox::run(cmd),
        Command::Demo => demo::run(),
        Command::Bench(cmd) => bench::run(cmd),
        Command::Fixtures(cmd) => fixtures::run(cmd),
    }
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|_| {
        eprintln!("error: an internal error stopped locker; nothing half-written was kept");
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version are not errors: print them as clap lays them out.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
            eprintln!("error: {first} (see `locker --help`)");
            return ExitCode::from(exit::USAGE);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
