-- The results file of a day read from the index alone.
--
-- Every column the file takes from an appointment is now in the (status, time, id, …) index,
-- so a day is read as its own index entries, one state after another, each in time order,
-- instead of as the table rows of its id span: an evening's import of several days (or a
-- busy year) interleaves other days' rows with the day's, and the span read them all (on
-- 1,000,000 appointments with 195,000 that day, 975,000 rows from 300 MB of table against
-- 195,000 entries from 69 MB of index; BENCHMARKS.md, "The results file from the index").
--
-- The added columns change only with the state (attempt_count with `in_flight`, reached_at
-- with `reached`, confirmed_at, cancel_requested_at, withdrawn_reason with theirs), whose
-- change rewrites the entry anyway; a reply no word matched (last_reply alone) is the one
-- write that now also rewrites it.
DROP INDEX appointments_status_time;
CREATE INDEX appointments_status_time
    ON appointments (status, appt_date_time, id, site, channel, touch_days, deleted_at,
        touch_attempts, last_attempt_at, attempt_count, appointment_id, patient_id,
        withdrawn_reason, reached_at, confirmed_at, cancel_requested_at, last_reply);
