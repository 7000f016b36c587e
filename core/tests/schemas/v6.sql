-- Schema version 6 as released. Frozen: never edit; add v7.sql beside it.
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

-- The bundle as imported, less any large inline data (which lives in attachment files).
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
