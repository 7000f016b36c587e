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
    ///
    /// It changes nothing stored and adds no audit entry. It first folds the write-ahead log into
    /// the database file (a checkpoint, which writes that file) so that every page is checked.
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
    /// Enrol for an ABHA: on your own phone (online, with OTPs), or as a field worker
    /// (--assisted) capturing citizens with or without a network.
    ///
    /// Try it with `locker sandbox serve` running in another terminal. Without --key-file,
    /// the store's key is kept in `<store>.key` beside the store, made with the store the
    /// first time.
    Enrol(Box<EnrolArgs>),
    /// What the backbone must hear: the one queue of calls waiting for a network.
    Outbox(Box<OutboxArgs>),
    /// Consent: requests, grants, revocations, and releasing records under a grant.
    Consent(Box<crate::consent::args::ConsentArgs>),
    /// Scan & Share, the patient: share a profile with a hospital counter, and your tokens.
    Share(Box<crate::share::args::ShareArgs>),
    /// Counter mode: this device as a hospital's OPD counter (works offline).
    Counter(Box<crate::share::args::CounterArgs>),
    /// The signed profile code: show it, or check one with no network.
    Qr(Box<crate::share::args::QrArgs>),
    /// Records at hospitals: find them by your mobile, link them with the hospital's OTP, list
    /// what is linked.
    Link(Box<crate::link::LinkArgs>),
    /// Everything pending with the backbone in one go: decisions and shares sent, consent, links
    /// and tokens fetched, pulled records brought home, doctors' requests answered.
    Sync(Box<crate::sync::SyncArgs>),
    /// ABDM's exchange encryption by hand (fidelius-cli's arguments): keys, encrypt, decrypt.
    Fidelius(Box<crate::fidelius::FideliusArgs>),
    /// The local stand-in for ABDM's backbone, for trying enrolment without ABDM credentials.
    #[command(subcommand)]
    Sandbox(SandboxCmd),
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
        #[arg(long, conflicts_with = "ids")]
        json: bool,
        /// Print only the ids, one a line (for scripts: `locker records show "$(locker records list --ids --limit 1)"`).
        #[arg(long)]
        ids: bool,
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
    /// Bring a profile's records home from the hospitals linked to it (`locker link`): starts a
    /// pull, offline too, and prints its id; `locker sync` sends it and brings the records.
    Pull(Box<crate::pulls::PullArgs>),
    /// Pulls, newest first: where each is, and per hospital the pages and records that came.
    Pulls {
        #[arg(long)]
        json: bool,
    },
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
    /// ABHA enrolment: offline capture, and submission to an in-process sandbox with and
    /// without injected faults.
    Enrol {
        /// Citizens captured and submitted.
        #[arg(long, default_value_t = 500)]
        count: usize,
        /// Print one JSON object (the figures) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The outbox: a queue drained to an in-process sandbox, against the same requests sent by
    /// a plain loop over the same client; the same under every fault; the peak memory of 10,000
    /// queued items.
    Outbox {
        /// Items queued and delivered per phase.
        #[arg(long, default_value_t = 1000)]
        items: usize,
        /// Items queued in a fresh process for the peak-memory figure.
        #[arg(long, default_value_t = 10_000)]
        queued: usize,
        /// Print one JSON object (the figures) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The consent policy's decision time, releasing records through it against reading them
    /// out without it, and decisions made offline synced under faults (none lost or doubled).
    Consent {
        /// Artefacts in the ledger the policy decides against.
        #[arg(long, default_value_t = 1000)]
        artefacts: usize,
        /// Records decided on, one at a time.
        #[arg(long, default_value_t = 20_000)]
        records: usize,
        /// Decisions made offline, then synced.
        #[arg(long, default_value_t = 500)]
        decisions: usize,
        #[arg(long)]
        json: bool,
    },
    /// QR codes: drawing one to PNG, and reading degraded camera frames with the locker's
    /// decoder against zxing-cpp (tools/zxing-decode.py, when installed) and rxing.
    Qr {
        /// Seed of the degraded frames (the same seed, the same pixels).
        #[arg(long, default_value_t = 14)]
        seed: u64,
        /// Write the frames to this directory and keep them (default: a temporary one).
        #[arg(long)]
        keep: Option<PathBuf>,
        /// Print one JSON object (the figures) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Records from a hospital pulled end to end encrypted: the whole pull against a plain
    /// import of the same bundles, Fidelius decryption against raw AES-256-GCM, the pull's peak
    /// memory, and the pull killed at random moments and resumed (nothing lost or doubled).
    Sync {
        /// Records the hospital holds (care contexts of up to 100).
        #[arg(long, default_value_t = 5000)]
        records: usize,
        /// Records of the pull that is killed and resumed.
        #[arg(long, default_value_t = 1000)]
        kill_records: usize,
        /// Kills at least (the pull is then let finish).
        #[arg(long, default_value_t = 20)]
        kills: usize,
        /// Entries per page the hospital pushes.
        #[arg(long, default_value_t = 10)]
        page_entries: usize,
        /// Seed of the kill delays.
        #[arg(long, default_value_t = 9)]
        seed: u64,
        /// Print one JSON object (the figures) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// (internal) Open a prepared store and sync until its pull is done; print its figures.
    #[command(hide = true)]
    SyncChild {
        #[arg(long)]
        store: PathBuf,
        #[arg(long)]
        key_file: PathBuf,
        #[arg(long)]
        backbone: String,
    },
    /// (internal) Queue and drain items in a fresh process; print its peak RSS.
    #[command(hide = true)]
    OutboxChild {
        #[arg(long)]
        items: usize,
        #[arg(long)]
        backbone: String,
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

#[derive(Subcommand)]
pub enum SandboxCmd {
    /// Run locker-sandbox on this machine (test mode: OTPs are printed on standard error) until
    /// stopped. The first line on standard output says where it listens.
    Serve {
        /// The port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Serve HTTPS with the sandbox's test certificate (standard error says where its root
        /// was written, to trust with `--ca-file`, and prints the pins to try).
        #[arg(long)]
        tls: bool,
    },
    /// Raise a consent request to a citizen from one of the sandbox's sample HIUs, as a doctor
    /// would (test mode); prints its id. Then `locker consent sync` pulls it.
    Ask {
        /// The citizen's ABHA address (`name@sbx`).
        patient: String,
        /// A sample HIU: sbx-hiu-city-hospital, sbx-hiu-diagnostics.
        #[arg(long, default_value = "sbx-hiu-city-hospital")]
        hiu: String,
        /// Record types asked for, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "Prescription,DiagnosticReport,OPConsultation")]
        hi_types: Vec<String>,
        /// view or store.
        #[arg(long, default_value = "view")]
        mode: String,
        /// The sandbox's base URL.
        #[arg(long = "backbone", env = "LOCKER_BACKBONE_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
    },
}

/// Where the backbone is and who we are to it.
#[derive(Args, Clone)]
pub struct BackboneArgs {
    /// Which deployment fills in the addresses: `local` (locker-sandbox at --backbone) or
    /// `abdm-sandbox` (ABDM's public sandbox: dev.abdm.gov.in for the gateway and consent
    /// manager, abhasbx.abdm.gov.in for ABHA, phrsbx.abdm.gov.in; needs your --client-id and
    /// --client-secret).
    #[arg(long, global = true, env = "LOCKER_PRESET", default_value = "local", value_parser = ["local", "abdm-sandbox"])]
    pub preset: String,
    /// With the local preset: the sandbox's base URL (`locker sandbox serve` prints it).
    #[arg(long = "backbone", global = true, env = "LOCKER_BACKBONE_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The gateway's base URL (sessions), instead of the preset's.
    #[arg(long, global = true, env = "LOCKER_GATEWAY_URL")]
    pub gateway_url: Option<String>,
    /// The ABHA service's base URL (`…/abha/api`), instead of the preset's.
    #[arg(long, global = true, env = "LOCKER_ABHA_URL")]
    pub abha_url: Option<String>,
    /// The consent manager's base URL (`{hiecm}`), instead of the preset's.
    #[arg(long, global = true, env = "LOCKER_HIECM_URL")]
    pub hiecm_url: Option<String>,
    /// The PHR app's host, as facility QR codes carry it, instead of the preset's.
    #[arg(long, global = true, env = "LOCKER_PHR_URL")]
    pub phr_url: Option<String>,
    /// `X-CM-ID` (`sbx` in the sandbox, `abdm` in production), instead of the preset's.
    #[arg(long, global = true, env = "LOCKER_CM_ID")]
    pub cm_id: Option<String>,
    /// The client id registered with ABDM (default with the local preset: the sandbox's).
    #[arg(long, global = true, env = "LOCKER_CLIENT_ID")]
    pub client_id: Option<String>,
    /// The client secret registered with ABDM (default with the local preset: the sandbox's).
    #[arg(long, global = true, env = "LOCKER_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// A key the backbone's certificate chain must pass through, `sha256/<base64>` of its
    /// SubjectPublicKeyInfo (repeat for a backup key). HTTPS only.
    #[arg(long = "pin", global = true)]
    pub pins: Vec<String>,
    /// A PEM file of root certificates to trust besides the public ones (a private CA).
    #[arg(long, global = true, env = "LOCKER_CA_FILE")]
    pub ca_file: Option<PathBuf>,
}

/// `locker outbox …`
#[derive(Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    pub command: OutboxCmd,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

#[derive(Subcommand)]
pub enum OutboxCmd {
    /// Counts by state and kind, the oldest waiting item's age, each wedged item's reason.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Send everything that is due now; stops at the first failure every item would meet.
    Drain {
        #[arg(long)]
        json: bool,
    },
    /// Send a wedged item again, as a new request (after mending what its reason says).
    Retry { id: i64 },
    /// Give a wedged item up (a refused enrolment is erased from this device).
    Discard { id: i64 },
}

/// `locker enrol`: online by default; `--assisted` for a field worker. Whatever is not given
/// as a flag is asked for.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EnrolArgs {
    #[command(subcommand)]
    pub command: Option<EnrolCmd>,
    #[command(flatten)]
    pub backbone: BackboneArgs,
    /// A field worker capturing a citizen (queued, then submitted unless --offline).
    #[arg(long)]
    pub assisted: bool,
    /// The 12-digit Aadhaar number (asked for when missing; never printed back).
    #[arg(long)]
    pub aadhaar: Option<String>,
    /// The citizen's 10-digit mobile number (never printed back).
    #[arg(long)]
    pub mobile: Option<String>,
    /// Online: the new profile's relation to the locker's owner (self, spouse, child, parent…).
    #[arg(long, default_value = "self")]
    pub relation: String,
    /// Online: the ABHA address to create (user part, e.g. `asha.devi1990`); without it the
    /// backbone's suggestions are offered.
    #[arg(long)]
    pub abha_address: Option<String>,
    /// Online, against `locker sandbox serve` only: read each OTP from the sandbox's admin
    /// route instead of asking for it (for scripts and trying things out).
    #[arg(long, conflicts_with = "assisted")]
    pub otp_from_sandbox: bool,
    /// Online: continue an enrolment that stopped half-way (its id, from `locker enrol queue`).
    #[arg(long, conflicts_with_all = ["assisted", "aadhaar", "mobile"])]
    pub resume: Option<String>,
    #[command(flatten)]
    pub citizen: CitizenFields,
}

/// A citizen's details for assisted enrolment.
#[derive(Args)]
pub struct CitizenFields {
    /// Assisted: the field worker's id.
    #[arg(long, requires = "assisted")]
    pub worker: Option<String>,
    /// Assisted: this device's id.
    #[arg(long, requires = "assisted")]
    pub device: Option<String>,
    /// Assisted: capture and queue only; submit later with `locker enrol submit`.
    #[arg(long, requires = "assisted")]
    pub offline: bool,
    /// Assisted: days a citizen's details may stay on this device (for a new worker session).
    #[arg(long, requires = "assisted")]
    pub retention_days: Option<u32>,
    /// Assisted: the citizen's name, as on their Aadhaar card.
    #[arg(long, requires = "assisted")]
    pub name: Option<String>,
    /// M, F or O.
    #[arg(long, requires = "assisted")]
    pub gender: Option<String>,
    /// YYYY-MM-DD, or YYYY when only the year is known.
    #[arg(long, requires = "assisted")]
    pub birth_date: Option<String>,
    /// The postal address.
    #[arg(long, requires = "assisted")]
    pub address: Option<String>,
    /// The state's LGD code.
    #[arg(long, requires = "assisted")]
    pub state_code: Option<String>,
    /// The district's LGD code.
    #[arg(long, requires = "assisted")]
    pub district_code: Option<String>,
    /// 6 digits.
    #[arg(long, requires = "assisted")]
    pub pin_code: Option<String>,
    /// The language the consent text was read in (hi, en, ta…).
    #[arg(long, requires = "assisted")]
    pub consent_language: Option<String>,
    /// The version of the consent text read.
    #[arg(long, requires = "assisted")]
    pub consent_version: Option<String>,
}

#[derive(Subcommand)]
pub enum EnrolCmd {
    /// Start (or go on with) a field worker's session on this device, and fetch the backbone's
    /// key: do it once with a network, and citizens can then be captured with none.
    Session {
        #[arg(long)]
        worker: String,
        #[arg(long)]
        device: String,
        /// Days a citizen's details may stay on this device (1 to 90; default 7).
        #[arg(long)]
        retention_days: Option<u32>,
    },
    /// The enrolments on this device: state, outcome, what to do (never ABHA, Aadhaar or mobile).
    Queue {
        #[arg(long)]
        json: bool,
    },
    /// Submit every queued enrolment now and show what became of each.
    Submit {
        #[arg(long)]
        json: bool,
    },
    /// Give an enrolment up: its details are erased from this device at once.
    Cancel { id: String },
    /// Give a submitted citizen their ABHA (the QR's payload, or the card), then erase their
    /// details from this device.
    Handover {
        id: String,
        /// Save the ABHA card (PNG) to FILE, to print or show (needs the network).
        #[arg(long)]
        card: Option<PathBuf>,
        /// Print the ABHA card's QR payload (JSON), with no network: the default without --card.
        #[arg(long)]
        qr: bool,
    },
}
