-- The windows `reminders run` keeps: which window a run was for (`send 19:00`, `retry 09:00`),
-- the site-local date it was that window of, and when the window opened (UTC). A run started by
-- hand has none. A window runs at most once per site and local date; `status --check` names a
-- window that did not run, or ran late, from these.
ALTER TABLE runs ADD COLUMN window TEXT;
ALTER TABLE runs ADD COLUMN window_date TEXT;
ALTER TABLE runs ADD COLUMN window_opens TEXT;
CREATE INDEX runs_window ON runs (window_date, window);
