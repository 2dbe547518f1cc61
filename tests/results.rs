//! The results file for the clinic's system and retention (docs/operations.md): what the
//! front desk imports the next morning after the whole simulated day, written so no reader ever
//! sees half of it and no spreadsheet runs a cell; `export` on demand, per site; `prune`.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reminders::demo::script;
use reminders::domain::channel::Channel;
use reminders::domain::results::HEADER;
use reminders::twilio::simulator::Step;

use crate::common::listener::{self, Listener};
use crate::common::twilio::{self, at, free_port, window};
use crate::common::{EVENING, Workdir};

/// A results file as data: the header, and each row by column name.
struct Results {
    header: Vec<String>,
    rows: Vec<HashMap<String, String>>,
}

impl Results {
    fn parse(bytes: &[u8]) -> Result<Results, String> {
        let mut r = csv::Reader::from_reader(bytes);
        let header: Vec<String> = r
            .headers()
            .map_err(|e| e.to_string())?
            .iter()
            .map(str::to_string)
            .collect();
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| e.to_string())?;
            rows.push(
                header
                    .iter()
                    .cloned()
                    .zip(rec.iter().map(str::to_string))
                    .collect(),
            );
        }
        Ok(Results { header, rows })
    }

    fn read(path: &Path) -> Results {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Results::parse(&bytes).unwrap()
    }

    #[track_caller]
    fn row(&self, appointment_id: &str) -> &HashMap<String, String> {
        let found: Vec<_> = self
            .rows
            .iter()
            .filter(|r| r["appointment_id"] == appointment_id)
            .collect();
        assert_eq!(found.len(), 1, "{appointment_id}");
        found[0]
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A stored time as the clinic reads it (the sample's zone is Toronto).
fn local(stored: Option<String>) -> String {
    stored
        .map(|t| reminders::clock::local_display(&t, chrono_tz::America::Toronto))
        .unwrap_or_default()
}

#[test]
fn after_the_whole_day_the_days_file_says_how_each_appointment_ended() {
    let (sim, mut w, port) = twilio::demo_day();
    let file = w.join("outbox/results-2026-11-25.csv");

    // 19:00: the file for the coming day is there straight after the send (the evening's own
    // day holds no appointment: no file for it).
    let out = window(
        &mut w,
        &sim,
        port,
        script::WINDOWS[0].0,
        &["import", "--now"],
    );
    assert!(
        out.contains("results: outbox/results-2026-11-25.csv (24 appointment(s))"),
        "{out}"
    );
    assert_eq!(Results::read(&file).rows.len(), 24);
    for when in [
        "2026-11-24T19:10:00-05:00",
        script::WINDOWS[1].0,
        script::WINDOWS[2].0,
        // The 09:00 retry wrote its file before its calls' outcomes came in; the next run (or
        // `export`) brings them in.
        "2026-11-25T09:30:00-05:00",
    ] {
        window(&mut w, &sim, port, when, &["retry"]);
    }

    assert_eq!(names(&w.join("outbox")), ["results-2026-11-25.csv"]);
    assert_eq!(mode(&w.join("outbox")), 0o700);
    assert_eq!(mode(&file), 0o600);
    let results = Results::read(&file);
    assert_eq!(results.header, HEADER);
    assert_eq!(results.rows.len(), 24);

    let db = w.db();
    let mut wrong = Vec::new();
    for (p, id) in script::patients()
        .iter()
        .flat_map(|p| p.appointments.iter().map(move |id| (p, *id)))
    {
        let row = results.row(id);
        type Stored = (
            String,
            String,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
        );
        let (patient, channel, attempts, reached, confirmed, cancel, reply, time): Stored = db
            .query_row(
                "SELECT patient_id, channel, attempt_count, reached_at, confirmed_at,
                     cancel_requested_at, last_reply, appt_date_time
                 FROM appointments WHERE appointment_id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )
            .unwrap();
        let reached_state = matches!(p.final_state, "reached" | "confirmed" | "cancel_requested");
        let want = [
            ("patient_id", patient),
            ("site", String::new()),
            ("appt_date_time", local(Some(time))),
            ("state", p.final_state.to_string()),
            ("withdrawn_reason", String::new()),
            ("channel", channel),
            ("touches", "1 of 1".to_string()),
            ("attempts", attempts.to_string()),
            ("reached_at", local(reached)),
            ("confirmed_at", local(confirmed)),
            ("cancel_requested_at", local(cancel)),
            ("last_reply", reply.unwrap_or_default()),
        ];
        for (column, value) in want {
            if row[column] != value {
                wrong.push(format!("{id} {column}: {:?}, want {value:?}", row[column]));
            }
        }
        if reached_state != row["reason"].is_empty() {
            wrong.push(format!(
                "{id} ({}): reason {:?}",
                p.final_state, row["reason"]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for (id, reason) in [
        ("A1008", "no answer ×3"),
        ("A1012", "21211 not a valid phone number"),
        ("A1018", "no answer ×2; expired before the next attempt"),
        ("A1020", "21610 the patient replied STOP: unsubscribed"),
    ] {
        assert_eq!(results.row(id)["reason"], reason, "{id}");
    }
    // What a person would check by eye: a confirmation with its time, a reply, a voicemail.
    assert_eq!(results.row("A1001")["last_reply"], "C");
    assert_eq!(results.row("A1002")["last_reply"], "STOP");
    assert_eq!(results.row("A1004")["state"], "cancel_requested");
    assert!(results.row("A1004")["cancel_requested_at"].starts_with("2026-11-24 19:"));
    assert_eq!(results.row("A1006")["attempts"], "3");
    assert_eq!(results.row("A1015")["channel"], "call");
    // Soonest first.
    let times: Vec<&str> = results
        .rows
        .iter()
        .map(|r| r["appt_date_time"].as_str())
        .collect();
    assert!(times.windows(2).all(|t| t[0] <= t[1]), "{times:?}");

    // `export` of the same day writes the very same file.
    let before = std::fs::read(&file).unwrap();
    let out = w.run(&["export", "--date", "2026-11-25"]).ok();
    assert_eq!(
        out,
        "wrote outbox/results-2026-11-25.csv: 24 appointment(s) of 2026-11-25\n"
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(names(&w.join("outbox")), ["results-2026-11-25.csv"]);
}

/// `n` appointments on 2026-11-25, imported.
fn imported(n: usize) -> Workdir {
    let w = Workdir::new();
    let mut csv = String::from(
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n",
    );
    for i in 0..n {
        csv.push_str(&format!(
            "A{i},P{i},416-555-{:04},y,n,2026-11-25 {:02}:{:02}\n",
            i % 10_000,
            8 + (i / 60) % 12,
            i % 60
        ));
    }
    w.write("csv/day.csv", csv);
    w.run(&["import"]).ok();
    w
}

#[test]
fn a_reader_never_sees_a_half_written_file() {
    let n = 1500;
    let w = imported(n);
    w.run(&["export", "--date", "2026-11-25"]).ok();
    let file = w.join("outbox/results-2026-11-25.csv");
    assert!(
        std::fs::metadata(&file).unwrap().len() > 64 * 1024,
        "bigger than any buffer"
    );

    // A reader in a loop, as a clinic system polling the folder would, while `export` rewrites
    // the file again and again: each read is the whole file, never part of one.
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reader = {
        let done = done.clone();
        let reads = reads.clone();
        let file = file.clone();
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                let bytes = std::fs::read(&file).expect("the file is always there");
                let r = Results::parse(&bytes).expect("a complete CSV");
                assert_eq!(r.header, HEADER);
                let n_read = reads.load(Ordering::SeqCst);
                assert_eq!(r.rows.len(), n, "read {n_read}: a partial file");
                reads.fetch_add(1, Ordering::SeqCst);
                // Often enough to land inside every rewrite, without taking a core from the
                // tests running beside this one (some of them time their requests).
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    // Rewrites go on until the reader has read alongside them many times: however loaded the
    // machine, the reads and the rewrites overlap (a count of reads in a fixed number of
    // rewrites was a race with the scheduler).
    let mut exports = 0;
    while exports < 12 || reads.load(Ordering::SeqCst) < 24 {
        w.run(&["export", "--date", "2026-11-25"]).ok();
        exports += 1;
        assert!(exports < 1000, "the reader never got to read");
    }
    done.store(true, Ordering::SeqCst);
    reader.join().expect("every read was a whole file");
    assert_eq!(names(&w.join("outbox")), ["results-2026-11-25.csv"]);
}

#[test]
fn cells_a_spreadsheet_would_run_are_written_with_a_leading_quote() {
    let mut w = Workdir::new();
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n\
         \"=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",@SUM(A1),416-555-0101,n,y,2026-11-25 09:00\n\
         -A2,P2,416-555-0102,n,y,2026-11-25 10:00\n",
    );
    w.run(&["import"]).ok();
    w.env("TWILIO_AUTH_TOKEN", listener::TOKEN)
        .env("REMINDERS_PUBLIC_URL", listener::PUBLIC);
    listener::attempt(
        &w,
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "sms",
        "SM01",
    );
    let l = Listener::start(&w);
    let (code, _) = l.post(
        "/twilio/sms-inbound",
        &[
            ("MessageSid", "SMr1"),
            ("From", "+14165550101"),
            ("To", "+14165550000"),
            ("Body", "+1 call me back =1+1"),
        ],
    );
    assert_eq!(code, 200, "{}", l.log());
    l.stop();

    w.run(&["export", "--date", "2026-11-25"]).ok();
    let text = std::fs::read_to_string(w.join("outbox/results-2026-11-25.csv")).unwrap();
    let results = Results::parse(text.as_bytes()).unwrap();
    let hostile = results.row("'=HYPERLINK(\"http://evil.example\",\"click\")");
    assert_eq!(hostile["patient_id"], "'@SUM(A1)");
    assert_eq!(hostile["last_reply"], "'+1 call me back =1+1");
    results.row("'-A2");
    // No cell of the file starts a formula.
    let mut r = csv::Reader::from_reader(text.as_bytes());
    for rec in r.records() {
        for cell in rec.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }
}

const SITES: &str = "[sending]\ncalls_per_second = 50\nsms_per_second = 50\n\n\
[sites.bloor]\nnames = [\"Bloor\"]\nphone_number = \"+14165550900\"\n\n\
[sites.west]\nnames = [\"Kitsilano\"]\ntimezone = \"America/Vancouver\"\n\
phone_number = \"+16045550900\"\n";

#[test]
fn each_site_has_its_own_file_and_each_appointment_its_own_zones_day() {
    let sim = twilio::start(EVENING);
    sim.set_default(Channel::Call, Step::Answer { press: None });
    sim.set_default(Channel::Sms, Step::Deliver { reply: None });
    let port = free_port();
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, &format!("http://127.0.0.1:{port}"));
    w.write("reminders.toml", SITES);
    // W2 is 22:30 on the 25th in Vancouver (01:30 on the 26th in Toronto); B2 is just after
    // midnight in Toronto on the 26th.
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,clinic\n\
         B1,P1,416-555-0201,n,y,2026-11-25 09:00,Bloor\n\
         B2,P2,416-555-0202,n,y,2026-11-26 00:30,Bloor\n\
         W1,P3,604-555-0203,n,y,2026-11-25 09:00,Kitsilano\n\
         W2,P4,604-555-0204,n,y,2026-11-25 22:30,Kitsilano\n",
    );

    // Nothing exported before anything was imported: no database is created.
    let out = w.run(&["export", "--date", "2026-11-25"]);
    assert_eq!(out.code(), 1);
    assert!(out.stderr().contains("no database at"), "{}", out.stderr());
    assert!(!w.join("reminders.db").exists());
    w.run(&["import"]).ok();

    // Bloor's evening run writes Bloor's file and the clinic's.
    let out = window(&mut w, &sim, port, EVENING, &["send", "--site", "bloor"]);
    assert!(out.contains("results-bloor-2026-11-25.csv"), "{out}");
    // Days up to the last a touch can be due (tomorrow, with touches [1]): the 26th is not
    // written yet.
    assert_eq!(
        names(&w.join("outbox")),
        ["results-2026-11-25.csv", "results-bloor-2026-11-25.csv"]
    );
    let ids = |file: &str| -> Vec<String> {
        Results::read(&w.join("outbox").join(file))
            .rows
            .iter()
            .map(|r| r["appointment_id"].clone())
            .collect()
    };
    assert_eq!(ids("results-2026-11-25.csv"), ["B1", "W1", "W2"]);
    assert_eq!(ids("results-bloor-2026-11-25.csv"), ["B1"]);
    let all = Results::read(&w.join("outbox/results-2026-11-25.csv"));
    assert_eq!(all.row("W2")["appt_date_time"], "2026-11-25 22:30");
    assert_eq!(all.row("W2")["site"], "west");
    assert_eq!(all.row("W2")["reason"], "not contacted yet");
    assert_eq!(all.row("B1")["touches"], "1 of 1");
    assert_eq!(all.row("B1")["attempts"], "1");

    // On demand, per site, with the day in words.
    let out = w
        .run(&["export", "--site", "west", "--date", "tomorrow"])
        .ok();
    assert_eq!(
        out,
        "wrote outbox/results-west-2026-11-25.csv: 2 appointment(s) of 2026-11-25 at west\n"
    );
    assert_eq!(ids("results-west-2026-11-25.csv"), ["W1", "W2"]);
    // The default day is the coming day, as `status` shows it.
    let out = w.run(&["export", "--out", "-"]).ok();
    let stdout = Results::parse(out.as_bytes()).unwrap();
    assert_eq!(stdout.rows.len(), 3);
    let out = w
        .run(&[
            "export",
            "--date",
            "2026-11-26",
            "--site",
            "bloor",
            "--out",
            "b2.csv",
        ])
        .ok();
    assert_eq!(
        out,
        "wrote b2.csv: 1 appointment(s) of 2026-11-26 at bloor\n"
    );
    assert_eq!(
        Results::read(&w.join("b2.csv")).row("B2")["appt_date_time"],
        "2026-11-26 00:30"
    );
    assert_eq!(mode(&w.join("b2.csv")), 0o600);

    let out = w.run(&["export", "--site", "danforth"]);
    assert_eq!(out.code(), 2);
    assert!(
        out.stderr().contains("not a configured site"),
        "{}",
        out.stderr()
    );
    let out = w.run(&["export", "--date", "next week"]);
    assert_eq!(out.code(), 2);
    assert!(
        out.stderr()
            .contains("today, tomorrow, yesterday or a date as YYYY-MM-DD"),
        "{}",
        out.stderr()
    );
}

/// Every row of every table, as text: what "changes nothing" is compared on.
fn dump(w: &Workdir) -> String {
    let db = w.db();
    let tables: Vec<String> = {
        let mut stmt = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let mut out = String::new();
    for t in tables {
        let mut stmt = db
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY rowid"))
            .unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            out.push_str(&t);
            for i in 0..n {
                let v: rusqlite::types::Value = row.get(i).unwrap();
                out.push_str(&format!("|{v:?}"));
            }
            out.push('\n');
        }
    }
    out
}

fn set_mtime(p: &Path, rfc3339: &str) {
    let t: std::time::SystemTime = at(rfc3339).into();
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// The lines of `prune`'s table of counts.
fn count_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with("  ")).collect()
}

#[test]
fn prune_deletes_only_what_is_older_than_the_cut_off() {
    let mut w = Workdir::new();
    let header =
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n";
    // August's file, imported in July; November's, imported the evening before. One bad row
    // each, and one listed twice (what the second row did is kept for `history`).
    w.env("REMINDERS_NOW", "2026-07-31T19:00:00-04:00");
    w.write(
        "csv/august.csv",
        format!(
            "{header}O1,P1,416-555-0101,y,n,2026-08-01 09:00\n\
             O2,P2,416-555-0102,y,n,2026-08-01 10:00\n\
             O1,P1,416-555-0101,y,n,2026-08-01 09:00\n\
             OX,P9,not a number,y,n,2026-08-01 11:00\n"
        ),
    );
    w.run(&["import"]).ok();
    w.env("REMINDERS_NOW", EVENING);
    w.write(
        "csv/november.csv",
        format!(
            "{header}N1,P1,416-555-0101,y,n,2026-11-25 09:00\n\
             N1,P1,416-555-0101,y,n,2026-11-25 09:00\n\
             NX,P9,not a number,y,n,2026-11-25 11:00\n"
        ),
    );
    w.run(&["import"]).ok();
    // Their history: attempts, callbacks, replies, an opt-out, on both sides of the cut-off.
    w.db()
        .execute_batch(
            "INSERT INTO appointment_logs (appointment_id, attempt, channel, sid, \"to\", \"from\",
                 status, created_at, updated_at)
             SELECT id, 1, 'call', 'CA' || appointment_id, phone_number, '+14165550000',
                 'completed', appt_date_time, appt_date_time FROM appointments;
             INSERT INTO webhook_events (sid, kind, dedupe_key, params, received_at) VALUES
                 ('CAO1', 'call-status', 'CAO1/1', '{}', '2026-07-31T23:00:05Z'),
                 ('CAN1', 'call-status', 'CAN1/1', '{}', '2026-11-25T00:00:05Z');
             INSERT INTO replies (message_sid, phone_number, body, kind, appointment, received_at)
                 SELECT 'SM' || appointment_id, phone_number, 'C', 'confirm', id, appt_date_time
                 FROM appointments;
             INSERT INTO opt_outs (phone_number, event, source, words, created_at)
                 VALUES ('+14165550102', 'opt_out', 'reply', 'STOP', '2026-07-31T23:30:00Z');
             INSERT INTO holds (appointment_id, rule, reason, at)
                 SELECT id, 'per_day', 'held: 1 a day reached for +1416***0101', appt_date_time
                 FROM appointments WHERE appointment_id IN ('O1', 'N1');
             INSERT INTO slots (appointment_id, site, starts_at, local_date, freed_by_patient,
                                opened_at, state)
                 SELECT id, '', appt_date_time, substr(appt_date_time, 1, 10), patient_id,
                     appt_date_time, 'closed'
                 FROM appointments WHERE appointment_id IN ('O1', 'N1');
             INSERT INTO offers (slot_id, log_id, patient_id, phone_number, language, wave,
                                 sent_at, state)
                 SELECT s.id, l.id, 'W1', '+14165550177', 'en', 1, s.opened_at, 'closed'
                 FROM slots s JOIN appointment_logs l ON l.appointment_id = s.appointment_id;
             INSERT INTO waitlist_entries (import_id, row_number, site, patient_id, phone_number,
                                           language, added, data)
                 SELECT id, 2, '', 'W1', '+14165550177', 'en', started_at, '{}' FROM imports;",
        )
        .unwrap();
    // The archive: August's file from August, November's from now; and a link to an old file
    // outside it, which is not the archive's to delete.
    set_mtime(&w.join("archive/august.csv"), "2026-08-01T00:00:00Z");
    set_mtime(&w.join("archive/november.csv"), EVENING);
    let outside = w.write("precious.csv", "keep");
    set_mtime(&outside, "2026-01-01T00:00:00Z");
    std::os::unix::fs::symlink(&outside, w.join("archive/link.csv")).unwrap();

    // Without a period there is nothing to go by.
    let out = w.run(&["prune"]);
    assert_eq!(out.code(), 2);
    assert!(
        out.stderr().contains("--older-than DAYS") && out.stderr().contains("retention_days"),
        "{}",
        out.stderr()
    );

    let before = dump(&w);
    let dry = w.run(&["prune", "--older-than", "90", "--dry-run"]).ok();
    assert!(dry.starts_with("Dry run: nothing is deleted."), "{dry}");
    assert_eq!(dump(&w), before, "a dry run changes nothing");
    assert_eq!(
        names(&w.join("archive")),
        ["august.csv", "link.csv", "november.csv"]
    );

    // From the configuration, the same period: the same counts as the dry run.
    w.write("reminders.toml", "retention_days = 90\n");
    let real = w.run(&["prune"]).ok();
    assert_eq!(count_lines(&real), count_lines(&dry), "{dry}\n{real}");
    let counts: Vec<(String, u64)> = count_lines(&real)
        .iter()
        .map(|l| {
            let (what, n) = l.trim().rsplit_once(' ').unwrap();
            (what.trim().to_string(), n.parse().unwrap())
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("appointments".to_string(), 2),
            ("attempts (appointment_logs)".to_string(), 2),
            ("holds".to_string(), 1),
            ("replies".to_string(), 2),
            ("callbacks (webhook_events)".to_string(), 1),
            ("rejected rows (failed_import_rows)".to_string(), 1),
            ("what import rows did (import_events)".to_string(), 1),
            ("freed slots (slots)".to_string(), 1),
            ("offers of freed slots (offers)".to_string(), 1),
            ("waiting patients (waitlist_entries)".to_string(), 1),
            ("archived files (archive)".to_string(), 1),
        ],
        "{real}"
    );

    let ids = |sql: &str| -> Vec<String> {
        let db = w.db();
        let mut stmt = db.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(ids("SELECT appointment_id FROM appointments"), ["N1"]);
    assert_eq!(ids("SELECT sid FROM appointment_logs"), ["CAN1"]);
    assert_eq!(ids("SELECT message_sid FROM replies"), ["SMN1"]);
    assert_eq!(
        ids("SELECT a.appointment_id FROM holds h JOIN appointments a ON a.id = h.appointment_id"),
        ["N1"]
    );
    assert_eq!(ids("SELECT sid FROM webhook_events"), ["CAN1"]);
    assert_eq!(ids("SELECT appointment_id FROM import_events"), ["N1"]);
    assert_eq!(
        ids("SELECT i.file_name FROM failed_import_rows f JOIN imports i ON i.id = f.import_id"),
        ["november.csv"]
    );
    // Kept: both imports (their checksums) and the consent history.
    assert_eq!(w.count("SELECT count(*) FROM imports"), 2);
    assert_eq!(w.count("SELECT count(*) FROM opt_outs"), 1);
    let check: String = w
        .db()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert_eq!(w.count("SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_eq!(names(&w.join("archive")), ["link.csv", "november.csv"]);
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");

    // Nothing is older than that any more.
    let again = w.run(&["prune", "--older-than", "90"]).ok();
    assert!(
        count_lines(&again).iter().all(|l| l.ends_with(" 0")),
        "{again}"
    );
}
