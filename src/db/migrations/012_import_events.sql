-- What each row of an import did to an appointment, for `reminders history`. A row that stored
-- a new appointment is remembered on the appointment itself (`import_id`, and now `import_row`):
-- one more value in the import's multi-row insert, not a second table written per row. Every
-- other effect (a duplicate, a move, a reinstatement, a cancel) is a row here. Imports made
-- before this migration have neither: their history shows the import that stored each
-- appointment without its row, and moves and withdrawals from the appointments' own columns.
ALTER TABLE appointments ADD COLUMN import_row INTEGER;

CREATE TABLE import_events (
    id             INTEGER PRIMARY KEY,
    import_id      INTEGER NOT NULL REFERENCES imports (id),
    -- The clinic's ids: a cancel names a pair that may have nothing stored.
    appointment_id TEXT NOT NULL,
    patient_id     TEXT NOT NULL,
    -- The stored appointment the row touched (the one moved away from, for a move).
    appointment    INTEGER REFERENCES appointments (id),
    row_number     INTEGER NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('duplicate', 'moved', 'reinstated', 'cancelled', 'clinic_cancelled', 'no_show')),
    at             TEXT NOT NULL
);
CREATE INDEX import_events_pair ON import_events (appointment_id, patient_id);
CREATE INDEX import_events_at ON import_events (at);
