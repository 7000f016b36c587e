//! `locker fidelius keys|encrypt|decrypt`: ABDM's exchange encryption by hand, with the
//! arguments of mgrmtech/fidelius-cli (which integrators script against), for checking a
//! peer's payloads or making test data. No store is opened. Keys, nonces and payloads are
//! standard base64; `--json` prints what fidelius-cli prints.

use crate::{CliResult, Failure};
use clap::{ArgGroup, Args, Subcommand};
use locker_core::crypto::fidelius::{KeyForm, KeyPair, PublicKey, Session, new_nonce, read_nonce, to_base64};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// `locker fidelius …`
#[derive(Args)]
pub struct FideliusArgs {
    #[command(subcommand)]
    pub command: FideliusCmd,
}

#[derive(Subcommand)]
pub enum FideliusCmd {
    /// A new key pair and nonce: privateKey, publicKey (raw, as a HIU sends it), x509PublicKey
    /// (as a HIP sends it), nonce.
    Keys {
        #[arg(long)]
        json: bool,
    },
    /// Encrypt as the sender (a HIP): prints base64(ciphertext‖tag).
    #[command(group(ArgGroup::new("input").required(true).args(["string_to_encrypt", "file"])))]
    Encrypt {
        /// The text to encrypt.
        #[arg(long)]
        string_to_encrypt: Option<String>,
        /// A file whose bytes to encrypt.
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        sender_nonce: String,
        #[arg(long)]
        requester_nonce: String,
        /// The sender's private key (Java's form: 1 to 33 bytes).
        #[arg(long)]
        sender_private_key: String,
        /// The requester's public key: raw, or X.509.
        #[arg(long)]
        requester_public_key: String,
        /// Print {"encryptedData": …}.
        #[arg(long)]
        json: bool,
    },
    /// Decrypt as the requester (a HIU), the tag checked: prints the clear data.
    #[command(group(ArgGroup::new("input").required(true).args(["encrypted_data", "file"])))]
    Decrypt {
        /// base64(ciphertext‖tag).
        #[arg(long)]
        encrypted_data: Option<String>,
        /// A file holding the base64 (for payloads longer than a command line).
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        requester_nonce: String,
        #[arg(long)]
        sender_nonce: String,
        /// The requester's private key (Java's form: 1 to 33 bytes).
        #[arg(long)]
        requester_private_key: String,
        /// The sender's public key: raw, or X.509.
        #[arg(long)]
        sender_public_key: String,
        /// Print {"decryptedData": …} (the clear data must be text).
        #[arg(long)]
        json: bool,
    },
}

fn session(own_private: &str, own_nonce: &str, peer_public: &str, peer_nonce: &str) -> CliResult<Session> {
    let own = KeyPair::from_private_base64(own_private)?;
    let peer = PublicKey::read_base64(peer_public)?;
    Ok(Session::new(&own, &read_nonce(own_nonce)?, &peer, &read_nonce(peer_nonce)?)?)
}

fn read(path: &PathBuf) -> CliResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| Failure::file("read", path, &e))
}

pub fn run(args: FideliusArgs) -> CliResult {
    match args.command {
        FideliusCmd::Keys { json } => {
            let k = KeyPair::generate()?;
            let private = k.private_base64();
            let public = k.public().to_base64(KeyForm::Raw);
            let x509 = k.public().to_base64(KeyForm::X509);
            let nonce = to_base64(&new_nonce()?);
            if json {
                let v = Zeroizing::new(
                    serde_json::to_string_pretty(&json!({
                        "privateKey": private.as_str(),
                        "publicKey": public,
                        "x509PublicKey": x509,
                        "nonce": nonce,
                    }))
                    .expect("JSON of strings"),
                );
                println!("{}", v.as_str());
            } else {
                println!("privateKey     {}", private.as_str());
                println!("publicKey      {public}");
                println!("x509PublicKey  {x509}");
                println!("nonce          {nonce}");
            }
            Ok(())
        }
        FideliusCmd::Encrypt {
            string_to_encrypt,
            file,
            sender_nonce,
            requester_nonce,
            sender_private_key,
            requester_public_key,
            json,
        } => {
            let sender_private_key = Zeroizing::new(sender_private_key);
            let s = session(&sender_private_key, &sender_nonce, &requester_public_key, &requester_nonce)?;
            let clear = match (string_to_encrypt, file) {
                (Some(text), _) => Zeroizing::new(text.into_bytes()),
                (None, Some(path)) => Zeroizing::new(read(&path)?),
                (None, None) => return Err(Failure::usage("give --string-to-encrypt or --file")),
            };
            let sealed = s.encrypt_base64(&clear);
            if json {
                println!("{}", serde_json::to_string_pretty(&json!({ "encryptedData": sealed })).expect("JSON"));
            } else {
                println!("{sealed}");
            }
            Ok(())
        }
        FideliusCmd::Decrypt {
            encrypted_data,
            file,
            requester_nonce,
            sender_nonce,
            requester_private_key,
            sender_public_key,
            json,
        } => {
            let requester_private_key = Zeroizing::new(requester_private_key);
            let s = session(&requester_private_key, &requester_nonce, &sender_public_key, &sender_nonce)?;
            let sealed = match (encrypted_data, file) {
                (Some(text), _) => text,
                (None, Some(path)) => String::from_utf8(read(&path)?)
                    .map_err(|_| Failure::usage(format!("{} is not base64 text", path.display())))?,
                (None, None) => return Err(Failure::usage("give --encrypted-data or --file")),
            };
            let clear = Zeroizing::new(s.decrypt_base64(sealed.trim())?);
            if json {
                let text = std::str::from_utf8(&clear)
                    .map_err(|_| Failure::usage("the clear data is not text: leave out --json to get its bytes"))?;
                let v = Zeroizing::new(
                    serde_json::to_string_pretty(&json!({ "decryptedData": text })).expect("JSON of a string"),
                );
                println!("{}", v.as_str());
            } else {
                let mut out = std::io::stdout().lock();
                out.write_all(&clear)?;
                out.flush()?;
            }
            Ok(())
        }
    }
}
