-- The first schema. Names follow the system this tool replaces.
-- Timestamps are UTC RFC 3339 text, e.g. 2026-11-24T00:30:00Z.

CREATE TABLE imports (
    id              INTEGER PRIMARY KEY,
    file_name       TEXT NOT NULL,
    file_path       TEXT,
    sha256          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('completed', 'failed', 'skipped')),
    total_rows      INTEGER NOT NULL DEFAULT 0,
    processed_rows  INTEGER NOT NULL DEFAULT 0,
    successful_rows INTEGER NOT NULL DEFAULT 0,
    duplicate_rows  INTEGER NOT NULL DEFAULT 0,
    failed_rows     INTEGER NOT NULL DEFAULT 0,
    user_id         TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    error           TEXT
);
CREATE INDEX imports_sha256 ON imports (sha256);

CREATE TABLE appointments (
    id               INTEGER PRIMARY KEY,
    appointment_id   TEXT NOT NULL,
    patient_id       TEXT NOT NULL,
    phone_number     TEXT NOT NULL,
    phone_preference INTEGER NOT NULL,
    text_preference  INTEGER NOT NULL,
    appt_date_time   TEXT NOT NULL,
    appointment_msg  TEXT NOT NULL DEFAULT '',
    language         TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fr')),
    channel          TEXT NOT NULL CHECK (channel IN ('sms', 'call', 'none')),
    status           TEXT NOT NULL DEFAULT 'pending',
    attempt_count    INTEGER NOT NULL DEFAULT 0,
    last_attempt_at  TEXT,
    success_at       TEXT,
    import_id        INTEGER NOT NULL REFERENCES imports (id),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT,
    UNIQUE (appointment_id, patient_id, appt_date_time)
);
CREATE INDEX appointments_status_time ON appointments (status, appt_date_time);
CREATE INDEX appointments_time ON appointments (appt_date_time);
CREATE INDEX appointments_phone ON appointments (phone_number);
CREATE INDEX appointments_import ON appointments (import_id);

CREATE TABLE appointment_logs (
    id              INTEGER PRIMARY KEY,
    appointment_id  INTEGER NOT NULL REFERENCES appointments (id),
    attempt         INTEGER NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('sms', 'call')),
    sid             TEXT UNIQUE,
    "to"            TEXT NOT NULL,
    "from"          TEXT NOT NULL,
    -- Twilio's own word once Twilio has answered; before that 'dispatching' (the request may
    -- or may not have reached Twilio) and, if it never did, 'not-sent'.
    status          TEXT NOT NULL,
    duration        INTEGER,
    start_time      TEXT,
    end_time        TEXT,
    answered_by     TEXT,
    error_code      INTEGER,
    error_message   TEXT,
    sequence_number INTEGER,
    run_id          INTEGER REFERENCES runs (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);
CREATE INDEX appointment_logs_appointment ON appointment_logs (appointment_id, attempt);
CREATE INDEX appointment_logs_status ON appointment_logs (status);

CREATE TABLE webhook_events (
    id          INTEGER PRIMARY KEY,
    sid         TEXT,
    kind        TEXT NOT NULL,
    -- What makes a repeat a repeat: (CallSid, SequenceNumber) or (MessageSid, MessageStatus).
    dedupe_key  TEXT UNIQUE,
    params      TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX webhook_events_sid ON webhook_events (sid);

CREATE TABLE failed_import_rows (
    id               INTEGER PRIMARY KEY,
    import_id        INTEGER NOT NULL REFERENCES imports (id),
    row_number       INTEGER NOT NULL,
    data             TEXT NOT NULL,
    validation_error TEXT NOT NULL
);
CREATE INDEX failed_import_rows_import ON failed_import_rows (import_id, row_number);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('send', 'retry', 'reconcile')),
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    selected    INTEGER NOT NULL DEFAULT 0,
    dispatched  INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    error       TEXT
);
CREATE INDEX runs_started ON runs (started_at);

CREATE TABLE opt_outs (
    phone_number TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
