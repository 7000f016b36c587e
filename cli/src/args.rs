//! The command line, as clap reads it.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "locker", version, about = "healthlocker: an offline-first personal health locker for ABDM")]
pub struct Cli {
    /// The store's directory.
    #[arg(long, global = true, env = "LOCKER_STORE", default_value = "locker-store")]
    pub store: PathBuf,
    /// The file holding the store's key (64 hex digits), as `locker keygen` writes it.
    #[arg(long, global = true, env = "LOCKER_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Write a new random key to FILE (readable by you alone).
    Keygen { file: PathBuf },
    /// Create a new, empty store.
    Init,
    /// Family profiles: the owner and their family.
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Health records: ABDM FHIR document bundles.
    #[command(subcommand)]
    Records(RecordsCmd),
    /// Verify everything: database structure, encryption, audit chain, every attachment.
    Check,
    /// Re-encrypt the store under a new key.
    Rekey {
        /// The new key's file (make it with `locker keygen`).
        #[arg(long)]
        new_key_file: PathBuf,
    },
    /// Show the newest audit log entries and verify the chain.
    Audit {
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Walk through what healthlocker does, end to end, in a temporary directory.
    Demo,
    /// Measure speed and memory.
    #[command(subcommand)]
    Bench(BenchCmd),
    /// Sample data.
    #[command(subcommand)]
    Fixtures(FixturesCmd),
}

#[derive(Subcommand)]
pub enum ProfileCmd {
    /// Add a person. The first is the owner unless --relation says otherwise.
    Add(ProfileFields),
    /// List everyone.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a person's details.
    Update {
        id: String,
        #[command(flatten)]
        fields: ProfileUpdateFields,
    },
    /// Remove a person and, securely, all their records and attachments.
    Remove { id: String },
}

#[derive(Args)]
pub struct ProfileFields {
    #[arg(long)]
    pub name: String,
    /// M, F, O (or male, female, other).
    #[arg(long)]
    pub gender: String,
    /// YYYY-MM-DD, or YYYY when only the year is known.
    #[arg(long)]
    pub birth_date: String,
    #[arg(long)]
    pub abha_number: Option<String>,
    #[arg(long)]
    pub abha_address: Option<String>,
    /// self (the owner), spouse, child, parent, sibling, grandparent, grandchild, other.
    /// Default: self for the first profile, other after.
    #[arg(long)]
    pub relation: Option<String>,
}

#[derive(Args)]
pub struct ProfileUpdateFields {
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub gender: Option<String>,
    #[arg(long)]
    pub birth_date: Option<String>,
    /// A new ABHA number, or "" to clear it.
    #[arg(long)]
    pub abha_number: Option<String>,
    /// A new ABHA address, or "" to clear it.
    #[arg(long)]
    pub abha_address: Option<String>,
    #[arg(long)]
    pub relation: Option<String>,
}

#[derive(Subcommand)]
pub enum RecordsCmd {
    /// Import FHIR document bundles (JSON files).
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Whose records these are (default: the owner).
        #[arg(long)]
        profile: Option<String>,
        /// Print one JSON object per file instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List records, newest first.
    List {
        #[arg(long)]
        profile: Option<String>,
        /// OPConsultation, Prescription, DischargeSummary, DiagnosticReport, ImmunizationRecord,
        /// HealthDocumentRecord, WellnessRecord, Invoice (repeatable).
        #[arg(long = "type")]
        types: Vec<String>,
        /// Earliest day, YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        /// Latest day, YYYY-MM-DD.
        #[arg(long)]
        to: Option<String>,
        /// Words in titles, facilities, doctors, tests, medicines…
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Continue from a previous page.
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one record: its summary and its bundle.
    Show { id: String },
    /// Write a record's bundle exactly as it was imported.
    Export {
        id: String,
        /// Where to write it (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Delete a record and its attachments.
    Delete { id: String },
}

#[derive(Subcommand)]
pub enum BenchCmd {
    /// The record store: import, list, search, open, attachments.
    Store {
        #[arg(long, default_value_t = 20_000)]
        records: usize,
        /// MiB streamed through an attachment for the throughput figures.
        #[arg(long, default_value_t = 64)]
        attach_mib: u64,
        /// MiB streamed through an attachment in a fresh process for the peak-memory figure.
        #[arg(long, default_value_t = 256)]
        child_mib: u64,
        /// Print one JSON object (the figures) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The shipped library's size, stripped, and which crates dominate it.
    Size {
        /// An unstripped cdylib to measure (default: build the release liblocker_ffi for this machine).
        #[arg(long)]
        lib: Option<PathBuf>,
        /// How many crates to name before "other".
        #[arg(long, default_value_t = 12)]
        top: usize,
        /// Print one JSON object (the figures) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// (internal) Stream an attachment in and out in a fresh process; print its peak RSS.
    #[command(hide = true)]
    AttachChild {
        #[arg(long)]
        mib: u64,
    },
}

#[derive(Subcommand)]
pub enum FixturesCmd {
    /// Write realistic ABDM document bundles of every type to a directory.
    Generate {
        #[arg(long, default_value_t = 100)]
        count: usize,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}
