//! The people whose records the locker holds: the owner and their family. Removing a profile
//! removes everything of theirs, securely: rows are zeroed (`secure_delete`), search terms leave
//! the index at once, the write-ahead log is truncated, and attachment files become
//! undecryptable because their per-file salts were in the rows.
//!
//! A person's details never reach `Debug`: it shows ids and relations only.

mod gender;

pub use gender::Gender;

use crate::Locker;
use crate::abha::{AbhaAddress, AbhaNumber};
use crate::attachments::{self, Owner};
use crate::crypto::random_uid;
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::fmt;

/// A person to add.
#[derive(Clone, PartialEq, Eq)]
pub struct NewProfile {
    pub name: String,
    pub gender: Gender,
    /// `YYYY-MM-DD`, or `YYYY` when only the year is known (common in ABDM data).
    pub birth_date: String,
    pub abha_number: Option<String>,
    pub abha_address: Option<String>,
    /// How this person relates to the owner: `self` for the owner, else e.g. `spouse`,
    /// `child`, `parent`, `sibling`, `other`.
    pub relation: String,
    /// The locker's owner; at most one.
    pub is_owner: bool,
}

/// A stored person.
#[derive(Clone, PartialEq, Eq)]
pub struct Profile {
    pub id: String,
    pub is_owner: bool,
    pub relation: String,
    pub name: String,
    pub gender: Gender,
    pub birth_date: String,
    pub abha_number: Option<String>,
    pub abha_address: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl fmt::Debug for NewProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewProfile").field("relation", &self.relation).finish_non_exhaustive()
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("id", &self.id)
            .field("is_owner", &self.is_owner)
            .field("relation", &self.relation)
            .finish_non_exhaustive()
    }
}

/// Changes to a profile; `None` leaves a field as it is, `Some(None)` clears an optional one.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    pub gender: Option<Gender>,
    pub birth_date: Option<String>,
    pub abha_number: Option<Option<String>>,
    pub abha_address: Option<Option<String>>,
    pub relation: Option<String>,
}

impl fmt::Debug for ProfileUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileUpdate").field("relation", &self.relation).finish_non_exhaustive()
    }
}

impl From<&Profile> for ProfileUpdate {
    /// Every editable field set to `p`'s values: how a shell saves a profile it has edited.
    fn from(p: &Profile) -> Self {
        ProfileUpdate {
            name: Some(p.name.clone()),
            gender: Some(p.gender),
            birth_date: Some(p.birth_date.clone()),
            abha_number: Some(p.abha_number.clone()),
            abha_address: Some(p.abha_address.clone()),
            relation: Some(p.relation.clone()),
        }
    }
}

const RELATIONS: &[&str] = &["self", "spouse", "child", "parent", "sibling", "grandparent", "grandchild", "other"];

fn valid_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::InvalidInput("a name is 1 to 100 printable characters".into()));
    }
    Ok(name.to_owned())
}

/// By the parser enrolment uses: 14 digits, plain or grouped 2-4-4-4; stored dashed, as ABDM
/// shows it. A number that fails the Luhn check is accepted (PROTOCOL.md: a warning, which the
/// shell shows from `AbhaNumber::passes_luhn`).
fn valid_abha_number(n: &str) -> Result<String> {
    Ok(AbhaNumber::parse(n)?.dashed())
}

/// By the lenient reading rule enrolment uses for addresses that already exist.
fn valid_abha_address(a: &str) -> Result<String> {
    Ok(AbhaAddress::parse(a)?.to_string())
}

fn valid_relation(r: &str) -> Result<String> {
    let r = r.trim().to_ascii_lowercase();
    if !RELATIONS.contains(&r.as_str()) {
        return Err(Error::InvalidInput(format!("a relation is one of {}", RELATIONS.join(", "))));
    }
    Ok(r)
}

/// Refuses an ABHA number or address that another profile of this store already holds: one
/// person, one profile.
fn ensure_unique(conn: &Connection, uid: &str, number: Option<&str>, address: Option<&str>) -> Result<()> {
    let holder: Option<String> = conn
        .query_row(
            "SELECT uid FROM profiles WHERE uid != ?1
                 AND ((?2 IS NOT NULL AND abha_number = ?2) OR (?3 IS NOT NULL AND lower(abha_address) = lower(?3)))
             LIMIT 1",
            params![uid, number, address],
            |r| r.get(0),
        )
        .optional()?;
    match holder {
        Some(existing) => Err(Error::Duplicate { existing }),
        None => Ok(()),
    }
}

const COLUMNS: &str =
    "uid, is_owner, relation, name, gender, birth_date, abha_number, abha_address, created_at, updated_at";

fn from_row(r: &Row) -> rusqlite::Result<Profile> {
    Ok(Profile {
        id: r.get(0)?,
        is_owner: r.get(1)?,
        relation: r.get(2)?,
        name: r.get(3)?,
        gender: r.get(4)?,
        birth_date: r.get(5)?,
        abha_number: r.get(6)?,
        abha_address: r.get(7)?,
        created_at_ms: r.get(8)?,
        updated_at_ms: r.get(9)?,
    })
}

fn owner_conflict(e: rusqlite::Error) -> Error {
    match &e {
        rusqlite::Error::SqliteFailure(f, Some(msg))
            if f.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains("is_owner") =>
        {
            Error::InvalidInput("the locker already has an owner".into())
        }
        _ => e.into(),
    }
}

/// The internal row id of a profile.
pub(crate) fn rowid(conn: &Connection, id: &str) -> Result<i64> {
    conn.prepare_cached("SELECT id FROM profiles WHERE uid = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or(Error::NotFound("profile"))
}

pub(crate) fn get(conn: &Connection, id: &str) -> Result<Profile> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM profiles WHERE uid = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or(Error::NotFound("profile"))
}

pub(crate) fn all(conn: &Connection) -> Result<Vec<Profile>> {
    let mut st = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM profiles ORDER BY is_owner DESC, id"))?;
    let rows = st.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Adds a person in `tx` (which also audits it); used by enrolment, which saves a profile in the
/// same transaction as the rest of its last step.
pub(crate) fn insert(tx: &crate::store::Tx<'_>, p: &NewProfile) -> Result<Profile> {
    let relation = valid_relation(&p.relation)?;
    if p.is_owner != (relation == "self") {
        return Err(Error::InvalidInput("the owner, and only the owner, has the relation self".into()));
    }
    let name = valid_name(&p.name)?;
    let birth = crate::time::parse_birth_date(&p.birth_date, tx.now())?;
    let number = p.abha_number.as_deref().map(valid_abha_number).transpose()?;
    let address = p.abha_address.as_deref().map(valid_abha_address).transpose()?;
    let uid = random_uid()?;
    tx.execute(
        &format!("INSERT INTO profiles ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"),
        params![uid, p.is_owner, relation, name, p.gender, birth, number, address, tx.now()],
    )
    .map_err(owner_conflict)?;
    ensure_unique(tx, &uid, number.as_deref(), address.as_deref())?;
    tx.audit("profile.add", Some(&uid), None)?;
    get(tx, &uid)
}

/// Applies `u` to profile `id` in `tx` (which also audits it).
pub(crate) fn update(tx: &crate::store::Tx<'_>, id: &str, u: &ProfileUpdate) -> Result<Profile> {
    let mut p = get(tx, id)?;
    if let Some(n) = &u.name {
        p.name = valid_name(n)?;
    }
    if let Some(g) = u.gender {
        p.gender = g;
    }
    if let Some(b) = &u.birth_date {
        p.birth_date = crate::time::parse_birth_date(b, tx.now())?;
    }
    if let Some(n) = &u.abha_number {
        p.abha_number = n.as_deref().map(valid_abha_number).transpose()?;
    }
    if let Some(a) = &u.abha_address {
        p.abha_address = a.as_deref().map(valid_abha_address).transpose()?;
    }
    if let Some(r) = &u.relation {
        let r = valid_relation(r)?;
        if (r == "self") != p.is_owner {
            return Err(Error::InvalidInput("the owner, and only the owner, has the relation self".into()));
        }
        p.relation = r;
    }
    tx.execute(
        "UPDATE profiles SET relation = ?2, name = ?3, gender = ?4, birth_date = ?5, abha_number = ?6,
             abha_address = ?7, updated_at = ?8 WHERE uid = ?1",
        params![id, p.relation, p.name, p.gender, p.birth_date, p.abha_number, p.abha_address, tx.now()],
    )?;
    ensure_unique(tx, id, p.abha_number.as_deref(), p.abha_address.as_deref())?;
    tx.audit("profile.update", Some(id), None)?;
    get(tx, id)
}

/// The family's profiles: the room [`Locker::profiles`] hands out.
pub struct Profiles<'a>(pub(crate) &'a Locker);

impl Profiles<'_> {
    pub fn add(&self, p: &NewProfile) -> Result<Profile> {
        self.0.write(|tx| insert(tx, p))
    }

    pub fn get(&self, id: &str) -> Result<Profile> {
        self.0.read(|r| get(r.conn(), id))
    }

    /// The owner first, then family members in the order they were added.
    pub fn list(&self) -> Result<Vec<Profile>> {
        self.0.read(|r| all(r.conn()))
    }

    /// The owner, if the locker has one yet.
    pub fn owner(&self) -> Result<Option<Profile>> {
        Ok(self.list()?.into_iter().find(|p| p.is_owner))
    }

    pub fn update(&self, id: &str, u: &ProfileUpdate) -> Result<Profile> {
        self.0.write(|tx| update(tx, id, u))
    }

    /// Removes a profile with all its records and attachments.
    pub fn remove(&self, id: &str) -> Result<()> {
        self.0.with_store(|s| {
            let now = self.0.now_ms();
            let files = s.write(now, |tx| {
                let rowid = rowid(tx, id)?;
                let files = attachments::uids_of(tx, Owner::Profile(rowid))?;
                let records: i64 =
                    tx.query_row("SELECT count(*) FROM records WHERE profile_id = ?1", [rowid], |r| r.get(0))?;
                tx.execute("DELETE FROM profiles WHERE id = ?1", [rowid])?;
                let detail = format!("records={records} attachments={}", files.len());
                tx.audit("profile.remove", Some(id), Some(&detail))?;
                Ok(files)
            })?;
            s.files().remove(&files);
            Ok(())
        })?;
        self.0.scrub_wal()
    }
}
