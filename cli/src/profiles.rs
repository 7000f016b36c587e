//! `locker profile …`

use crate::args::{ProfileCmd, ProfileFields, ProfileUpdateFields};
use crate::store::Context;
use crate::{CliResult, Failure, exit};
use locker_core::abha::AbhaNumber;
use locker_core::{Gender, Locker, NewProfile, Profile, ProfileUpdate};

pub fn run(ctx: &Context, cmd: ProfileCmd) -> CliResult {
    let locker = ctx.open()?;
    let profiles = locker.profiles();
    match cmd {
        ProfileCmd::Add(f) => {
            warn_about_abha_number(f.abha_number.as_deref());
            let p = add(&locker, f).map_err(held_by_another)?;
            println!("added {} ({}) as {}", p.id, p.relation, if p.is_owner { "the owner" } else { "a family member" });
        }
        ProfileCmd::List { json } => {
            let all = profiles.list()?;
            if json {
                let v: Vec<_> = all.iter().map(to_json).collect();
                println!("{}", serde_json::to_string_pretty(&v).expect("JSON values serialise"));
            } else if all.is_empty() {
                println!("no profiles yet: add the owner with `locker profile add --name … --gender … --birth-date …`");
            } else {
                for p in &all {
                    println!(
                        "{}  {:<8} {:<28} {} {:<10} {}",
                        p.id,
                        p.relation,
                        p.name,
                        p.gender.code(),
                        p.birth_date,
                        p.abha_number.as_deref().unwrap_or("-")
                    );
                }
            }
        }
        ProfileCmd::Update { id, fields } => {
            warn_about_abha_number(fields.abha_number.as_deref());
            let p = profiles.update(&id, &update(fields)?).map_err(|e| held_by_another(e.into()))?;
            println!("updated {}", p.id);
        }
        ProfileCmd::Remove { id } => {
            profiles.remove(&id)?;
            println!("removed {id} with all their records and attachments");
        }
    }
    Ok(())
}

/// The owner's profile id, or a clear instruction to add one.
pub fn owner_id(locker: &Locker) -> CliResult<String> {
    locker
        .profiles()
        .owner()?
        .map(|p| p.id)
        .ok_or_else(|| Failure::usage("the store has no owner yet: add one with `locker profile add`"))
}

/// PROTOCOL.md: every real ABHA number passes a Luhn check and placeholders fail it, so a
/// failure is worth a warning (a typo?) but never a refusal.
fn warn_about_abha_number(given: Option<&str>) {
    if let Some(n) = given.filter(|n| !n.trim().is_empty())
        && let Ok(number) = AbhaNumber::parse(n)
        && !number.passes_luhn()
    {
        eprintln!("warning: this ABHA number fails the check that every issued ABHA number passes; look for a typo");
    }
}

/// A duplicate ABHA number or address names the profile that holds it.
fn held_by_another(f: Failure) -> Failure {
    if f.code == exit::DUPLICATE {
        return Failure::with_code(
            exit::DUPLICATE,
            format!("profile {} already has this ABHA number or address: one person, one profile", existing(&f)),
        );
    }
    f
}

fn existing(f: &Failure) -> &str {
    f.message.strip_prefix("already stored as ").unwrap_or(&f.message)
}

/// `M`, `F`, `O`, `U` or the words; anything else is refused rather than stored as unknown.
pub fn gender(s: &str) -> CliResult<Gender> {
    match Gender::parse(s) {
        Gender::Unknown if !matches!(s.trim().to_ascii_lowercase().as_str(), "u" | "unknown") => {
            Err(Failure::usage("a gender is M, F, O or U (male, female, other, unknown)"))
        }
        g => Ok(g),
    }
}

fn add(locker: &Locker, f: ProfileFields) -> CliResult<Profile> {
    let has_owner = locker.profiles().owner()?.is_some();
    let relation = f.relation.unwrap_or_else(|| if has_owner { "other" } else { "self" }.into());
    Ok(locker.profiles().add(&NewProfile {
        name: f.name,
        gender: gender(&f.gender)?,
        birth_date: f.birth_date,
        abha_number: f.abha_number,
        abha_address: f.abha_address,
        is_owner: relation.trim().eq_ignore_ascii_case("self"),
        relation,
    })?)
}

fn clearable(v: Option<String>) -> Option<Option<String>> {
    v.map(|s| if s.trim().is_empty() { None } else { Some(s) })
}

fn update(f: ProfileUpdateFields) -> CliResult<ProfileUpdate> {
    Ok(ProfileUpdate {
        name: f.name,
        gender: f.gender.as_deref().map(gender).transpose()?,
        birth_date: f.birth_date,
        abha_number: clearable(f.abha_number),
        abha_address: clearable(f.abha_address),
        relation: f.relation,
    })
}

fn to_json(p: &Profile) -> serde_json::Value {
    serde_json::json!({
        "id": p.id, "is_owner": p.is_owner, "relation": p.relation, "name": p.name,
        "gender": p.gender.code(), "birth_date": p.birth_date,
        "abha_number": p.abha_number, "abha_address": p.abha_address,
    })
}
