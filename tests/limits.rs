//! The rules of contact end to end (docs/behaviour.md, "Holds"): caps per number counted from
//! the contacts made, the `us-health` profile, and holds — recorded, shown, never a drop.

use reminders::twilio::simulator::{Simulator, Step};
use serde_json::Value;

use crate::common::twilio::{clinic, refuse, state, window};
use crate::common::{EVENING, Workdir};

const HEADER: &str =
    "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n";
const NUMBER: &str = "+14165550101";
const HELD: &str = "held: 1 a day reached for +1416***0101";

fn appointments(w: &Workdir) -> Vec<Value> {
    let out = w.run(&["status", "appointments", "--json"]).ok();
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    v.as_array().unwrap().clone()
}

fn holds(w: &Workdir) -> Vec<(String, String, String)> {
    let db = w.db();
    let mut stmt = db
        .prepare(
            "SELECT a.appointment_id, h.rule, h.reason FROM holds h
             JOIN appointments a ON a.id = h.appointment_id WHERE h.run_id IS NOT NULL
             ORDER BY h.id",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The `reason` cell of the results file of 2026-11-25 for `id`.
fn results_reason(w: &Workdir, id: &str) -> String {
    let path = w.join("outbox/results-2026-11-25.csv");
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    let header = r.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    r.records()
        .map(Result::unwrap)
        .find(|rec| &rec[at("appointment_id")] == id)
        .map(|rec| rec[at("reason")].to_string())
        .unwrap_or_else(|| panic!("{id} not in the results file"))
}

#[test]
fn one_a_day_holds_the_evening_retry_and_the_morning_calls() {
    let (mut w, sim, port) = clinic("[limits]\nper_day = 1\n");
    sim.script(NUMBER, vec![Step::NoAnswer]);
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 13:00\n"),
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    assert_eq!(sim.creates_to(NUMBER).len(), 1);
    assert_eq!(state(&w, "A1"), "retry_wait");

    // 19:45: the number had its one contact today: held, with the reason, not called.
    let out = window(&mut w, &sim, port, "2026-11-24T19:45:00-05:00", &["retry"]);
    assert_eq!(sim.creates_to(NUMBER).len(), 1, "{out}");
    assert!(
        out.contains("1 appointment(s) held by the rules of contact (1 a day: 1)"),
        "{out}"
    );
    assert_eq!(
        state(&w, "A1"),
        "retry_wait",
        "a hold is not a state change"
    );
    assert_eq!(
        holds(&w),
        [("A1".to_string(), "per_day".to_string(), HELD.to_string())]
    );
    let rows = appointments(&w);
    assert_eq!(rows[0]["held"], HELD, "{rows:?}");
    let table = w.run(&["status", "appointments"]).ok();
    assert!(table.contains(&format!("retry_wait ({HELD})")), "{table}");
    assert!(!table.contains("+14165550101"), "numbers stay masked");
    assert!(
        results_reason(&w, "A1").ends_with(&format!("no answer; {HELD}")),
        "{}",
        results_reason(&w, "A1")
    );
    // The appointment's story tells the hold, after the no-answer it followed.
    let story = w.run(&["history", "A1", "--json"]).ok();
    let events: Value = serde_json::from_str(&story).unwrap();
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    let held_at = kinds
        .iter()
        .position(|k| *k == "held")
        .expect("a held event");
    assert!(kinds[..held_at].contains(&"attempt"), "{kinds:?}");
    assert!(
        story.contains(HELD) && !story.contains("+14165550101"),
        "{story}"
    );
    let table = w.run(&["history", "A1"]).ok();
    assert!(
        table.contains("held") && table.contains("1 a day reached"),
        "{table}"
    );
    let one = serde_json::json!([{"rule": "per_day", "count": 1}]);
    let summary: Value =
        serde_json::from_str(&w.run(&["status", "--date", "2026-11-25", "--json"]).ok()).unwrap();
    assert_eq!(summary["held"], one);
    let table = w.run(&["status", "--date", "2026-11-25"]).ok();
    assert!(
        table.contains("Held by the rules of contact: 1 (1 a day: 1)"),
        "{table}"
    );
    let report: Value = serde_json::from_str(
        &w.run(&[
            "report",
            "--json",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-25",
        ])
        .ok(),
    )
    .unwrap();
    assert_eq!(report["holds"], one);

    // 09:00 the next day: a new local day, so the number may be called again.
    let out = window(&mut w, &sim, port, "2026-11-25T09:00:00-05:00", &["retry"]);
    assert_eq!(sim.creates_to(NUMBER).len(), 2, "{out}");
    assert_eq!(state(&w, "A1"), "reached");
    assert_eq!(appointments(&w)[0]["held"], Value::Null);
    assert!(!results_reason(&w, "A1").contains("held"));
    let summary: Value =
        serde_json::from_str(&w.run(&["status", "--date", "2026-11-25", "--json"]).ok()).unwrap();
    assert_eq!(summary["held"], serde_json::json!([]), "no longer waiting");
}

#[test]
fn a_family_on_one_number_is_one_contact_not_three_held() {
    // Two a day: the family's text and its retry. Counted by rows (three a text), the retry
    // would be held.
    let (mut w, sim, port) = clinic("[limits]\nper_day = 2\n");
    sim.script(NUMBER, vec![Step::Undeliver(30003), Step::Undeliver(30003)]);
    let family = (1..=3)
        .map(|n| format!("F{n},P{n},416-555-0101,n,y,2026-11-25 1{n}:00\n"))
        .collect::<String>();
    w.write("csv/day.csv", format!("{HEADER}{family}"));
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    assert_eq!(sim.creates_to(NUMBER).len(), 1, "one message for three");
    assert_eq!(
        w.count("SELECT count(DISTINCT sid) FROM appointment_logs WHERE sid IS NOT NULL"),
        1
    );
    assert!(holds(&w).is_empty());

    window(&mut w, &sim, port, "2026-11-24T19:45:00-05:00", &["retry"]);
    assert_eq!(
        sim.creates_to(NUMBER).len(),
        2,
        "the second contact of the day"
    );
    assert!(holds(&w).is_empty());

    // A third the same day is over two: the whole message is held, one reason each.
    w.env("REMINDERS_NOW", "2026-11-24T20:30:00-05:00");
    let dry = w.run(&["retry", "--dry-run"]).ok();
    assert!(
        dry.contains("3 appointment(s) would be held by the rules of contact (2 a day: 3)"),
        "{dry}"
    );
    assert!(holds(&w).is_empty(), "a dry run records nothing");
    let out = window(&mut w, &sim, port, "2026-11-24T20:30:00-05:00", &["retry"]);
    assert_eq!(sim.creates_to(NUMBER).len(), 2, "{out}");
    let held = holds(&w);
    assert_eq!(held.len(), 3, "{held:?}");
    assert!(
        held.iter()
            .all(|(_, rule, why)| rule == "per_day"
                && why == "held: 2 a day reached for +1416***0101"),
        "{held:?}"
    );
}

#[test]
fn without_combining_a_second_message_to_a_number_in_one_run_is_held() {
    let (mut w, sim, port) = clinic("[limits]\nper_day = 1\n[schedule]\ncombine = false\n");
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}B1,P1,416-555-0101,n,y,2026-11-25 10:00\nB2,P2,416-555-0101,n,y,2026-11-25 11:00\n"
        ),
    );
    // The dry run counts the first as made before it looks at the second.
    w.run(&["import"]).ok();
    let dry = w.run(&["send", "--dry-run"]).ok();
    assert!(
        dry.contains("1 appointment(s) would be held by the rules of contact (1 a day: 1)"),
        "{dry}"
    );
    let out = window(&mut w, &sim, port, EVENING, &["send"]);
    assert_eq!(sim.creates_to(NUMBER).len(), 1, "{out}");
    assert_eq!(
        holds(&w),
        [("B2".to_string(), "per_day".to_string(), HELD.to_string())]
    );
    assert_eq!(state(&w, "B2"), "pending");
    assert_eq!(
        results_reason(&w, "B2"),
        HELD,
        "held, not \"not contacted yet\""
    );
    // The 19:45 retry is the same day: still held. The next morning's retry makes the first
    // attempt that was not made.
    window(&mut w, &sim, port, "2026-11-24T19:45:00-05:00", &["retry"]);
    assert_eq!(sim.creates_to(NUMBER).len(), 1);
    window(&mut w, &sim, port, "2026-11-25T09:00:00-05:00", &["retry"]);
    assert_eq!(sim.creates_to(NUMBER).len(), 2);
    assert_eq!(state(&w, "B2"), "reached");
}

#[test]
fn force_lifts_contact_hours_never_a_cap() {
    let (mut w, sim, port) = clinic("[limits]\nper_day = 1\n");
    sim.script(NUMBER, vec![Step::NoAnswer]);
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 13:00\n"),
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    let out = window(
        &mut w,
        &sim,
        port,
        "2026-11-24T21:30:00-05:00",
        &["retry", "--force"],
    );
    assert_eq!(sim.creates_to(NUMBER).len(), 1, "{out}");
    assert_eq!(holds(&w).len(), 1);
}

#[test]
fn a_contact_twilio_refused_does_not_count() {
    let (mut w, sim, port) = clinic("[limits]\nper_day = 1\n");
    // Not a mobile: no text was created, and the appointment is called from now on.
    refuse(&sim, NUMBER, 400, 21614);
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,n,y,2026-11-25 13:00\n"),
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    assert_eq!(state(&w, "A1"), "retry_wait");
    window(&mut w, &sim, port, "2026-11-24T19:45:00-05:00", &["retry"]);
    let creates = sim.creates_to(NUMBER);
    assert_eq!(creates.len(), 2);
    assert!(creates[1].path.ends_with("Calls.json"));
    assert!(holds(&w).is_empty());
    assert_eq!(state(&w, "A1"), "reached");
}

fn us_health(extra: &str) -> (Workdir, Simulator, u16) {
    clinic(&format!("[limits]\nprofile = \"us-health\"\n{extra}\n"))
}

/// The identity us-health wants, at the top of the file.
fn identity(w: &Workdir) {
    let config = std::fs::read_to_string(w.join("reminders.toml")).unwrap();
    w.write(
        "reminders.toml",
        format!(
            "clinic_name = \"Bloor Street Clinic\"\ncallback_number = \"+14165550001\"\n{config}"
        ),
    );
}

#[test]
fn us_health_refuses_at_start_a_text_template_that_can_never_fit() {
    let (mut w, sim, port) = us_health("[templates]\nsms_en = \"templates/sms.txt\"\n");
    identity(&w);
    let fixed = format!("{} Reply STOP to opt out.", "x".repeat(138));
    assert_eq!(fixed.chars().count(), 161);
    w.write("templates/sms.txt", format!("{{date}} {fixed}"));
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,n,y,2026-11-25 13:00\n"),
    );
    w.run(&["import"]).ok();
    for args in [&["send"][..], &["send", "--dry-run"]] {
        let run = w.run(args);
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
        assert!(
            run.stderr()
                .contains("template templates.sms_en (templates/sms.txt)")
                && run.stderr().contains("161 characters, over the 160"),
            "{}",
            run.stderr()
        );
    }
    let _ = (&mut w, port);
    assert!(sim.creates().is_empty());
    let check = w.run(&["check"]);
    assert_eq!(check.code(), 1);
    assert!(
        check
            .stdout()
            .contains("rules of contact: template templates.sms_en"),
        "{}",
        check.stdout()
    );

    // Without the clinic's name and call-back number, us-health is a configuration error.
    let (w, _sim, _port) = us_health("");
    let run = w.run(&["status"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr()
            .contains("requires clinic_name and callback_number on every site"),
        "{}",
        run.stderr()
    );
}

#[test]
fn us_health_holds_a_combined_text_grown_past_160_and_sends_one_that_fits() {
    let (mut w, sim, port) = us_health("");
    identity(&w);
    let mut rows = (1..=5)
        .map(|n| format!("C{n},P{n},416-555-0101,n,y,2026-11-25 1{n}:00\n"))
        .collect::<String>();
    rows.push_str("S1,P9,416-555-0109,n,y,2026-11-25 10:00\n");
    w.write("csv/day.csv", format!("{HEADER}{rows}"));
    w.run(&["import"]).ok();
    let dry = w.run(&["send", "--dry-run"]).ok();
    assert!(
        dry.contains("5 appointment(s) would be held by the rules of contact (text too long: 5)"),
        "{dry}"
    );
    assert!(dry.contains("HELD: the text is"), "{dry}");

    window(&mut w, &sim, port, EVENING, &["send"]);
    assert!(
        sim.creates_to(NUMBER).is_empty(),
        "the long text is not sent"
    );
    let body = sim.creates_to("+14165550109")[0]
        .param("Body")
        .unwrap()
        .to_string();
    assert!(body.chars().count() <= 160, "{body}");
    let held = holds(&w);
    assert_eq!(held.len(), 5, "{held:?}");
    assert!(
        held.iter().all(|(_, rule, why)| rule == "text_length"
            && why.starts_with("held: the text is ")
            && why.ends_with("characters, over the 160 us-health allows")),
        "{held:?}"
    );
    assert_eq!(state(&w, "C1"), "pending");
    let rows = appointments(&w);
    let c1 = rows.iter().find(|r| r["appointment_id"] == "C1").unwrap();
    assert!(
        c1["held"]
            .as_str()
            .unwrap()
            .contains("over the 160 us-health allows"),
        "{c1}"
    );
}
