//! `reminders history` end to end: one appointment imported, moved by a later export, listed
//! again, reminded, not answered, retried, answered, and confirmed by a text through the real
//! listener — every event in order, as a table and as JSON, with no phone number in full.

use reminders::twilio::simulator::Step;

use crate::common::listener::{Listener, encode, sign};
use crate::common::twilio::{clinic, window};
use crate::common::{Run, Workdir};

const HEADER: &str =
    "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n";

/// A1 of P1 on +14165550101; A7 belongs to two patients.
fn story() -> Workdir {
    let (mut w, sim, port) = clinic("");
    sim.script(
        "+14165550101",
        vec![Step::NoAnswer, Step::Answer { press: None }],
    );
    w.write(
        "csv/a.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 10:00\n\
             A7,P7,416-555-0107,y,n,2026-11-25 11:00\n\
             A7,P8,416-555-0108,y,n,2026-11-25 12:00\n"
        ),
    );
    w.env("REMINDERS_NOW", "2026-11-24T12:00:00-05:00");
    w.run(&["import"]).ok();
    // The afternoon's export moves A1 to 14:00; the evening's lists it again unchanged.
    w.write(
        "csv/b.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 14:00\n"),
    );
    w.env("REMINDERS_NOW", "2026-11-24T17:00:00-05:00");
    w.run(&["import"]).ok();
    w.write(
        "csv/c.csv",
        format!("{HEADER}X9,P9,416-555-0199,y,n,2026-11-25 09:00\nA1,P1,416-555-0101,y,n,2026-11-25 14:00\n"),
    );
    w.env("REMINDERS_NOW", "2026-11-24T18:00:00-05:00");
    w.run(&["import"]).ok();
    window(&mut w, &sim, port, "2026-11-24T19:00:00-05:00", &["send"]);
    window(&mut w, &sim, port, "2026-11-24T19:45:00-05:00", &["retry"]);
    assert_eq!(sim.creates_to("+14165550101").len(), 2);
    // 20:10: the patient texts back "Oui!" through the listener.
    w.env("REMINDERS_NOW", "2026-11-24T20:10:00-05:00");
    let listener = Listener::start_on(&w, port);
    let params = [
        ("MessageSid", "SMreply1"),
        ("From", "+14165550101"),
        ("To", "+16135550000"),
        ("Body", "Oui!"),
    ];
    let url = format!("http://127.0.0.1:{port}/twilio/sms-inbound");
    let (code, answer) = listener.post_with(
        "/twilio/sms-inbound",
        &encode(&params),
        Some(&sign(&url, &params)),
    );
    assert_eq!(code, 200, "{answer}");
    listener.stop();
    assert_eq!(
        w.count(
            "SELECT count(*) FROM appointments WHERE appointment_id = 'A1' AND status = 'confirmed'"
        ),
        1
    );
    w
}

fn no_full_number(run: &Run) {
    for shown in [run.stdout(), run.stderr()] {
        for number in ["4165550101", "416-555-0101", "5550101"] {
            assert!(!shown.contains(number), "{number} in full:\n{shown}");
        }
    }
}

/// The events' `what`, with each run of callbacks as one.
fn kinds(events: &[serde_json::Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let what = e["what"].as_str().unwrap().to_string();
        if what == "callback" && out.last().is_some_and(|l| l == "callback") {
            continue;
        }
        out.push(what);
    }
    out
}

#[test]
fn an_appointments_whole_story_in_order_as_json_and_as_a_table() {
    let w = story();
    let run = w.run(&["history", "A1", "--json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    no_full_number(&run);
    let story: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(story["patient_id"], "P1");
    assert_eq!(story["timezone"], "America/Toronto");
    let events = story["events"].as_array().unwrap();
    assert_eq!(
        kinds(events),
        [
            "import stored",
            "import moved",
            "withdrawn",
            "import stored",
            "import duplicate",
            "touch",
            "attempt",
            "callback",
            "attempt",
            "callback",
            "reply",
            "results file",
            "results file",
        ],
        "{events:#?}"
    );
    let at = |i: usize, key: &str| events[i][key].clone();
    // The first import: a.csv's row 2, at 10:00; the move: b.csv's row 2, to 14:00.
    assert_eq!(at(0, "file"), "a.csv");
    assert_eq!(at(0, "row"), 2);
    assert_eq!(at(0, "appointment_at"), "2026-11-25 10:00");
    assert_eq!(at(0, "local"), "2026-11-24 12:00:00");
    assert_eq!(
        (at(1, "file"), at(1, "action")),
        ("b.csv".into(), "moved".into())
    );
    assert_eq!(at(2, "reason"), "moved");
    assert_eq!(at(3, "moved_from"), "2026-11-25 10:00");
    assert_eq!(at(3, "appointment_at"), "2026-11-25 14:00");
    assert_eq!((at(4, "file"), at(4, "row")), ("c.csv".into(), 3.into()));
    let attempts: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["what"] == "attempt").collect();
    assert_eq!(attempts[0]["status"], "no-answer");
    assert_eq!(attempts[0]["outcome"], "no answer");
    assert_eq!(attempts[0]["to"], "+1416***0101");
    assert!(attempts[0]["sid"].as_str().unwrap().starts_with("CA"));
    assert!(
        attempts[0]["local"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-24 19:00")
    );
    assert_eq!(attempts[1]["status"], "completed");
    assert_eq!(attempts[1]["outcome"], "reached");
    assert!(
        attempts[1]["local"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-24 19:45")
    );
    let callbacks: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["what"] == "callback").collect();
    assert!(
        callbacks
            .iter()
            .any(|c| c["status"] == "no-answer" && c["sid"] == attempts[0]["sid"]),
        "{callbacks:#?}"
    );
    let reply = events.iter().find(|e| e["what"] == "reply").unwrap();
    assert_eq!(reply["text"], "Oui!");
    assert_eq!(reply["meaning"], "confirmed");
    // The results file's row of the appointment that stands, as `export` writes it.
    let results = events.last().unwrap();
    assert_eq!(results["cells"]["state"], "confirmed");
    assert_eq!(results["cells"]["attempts"], "2");
    assert_eq!(results["cells"]["appt_date_time"], "2026-11-25 14:00");
    let moved = &events[events.len() - 2];
    assert_eq!(moved["cells"]["withdrawn_reason"], "moved");

    // The table says the same, in the same order.
    let table = w.run(&["history", "A1"]);
    assert_eq!(table.code(), 0, "{}", table.stderr());
    no_full_number(&table);
    let text = table.stdout();
    assert!(
        text.starts_with("appointment A1, patient P1 (times in America/Toronto)"),
        "{text}"
    );
    let mut from = 0;
    for needle in [
        "a.csv, row 2",
        "b.csv, row 2",
        "withdrawn",
        "moved from 2026-11-25 10:00",
        "duplicate, nothing changed",
        "touch 1 of 1, 1 day before",
        "call #1 to +1416***0101, no-answer: no answer",
        "call #2 to +1416***0101, completed: reached",
        "\"Oui!\" from +1416***0101: confirmed",
        "state=confirmed",
    ] {
        let found = text[from..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} after byte {from} in:\n{text}"));
        from += found + needle.len();
    }

    // On an 80-column terminal every line fits.
    let lines = crate::terminal::at_80_columns(&w, &["history", "A1"]);
    assert!(
        lines.iter().any(|l| l.contains("import moved")),
        "{lines:#?}"
    );
    for l in &lines {
        assert!(
            l.chars().count() <= 80,
            "{} columns: {l}",
            l.chars().count()
        );
    }
}

#[test]
fn an_id_of_two_patients_needs_patient_and_an_unknown_one_fails() {
    let (w, _sim, _port) = clinic("");
    w.write(
        "csv/a.csv",
        format!(
            "{HEADER}A7,P7,416-555-0107,y,n,2026-11-25 11:00\n\
             A7,P8,416-555-0108,y,n,2026-11-25 12:00\n"
        ),
    );
    w.run(&["import"]).ok();
    let ambiguous = w.run(&["history", "A7"]);
    assert_eq!(ambiguous.code(), 2, "{}", ambiguous.stderr());
    assert!(
        ambiguous
            .stderr()
            .contains("belongs to 2 patients (P7, P8)"),
        "{}",
        ambiguous.stderr()
    );
    let one = w.run(&["history", "A7", "--patient", "P8", "--json"]);
    assert_eq!(one.code(), 0, "{}", one.stderr());
    let story: serde_json::Value = serde_json::from_str(&one.stdout()).unwrap();
    assert_eq!(story["patient_id"], "P8");
    assert!(!one.stdout().contains("5550108"));
    let unknown = w.run(&["history", "Z404"]);
    assert_eq!(unknown.code(), 1);
    assert!(
        unknown.stderr().contains("no appointment Z404"),
        "{}",
        unknown.stderr()
    );
}

#[test]
fn history_never_creates_a_database() {
    let w = Workdir::new();
    let run = w.run(&["history", "A1"]);
    assert_ne!(run.code(), 0);
    assert!(!w.join("reminders.db").exists());
}

/// The story the clinic asks about most: imported, moved, reminded and not answered, held by
/// the cap of one contact a day, reached by voicemail, texted after it (held a day first), and
/// confirmed by answering that text — in order, as JSON and as a table, numbers masked.
#[test]
fn moved_unanswered_held_voicemail_texted_and_confirmed_in_order() {
    let (mut w, sim, port) =
        clinic("voicemail_text = true\n[schedule]\ndays_before = [2]\n[limits]\nper_day = 1\n");
    sim.script(
        "+14165550101",
        vec![
            Step::NoAnswer,
            Step::Voicemail,
            Step::Deliver { reply: Some("C") },
        ],
    );
    w.write(
        "csv/a.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-26 09:00\n"),
    );
    window(&mut w, &sim, port, "2026-11-24T17:00:00-05:00", &["import"]);
    w.write(
        "csv/b.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-26 10:00\n"),
    );
    window(&mut w, &sim, port, "2026-11-24T18:00:00-05:00", &["import"]);
    // The 24th, two days before: no answer at 19:00; the 19:45 retry is over the day's cap.
    window(&mut w, &sim, port, "2026-11-24T19:00:00-05:00", &["send"]);
    window(&mut w, &sim, port, "2026-11-24T19:45:00-05:00", &["retry"]);
    // The 25th: the voicemail at 09:00; its text waits for the next day's room.
    window(&mut w, &sim, port, "2026-11-25T09:00:00-05:00", &["retry"]);
    window(&mut w, &sim, port, "2026-11-25T19:00:00-05:00", &["send"]);
    // The 26th at 08:00: the text, answered C.
    window(&mut w, &sim, port, "2026-11-26T08:00:00-05:00", &["retry"]);
    assert_eq!(sim.creates_to("+14165550101").len(), 3);

    let run = w.run(&["history", "A1", "--json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    no_full_number(&run);
    let story: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let events = story["events"].as_array().unwrap();
    assert_eq!(
        kinds(events),
        [
            "import stored",
            "import moved",
            "withdrawn",
            "import stored",
            "touch",
            "attempt",
            "callback",
            "held",
            "attempt",
            "callback",
            "held",
            "attempt",
            "callback",
            "reply",
            "results file",
            "results file",
        ],
        "{events:#?}"
    );
    let attempts: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["what"] == "attempt").collect();
    assert_eq!(attempts[0]["status"], "no-answer");
    assert_eq!(attempts[1]["answered_by"], "machine_end_beep");
    assert_eq!(attempts[2]["contact"], "voicemail_text");
    assert_eq!(attempts[2]["channel"], "sms");
    let held: Vec<&serde_json::Value> = events.iter().filter(|e| e["what"] == "held").collect();
    assert!(
        held.iter()
            .all(|h| h["reason"] == "held: 1 a day reached for +1416***0101"),
        "{held:#?}"
    );
    let reply = events.iter().find(|e| e["what"] == "reply").unwrap();
    assert_eq!(
        (reply["text"].as_str(), reply["meaning"].as_str()),
        (Some("C"), Some("confirmed"))
    );

    let table = w.run(&["history", "A1"]);
    no_full_number(&table);
    let out = table.stdout();
    let order = [
        "a.csv",
        "b.csv",
        "no-answer",
        "1 a day reached",
        "machine_end_beep",
        "text after a voicemail",
        "\"C\"",
        "confirmed",
    ];
    let mut from = 0;
    for word in order {
        let at = out[from..]
            .find(word)
            .unwrap_or_else(|| panic!("{word} after byte {from}:\n{out}"));
        from += at;
    }
}
