-- Gives every appointment of a freshly imported database the history a week of reminders
-- would have left (for benches/report.sh): an outcome, its attempts with Twilio's words,
-- durations, segments and prices, and the appointment's state and timestamps. Deterministic:
-- each appointment's fate is a hash of its id.
--
--   h < 40   failed            3 calls unanswered (no answer, no answer, busy) / texts undelivered
--   h < 60   expired           2 attempts unanswered, then the appointment passed
--   h < 80   withdrawn         never contacted
--   h < 90   opted out         the text refused with 21610 / the call answered, then STOP
--   h < 130  cancel requested  reached on the first attempt
--   h < 600  confirmed         reached on the first or (every third) the second attempt
--   h < 950  reached           likewise
--   else     pending           not contacted yet
-- A third of the appointments also had a touch three days before (one attempt, reached).

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TEMP TABLE fate (id INTEGER PRIMARY KEY, channel TEXT, at TEXT, h INTEGER, twice INTEGER,
    early INTEGER);
INSERT INTO fate
SELECT id, channel, appt_date_time AS at,
       (id * 2654435761) % 1000 AS h,
       (id * 40507) % 3 = 0 AS twice,
       (id * 7919) % 3 = 0 AS early
FROM appointments;

CREATE TEMP TABLE n (k INTEGER PRIMARY KEY);
INSERT INTO n VALUES (1), (2), (3);

-- Every attempt, inserted in the order runs make them (by time), as a real database holds them:
-- the touch three days before (a third of the contacted appointments: one text or call,
-- reached, attempt 1), then the touch one day before (19:00, 19:45, 09:00).
INSERT INTO appointment_logs (appointment_id, attempt, channel, sid, "to", "from", status,
    duration, answered_by, error_code, error_message, touch_days, price, price_unit,
    num_segments, created_at, updated_at)
SELECT * FROM (
SELECT f.id, n.k + f.early, f.channel,
    CASE WHEN f.h BETWEEN 80 AND 89 AND f.channel = 'sms' THEN NULL
         ELSE (CASE f.channel WHEN 'sms' THEN 'SM' ELSE 'CA' END) || printf('%08x%024x', f.id, n.k) END,
    '+14165550000', '+16135550000',
    CASE
        WHEN f.h BETWEEN 80 AND 89 AND f.channel = 'sms' THEN 'failed'
        WHEN f.h < 60 OR (f.twice AND n.k = 1 AND f.h BETWEEN 130 AND 949) THEN
            CASE f.channel WHEN 'sms' THEN 'undelivered'
                 ELSE CASE WHEN n.k = 3 THEN 'busy' ELSE 'no-answer' END END
        ELSE CASE f.channel WHEN 'sms' THEN 'delivered' ELSE 'completed' END
    END,
    CASE WHEN f.channel = 'call' THEN
        CASE WHEN f.h < 60 OR (f.twice AND n.k = 1) THEN 0 ELSE 20 + f.h % 40 END END,
    CASE WHEN f.channel = 'call' AND NOT (f.h < 60 OR (f.twice AND n.k = 1))
         THEN CASE WHEN f.h % 7 = 0 THEN 'machine_end_beep' ELSE 'human' END END,
    CASE WHEN f.h BETWEEN 80 AND 89 AND f.channel = 'sms' THEN 21610
         WHEN f.h < 60 AND f.channel = 'sms' THEN 30003 END,
    CASE WHEN f.h BETWEEN 80 AND 89 AND f.channel = 'sms' THEN 'Attempt to send to unsubscribed recipient' END,
    1,
    CASE WHEN f.h BETWEEN 80 AND 89 AND f.channel = 'sms' THEN NULL
         WHEN f.channel = 'sms' THEN 0.0079 * (1 + f.h % 2)
         ELSE 0.014 END,
    CASE WHEN NOT (f.h BETWEEN 80 AND 89 AND f.channel = 'sms') THEN 'USD' END,
    CASE WHEN f.channel = 'sms' THEN 1 + f.h % 2 END,
    -- 19:00 and 19:45 (Toronto, in winter) the evening before, 09:00 on the day.
    strftime('%Y-%m-%dT%H:%M:%SZ', f.at, 'start of day',
             CASE n.k WHEN 1 THEN '+0 minutes' WHEN 2 THEN '+45 minutes' ELSE '+14 hours' END) AS created,
    strftime('%Y-%m-%dT%H:%M:%SZ', f.at, 'start of day', '+15 hours')
FROM fate f JOIN n ON n.k <= CASE
        WHEN f.h < 40 THEN 3
        WHEN f.h < 60 THEN 2
        WHEN f.h < 80 THEN 0
        WHEN f.h < 950 THEN 1 + (f.twice AND f.h >= 130)
        ELSE 0 END
UNION ALL
SELECT f.id, 1, f.channel,
    (CASE f.channel WHEN 'sms' THEN 'SM' ELSE 'CA' END) || printf('%08x%024x', f.id, 9),
    '+14165550000', '+16135550000',
    CASE f.channel WHEN 'sms' THEN 'delivered' ELSE 'completed' END,
    CASE WHEN f.channel = 'call' THEN 30 END,
    CASE WHEN f.channel = 'call' THEN 'human' END,
    NULL, NULL, 3,
    CASE f.channel WHEN 'sms' THEN 0.0079 ELSE 0.014 END, 'USD',
    CASE WHEN f.channel = 'sms' THEN 1 END,
    strftime('%Y-%m-%dT%H:%M:%SZ', f.at, 'start of day', '-2 days'),
    strftime('%Y-%m-%dT%H:%M:%SZ', f.at, 'start of day', '-2 days')
FROM fate f
WHERE f.early AND f.h >= 80 AND f.h < 950
) ORDER BY created, 1, 2;

-- Imported a few evenings before: an appointment is always stored before its first attempt.
UPDATE appointments SET
    created_at = strftime('%Y-%m-%dT%H:%M:%SZ', appt_date_time, 'start of day', '-4 days'),
    status = (SELECT CASE
        WHEN f.h < 40 THEN 'failed'
        WHEN f.h < 60 THEN 'expired'
        WHEN f.h < 80 THEN 'withdrawn'
        WHEN f.h < 90 THEN CASE f.channel WHEN 'sms' THEN 'opted_out' ELSE 'reached' END
        WHEN f.h < 130 THEN 'cancel_requested'
        WHEN f.h < 600 THEN 'confirmed'
        WHEN f.h < 950 THEN 'reached'
        ELSE 'pending' END FROM fate f WHERE f.id = appointments.id),
    withdrawn_reason = CASE WHEN (id * 2654435761) % 1000 BETWEEN 60 AND 79 THEN 'moved' END;

UPDATE appointments SET
    attempt_count = (SELECT count(*) FROM appointment_logs l WHERE l.appointment_id = appointments.id),
    touch_days = (SELECT min(touch_days) FROM appointment_logs l WHERE l.appointment_id = appointments.id),
    touch_attempts = (SELECT count(*) FROM appointment_logs l
                      WHERE l.appointment_id = appointments.id AND l.touch_days = 1),
    last_attempt_at = (SELECT max(created_at) FROM appointment_logs l WHERE l.appointment_id = appointments.id);

UPDATE appointments SET
    reached_at = last_attempt_at,
    success_at = last_attempt_at
WHERE status IN ('reached', 'confirmed', 'cancel_requested');
UPDATE appointments SET confirmed_at = reached_at WHERE status = 'confirmed';
UPDATE appointments SET cancel_requested_at = reached_at, last_reply = 'R'
WHERE status = 'cancel_requested' AND channel = 'sms';
UPDATE appointments SET cancel_requested_at = reached_at WHERE status = 'cancel_requested';

COMMIT;
