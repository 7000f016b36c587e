//! `locker qr …`: the owner's signed profile code, drawn as PNG, SVG or terminal text, and the
//! check of a signed code against the trust list kept (no network).

use super::args::{QrArgs, QrCmd};
use super::{code_text, profile_id};
use crate::enrol::{Net, block_on};
use crate::store::Context;
use crate::{CliResult, Failure};
use locker_core::share::render::{Qr, Terminal};
use serde_json::json;

/// `text` as a QR code at ECC M.
fn drawn(text: &str) -> CliResult<Qr> {
    Qr::new(text).map_err(|e| Failure::usage(format!("the code cannot be drawn: {e}")))
}

/// `text` drawn for a terminal with a dark background (light modules as blocks).
pub fn terminal(text: &str) -> CliResult<String> {
    Ok(drawn(text)?.terminal(Terminal::Dark))
}

pub fn run(ctx: &Context, args: QrArgs) -> CliResult {
    let locker = ctx.open()?;
    match args.command {
        QrCmd::Show { profile, png, svg, terminal: term } => {
            let profile = profile_id(&locker, profile)?;
            // Online, the key is certified (or renewed in its last week); offline, the kept
            // certificate serves.
            if let Ok(net) = Net::new(&args.backbone) {
                let patient = locker.profiles().get(&profile)?.abha_address;
                if let Some(patient) = patient
                    && let Err(e) = block_on(locker.share().certify_qr_key(&net.backbone, &patient))
                {
                    eprintln!("could not renew the code's certificate now ({e}); using the one kept");
                }
            }
            let qr = locker.share().signed_qr(&profile)?;
            let drawn = drawn(&qr.text)?;
            if let Some(path) = &png {
                let bytes = drawn.png(8).map_err(|e| Failure::usage(e.to_string()))?;
                std::fs::write(path, bytes)?;
                println!("PNG written to {}", path.display());
            }
            if let Some(path) = &svg {
                std::fs::write(path, drawn.svg())?;
                println!("SVG written to {}", path.display());
            }
            if term || (png.is_none() && svg.is_none()) {
                print!("{}", drawn.terminal(Terminal::Dark));
            }
            println!(
                "signed code: {} characters, QR version {} at ECC M; valid for 24 hours",
                qr.text.len(),
                drawn.version()
            );
            Ok(())
        }
        QrCmd::Verify { code, json } => {
            let text = code_text(&code)?;
            let v = locker.counter().verify_signed(&text)?;
            if json {
                println!(
                    "{}",
                    json!({"valid": true, "name": v.claims.name, "abha_address": v.claims.abha_address,
                        "abha_number": v.claims.abha_number.map(|n| n.dashed()), "expires_at": v.claims.expires_at,
                        "issuer_kid": hex::encode(v.issuer_kid), "device_key_id": hex::encode(v.device_key_id)})
                );
            } else {
                println!(
                    "valid: signed by a device certified by issuer key {} until {}",
                    hex::encode(v.issuer_kid),
                    locker_calendar::display_utc(v.certificate_not_after as i64 * 1000)
                );
                println!("holder: {}", v.claims.name);
            }
            Ok(())
        }
    }
}
