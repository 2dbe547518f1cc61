//! `status --check` (docs/status.md): every silent failure of an evening is listed with what to do,
//! and the exit code tells cron. Interrupted runs and the end of contact hours are checked where
//! those runs are made (tests/schedule.rs); failed imports in tests/status.rs.

use serde_json::Value;

use crate::common::twilio::{self, free_port, refuse, window};
use crate::common::{EVENING, Workdir};

const HEADER: &str =
    "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n";

/// The check's items as data, asserting it failed (exit 1) as cron needs.
#[track_caller]
fn check(w: &Workdir, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["status", "--check", "--json"];
    args.extend_from_slice(extra);
    let run = w.run(&args);
    assert_eq!(run.code(), 1, "{}\n{}", run.stdout(), run.stderr());
    assert!(run.stderr().contains("need attention"), "{}", run.stderr());
    serde_json::from_str::<Value>(&run.stdout())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[track_caller]
fn item<'a>(items: &'a [Value], kind: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {items:?}"))
}

#[track_caller]
fn detail(items: &[Value], kind: &str) -> String {
    item(items, kind)["detail"].as_str().unwrap().to_string()
}

#[test]
fn an_export_that_did_not_arrive() {
    let mut w = Workdir::new();
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 10:00\n"),
    );
    w.run(&["import"]).ok();
    assert_eq!(w.run(&["status", "--check"]).code(), 0);
    // The next evening the drop folder is empty: import warns and exits 0, the check fails.
    w.env("REMINDERS_NOW", "2026-11-25T21:30:00-05:00");
    let import = w.run(&["import"]);
    assert_eq!(import.code(), 0);
    assert!(
        import.stderr().contains("no CSV file"),
        "{}",
        import.stderr()
    );
    let items = check(&w, &[]);
    let d = detail(&items, "export_missing");
    assert!(
        d.contains("nothing was imported in the last 26 hours"),
        "{d}"
    );
    assert!(d.contains("(last import 2026-11-25T00:00:00Z)"), "{d}");
    assert!(
        d.contains("check that the clinic's system exported the file"),
        "{d}"
    );
    // On a day no export is expected, the same silence is fine (the windows that did not
    // run, with nothing ever sent, are another matter).
    w.write(
        "reminders.toml",
        "[schedule]\nexpect_files = [\"mon\", \"tue\"]\n",
    );
    w.env("REMINDERS_NOW", "2026-11-26T20:00:00-05:00"); // a Thursday
    let items = check(&w, &[]);
    assert!(
        items.iter().all(|i| i["kind"] != "export_missing"),
        "{items:?}"
    );
    assert!(
        items.iter().all(|i| i["kind"] == "window_missed"),
        "{items:?}"
    );
}

#[test]
fn twilio_unreachable_for_the_whole_run() {
    let mut w = Workdir::new();
    let sim = twilio::start(EVENING);
    twilio::connect(&mut w, &sim, twilio::PUBLIC_URL);
    drop(sim);
    // Nothing listens where Twilio should be.
    w.env(
        "TWILIO_API_BASE",
        &format!("http://127.0.0.1:{}", free_port()),
    );
    w.write("reminders.toml", "[sending]\ncalls_per_second = 50\n");
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 10:00\nA2,P2,416-555-0102,y,n,2026-11-25 11:00\n"
        ),
    );
    w.run(&["import"]).ok();
    let send = w.run(&["send"]);
    assert_eq!(send.code(), 1, "{}", send.stderr());
    let items = check(&w, &[]);
    let d = detail(&items, "run_unresolved");
    assert!(
        d.contains("2 contact(s) got no clear answer from Twilio"),
        "{d}"
    );
    assert!(item(&items, "run_unresolved")["subject"] == "send run #1");
}

#[test]
fn appointments_that_expired_without_a_single_attempt() {
    let mut w = Workdir::new();
    let sim = twilio::start(EVENING);
    twilio::connect(&mut w, &sim, twilio::PUBLIC_URL);
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 10:00\n"),
    );
    w.run(&["import"]).ok();
    // No window ran in time: the next afternoon's retry finds the appointment passed, untried.
    w.env("REMINDERS_NOW", "2026-11-25T15:00:00-05:00");
    w.run(&["retry"]).ok();
    assert!(sim.creates().is_empty());
    let items = check(&w, &["--date", "2026-11-25"]);
    let it = item(&items, "expired_untried");
    assert_eq!(it["subject"], "appointment A1 (patient P1)");
    assert!(
        it["detail"]
            .as_str()
            .unwrap()
            .contains("passed without a single attempt"),
        "{it}"
    );
}

#[test]
fn callbacks_that_never_arrive_are_found_by_reconcile_and_flagged() {
    let mut w = Workdir::new();
    let sim = twilio::start(EVENING);
    // Twilio is told to call back a URL where nothing listens.
    twilio::connect(&mut w, &sim, &format!("http://127.0.0.1:{}", free_port()));
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 10:00\n"),
    );
    w.run(&["import"]).ok();
    w.run(&["send"]).ok();
    let sid = twilio::sid(&sim, "+14165550101");
    sim.set_status(&sid, "completed", serde_json::json!({"duration": "31"}));
    assert_eq!(
        w.run(&["status", "--check"]).code(),
        0,
        "not yet 30 minutes"
    );
    w.env("REMINDERS_NOW", "2026-11-24T19:45:00-05:00");
    w.run(&["reconcile"]).ok();
    let items = check(&w, &[]);
    let d = detail(&items, "callbacks_missing");
    assert!(
        d.contains("check REMINDERS_PUBLIC_URL and the proxy"),
        "{d}"
    );
    assert_eq!(item(&items, "callbacks_missing")["subject"], "1 attempt(s)");
}

#[test]
fn a_reply_no_word_matched_is_listed_with_its_text() {
    let sim = twilio::start(EVENING);
    let port = free_port();
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, &format!("http://127.0.0.1:{port}"));
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,n,y,2026-11-25 10:00\n"),
    );
    sim.script(
        "+14165550101",
        vec![reminders::twilio::simulator::Step::Deliver {
            reply: Some("Is there parking near the clinic?"),
        }],
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    let items = check(&w, &[]);
    let it = item(&items, "free_text_reply");
    assert!(
        it["detail"]
            .as_str()
            .unwrap()
            .contains("the patient wrote: \"Is there parking near the clinic?\""),
        "{it}"
    );
    assert_eq!(it["subject"], "+1416***0101 about appointment A1");
}

#[test]
fn numbers_twilio_called_invalid() {
    let mut w = Workdir::new();
    let sim = twilio::start(EVENING);
    twilio::connect(&mut w, &sim, twilio::PUBLIC_URL);
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 10:00\nA2,P2,416-555-0102,n,y,2026-11-25 11:00\n"
        ),
    );
    w.run(&["import"]).ok();
    refuse(&sim, "+14165550101", 400, 21211);
    refuse(&sim, "+14165550102", 400, 21614);
    w.run(&["send"]);
    let items = check(&w, &[]);
    let bad: Vec<&Value> = items
        .iter()
        .filter(|i| i["kind"] == "number_invalid")
        .collect();
    assert_eq!(bad.len(), 2, "{items:?}");
    let all = format!("{bad:?}");
    assert!(
        all.contains("21211 not a valid phone number for +1416***0101"),
        "{all}"
    );
    assert!(
        all.contains("fix the number in the clinic's system"),
        "{all}"
    );
    assert!(!all.contains("4165550101"), "masked: {all}");
}

#[test]
fn a_database_that_is_not_there() {
    let w = Workdir::new();
    let run = w.run(&["status", "--check"]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("no database at reminders.db"),
        "{}",
        run.stderr()
    );
    assert!(!w.join("reminders.db").exists(), "status never creates one");
}
