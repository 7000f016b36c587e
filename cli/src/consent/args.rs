//! The arguments of `locker consent …`.

use crate::args::BackboneArgs;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `locker consent …`
#[derive(Args)]
pub struct ConsentArgs {
    #[command(subcommand)]
    pub command: ConsentCmd,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

#[derive(Subcommand)]
pub enum ConsentCmd {
    /// Keep the citizen's consent-manager login for their ABHA address. Without --token, with
    /// the local preset, the sandbox issues one (test mode).
    SignIn {
        /// The citizen's ABHA address (`name@sbx`).
        patient: String,
        #[arg(long, env = "LOCKER_PHR_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Seconds the token lasts.
        #[arg(long, default_value_t = 86_400)]
        expires_in: u64,
    },
    /// Send the decisions made here, then fetch requests and artefacts.
    Sync {
        #[arg(long)]
        json: bool,
    },
    /// Consent requests, newest first.
    Requests {
        /// Only this status: requested, granted, denied, expired, revoked.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One request or artefact, with its history.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Grant a request, narrowed as you choose (each default is what was asked). Applies at
    /// once, offline too; the consent manager hears it at the next sync.
    Approve {
        id: String,
        /// Record types to grant, comma-separated (e.g. Prescription,DiagnosticReport).
        #[arg(long, value_delimiter = ',')]
        hi_types: Vec<String>,
        /// First day (YYYY-MM-DD) or instant of the records granted.
        #[arg(long)]
        from: Option<String>,
        /// Last day (YYYY-MM-DD, the whole day) or instant of the records granted.
        #[arg(long)]
        to: Option<String>,
        /// When the grant ends and what was shared must be erased.
        #[arg(long)]
        erase_at: Option<String>,
        /// A visit (care context) to grant; repeat for more. Default: those asked for, or
        /// those of your records here that the request could cover.
        #[arg(long = "care-context")]
        care_contexts: Vec<String>,
        /// The health facility (HIP) granted. Default: the one asked of, or this device.
        #[arg(long)]
        hip: Option<String>,
    },
    /// Refuse a request.
    Deny {
        id: String,
        /// Told to the requester (at most 100 characters).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Withdraw a grant: a request's id (all its artefacts) or one artefact's. Takes effect on
    /// this device at once.
    Revoke { id: String },
    /// Artefacts (the grants the consent manager made), with whether each signature verified.
    Artefacts {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// What was released under an artefact (or under all): record ids, to whom, when, how.
    Uses {
        artefact: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Release records to a HIU under its grant (export for sharing): the consent policy decides
    /// record by record; only what it permits is written.
    Release {
        /// The HIU the records go to.
        #[arg(long)]
        hiu: String,
        /// The artefact the HIU named, if any.
        #[arg(long)]
        consent: Option<String>,
        /// view, store, query or stream.
        #[arg(long, default_value = "view")]
        mode: String,
        /// Directory the released bundles are written to (`<record id>.json`).
        #[arg(long)]
        out: PathBuf,
        /// Record ids.
        #[arg(required = true)]
        records: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}
