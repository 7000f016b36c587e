//! `locker profile …`

use crate::args::{ProfileCmd, ProfileFields, ProfileUpdateFields};
use crate::store::Context;
use crate::{CliResult, Failure};
use locker_core::{Gender, NewProfile, Profile, ProfileUpdate, Store};

pub fn run(ctx: &Context, cmd: ProfileCmd) -> CliResult {
    let locker = ctx.open()?;
    let mut store = locker.store()?;
    match cmd {
        ProfileCmd::Add(f) => {
            let p = add(&mut store, f)?;
            println!("added {} ({}) as {}", p.id, p.relation, if p.is_owner { "the owner" } else { "a family member" });
        }
        ProfileCmd::List { json } => {
            let all = store.profiles()?;
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
            let p = store.update_profile(&id, &update(fields))?;
            println!("updated {}", p.id);
        }
        ProfileCmd::Remove { id } => {
            store.remove_profile(&id)?;
            println!("removed {id} with all their records and attachments");
        }
    }
    Ok(())
}

/// The owner's profile id, or a clear instruction to add one.
pub fn owner_id(store: &Store) -> CliResult<String> {
    store
        .profiles()?
        .into_iter()
        .find(|p| p.is_owner)
        .map(|p| p.id)
        .ok_or_else(|| Failure::usage("the store has no owner yet: add one with `locker profile add`"))
}

fn add(store: &mut Store, f: ProfileFields) -> CliResult<Profile> {
    let has_owner = store.profiles()?.iter().any(|p| p.is_owner);
    let relation = f.relation.unwrap_or_else(|| if has_owner { "other" } else { "self" }.into());
    Ok(store.add_profile(&NewProfile {
        name: f.name,
        gender: Gender::parse(&f.gender),
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

fn update(f: ProfileUpdateFields) -> ProfileUpdate {
    ProfileUpdate {
        name: f.name,
        gender: f.gender.as_deref().map(Gender::parse),
        birth_date: f.birth_date,
        abha_number: clearable(f.abha_number),
        abha_address: clearable(f.abha_address),
        relation: f.relation,
    }
}

fn to_json(p: &Profile) -> serde_json::Value {
    serde_json::json!({
        "id": p.id, "is_owner": p.is_owner, "relation": p.relation, "name": p.name,
        "gender": p.gender.code(), "birth_date": p.birth_date,
        "abha_number": p.abha_number, "abha_address": p.abha_address,
    })
}
