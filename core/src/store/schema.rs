//! The database schema and its migrations on `PRAGMA user_version`.
//!
//! A new store gets [`FRESH`] in one step; an older one climbs [`UPGRADES`] one version at a
//! time, each step in its own IMMEDIATE transaction, so a crash mid-upgrade leaves the previous
//! version intact. A file from a newer version is refused and left untouched. A test keeps
//! frozen copies of every released schema and proves that each, upgraded, equals [`FRESH`].

use crate::error::{Error, Result};
use rusqlite::{Connection, TransactionBehavior};

/// The schema version this build writes.
pub const CURRENT_VERSION: i64 = 6;

/// Version 2: ABHA enrolment. The backbone's sealing key cached for offline capture, field
/// workers' sessions, and enrolments (each its own row, its personal details in one column so
/// that erasing them is one write).
macro_rules! enrolment_tables {
    () => {
        r#"
CREATE TABLE backbone_keys (
    fingerprint TEXT PRIMARY KEY,
    spki        BLOB NOT NULL,
    fetched_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE worker_sessions (
    id           TEXT PRIMARY KEY,
    worker_id    TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    retention_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE enrolments (
    id               TEXT PRIMARY KEY,
    mode             TEXT NOT NULL CHECK (mode IN ('online', 'assisted')),
    session_id       TEXT REFERENCES worker_sessions(id),
    state            TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    erase_after      INTEGER,
    step             TEXT,
    request_id       TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    outcome          TEXT,
    reason           TEXT,
    consent_language TEXT,
    consent_version  TEXT,
    consent_at       INTEGER,
    personal         BLOB,
    erased_at        INTEGER,
    erase_reason     TEXT
) STRICT;

CREATE INDEX enrolments_by_state ON enrolments (state, created_at);
"#
    };
}

/// Version 4: consent (`consent/`). Requests and artefacts as the device holds them (a decision
/// made here applies at once, before the consent manager hears of it), their status history,
/// each use of an artefact (by reference: record ids, never content), the consent manager's
/// signing keys, the citizen's login tokens for its patient-side calls, settings, which records
/// arrived under which artefact (to erase them when it ends), and the latest time seen.
macro_rules! consent_tables {
    () => {
        r#"
CREATE TABLE consent_requests (
    id         TEXT PRIMARY KEY,
    patient    TEXT NOT NULL,
    hiu        TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    status     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    decision   TEXT CHECK (decision IN ('approve', 'deny')),
    notice     TEXT,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX consent_requests_newest ON consent_requests (created_at DESC);

CREATE TABLE consent_artefacts (
    id             TEXT PRIMARY KEY,
    request_id     TEXT,
    status         TEXT NOT NULL,
    patient        TEXT NOT NULL,
    hiu            TEXT NOT NULL,
    hip            TEXT NOT NULL,
    access_mode    TEXT NOT NULL,
    erase_at       INTEGER NOT NULL,
    detail         TEXT NOT NULL,
    grant_json     TEXT NOT NULL,
    signature      TEXT,
    verification   TEXT NOT NULL CHECK (verification IN ('verified', 'unverified', 'pending')),
    key_id         TEXT,
    revoke_pending INTEGER NOT NULL DEFAULT 0 CHECK (revoke_pending IN (0, 1)),
    erased_at      INTEGER,
    updated_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX consent_artefacts_request ON consent_artefacts (request_id);
CREATE INDEX consent_artefacts_hiu ON consent_artefacts (hiu);

CREATE TABLE consent_history (
    seq     INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    status  TEXT NOT NULL,
    source  TEXT NOT NULL CHECK (source IN ('device', 'backbone')),
    note    TEXT,
    at      INTEGER NOT NULL
) STRICT;
CREATE INDEX consent_history_subject ON consent_history (subject, seq);

CREATE TABLE consent_uses (
    id       INTEGER PRIMARY KEY,
    artefact TEXT NOT NULL,
    hiu      TEXT NOT NULL,
    channel  TEXT NOT NULL,
    records  TEXT NOT NULL,
    at       INTEGER NOT NULL
) STRICT;
CREATE INDEX consent_uses_artefact ON consent_uses (artefact, at);

CREATE TABLE consent_keys (
    kid        TEXT PRIMARY KEY,
    n          BLOB NOT NULL,
    e          BLOB NOT NULL,
    fetched_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE phr_sessions (
    patient    TEXT PRIMARY KEY,
    token      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE consent_settings (
    patient          TEXT PRIMARY KEY,
    hiu              TEXT NOT NULL,
    auto_approve     INTEGER NOT NULL CHECK (auto_approve IN (0, 1)),
    auto_approval_id TEXT,
    updated_at       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE record_consents (
    record_id INTEGER PRIMARY KEY REFERENCES records (id) ON DELETE CASCADE,
    artefact  TEXT NOT NULL
) STRICT;
CREATE INDEX record_consents_artefact ON record_consents (artefact);
"#
    };
}

/// Version 3: the outbox, one queue for every call the backbone must hear (`outbox/`), and the
/// login pause kept per client id across runs (`network.rs`).
macro_rules! outbox_tables {
    () => {
        r#"
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    request_id      TEXT NOT NULL UNIQUE,
    lane            TEXT,
    state           TEXT NOT NULL CHECK (state IN ('waiting', 'wedged')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    reason          TEXT,
    deadline        INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_subject ON outbox (kind, subject);
CREATE INDEX outbox_lane ON outbox (lane, id) WHERE lane IS NOT NULL;

CREATE TABLE login_pauses (
    client TEXT PRIMARY KEY,
    since  INTEGER NOT NULL,
    until  INTEGER NOT NULL,
    reason TEXT NOT NULL
) STRICT, WITHOUT ROWID;
"#
    };
}

/// From version 2: each queued capture's submission, in flight with its REQUEST-ID on the
/// enrolment's row, moves onto the outbox with that same REQUEST-ID (so a submission whose
/// answer was lost is answered, not applied again), its tries and last error; one without an id
/// gets a fresh one of its own (an expression evaluated per row: `randomblob` in a subquery
/// would be evaluated once, and every such row would share one id). Each refused capture
/// becomes a wedged item with its reason, so that the worker can send it again or give it up
/// as with any other. The enrolment rows keep nothing in flight any more (a submitted one never
/// needed its id again).
macro_rules! v3_move_submissions {
    () => {
        r#"
INSERT INTO outbox (kind, subject, request_id, lane, state, attempts, next_attempt_at, last_error, reason,
    created_at, updated_at)
SELECT 'enrolment.submit', id,
       CASE WHEN state = 'queued' AND request_id IS NOT NULL THEN request_id
            ELSE lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
                 || substr(lower(hex(randomblob(2))), 2) || '-a' || substr(lower(hex(randomblob(2))), 2) || '-'
                 || lower(hex(randomblob(6)))
       END,
       NULL, CASE state WHEN 'queued' THEN 'waiting' ELSE 'wedged' END, attempts, 0, last_error,
       CASE state WHEN 'queued' THEN NULL ELSE coalesce(reason, 'the backbone refused it') END,
       created_at, updated_at
FROM enrolments
WHERE mode = 'assisted' AND state IN ('queued', 'rejected') AND erased_at IS NULL
ORDER BY created_at, id;
UPDATE enrolments SET step = NULL, request_id = NULL WHERE mode = 'assisted';
"#
    };
}

/// Version 5: Scan & Share (`share/`). What a counter is told of a profile besides its ABHA
/// details; the patient's shares at counters and the tokens they got; this device's key for
/// signed QR codes and its certificate; the issuers' trust list a counter checks them with; and,
/// on an OPD counter's device, the counter, the patients it registered and the tokens it gave.
macro_rules! share_tables {
    () => {
        r#"
CREATE TABLE share_contacts (
    profile_id   INTEGER PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
    mobile       TEXT,
    address_line TEXT,
    district     TEXT,
    state        TEXT,
    pincode      TEXT,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE shares (
    id           TEXT PRIMARY KEY,
    profile_id   INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    hip_id       TEXT NOT NULL,
    counter_id   TEXT NOT NULL,
    request_id   TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL CHECK (status IN ('waiting', 'sent', 'token', 'failed', 'dropped')),
    token_number TEXT,
    valid_until  INTEGER,
    error_code   TEXT,
    created_at   INTEGER NOT NULL,
    deadline     INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX shares_place ON shares (profile_id, hip_id, counter_id, created_at);

CREATE TABLE qr_device_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    pkcs8       BLOB NOT NULL,
    certificate BLOB,
    not_after   INTEGER,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE qr_trust_list (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    INTEGER NOT NULL,
    body       BLOB NOT NULL,
    fetched_at INTEGER NOT NULL
) STRICT;

CREATE TABLE counter_desk (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    hip_id     TEXT NOT NULL,
    counter_id TEXT NOT NULL,
    opened_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE counter_patients (
    id            TEXT PRIMARY KEY,
    patient_key   TEXT NOT NULL UNIQUE,
    abha_number   TEXT,
    abha_address  TEXT,
    name          TEXT NOT NULL,
    gender        TEXT NOT NULL CHECK (gender IN ('M', 'F', 'O', 'U')),
    birth         TEXT,
    mobile        TEXT,
    source        TEXT NOT NULL CHECK (source IN ('abha-card', 'phr-app', 'signed')),
    verified      INTEGER NOT NULL CHECK (verified IN (0, 1)),
    registered_at INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE counter_tokens (
    hip_id      TEXT NOT NULL,
    counter_id  TEXT NOT NULL,
    day         INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    patient     TEXT NOT NULL REFERENCES counter_patients (id) ON DELETE CASCADE,
    issued_at   INTEGER NOT NULL,
    valid_until INTEGER NOT NULL,
    PRIMARY KEY (hip_id, counter_id, day, number)
) STRICT, WITHOUT ROWID;
CREATE INDEX counter_tokens_patient ON counter_tokens (patient, valid_until);
"#
    };
}

/// Version 6: records from hospitals (`links/`, `exchange/`). Care contexts linked to each
/// citizen and the linkings under way; the citizen's mailbox on the locker's relay and the
/// callbacks already taken from it (by REQUEST-ID: the backbone retries them); the locker's own
/// pulls of its citizen's records (a self-request, then one transfer per artefact, its private
/// key kept only until its push has arrived, its pages as they came); and doctors' requests to
/// the locker as a HIP, with the records the policy let go.
macro_rules! exchange_tables {
    () => {
        r#"
CREATE TABLE care_links (
    patient      TEXT NOT NULL,
    hip_id       TEXT NOT NULL,
    care_context TEXT NOT NULL,
    patient_ref  TEXT NOT NULL,
    hip_name     TEXT,
    display      TEXT,
    linked_here  INTEGER NOT NULL CHECK (linked_here IN (0, 1)),
    linked_at    INTEGER NOT NULL,
    PRIMARY KEY (patient, hip_id, care_context)
) STRICT, WITHOUT ROWID;

CREATE TABLE link_attempts (
    id             TEXT PRIMARY KEY,
    patient        TEXT NOT NULL,
    hip_id         TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    found          TEXT NOT NULL,
    link_ref       TEXT,
    otp_expires_at INTEGER,
    state          TEXT NOT NULL CHECK (state IN ('found', 'otp-sent', 'linked')),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE relay_mailboxes (
    patient       TEXT PRIMARY KEY,
    mailbox_id    TEXT NOT NULL,
    secret        TEXT NOT NULL,
    registered_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE mailbox_seen (
    request_id TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    at         INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE pulls (
    id                 TEXT PRIMARY KEY,
    profile_id         INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    patient            TEXT NOT NULL,
    asked              TEXT NOT NULL,
    consent_request_id TEXT,
    state              TEXT NOT NULL CHECK (state IN ('asking', 'waiting', 'fetching', 'done', 'failed')),
    error_code         TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE pull_transfers (
    id             TEXT PRIMARY KEY,
    pull_id        TEXT NOT NULL REFERENCES pulls (id) ON DELETE CASCADE,
    artefact       TEXT NOT NULL,
    hip_id         TEXT NOT NULL,
    date_from      INTEGER NOT NULL,
    date_to        INTEGER NOT NULL,
    request_id     TEXT NOT NULL UNIQUE,
    transaction_id TEXT,
    private_key    BLOB,
    nonce          BLOB NOT NULL,
    page_count     INTEGER,
    state          TEXT NOT NULL CHECK (state IN ('requested', 'receiving', 'received', 'notified', 'failed')),
    error_code     TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (pull_id, artefact)
) STRICT, WITHOUT ROWID;

CREATE TABLE pull_pages (
    transfer_id       TEXT NOT NULL REFERENCES pull_transfers (id) ON DELETE CASCADE,
    page_number       INTEGER NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('imported', 'failed')),
    entries           INTEGER NOT NULL,
    imported          INTEGER NOT NULL,
    already_held      INTEGER NOT NULL,
    checksum_warnings INTEGER NOT NULL,
    kept              BLOB,
    error_code        TEXT,
    received_at       INTEGER NOT NULL,
    PRIMARY KEY (transfer_id, page_number)
) STRICT, WITHOUT ROWID;

CREATE TABLE pull_contexts (
    transfer_id  TEXT NOT NULL REFERENCES pull_transfers (id) ON DELETE CASCADE,
    care_context TEXT NOT NULL,
    ok           INTEGER NOT NULL CHECK (ok IN (0, 1)),
    note         TEXT,
    PRIMARY KEY (transfer_id, care_context)
) STRICT, WITHOUT ROWID;

CREATE TABLE hip_requests (
    transaction_id TEXT PRIMARY KEY,
    request_id     TEXT NOT NULL,
    consent_id     TEXT NOT NULL,
    hiu            TEXT,
    date_from      INTEGER,
    date_to        INTEGER,
    push_url       TEXT NOT NULL,
    key_material   TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('received', 'pushing', 'refused', 'notified')),
    records        TEXT,
    pages_sent     INTEGER NOT NULL DEFAULT 0,
    refusal        TEXT,
    received_at    INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
"#
    };
}

/// The whole current schema, for a new store.
pub(crate) const FRESH: &str = concat!(
    r#"
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE profiles (
    id           INTEGER PRIMARY KEY,
    uid          TEXT NOT NULL UNIQUE,
    is_owner     INTEGER NOT NULL CHECK (is_owner IN (0, 1)),
    relation     TEXT NOT NULL,
    name         TEXT NOT NULL,
    gender       TEXT NOT NULL CHECK (gender IN ('M', 'F', 'O', 'U')),
    birth_date   TEXT NOT NULL,
    abha_number  TEXT,
    abha_address TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX profiles_single_owner ON profiles (is_owner) WHERE is_owner = 1;

-- What lists and filters read: small rows, so a page of 50 touches few pages.
CREATE TABLE records (
    id                  INTEGER PRIMARY KEY,
    uid                 TEXT NOT NULL UNIQUE,
    profile_id          INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    hi_type             TEXT NOT NULL,
    record_ts           INTEGER NOT NULL,
    record_date         TEXT,
    title               TEXT NOT NULL,
    facility            TEXT,
    author              TEXT,
    care_context        TEXT,
    spliced_attachments INTEGER NOT NULL,
    bundle_identifier   TEXT UNIQUE,
    content_sha256      BLOB NOT NULL UNIQUE,
    imported_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX records_newest ON records (record_ts DESC, id DESC);
CREATE INDEX records_profile_newest ON records (profile_id, record_ts DESC, id DESC);

-- The bundle as imported, less any large inline data (which lives in attachment files),
-- compressed behind a one-byte tag (store/body.rs).
CREATE TABLE record_bodies (
    record_id INTEGER PRIMARY KEY REFERENCES records (id) ON DELETE CASCADE,
    skeleton  BLOB NOT NULL
) STRICT;

CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    uid           TEXT NOT NULL UNIQUE,
    profile_id    INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    record_id     INTEGER REFERENCES records (id) ON DELETE CASCADE,
    splice_offset INTEGER,
    encoding      TEXT NOT NULL CHECK (encoding IN ('binary', 'base64', 'json-string')),
    media_type    TEXT NOT NULL,
    salt          BLOB NOT NULL,
    plain_len     INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX attachments_record ON attachments (record_id, splice_offset);
CREATE INDEX attachments_profile ON attachments (profile_id);

-- Contentless: the index keeps no copy of the text; secure-delete removes a deleted record's
-- terms from the index at once instead of leaving them until the next merge.
CREATE VIRTUAL TABLE records_fts USING fts5 (
    title, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO records_fts (records_fts, rank) VALUES ('secure-delete', 1);
CREATE TRIGGER records_fts_forget AFTER DELETE ON records BEGIN
    DELETE FROM records_fts WHERE rowid = old.id;
END;

CREATE TABLE audit_log (
    seq     INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT,
    detail  TEXT,
    prev    BLOB NOT NULL,
    hash    BLOB NOT NULL
) STRICT;
"#,
    enrolment_tables!(),
    outbox_tables!(),
    consent_tables!(),
    share_tables!(),
    exchange_tables!()
);

/// One upgrade: from `to - 1` to `to`.
pub(crate) struct Upgrade {
    pub to: i64,
    pub sql: &'static str,
}

/// Every upgrade, in order.
pub(crate) const UPGRADES: &[Upgrade] = &[
    Upgrade { to: 2, sql: enrolment_tables!() },
    Upgrade { to: 3, sql: concat!(outbox_tables!(), v3_move_submissions!()) },
    Upgrade { to: 4, sql: consent_tables!() },
    Upgrade { to: 5, sql: share_tables!() },
    Upgrade { to: 6, sql: exchange_tables!() },
];

pub(crate) fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Creates the current schema in an empty database.
pub(crate) fn create(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(FRESH)?;
    tx.pragma_update(None, "user_version", CURRENT_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Refuses a newer file before anything is written to it.
pub(crate) fn ensure_readable(found: i64, current: i64) -> Result<()> {
    if found > current {
        return Err(Error::IncompatibleVersion { found, supported: current });
    }
    if found < 1 {
        return Err(Error::Corrupt("the database has no schema version".into()));
    }
    Ok(())
}

/// Brings a database from its version up to `current` with `steps`.
pub(crate) fn upgrade(conn: &mut Connection, steps: &[Upgrade], current: i64) -> Result<()> {
    let mut version = user_version(conn)?;
    ensure_readable(version, current)?;
    while version < current {
        let step = steps
            .iter()
            .find(|s| s.to == version + 1)
            .ok_or_else(|| Error::Corrupt(format!("no upgrade from schema version {version}")))?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(step.sql)?;
        tx.pragma_update(None, "user_version", step.to)?;
        tx.commit()?;
        version = step.to;
    }
    Ok(())
}

/// The schema as SQLite records it, in a stable order, for comparing two databases.
#[cfg(test)]
pub(crate) fn describe(conn: &Connection) -> Vec<String> {
    let mut st =
        conn.prepare("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name").unwrap();
    let mut out: Vec<String> = st
        .query_map([], |r| {
            Ok(format!(
                "{}|{}|{}|{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?
            ))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    // FTS5 options live in its config table, not in sqlite_master.
    let mut cfg = conn.prepare("SELECT k, v FROM records_fts_config ORDER BY k").unwrap();
    out.extend(
        cfg.query_map([], |r| {
            Ok(format!("fts-config|{}|{:?}", r.get::<_, String>(0)?, r.get::<_, rusqlite::types::Value>(1)?))
        })
        .unwrap()
        .map(|r| r.unwrap()),
    );
    out.push(format!("user_version|{}", user_version(conn).unwrap()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        create(&mut c).unwrap();
        c
    }

    /// Every schema ever released, frozen as it shipped. Add the new file when CURRENT_VERSION
    /// moves on; never edit an old one.
    const RELEASED: &[(i64, &str)] = &[
        (1, include_str!("../../tests/schemas/v1.sql")),
        (2, include_str!("../../tests/schemas/v2.sql")),
        (3, include_str!("../../tests/schemas/v3.sql")),
        (4, include_str!("../../tests/schemas/v4.sql")),
        (5, include_str!("../../tests/schemas/v5.sql")),
        (6, include_str!("../../tests/schemas/v6.sql")),
    ];

    #[test]
    fn every_released_schema_upgrades_to_exactly_the_fresh_one() {
        assert_eq!(RELEASED.last().unwrap().0, CURRENT_VERSION, "freeze the current schema in tests/schemas/");
        for (version, sql) in RELEASED {
            let mut old = Connection::open_in_memory().unwrap();
            old.execute_batch(sql).unwrap();
            old.pragma_update(None, "user_version", version).unwrap();
            upgrade(&mut old, UPGRADES, CURRENT_VERSION).unwrap();
            assert_eq!(describe(&old), describe(&fresh()), "schema v{version} upgraded differs from fresh");
        }
    }

    #[test]
    fn v2_submissions_move_onto_the_outbox_each_with_a_request_id_of_its_own() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch(RELEASED[1].1).unwrap();
        c.pragma_update(None, "user_version", 2).unwrap();
        let enrol = |id: &str, state: &str, request_id: Option<&str>, reason: Option<&str>| {
            c.execute(
                "INSERT INTO enrolments (id, mode, state, created_at, updated_at, request_id, reason)
                 VALUES (?1, 'assisted', ?2, 1, 1, ?3, ?4)",
                rusqlite::params![id, state, request_id, reason],
            )
            .unwrap();
        };
        enrol("kept", "queued", Some("1b4e28ba-2fa1-41d2-a883-0c37f4a5b0e3"), None);
        enrol("fresh-1", "queued", None, None);
        enrol("fresh-2", "queued", None, None);
        enrol("refused", "rejected", Some("9a4e28ba-2fa1-41d2-a883-0c37f4a5b0e3"), Some("check the name"));
        enrol("done", "submitted", Some("7a4e28ba-2fa1-41d2-a883-0c37f4a5b0e3"), None);
        upgrade(&mut c, UPGRADES, CURRENT_VERSION).unwrap();
        let items: Vec<(String, String, String, Option<String>)> = c
            .prepare("SELECT subject, request_id, state, reason FROM outbox ORDER BY subject")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let subjects: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
        assert_eq!(subjects, ["fresh-1", "fresh-2", "kept", "refused"], "the submitted one is not sent again");
        assert_eq!(items[2].1, "1b4e28ba-2fa1-41d2-a883-0c37f4a5b0e3", "an id in flight is kept");
        assert_ne!(items[0].1, items[1].1, "each fresh id is its own");
        for (_, id, _, _) in &items {
            assert!(uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 4), "{id}");
        }
        assert_eq!((items[3].2.as_str(), items[3].3.as_deref()), ("wedged", Some("check the name")));
        assert_ne!(
            items[3].1, "9a4e28ba-2fa1-41d2-a883-0c37f4a5b0e3",
            "a refused request is not the one to send again"
        );
    }

    #[test]
    fn a_failed_upgrade_step_leaves_the_previous_version_whole() {
        let mut c = fresh();
        let before = describe(&c);
        let v = CURRENT_VERSION;
        let steps = [
            Upgrade { to: v + 1, sql: "CREATE TABLE added_in_two (x INTEGER);" },
            Upgrade { to: v + 2, sql: "CREATE TABLE added_in_three (x INTEGER); SELECT no_such_function();" },
        ];
        assert!(upgrade(&mut c, &steps, v + 2).is_err());
        assert_eq!(user_version(&c).unwrap(), v + 1, "the first step committed on its own");
        let tables: i64 =
            c.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'added_in_three'", [], |r| r.get(0)).unwrap();
        assert_eq!(tables, 0, "step three rolled back whole");
        assert_ne!(describe(&c), before);
    }

    #[test]
    fn a_newer_file_is_refused_and_a_gap_in_the_ladder_is_reported() {
        let mut c = fresh();
        c.pragma_update(None, "user_version", CURRENT_VERSION + 1).unwrap();
        assert!(matches!(
            upgrade(&mut c, UPGRADES, CURRENT_VERSION),
            Err(Error::IncompatibleVersion { found, supported }) if found == CURRENT_VERSION + 1 && supported == CURRENT_VERSION
        ));
        let mut c = fresh();
        let steps = [Upgrade { to: CURRENT_VERSION + 2, sql: "SELECT 1;" }];
        assert!(matches!(upgrade(&mut c, &steps, CURRENT_VERSION + 2), Err(Error::Corrupt(_))));
    }
}
