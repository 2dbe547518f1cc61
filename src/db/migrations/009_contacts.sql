-- Which contact an attempt belongs to, and what that contact sent.
--
-- A combined message has one attempt per appointment. Recovery used to put attempts back
-- together by (number, channel, second of creation), and to take the oldest unclaimed call or
-- text to the number as theirs: two texts to one number in one second (six appointments on a
-- care home's number) then merged, and one adopted the other's SID. `contact_id` is the id of
-- the contact's first attempt, shared by all of its attempts; `sent_sha256` is the SHA-256 of
-- a text's body, compared with the bodies in Twilio's list. Attempts recorded before this
-- migration have neither, and are grouped as before.
ALTER TABLE appointment_logs ADD COLUMN contact_id INTEGER;
ALTER TABLE appointment_logs ADD COLUMN sent_sha256 TEXT;
