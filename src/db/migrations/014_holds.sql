-- Holds: a contact the rules of contact did not let out (a cap per number reached, a text or a
-- call too long for the `us-health` profile). The appointment keeps its state and stays due;
-- each hold is kept with its rule and its reason in words, so that `status`, the results file,
-- the report and an appointment's history say why it was not contacted, and nothing held is
-- silently dropped.
CREATE TABLE holds (
    id              INTEGER PRIMARY KEY,
    appointment_id  INTEGER NOT NULL REFERENCES appointments (id),
    rule            TEXT NOT NULL
        CHECK (rule IN ('per_day', 'per_week', 'text_length', 'call_length')),
    reason          TEXT NOT NULL,
    at              TEXT NOT NULL,
    run_id          INTEGER REFERENCES runs (id)
);
CREATE INDEX holds_appointment ON holds (appointment_id, at);
CREATE INDEX holds_at ON holds (at);
-- The caps count a number's contacts in a span of time: every call or message created to it.
CREATE INDEX appointment_logs_to_created ON appointment_logs ("to", created_at);
