-- Real exports (moved and cancelled appointments, sites, every column kept),
-- the reminder schedule (touches), one message for several appointments (a SID shared by
-- several attempts), replies and a consent history, results and reports.

-- Appointments ------------------------------------------------------------------------------
-- The site the row's clinic column chose ('' without [sites]).
ALTER TABLE appointments ADD COLUMN site TEXT NOT NULL DEFAULT '';
-- The export's other columns, by normalised header (JSON), for templates; NULL when none.
ALTER TABLE appointments ADD COLUMN data TEXT;
-- A moved appointment's earlier time (UTC), for {moved_from}.
ALTER TABLE appointments ADD COLUMN moved_from TEXT;
-- `withdrawn`: moved, cancelled, not in export, or the reason given by hand.
ALTER TABLE appointments ADD COLUMN withdrawn_reason TEXT;
ALTER TABLE appointments ADD COLUMN withdrawn_at TEXT;
-- The last import whose file listed it (snapshot files withdraw what they no longer list).
ALTER TABLE appointments ADD COLUMN seen_import INTEGER;
-- The reminder schedule: `days_before` of the last touch begun (NULL: none yet), and the
-- attempts made within it.
ALTER TABLE appointments ADD COLUMN touch_days INTEGER;
ALTER TABLE appointments ADD COLUMN touch_attempts INTEGER NOT NULL DEFAULT 0;
-- When the patient was reached, confirmed, asked to cancel; and their last text.
ALTER TABLE appointments ADD COLUMN reached_at TEXT;
ALTER TABLE appointments ADD COLUMN confirmed_at TEXT;
ALTER TABLE appointments ADD COLUMN cancel_requested_at TEXT;
ALTER TABLE appointments ADD COLUMN last_reply TEXT;
UPDATE appointments SET reached_at = success_at
    WHERE success_at IS NOT NULL AND status IN ('reached', 'confirmed', 'cancel_requested');
UPDATE appointments SET confirmed_at = success_at WHERE status = 'confirmed';

-- Attempts ----------------------------------------------------------------------------------
-- Rebuilt without UNIQUE on sid: the attempts of one combined message share its SID.
CREATE TABLE appointment_logs_new (
    id              INTEGER PRIMARY KEY,
    appointment_id  INTEGER NOT NULL REFERENCES appointments (id),
    attempt         INTEGER NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('sms', 'call')),
    sid             TEXT,
    "to"            TEXT NOT NULL,
    "from"          TEXT NOT NULL,
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
    deleted_at      TEXT,
    -- The touch (its days_before) the attempt belongs to.
    touch_days      INTEGER,
    -- What Twilio reported it cost and, for texts, in how many segments it went.
    price           REAL,
    price_unit      TEXT,
    num_segments    INTEGER
);
INSERT INTO appointment_logs_new (id, appointment_id, attempt, channel, sid, "to", "from", status,
        duration, start_time, end_time, answered_by, error_code, error_message, sequence_number,
        run_id, created_at, updated_at, deleted_at)
    SELECT id, appointment_id, attempt, channel, sid, "to", "from", status, duration, start_time,
        end_time, answered_by, error_code, error_message, sequence_number, run_id, created_at,
        updated_at, deleted_at
    FROM appointment_logs;
DROP TABLE appointment_logs;
ALTER TABLE appointment_logs_new RENAME TO appointment_logs;
CREATE INDEX appointment_logs_appointment ON appointment_logs (appointment_id, attempt);
CREATE INDEX appointment_logs_status ON appointment_logs (status);
CREATE INDEX appointment_logs_sid ON appointment_logs (sid);
CREATE INDEX appointment_logs_to ON appointment_logs ("to");
CREATE INDEX appointment_logs_created ON appointment_logs (created_at);

-- Imports and runs --------------------------------------------------------------------------
ALTER TABLE imports ADD COLUMN withdrawn_rows INTEGER NOT NULL DEFAULT 0;
-- What the import learned, for the summary: dates and counts, the slash order and why,
-- languages not recognised (JSON).
ALTER TABLE imports ADD COLUMN summary TEXT;
-- The sites a run served ('' for all), how it ended, and what it left for the next window.
ALTER TABLE runs ADD COLUMN sites TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN outcome TEXT;
ALTER TABLE runs ADD COLUMN left_for_next INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN unresolved INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN note TEXT;

-- Consent: every opt-out and opt-in, with where it came from and the words used -------------
CREATE TABLE opt_outs_history (
    id           INTEGER PRIMARY KEY,
    phone_number TEXT NOT NULL,
    event        TEXT NOT NULL CHECK (event IN ('opt_out', 'opt_in')),
    source       TEXT NOT NULL,
    words        TEXT,
    created_at   TEXT NOT NULL
);
INSERT INTO opt_outs_history (phone_number, event, source, words, created_at)
    SELECT phone_number, 'opt_out', source, NULL, created_at FROM opt_outs ORDER BY created_at;
DROP TABLE opt_outs;
ALTER TABLE opt_outs_history RENAME TO opt_outs;
CREATE INDEX opt_outs_phone ON opt_outs (phone_number, id);

-- Replies: every text a patient sent, what it meant, what it was applied to ---------------
CREATE TABLE replies (
    id           INTEGER PRIMARY KEY,
    message_sid  TEXT NOT NULL UNIQUE,
    phone_number TEXT NOT NULL,
    body         TEXT NOT NULL,
    -- confirm, cancel, opt_out, opt_in, help, other
    kind         TEXT NOT NULL,
    appointment  INTEGER REFERENCES appointments (id),
    site         TEXT NOT NULL DEFAULT '',
    received_at  TEXT NOT NULL
);
CREATE INDEX replies_received ON replies (received_at);
CREATE INDEX replies_kind ON replies (kind, received_at);
