-- After the reminder: a visit the clinic's system marks as missed, and the messages that are
-- not reminders.
-- `appointment_logs.kind`: NULL for a reminder attempt; 'voicemail_text' (the text after a
-- call reached an answering machine), 'no_show' (the message after a missed visit),
-- 'clinic_cancelled' (the notice that the clinic cancelled). Only reminder attempts move an
-- appointment through its schedule; the others are contacts of their own, counted and shown.
ALTER TABLE appointment_logs ADD COLUMN kind TEXT;
-- Rows of an import whose status said the patient did not come (they change what is stored
-- and are not stored): processed = stored + duplicates + failed + withdrawn + no_show.
ALTER TABLE imports ADD COLUMN no_show_rows INTEGER NOT NULL DEFAULT 0;
-- When an import said the patient did not come.
ALTER TABLE appointments ADD COLUMN no_show_at TEXT;
