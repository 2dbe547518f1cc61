//! The reminder schedule end to end (docs/behaviour.md, "The schedule and its touches"): touches
//! days ahead across several evenings, contact hours checked at every contact, the fit check, and
//! interrupted runs.

use std::process::Stdio;
use std::time::Duration;

use reminders::twilio::simulator::{Simulator, Step};

use crate::common::twilio::{self, clinic, state, window};
use crate::common::{EVENING, Run, Workdir, terminate};
use crate::faults::wait_until;

const HEADER: &str =
    "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n";

fn calls_to(sim: &Simulator, n: u32) -> usize {
    sim.creates_to(&format!("+1416555{n:04}")).len()
}

#[test]
fn touches_three_and_one_day_before_across_three_evenings_each_exactly_once() {
    let (mut w, sim, port) = clinic("[schedule]\ndays_before = [3, 1]\n");
    // Appointments 1, 2, 3 and 5 days after the evening of the 24th.
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}A1,P1,416-555-0001,y,n,2026-11-25 10:00\n\
             A2,P2,416-555-0002,y,n,2026-11-26 10:00\n\
             A3,P3,416-555-0003,y,n,2026-11-27 10:00\n\
             A5,P5,416-555-0005,y,n,2026-11-29 10:00\n"
        ),
    );
    let evening = |day: u32| format!("2026-11-{day}T19:00:00-05:00");
    window(&mut w, &sim, port, &evening(24), &["import", "--now"]);
    // The 24th: A1 its day-before touch, A2 and A3 their three-days touch; A5 not yet.
    let counts = |sim: &Simulator| [1, 2, 3, 5].map(|n| calls_to(sim, n));
    assert_eq!(counts(&sim), [1, 1, 1, 0]);
    // Running again the same evening contacts nobody.
    window(&mut w, &sim, port, "2026-11-24T19:30:00-05:00", &["send"]);
    window(&mut w, &sim, port, "2026-11-24T19:45:00-05:00", &["retry"]);
    assert_eq!(counts(&sim), [1, 1, 1, 0]);

    // The 25th: A2's day-before touch (it was reached at its first: reached patients get the
    // later touches too); A3 already had the touch due for it.
    window(&mut w, &sim, port, &evening(25), &["send"]);
    assert_eq!(counts(&sim), [1, 2, 1, 0]);
    // The 26th: A3's day-before touch, A5's three-days touch.
    window(&mut w, &sim, port, &evening(26), &["send"]);
    window(&mut w, &sim, port, "2026-11-26T19:45:00-05:00", &["retry"]);
    assert_eq!(counts(&sim), [1, 2, 2, 1]);
    // Every attempt knows its touch, and status shows it.
    let touches: Vec<(String, i64)> = {
        let db = w.db();
        let mut stmt = db
            .prepare(
                "SELECT a.appointment_id, l.touch_days FROM appointment_logs l
                 JOIN appointments a ON a.id = l.appointment_id ORDER BY l.id",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let t = |id: &str, d: i64| (id.to_string(), d);
    let mut touches = touches;
    touches.sort();
    assert_eq!(
        touches,
        [
            t("A1", 1),
            t("A2", 1),
            t("A2", 3),
            t("A3", 1),
            t("A3", 3),
            t("A5", 3)
        ]
    );
    assert_eq!(state(&w, "A3"), "reached");
}

#[test]
fn a_confirmation_after_the_first_touch_stops_the_second() {
    let (mut w, sim, port) = clinic("[schedule]\ndays_before = [3, 1]\n");
    sim.script("+14165550003", vec![Step::Answer { press: Some("1") }]);
    w.write(
        "csv/day.csv",
        format!("{HEADER}A3,P3,416-555-0003,y,n,2026-11-27 10:00\n"),
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    assert_eq!(state(&w, "A3"), "confirmed");
    window(&mut w, &sim, port, "2026-11-26T19:00:00-05:00", &["send"]);
    window(&mut w, &sim, port, "2026-11-27T09:00:00-05:00", &["retry"]);
    assert_eq!(calls_to(&sim, 3), 1, "confirmed: no second touch");
}

#[test]
fn a_moved_appointments_new_time_is_reminded_at_the_next_window() {
    let (mut w, sim, port) = clinic("");
    w.write(
        "csv/a.csv",
        format!("{HEADER}A1,P1,416-555-0001,y,n,2026-11-25 10:00\n"),
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    assert_eq!(calls_to(&sim, 1), 1);
    // The clinic moves it to the afternoon: the 19:45 window reminds the new time, once.
    w.write(
        "csv/b.csv",
        format!("{HEADER}A1,P1,416-555-0001,y,n,2026-11-25 15:00\n"),
    );
    w.env("REMINDERS_NOW", "2026-11-24T19:30:00-05:00");
    w.run(&["import"]).ok();
    window(&mut w, &sim, port, "2026-11-24T19:45:00-05:00", &["retry"]);
    window(&mut w, &sim, port, "2026-11-25T09:00:00-05:00", &["retry"]);
    assert_eq!(calls_to(&sim, 1), 2);
    let twiml = sim.creates_to("+14165550001")[1]
        .param("Twiml")
        .unwrap()
        .to_string();
    assert!(twiml.contains("3:00 PM"), "{twiml}");
    let (old, reason): (String, String) = w
        .db()
        .query_row(
            "SELECT status, withdrawn_reason FROM appointments WHERE appt_date_time = '2026-11-25T15:00:00Z'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((old.as_str(), reason.as_str()), ("withdrawn", "moved"));
}

/// Twelve calls due, each patient its own number.
fn twelve(w: &Workdir) {
    let mut csv = HEADER.to_string();
    for n in 1..=12 {
        csv.push_str(&format!("A{n},P{n},416-555-{n:04},y,n,2026-11-25 13:00\n"));
    }
    w.write("csv/day.csv", csv);
}

#[test]
fn a_run_reaching_the_end_of_contact_hours_stops_and_the_morning_contacts_the_rest_once() {
    let sim = twilio::start(EVENING);
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, twilio::PUBLIC_URL);
    // One call at a time, so the calls made before 21:00 are exactly those Twilio answered.
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 10\nmax_in_flight = 1\n",
    );
    twelve(&w);
    w.run(&["import"]).ok();
    // A second before 21:00, ten calls a second: the twelve will not fit.
    w.hold_clock("2026-11-24T20:59:59-05:00");
    sim.hold_creates_from(4);
    let child = w
        .command(&["send"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // 21:00 comes while Twilio is creating the fourth call.
    wait_until(Duration::from_secs(60), "the fourth call", || {
        sim.held() == 1
    });
    w.move_clock("2026-11-24T21:00:01-05:00");
    sim.release();
    let run = Run(child.wait_with_output().unwrap());
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let evening = sim.creates().len();
    assert_eq!(evening, 4, "the calls made before 21:00");
    assert!(
        run.stderr()
            .contains("will not fit before contact hours end at 21:00"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("contact hours ended during the run"),
        "{}",
        run.stderr()
    );
    let (outcome, left): (String, i64) = w
        .db()
        .query_row("SELECT outcome, left_for_next FROM runs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(outcome, "stopped at the end of contact hours");
    assert_eq!(left as usize, 12 - evening);
    // The evening's check says so, with the count and what happens to them.
    let check = w.run(&["status", "--check", "--json"]);
    assert_eq!(check.code(), 1);
    let items: serde_json::Value = serde_json::from_str(&check.stdout()).unwrap();
    let stopped = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "run_stopped")
        .unwrap_or_else(|| panic!("{items}"));
    assert!(
        stopped["detail"].as_str().unwrap().contains(&format!(
            "contact hours ended during the run; {} contact(s) left for the next window",
            12 - evening
        )),
        "{stopped}"
    );

    // 09:00: the first attempts that were not made are made, by retry, each exactly once.
    w.move_clock("2026-11-25T09:00:00-05:00");
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 50\nmax_in_flight = 2\n",
    );
    w.run(&["retry"]).ok();
    let creates = sim.creates();
    assert_eq!(creates.len(), 12);
    let mut to: Vec<&str> = creates.iter().filter_map(|c| c.param("To")).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 12, "each patient exactly once");
}

#[test]
fn the_fit_check_says_what_will_not_fit_and_the_rate_needed() {
    let sim = twilio::start(EVENING);
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, twilio::PUBLIC_URL);
    w.write("reminders.toml", "[sending]\ncalls_per_second = 0.01\n");
    twelve(&w);
    w.run(&["import"]).ok();
    // 20:50: ten minutes of contact hours left, six calls' worth at one every 100 s.
    w.env("REMINDERS_NOW", "2026-11-24T20:50:00-05:00");
    let run = w.run(&["send", "--dry-run"]);
    let err = run.stderr();
    assert!(
        err.contains(
            "6 of 12 contact(s) will not fit before contact hours end at 21:00 (America/Toronto)"
        ),
        "{err}"
    );
    assert!(
        err.contains("fitting them would take 0.02 calls/s"),
        "{err}"
    );
    assert!(sim.creates().is_empty());
}

#[test]
fn sigterm_stops_new_contacts_and_the_run_is_recorded_interrupted() {
    let sim = twilio::start(EVENING);
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, twilio::PUBLIC_URL);
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 2\nmax_in_flight = 1\n",
    );
    twelve(&w);
    w.run(&["import"]).ok();
    // SIGTERM comes while Twilio is creating the second call.
    sim.hold_creates_from(2);
    let child = w
        .command(&["send"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(60), "the second call", || {
        sim.held() == 1
    });
    terminate(child.id());
    sim.release();
    let out = child.wait_with_output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("interrupted"), "{stdout}");
    let sent = sim.creates().len();
    assert_eq!(
        sent, 2,
        "the call out when the signal came ends; no new one starts"
    );
    let (outcome, dispatched): (String, i64) = w
        .db()
        .query_row("SELECT outcome, dispatched FROM runs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(outcome, "interrupted");
    assert_eq!(
        dispatched as usize, sent,
        "every contact in flight recorded"
    );
    assert_eq!(
        w.count("SELECT count(*) FROM appointment_logs WHERE status = 'dispatching'"),
        0
    );
    let check = w.run(&["status", "--check"]);
    assert_eq!(check.code(), 1);
    assert!(
        check.stdout().contains("run_interrupted") && check.stdout().contains("was interrupted"),
        "{}",
        check.stdout()
    );
    // The next run contacts the rest, each once.
    w.write("reminders.toml", "[sending]\ncalls_per_second = 50\n");
    w.run(&["send"]).ok();
    assert_eq!(sim.creates().len(), 12);
}
