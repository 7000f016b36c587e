//! Counter mode: the device at a hospital's OPD counter, working with or without a network. It
//! shows its own counter code, scans a patient's code (the ABHA card's, the PHR app's, or a
//! locker's signed code), registers the patient and gives a token by the rules every counter
//! keeps (`tokens.rs`), all in one local transaction. What the backbone must hear of a newly
//! registered patient (the facility's link-token request) waits in the outbox.
//!
//! An ABHA card's code is unsigned: a patient registered from one is marked unverified. A signed
//! code checked against the issuers' trust list marks them verified.

use super::abha_card::{AbhaQr, AbhaQrLayout};
use super::facility_qr::FacilityQr;
use super::signed::{PREFIX, QrClaims};
use super::tokens::{TOKEN_VALIDITY_MS, ist_day, token_text};
use crate::Locker;
use crate::crypto::random_uid;
use crate::error::{Error, Result};
use crate::outbox::{ItemKind, OutboxItem, queue};
use crate::profiles::Gender;
use crate::store::Tx;
use crate::sync::Backbone;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::json;

crate::consent::codes! {
    /// Which code a patient showed.
    PatientSource {
        AbhaCard = "abha-card",
        PhrApp = "phr-app",
        /// A locker's signed code, checked with no network.
        Signed = "signed",
    }
}

/// The counter this device is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterDesk {
    pub hip_id: String,
    pub counter_id: String,
    pub opened_at_ms: i64,
}

/// A patient as a counter registered them. `Debug` shows ids and flags only.
#[derive(Clone, PartialEq, Eq)]
pub struct CounterPatient {
    pub id: String,
    /// Dashed.
    pub abha_number: Option<String>,
    pub abha_address: Option<String>,
    pub name: String,
    pub gender: Gender,
    /// `YYYY-MM-DD` or `YYYY`, when the code gave one.
    pub birth: Option<String>,
    pub mobile: Option<String>,
    pub source: PatientSource,
    /// Whether what the counter holds came from a signed code that verified.
    pub verified: bool,
}

impl std::fmt::Debug for CounterPatient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CounterPatient")
            .field("id", &self.id)
            .field("source", &self.source)
            .field("verified", &self.verified)
            .finish_non_exhaustive()
    }
}

/// A token a counter gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterToken {
    /// As printed (`"0007"`).
    pub number: String,
    /// The day in India it counts within (days since 1970-01-01).
    pub day: i64,
    pub patient_id: String,
    pub issued_at_ms: i64,
    pub valid_until_ms: i64,
}

/// What a scan at the counter did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterVisit {
    pub patient: CounterPatient,
    pub token: CounterToken,
    /// False when the patient already held a token that still holds (a rescan): the same one.
    pub new_token: bool,
    /// True the first time this counter device saw the patient.
    pub new_patient: bool,
}

/// A patient's details read from a code, before registration.
pub(crate) struct Arrival {
    pub abha_number: Option<String>,
    pub abha_address: Option<String>,
    pub name: String,
    pub gender: Gender,
    pub birth: Option<String>,
    pub mobile: Option<String>,
    pub source: PatientSource,
    pub verified: bool,
}

impl Arrival {
    fn from_signed(c: QrClaims) -> Arrival {
        let (y, m, d) = (c.birth / 10_000, c.birth / 100 % 100, c.birth % 100);
        let birth = match (m, d) {
            (0, _) => format!("{y:04}"),
            (m, 0) => format!("{y:04}-{m:02}"),
            (m, d) => format!("{y:04}-{m:02}-{d:02}"),
        };
        Arrival {
            abha_number: c.abha_number.map(|n| n.dashed()),
            abha_address: c.abha_address,
            name: c.name,
            gender: c.gender,
            birth: Some(birth),
            mobile: c.mobile.map(|m| m.to_string()),
            source: PatientSource::Signed,
            verified: true,
        }
    }

    fn from_abha(q: AbhaQr) -> Result<Arrival> {
        let name = q
            .name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| Error::InvalidInput("the code carries no name: register this patient by hand".into()))?;
        Ok(Arrival {
            abha_number: q.abha_number,
            abha_address: Some(q.abha_address.to_ascii_lowercase()),
            name,
            gender: q.gender,
            birth: q.birth_date,
            mobile: q.mobile,
            source: match q.layout {
                AbhaQrLayout::Card => PatientSource::AbhaCard,
                AbhaQrLayout::PhrApp => PatientSource::PhrApp,
            },
            verified: false,
        })
    }

    /// One person, one row: their ABHA address, else their number.
    fn key(&self) -> Result<String> {
        self.abha_address
            .clone()
            .or_else(|| self.abha_number.as_ref().map(|n| n.replace('-', "")))
            .ok_or(Error::Qr(super::QrProblem::MissingAbha))
    }
}

const PATIENT_COLUMNS: &str = "id, abha_number, abha_address, name, gender, birth, mobile, source, verified";

fn patient_row(r: &Row) -> rusqlite::Result<CounterPatient> {
    Ok(CounterPatient {
        id: r.get(0)?,
        abha_number: r.get(1)?,
        abha_address: r.get(2)?,
        name: r.get(3)?,
        gender: r.get(4)?,
        birth: r.get(5)?,
        mobile: r.get(6)?,
        source: r.get(7)?,
        verified: r.get(8)?,
    })
}

fn token_row(r: &Row) -> rusqlite::Result<CounterToken> {
    Ok(CounterToken {
        number: token_text(r.get(0)?),
        day: r.get(1)?,
        patient_id: r.get(2)?,
        issued_at_ms: r.get(3)?,
        valid_until_ms: r.get(4)?,
    })
}

pub(crate) fn desk(conn: &Connection) -> Result<Option<CounterDesk>> {
    Ok(conn
        .query_row("SELECT hip_id, counter_id, opened_at FROM counter_desk WHERE id = 1", [], |r| {
            Ok(CounterDesk { hip_id: r.get(0)?, counter_id: r.get(1)?, opened_at_ms: r.get(2)? })
        })
        .optional()?)
}

fn patient(conn: &Connection, id: &str) -> Result<CounterPatient> {
    conn.prepare_cached(&format!("SELECT {PATIENT_COLUMNS} FROM counter_patients WHERE id = ?1"))?
        .query_row([id], patient_row)
        .optional()?
        .ok_or(Error::NotFound("counter patient"))
}

/// Registers `a` (or updates them: a verified code's details replace an unverified one's, never
/// the other way round) and gives their token, in `tx`.
pub(crate) fn register(tx: &Tx<'_>, a: &Arrival) -> Result<CounterVisit> {
    let desk = desk(tx)?.ok_or(Error::WrongStep { state: "counter-closed".into() })?;
    let key = a.key()?;
    let now = tx.now();
    let known: Option<(String, bool)> = tx
        .prepare_cached("SELECT id, verified FROM counter_patients WHERE patient_key = ?1")?
        .query_row([&key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let new_patient = known.is_none();
    let id = match known {
        Some((id, was_verified)) => {
            if a.verified || !was_verified {
                tx.execute(
                    "UPDATE counter_patients SET abha_number = ?2, abha_address = ?3, name = ?4, gender = ?5, birth = ?6,
                         mobile = ?7, source = ?8, verified = ?9, updated_at = ?10 WHERE id = ?1",
                    params![
                        id, a.abha_number, a.abha_address, a.name, a.gender, a.birth, a.mobile, a.source, a.verified, now
                    ],
                )?;
            }
            id
        }
        None => {
            let id = random_uid()?;
            tx.execute(
                "INSERT INTO counter_patients (id, patient_key, abha_number, abha_address, name, gender, birth, mobile,
                     source, verified, registered_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
                params![
                    id,
                    key,
                    a.abha_number,
                    a.abha_address,
                    a.name,
                    a.gender,
                    a.birth,
                    a.mobile,
                    a.source,
                    a.verified,
                    now
                ],
            )?;
            queue::enqueue(tx, ItemKind::CounterLinkToken, &id, None, None)?;
            id
        }
    };
    let day = ist_day(now);
    let held = tx
        .prepare_cached(
            "SELECT number, day, patient, issued_at, valid_until FROM counter_tokens
             WHERE hip_id = ?1 AND counter_id = ?2 AND day = ?3 AND patient = ?4 AND valid_until > ?5
             ORDER BY number DESC LIMIT 1",
        )?
        .query_row(params![desk.hip_id, desk.counter_id, day, id, now], token_row)
        .optional()?;
    let (token, new_token) = match held {
        Some(t) => (t, false),
        None => {
            let number: u32 = tx
                .prepare_cached(
                    "SELECT coalesce(max(number), 0) + 1 FROM counter_tokens WHERE hip_id = ?1 AND counter_id = ?2 AND day = ?3",
                )?
                .query_row(params![desk.hip_id, desk.counter_id, day], |r| r.get(0))?;
            let until = now + TOKEN_VALIDITY_MS;
            tx.prepare_cached(
                "INSERT INTO counter_tokens (hip_id, counter_id, day, number, patient, issued_at, valid_until)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![desk.hip_id, desk.counter_id, day, number, id, now, until])?;
            let t = CounterToken {
                number: token_text(number),
                day,
                patient_id: id.clone(),
                issued_at_ms: now,
                valid_until_ms: until,
            };
            (t, true)
        }
    };
    let detail = format!("token={} source={} verified={}", token.number, a.source.code(), u8::from(a.verified));
    tx.audit("counter.token", Some(&id), Some(&detail))?;
    Ok(CounterVisit { patient: patient(tx, &id)?, token, new_token, new_patient })
}

/// The OPD counter this device is: the room [`Locker::counter`] hands out.
pub struct Counter<'a>(pub(crate) &'a Locker);

impl Counter<'_> {
    /// Makes this device the counter `counter_id` of facility `hip_id` (again, if it was
    /// another: its patients and tokens stay).
    pub fn open(&self, hip_id: &str, counter_id: &str) -> Result<CounterDesk> {
        let named = FacilityQr::new(hip_id, counter_id)?;
        self.0.write(|tx| {
            tx.execute(
                "INSERT INTO counter_desk (id, hip_id, counter_id, opened_at) VALUES (1, ?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET hip_id = excluded.hip_id, counter_id = excluded.counter_id,
                     opened_at = excluded.opened_at",
                params![named.hip_id, named.counter_id, tx.now()],
            )?;
            tx.audit("counter.open", None, Some(&format!("hip={} counter={}", named.hip_id, named.counter_id)))?;
            desk(tx)?.ok_or(Error::NotFound("counter"))
        })
    }

    /// The counter this device is, once opened.
    pub fn desk(&self) -> Result<Option<CounterDesk>> {
        self.0.read(|r| desk(r.conn()))
    }

    /// The link this counter's own code shows, on the PHR host `phr_url`.
    pub fn link(&self, phr_url: &str) -> Result<String> {
        let d = self.desk()?.ok_or(Error::WrongStep { state: "counter-closed".into() })?;
        Ok(FacilityQr::new(&d.hip_id, &d.counter_id)?.link(phr_url))
    }

    /// Registers the patient whose code was scanned and gives their token, with no network: a
    /// locker's signed code (`HL1:…`), checked against the trust list kept, or else an ABHA
    /// code (card or PHR app), unsigned. `cm_id` completes a number-only ABHA code's address.
    pub fn scan(&self, scanned: &str, cm_id: &str) -> Result<CounterVisit> {
        let text = scanned.trim();
        if !text.starts_with(PREFIX) {
            return self.scan_abha(text, cm_id);
        }
        let verified = self.verify_signed(text)?;
        let arrival = Arrival::from_signed(verified.claims);
        self.0.write(|tx| register(tx, &arrival))
    }

    /// Registers the patient whose ABHA code (card or PHR app) was scanned and gives their
    /// token, with no network. `cm_id` completes a number-only code's default address.
    pub fn scan_abha(&self, scanned: &str, cm_id: &str) -> Result<CounterVisit> {
        let arrival = Arrival::from_abha(AbhaQr::parse(scanned, cm_id)?)?;
        self.0.write(|tx| register(tx, &arrival))
    }

    /// Tokens given on the day `day` (days since 1970-01-01 in India; today when `None`), in
    /// order.
    pub fn tokens(&self, day: Option<i64>) -> Result<Vec<CounterToken>> {
        let day = day.unwrap_or_else(|| ist_day(self.0.now_ms()));
        self.0.read(|r| {
            let mut st = r.conn().prepare_cached(
                "SELECT t.number, t.day, t.patient, t.issued_at, t.valid_until FROM counter_tokens t
                 JOIN counter_desk d ON d.hip_id = t.hip_id AND d.counter_id = t.counter_id
                 WHERE t.day = ?1 ORDER BY t.number",
            )?;
            let rows = st.query_map([day], token_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// A registered patient.
    pub fn patient(&self, id: &str) -> Result<CounterPatient> {
        self.0.read(|r| patient(r.conn(), id))
    }
}

/// Sends the facility's link-token request for the patient `item.subject`.
pub(crate) async fn deliver(locker: &Locker, backbone: &Backbone, item: &OutboxItem) -> Result<()> {
    let (desk, p) = locker.read(|r| {
        Ok((
            desk(r.conn())?.ok_or(Error::WrongStep { state: "counter-closed".into() })?,
            patient(r.conn(), &item.subject)?,
        ))
    })?;
    let year = p.birth.as_deref().and_then(|b| b.get(..4)).and_then(|y| y.parse::<u32>().ok());
    let body = json!({
        "abhaNumber": p.abha_number.as_deref().map(|n| n.replace('-', "")),
        "abhaAddress": p.abha_address,
        "name": p.name,
        "gender": p.gender.code(),
        "yearOfBirth": year,
    });
    backbone.generate_link_token(&item.request_id, &desk.hip_id, body).await?;
    locker.write(|tx| {
        if !queue::still_current(tx, item)? {
            return Ok(());
        }
        queue::complete(tx, item.id)?;
        tx.audit("counter.link-token", Some(&item.subject), None)
    })
}
