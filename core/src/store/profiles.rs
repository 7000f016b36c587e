//! The people whose records the locker holds: the owner and their family. Removing a profile
//! removes everything of theirs, securely: rows are zeroed (`secure_delete`), search terms
//! leave the index at once, the write-ahead log is truncated, and attachment files become
//! undecryptable because their per-file salts were in the rows.

use super::{Store, audit, now_ms};
use crate::crypto::random_uid;
use crate::error::{Error, Result};
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};

/// Gender as ABDM records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
    Other,
    Unknown,
}

impl Gender {
    /// ABDM's one-letter code.
    pub fn code(self) -> &'static str {
        match self {
            Gender::Male => "M",
            Gender::Female => "F",
            Gender::Other => "O",
            Gender::Unknown => "U",
        }
    }

    /// `M`/`F`/`O` or the words, any case; anything else is `Unknown`, as ABDM reads it.
    pub fn parse(s: &str) -> Gender {
        match s.trim().to_ascii_lowercase().as_str() {
            "m" | "male" => Gender::Male,
            "f" | "female" => Gender::Female,
            "o" | "other" | "t" | "transgender" => Gender::Other,
            _ => Gender::Unknown,
        }
    }
}

// Stored (inside sealed enrolment details) as ABDM's letter, so the JSON reads as it always did.
impl serde::Serialize for Gender {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Gender {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Gender::parse(&String::deserialize(d)?))
    }
}

/// A person to add.
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// Changes to a profile; `None` leaves a field as it is, `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    pub gender: Option<Gender>,
    pub birth_date: Option<String>,
    pub abha_number: Option<Option<String>>,
    pub abha_address: Option<Option<String>>,
    pub relation: Option<String>,
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

fn valid_birth_date(d: &str) -> Result<String> {
    crate::time::parse_birth_date(d, now_ms())
}

/// By the parser enrolment uses: 14 digits, plain or grouped 2-4-4-4; stored dashed, as ABDM
/// shows it. A number that fails the Luhn check is accepted (PROTOCOL.md: a warning, which the
/// shell shows from `AbhaNumber::passes_luhn`).
fn valid_abha_number(n: &str) -> Result<String> {
    Ok(crate::abha::AbhaNumber::parse(n)?.dashed())
}

/// By the lenient reading rule enrolment uses for addresses that already exist.
fn valid_abha_address(a: &str) -> Result<String> {
    Ok(crate::abha::AbhaAddress::parse(a)?.to_string())
}

/// Refuses an ABHA number or address that another profile of this store already holds: one
/// person, one profile.
fn ensure_unique(conn: &rusqlite::Connection, uid: &str, number: Option<&str>, address: Option<&str>) -> Result<()> {
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

fn valid_relation(r: &str) -> Result<String> {
    let r = r.trim().to_ascii_lowercase();
    if !RELATIONS.contains(&r.as_str()) {
        return Err(Error::InvalidInput(format!("a relation is one of {}", RELATIONS.join(", "))));
    }
    Ok(r)
}

const COLUMNS: &str =
    "uid, is_owner, relation, name, gender, birth_date, abha_number, abha_address, created_at, updated_at";

fn from_row(r: &Row) -> rusqlite::Result<Profile> {
    Ok(Profile {
        id: r.get(0)?,
        is_owner: r.get(1)?,
        relation: r.get(2)?,
        name: r.get(3)?,
        gender: Gender::parse(&r.get::<_, String>(4)?),
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

impl Store {
    /// The internal row id of a profile.
    pub(crate) fn profile_rowid(&self, id: &str) -> Result<i64> {
        self.conn()
            .query_row("SELECT id FROM profiles WHERE uid = ?1", [id], |r| r.get(0))
            .optional()?
            .ok_or(Error::NotFound("profile"))
    }

    pub fn add_profile(&mut self, p: &NewProfile) -> Result<Profile> {
        let relation = valid_relation(&p.relation)?;
        if p.is_owner != (relation == "self") {
            return Err(Error::InvalidInput("the owner, and only the owner, has the relation self".into()));
        }
        let name = valid_name(&p.name)?;
        let birth = valid_birth_date(&p.birth_date)?;
        let number = p.abha_number.as_deref().map(valid_abha_number).transpose()?;
        let address = p.abha_address.as_deref().map(valid_abha_address).transpose()?;
        let uid = random_uid()?;
        let now = now_ms();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            &format!("INSERT INTO profiles ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"),
            params![uid, p.is_owner, relation, name, p.gender.code(), birth, number, address, now],
        )
        .map_err(owner_conflict)?;
        ensure_unique(&tx, &uid, number.as_deref(), address.as_deref())?;
        audit::append(&tx, "profile.add", Some(&uid), None)?;
        tx.commit()?;
        self.profile(&uid)
    }

    pub fn profile(&self, id: &str) -> Result<Profile> {
        self.conn()
            .query_row(&format!("SELECT {COLUMNS} FROM profiles WHERE uid = ?1"), [id], from_row)
            .optional()?
            .ok_or(Error::NotFound("profile"))
    }

    /// The owner first, then family members in the order they were added.
    pub fn profiles(&self) -> Result<Vec<Profile>> {
        let mut st = self.conn().prepare(&format!("SELECT {COLUMNS} FROM profiles ORDER BY is_owner DESC, id"))?;
        let rows = st.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn update_profile(&mut self, id: &str, u: &ProfileUpdate) -> Result<Profile> {
        let mut p = self.profile(id)?;
        if let Some(n) = &u.name {
            p.name = valid_name(n)?;
        }
        if let Some(g) = u.gender {
            p.gender = g;
        }
        if let Some(b) = &u.birth_date {
            p.birth_date = valid_birth_date(b)?;
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
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE profiles SET relation = ?2, name = ?3, gender = ?4, birth_date = ?5, abha_number = ?6,
                 abha_address = ?7, updated_at = ?8 WHERE uid = ?1",
            params![id, p.relation, p.name, p.gender.code(), p.birth_date, p.abha_number, p.abha_address, now_ms()],
        )?;
        ensure_unique(&tx, id, p.abha_number.as_deref(), p.abha_address.as_deref())?;
        audit::append(&tx, "profile.update", Some(id), None)?;
        tx.commit()?;
        self.profile(id)
    }

    /// Removes a profile with all its records and attachments.
    pub fn remove_profile(&mut self, id: &str) -> Result<()> {
        let rowid = self.profile_rowid(id)?;
        let files = self.attachment_uids_where("profile_id = ?1", rowid)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let records: i64 = tx.query_row("SELECT count(*) FROM records WHERE profile_id = ?1", [rowid], |r| r.get(0))?;
        tx.execute("DELETE FROM profiles WHERE id = ?1", [rowid])?;
        let detail = format!("records={records} attachments={}", files.len());
        audit::append(&tx, "profile.remove", Some(id), Some(&detail))?;
        tx.commit()?;
        self.files.remove(&files);
        self.scrub_wal()
    }

    /// Overwrites the write-ahead log's copies of pages that held deleted data.
    pub(crate) fn scrub_wal(&self) -> Result<()> {
        self.conn().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Gender;

    #[test]
    fn gender_is_stored_as_abdms_letter_and_details_stored_before_the_enum_still_read() {
        assert_eq!(serde_json::to_string(&Gender::Female).unwrap(), "\"F\"");
        for (stored, g) in
            [("\"M\"", Gender::Male), ("\"f\"", Gender::Female), ("\"O\"", Gender::Other), ("\"x\"", Gender::Unknown)]
        {
            assert_eq!(serde_json::from_str::<Gender>(stored).unwrap(), g);
        }
    }
}
