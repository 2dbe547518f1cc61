-- Indexes for `reminders status` that 001 lacks.
-- The attention list looks at the imports started around the selected day.
CREATE INDEX imports_started ON imports (started_at);
-- `--search` matches the patient id as well as the appointment id (which the unique key covers).
CREATE INDEX appointments_patient ON appointments (patient_id);
