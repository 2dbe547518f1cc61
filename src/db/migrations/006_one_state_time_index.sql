-- Fewer indexes for a bulk load to rebuild (the import's goal: within 3x `sqlite3 .import`).
--
-- One index now serves what two did: a run's batched selection pages through (status, time,
-- id), the fit check counts from the same entries without reading the table (every column it
-- tests is in them), and every time-range view seeks by its (status, time) prefix. With `id`
-- written out after the time, its entries come in the (time, id) order the selection pages
-- by, which schema 5's index (site, channel… after the time) could not give. A 1M-row import
-- rebuilt 35 MB of index for nothing.
--
-- appointments_import goes: no query reads it (`status --import` filters rows the state/time
-- index found, in the `:import IS NULL OR …` form SQLite does not look up), and an import row
-- is never deleted, so no foreign-key check needs it either.
DROP INDEX appointments_import;
DROP INDEX appointments_due_count;
DROP INDEX appointments_status_time;
CREATE INDEX appointments_status_time
    ON appointments (status, appt_date_time, id, site, channel, touch_days, deleted_at,
        touch_attempts, last_attempt_at);
