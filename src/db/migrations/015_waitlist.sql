-- The waitlist: a slot a patient gives back is offered to patients waiting for an earlier one.
--
-- What an appointment is, for matching a freed slot with a waiting patient (from the export's
-- columns of those names, or mapped).
ALTER TABLE appointments ADD COLUMN provider TEXT;
ALTER TABLE appointments ADD COLUMN visit_type TEXT;
ALTER TABLE appointments ADD COLUMN duration_minutes INTEGER;

-- What an import was: the clinic's appointments, or its waitlist.
ALTER TABLE imports ADD COLUMN kind TEXT NOT NULL DEFAULT 'appointments'
    CHECK (kind IN ('appointments', 'waitlist'));

-- The patients waiting, as the latest waitlist file of their site lists them: a new file
-- replaces every entry of the sites it holds.
CREATE TABLE waitlist_entries (
    id                INTEGER PRIMARY KEY,
    import_id         INTEGER NOT NULL REFERENCES imports (id),
    row_number        INTEGER NOT NULL,
    -- The site's key ('' when the clinic is one site).
    site              TEXT NOT NULL,
    patient_id        TEXT NOT NULL,
    phone_number      TEXT NOT NULL,
    language          TEXT NOT NULL,
    provider          TEXT,
    visit_type        TEXT,
    -- How long a visit they need: a slot shorter than this does not fit.
    duration_minutes  INTEGER,
    -- The local dates they can come (either may be open).
    earliest          TEXT,
    latest            TEXT,
    -- The booking they would move from, when they have one.
    appointment_id    TEXT,
    -- When they joined the list (UTC): earlier is offered first.
    added             TEXT NOT NULL,
    data              TEXT NOT NULL
);
CREATE INDEX waitlist_entries_site_added ON waitlist_entries (site, added, id);

-- A freed slot: the time of an appointment whose patient gave it back.
CREATE TABLE slots (
    id                INTEGER PRIMARY KEY,
    -- The appointment that freed it.
    appointment_id    INTEGER NOT NULL REFERENCES appointments (id),
    site              TEXT NOT NULL,
    starts_at         TEXT NOT NULL,
    local_date        TEXT NOT NULL,
    provider          TEXT,
    visit_type        TEXT,
    duration_minutes  INTEGER,
    -- The patient who gave it back: never offered their own slot.
    freed_by_patient  TEXT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'taken', 'closed', 'expired')),
    -- Why a slot closed unfilled, in words.
    closed_reason     TEXT,
    opened_at         TEXT NOT NULL,
    closed_at         TEXT,
    waves             INTEGER NOT NULL DEFAULT 0,
    last_wave_at      TEXT,
    -- The taker, copied from their offer: what the clinic books.
    taker_patient_id  TEXT,
    taker_moves_from  TEXT,
    taken_at          TEXT,
    -- When an export listed the taker at the slot's time: the booking is made.
    booked_at         TEXT
);
CREATE UNIQUE INDEX slots_one_open ON slots (appointment_id) WHERE state = 'open';
CREATE INDEX slots_state ON slots (state, starts_at);
CREATE INDEX slots_local_date ON slots (local_date, site);

-- One text offering a slot to one waiting patient. Its message is an attempt row of kind
-- 'offer' on the freed appointment (`log_id`), sent, recovered and counted as every contact is.
CREATE TABLE offers (
    id                INTEGER PRIMARY KEY,
    slot_id           INTEGER NOT NULL REFERENCES slots (id),
    log_id            INTEGER NOT NULL UNIQUE REFERENCES appointment_logs (id),
    patient_id        TEXT NOT NULL,
    phone_number      TEXT NOT NULL,
    language          TEXT NOT NULL,
    moves_from        TEXT,
    wave              INTEGER NOT NULL,
    -- open: sent, no answer yet; taken: this patient got the slot; lost: they said yes after
    -- someone else; declined; closed: the slot closed before they answered.
    state             TEXT NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'taken', 'lost', 'declined', 'closed')),
    sent_at           TEXT NOT NULL,
    answered_at       TEXT
);
CREATE INDEX offers_slot ON offers (slot_id, state);
CREATE INDEX offers_phone ON offers (phone_number, state);
CREATE INDEX offers_patient ON offers (patient_id, sent_at);

-- A run that sends the waves of offers is a run of its own kind. The CHECK on `runs.kind` is
-- widened in place, as SQLite documents for changing a CHECK constraint (every row on disk
-- already satisfies the wider one).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (kind IN (''send'', ''retry'', ''reconcile''))',
                          'CHECK (kind IN (''send'', ''retry'', ''reconcile'', ''backfill''))')
 WHERE type = 'table' AND name = 'runs';
PRAGMA writable_schema = OFF;
