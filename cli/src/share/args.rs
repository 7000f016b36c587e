//! The arguments of `locker share …`, `locker counter …` and `locker qr …`.

use crate::args::BackboneArgs;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `locker share …`
#[derive(Args)]
pub struct ShareArgs {
    #[command(subcommand)]
    pub command: ShareCmd,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

#[derive(Subcommand)]
pub enum ShareCmd {
    /// Share a profile with a hospital counter: scan its code (a share-profile link, its JSON,
    /// or a photo of the code). Offline, the share waits and goes when the network is back, for
    /// five minutes; a token that still holds at that counter is shown again instead.
    Scan {
        /// The counter's link or JSON, or an image file (PNG or JPEG) of its code.
        code: String,
        /// The profile to share (default: the owner).
        #[arg(long)]
        profile: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Your tokens: sends what waits, reads new tokens from the consent manager when online.
    Tokens {
        /// Do not try the network.
        #[arg(long)]
        offline: bool,
        #[arg(long)]
        json: bool,
    },
    /// What a counter is told besides the ABHA details: phone and address.
    Contact {
        /// The profile (default: the owner).
        #[arg(long)]
        profile: Option<String>,
        #[arg(long)]
        mobile: Option<String>,
        #[arg(long)]
        line: Option<String>,
        #[arg(long)]
        district: Option<String>,
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        pincode: Option<String>,
    },
}

/// `locker counter …`
#[derive(Args)]
pub struct CounterArgs {
    #[command(subcommand)]
    pub command: CounterCmd,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

#[derive(Subcommand)]
pub enum CounterCmd {
    /// Make this device an OPD counter of a facility, and show the counter's code.
    Open {
        /// The facility's HIP id (IN3410000260).
        hip_id: String,
        /// The counter's id (1–20 letters and digits).
        counter_id: String,
        /// Draw the counter's code in the terminal.
        #[arg(long)]
        terminal: bool,
    },
    /// Register a patient from the code they show (ABHA card, PHR app, or a signed locker code;
    /// text or an image file) and give their token. Works offline.
    Scan {
        code: String,
        #[arg(long)]
        json: bool,
    },
    /// Today's tokens at this counter.
    Tokens {
        #[arg(long)]
        json: bool,
    },
    /// When online: send what the backbone must hear, and fetch the issuers' trust list that
    /// signed codes are checked against.
    Sync,
}

/// `locker qr …`
#[derive(Args)]
pub struct QrArgs {
    #[command(subcommand)]
    pub command: QrCmd,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

#[derive(Subcommand)]
pub enum QrCmd {
    /// Show the owner's signed profile code (made, and its key certified, when online).
    Show {
        /// The profile (default: the owner).
        #[arg(long)]
        profile: Option<String>,
        /// Write a PNG here.
        #[arg(long)]
        png: Option<PathBuf>,
        /// Write an SVG here.
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Draw it in the terminal (the default when no file is asked for).
        #[arg(long)]
        terminal: bool,
    },
    /// Check a signed code (its text or an image of it) against the trust list kept here, with
    /// no network.
    Verify {
        code: String,
        #[arg(long)]
        json: bool,
    },
}
