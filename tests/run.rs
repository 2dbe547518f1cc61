//! `reminders run`, the heartbeat: called every five minutes of a simulated evening and
//! morning by a process whose zone is UTC (as cloud servers are, and as Debian's cron reads its
//! lines), it keeps each site's windows in the site's own zone.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reminders::domain::channel::Channel;
use reminders::twilio::simulator::{Simulator, Step};

use crate::common::Workdir;
use crate::common::listener::Listener;
use crate::common::twilio::{self, at, free_port, state};
use crate::faults::wait_until;

const TWO_SITES: &str = "[sending]\ncalls_per_second = 50\nsms_per_second = 50\n\n\
[sites.bloor]\nnames = [\"Bloor\"]\nphone_number = \"+14165550900\"\n\n\
[sites.west]\nnames = [\"Kitsilano\"]\ntimezone = \"America/Vancouver\"\n\
phone_number = \"+16045550900\"\n";

/// A workdir whose every command runs with TZ=UTC, connected to a simulator that answers
/// every call; its listener's port.
fn utc_clinic(config: &str, start: &str) -> (Workdir, Simulator, u16) {
    let sim = twilio::start(start);
    sim.set_default(Channel::Call, Step::Answer { press: None });
    sim.set_default(Channel::Sms, Step::Deliver { reply: None });
    let port = free_port();
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, &format!("http://127.0.0.1:{port}"));
    w.env("TZ", "UTC").env("REMINDERS_NOW", start);
    w.write("reminders.toml", config);
    (w, sim, port)
}

/// `run` every five minutes from `from` to `to` (UTC), the listener up throughout; which
/// numbers Twilio was asked to call or text at each tick, and each tick's exit code and
/// output when it printed anything.
fn ticks(
    w: &mut Workdir,
    sim: &Simulator,
    port: u16,
    from: &str,
    to: &str,
) -> Vec<(String, String)> {
    let listener = Listener::start_on(w, port);
    let (mut t, end) = (at(from), at(to));
    let mut contacts = Vec::new();
    while t <= end {
        let now = t.to_rfc3339();
        w.env("REMINDERS_NOW", &now);
        sim.set_now(t);
        let before = sim.creates().len();
        let out = w.run(&["run"]);
        assert!(
            out.code() == 0,
            "run at {now} exited {}: {}{}",
            out.code(),
            out.stdout(),
            out.stderr()
        );
        if before == sim.creates().len() {
            assert_eq!(
                out.stdout(),
                "",
                "a tick with nothing due prints nothing ({now})"
            );
        }
        sim.deliver().expect("callbacks stored");
        // Within a tick the workers go in any order: sorted by number.
        let mut made: Vec<(String, String)> = sim.creates()[before..]
            .iter()
            .map(|c| (hhmm(t), c.param("To").unwrap_or("").to_string()))
            .collect();
        made.sort();
        contacts.extend(made);
        t += chrono::Duration::minutes(5);
    }
    listener.stop();
    contacts
}

fn hhmm(t: DateTime<Utc>) -> String {
    t.format("%d %H:%MZ").to_string()
}

fn pair(t: &str, to: &str) -> (String, String) {
    (t.to_string(), to.to_string())
}

#[test]
fn each_sites_windows_run_once_at_their_own_local_times_on_a_utc_server() {
    let (mut w, sim, port) = utc_clinic(TWO_SITES, "2026-11-24T23:30:00Z");
    // B2 and W2 answer nobody twice, then pick up at the morning's retry.
    for number in ["+14165550302", "+16045550302"] {
        sim.script(number, vec![Step::NoAnswer, Step::NoAnswer]);
    }
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,clinic\n\
         B1,P1,416-555-0301,y,n,2026-11-25 09:00,Bloor\n\
         B2,P2,416-555-0302,y,n,2026-11-25 10:00,Bloor\n\
         W1,P3,604-555-0301,y,n,2026-11-25 09:00,Kitsilano\n\
         W2,P4,604-555-0302,y,n,2026-11-25 11:00,Kitsilano\n",
    );
    // The evening (18:30 in Toronto to 20:30 in Vancouver) and the morning (08:30 to 10:30),
    // every five minutes; the night between has no window.
    let mut contacts = ticks(
        &mut w,
        &sim,
        port,
        "2026-11-24T23:30:00Z",
        "2026-11-25T04:30:00Z",
    );
    contacts.extend(ticks(
        &mut w,
        &sim,
        port,
        "2026-11-25T13:30:00Z",
        "2026-11-25T18:30:00Z",
    ));
    assert_eq!(
        contacts,
        [
            // Toronto 19:00 (00:00 UTC): Bloor's send; 19:45: its retry.
            pair("25 00:00Z", "+14165550301"),
            pair("25 00:00Z", "+14165550302"),
            pair("25 00:45Z", "+14165550302"),
            // Vancouver 19:00 and 19:45.
            pair("25 03:00Z", "+16045550301"),
            pair("25 03:00Z", "+16045550302"),
            pair("25 03:45Z", "+16045550302"),
            // 09:00 in Toronto, then in Vancouver.
            pair("25 14:00Z", "+14165550302"),
            pair("25 17:00Z", "+16045550302"),
        ]
    );
    for id in ["B1", "B2", "W1", "W2"] {
        assert_eq!(state(&w, id), "reached", "{id}");
    }
    // Each window once per site: three windows, two sites.
    let windows: Vec<(String, String, String)> = {
        let db = w.db();
        let mut stmt = db
            .prepare(
                "SELECT sites, window, window_date FROM runs WHERE window IS NOT NULL ORDER BY id",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let expect = |s: &str, win: &str, d: &str| (s.to_string(), win.to_string(), d.to_string());
    assert_eq!(
        windows,
        [
            expect("bloor", "send 19:00", "2026-11-24"),
            expect("bloor", "retry 19:45", "2026-11-24"),
            expect("west", "send 19:00", "2026-11-24"),
            expect("west", "retry 19:45", "2026-11-24"),
            expect("bloor", "retry 09:00", "2026-11-25"),
            expect("west", "retry 09:00", "2026-11-25"),
        ]
    );
    // Nothing missed, nothing late.
    w.env("REMINDERS_NOW", "2026-11-25T17:40:00Z");
    let check = w.run(&["status", "--check", "--date", "2026-11-25"]);
    assert!(!check.stdout().contains("window_"), "{}", check.stdout());
}

#[test]
fn a_missed_send_is_caught_up_and_reported_late_and_none_at_all_is_named() {
    let (mut w, sim, port) =
        utc_clinic("[sending]\ncalls_per_second = 50\n", "2026-11-24T23:00:00Z");
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n\
         A1,P1,416-555-0311,y,n,2026-11-25 09:00\n",
    );
    w.run(&["import"]).ok();
    // No run at all by 20:30: the 19:00 send and 19:45 retry are named, exit 1, in lines a
    // mail can carry.
    w.env("REMINDERS_NOW", "2026-11-25T01:30:00Z");
    let check = w.run(&["status", "--check"]);
    assert_eq!(check.code(), 1, "{}", check.stderr());
    let text = check.stdout();
    assert!(text.contains("window_missed — the 19:00 send"), "{text}");
    assert!(text.contains("the 19:00 send did not run"), "{text}");
    assert!(text.contains("window_missed — the 19:45 retry"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(!text.contains('│') && !text.contains('─'), "{text}");

    // Cron comes back at 19:20: the send runs, late, and says so.
    let contacts = ticks(
        &mut w,
        &sim,
        port,
        "2026-11-25T00:20:00Z",
        "2026-11-25T00:40:00Z",
    );
    assert_eq!(contacts, [pair("25 00:20Z", "+14165550311")]);
    w.env("REMINDERS_NOW", "2026-11-25T00:41:00Z");
    let check = w.run(&["status", "--check"]);
    let text = check.stdout();
    assert!(
        text.contains("the 19:00 send ran at 19:20, 20 minutes late"),
        "{text}"
    );
    assert!(!text.contains("window_missed"), "{text}");
}

#[test]
fn a_window_past_its_catch_up_is_not_run_and_the_next_window_does_its_work() {
    let (mut w, sim, port) = utc_clinic(
        "[sending]\ncalls_per_second = 50\n[schedule]\ncatch_up_minutes = 30\n",
        "2026-11-24T23:00:00Z",
    );
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n\
         A1,P1,416-555-0321,y,n,2026-11-25 09:00\n",
    );
    w.run(&["import"]).ok();
    // 19:35: the send is past its 30 minutes; nothing runs until 19:45's retry, which makes the
    // first attempt.
    let contacts = ticks(
        &mut w,
        &sim,
        port,
        "2026-11-25T00:35:00Z",
        "2026-11-25T00:50:00Z",
    );
    assert_eq!(contacts, [pair("25 00:45Z", "+14165550321")]);
}

#[test]
fn run_returns_at_once_with_exit_0_while_another_run_holds_the_lock() {
    // A send or retry by hand would wait up to lock_wait_seconds (two minutes here).
    let (mut w, sim, _port) = utc_clinic(
        "[sending]\ncalls_per_second = 50\nlock_wait_seconds = 120\n[twilio]\ntimeout_seconds = 60\n",
        "2026-11-25T00:00:00Z",
    );
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n\
         A1,P1,416-555-0331,y,n,2026-11-25 09:00\n",
    );
    w.run(&["import"]).ok();
    sim.script("+14165550331", vec![Step::Stall(Box::new(Step::Stay))]);
    let mut send = w.spawn_quiet(&["send"]);
    wait_until(Duration::from_secs(20), "the send's call", || {
        !sim.creates().is_empty()
    });
    let started = Instant::now();
    let out = w.run(&["run"]);
    let took = started.elapsed();
    send.kill().unwrap();
    send.wait().unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr());
    assert!(took < Duration::from_secs(60), "run waited {took:?}");
    assert_eq!(sim.creates().len(), 1, "nobody contacted twice");
    // The window is still to do: the next tick runs it (and finds the call the killed send made).
    assert_eq!(
        w.count("SELECT count(*) FROM runs WHERE window = 'send 19:00' AND outcome = 'completed'"),
        0
    );
    w.env("REMINDERS_NOW", "2026-11-25T00:05:00Z");
    let out = w.run(&["run"]);
    assert_eq!(out.code(), 0, "{}", out.stderr());
    assert_eq!(
        sim.creates().len(),
        1,
        "the killed send's call was found, not made again"
    );
}

#[test]
fn windows_keep_local_time_across_the_spring_change() {
    let (mut w, sim, port) =
        utc_clinic("[sending]\ncalls_per_second = 50\n", "2027-03-13T23:30:00Z");
    sim.script("+14165550341", vec![Step::NoAnswer, Step::NoAnswer]);
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n\
         D1,P1,416-555-0341,y,n,2027-03-14 14:00\n",
    );
    // 19:00 EST on the 13th is 00:00 UTC; 09:00 EDT on the 14th is 13:00 UTC, not 14:00.
    let contacts = ticks(
        &mut w,
        &sim,
        port,
        "2027-03-13T23:30:00Z",
        "2027-03-14T14:30:00Z",
    );
    assert_eq!(
        contacts,
        [
            pair("14 00:00Z", "+14165550341"),
            pair("14 00:45Z", "+14165550341"),
            pair("14 13:00Z", "+14165550341"),
        ]
    );
    assert_eq!(state(&w, "D1"), "reached");
}

#[test]
fn a_refused_window_is_recorded_once_a_day_and_listed() {
    let (mut w, _sim, _port) = utc_clinic("", "2026-11-24T23:00:00Z");
    w.env("TWILIO_AUTH_TOKEN", "");
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n\
         A1,P1,416-555-0351,y,n,2026-11-25 09:00\n",
    );
    w.env("REMINDERS_NOW", "2026-11-25T00:00:00Z");
    let first = w.run(&["run"]);
    assert_eq!(first.code(), 1);
    assert!(
        first.stderr().contains("the 19:00 send was refused"),
        "{}",
        first.stderr()
    );
    assert!(
        first.stderr().contains("TWILIO_AUTH_TOKEN"),
        "{}",
        first.stderr()
    );
    // The next tick: the same refusal is not mailed again.
    w.env("REMINDERS_NOW", "2026-11-25T00:05:00Z");
    let again = w.run(&["run"]);
    assert_eq!(again.code(), 0, "{}", again.stderr());
    assert_eq!(again.stderr(), "");
    assert_eq!(
        w.count("SELECT count(*) FROM runs WHERE outcome = 'refused'"),
        1
    );
    w.env("REMINDERS_NOW", "2026-11-25T01:30:00Z");
    let check = w.run(&["status", "--check"]);
    assert!(check.stdout().contains("run_refused"), "{}", check.stdout());
    assert!(
        check.stdout().contains("TWILIO_AUTH_TOKEN"),
        "{}",
        check.stdout()
    );
    assert_eq!(state(&w, "A1"), "pending");
}

/// A hand `send` refused for missing credentials is recorded too.
#[test]
fn a_refused_send_by_hand_is_recorded_and_listed() {
    let (mut w, _sim, _port) = utc_clinic("", "2026-11-25T00:00:00Z");
    w.env("REMINDERS_PUBLIC_URL", "");
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n\
         A1,P1,416-555-0361,y,n,2026-11-25 09:00\n",
    );
    let out = w.run(&["import", "--now"]);
    assert_eq!(out.code(), 2, "{}", out.stderr());
    let check = w.run(&["status", "--check"]);
    assert!(check.stdout().contains("run_refused"), "{}", check.stdout());
    assert!(
        check.stdout().contains("REMINDERS_PUBLIC_URL"),
        "{}",
        check.stdout()
    );
}

/// A wrong token is found by `reconcile` even with nothing to fetch, not first at 19:00.
#[test]
fn reconcile_with_a_wrong_token_fails() {
    let (mut w, _sim, _port) = utc_clinic("", "2026-11-24T20:00:00Z");
    w.empty_db();
    assert_eq!(w.run(&["reconcile"]).code(), 0, "the right token");
    w.env("TWILIO_AUTH_TOKEN", "not-the-token");
    let out = w.run(&["reconcile"]);
    assert_eq!(out.code(), 1, "{}", out.stderr());
    assert!(
        out.stderr().contains("TWILIO_AUTH_TOKEN"),
        "{}",
        out.stderr()
    );
    assert!(!out.stderr().contains("not-the-token"));
}

/// An import's rejected rows are news on the day of the import, not every evening and
/// morning after it.
#[test]
fn rejected_rows_alarm_on_the_day_of_their_import_only() {
    let (mut w, _sim, _port) = utc_clinic("", "2026-11-24T23:30:00Z");
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n\
         A1,P1,416-555-0371,y,n,2026-11-25 09:00\n\
         A2,P2,not-a-number,y,n,2026-11-25 10:00\n",
    );
    w.run(&["import"]).ok();
    let kinds = |w: &Workdir| -> Vec<String> {
        let out = w.run(&["status", "--check", "--json"]);
        let j: serde_json::Value =
            serde_json::from_str(&out.stdout()).unwrap_or(serde_json::Value::Array(vec![]));
        j.as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["kind"].as_str().map(String::from))
            .collect()
    };
    assert!(kinds(&w).contains(&"import_rejected_rows".to_string()));
    // The next morning (a new local day in Toronto), the same rows are old news.
    w.env("REMINDERS_NOW", "2026-11-25T14:30:00Z");
    assert!(
        !kinds(&w).contains(&"import_rejected_rows".to_string()),
        "{:?}",
        kinds(&w)
    );
}

/// A send killed -9 after Twilio took some of its calls: the next command that takes the lock
/// records it as died with what it had placed, and `--check` says "died" in those words.
#[test]
fn a_send_killed_mid_run_is_recorded_as_died_with_what_it_had_placed() {
    let (mut w, sim, _port) = utc_clinic(
        "[sending]\ncalls_per_second = 50\nmax_in_flight = 1\n[twilio]\ntimeout_seconds = 60\n",
        "2026-11-25T00:00:00Z",
    );
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n\
         K1,P1,416-555-0381,y,n,2026-11-25 09:00\n\
         K2,P2,416-555-0382,y,n,2026-11-25 09:30\n\
         K3,P3,416-555-0383,y,n,2026-11-25 10:00\n",
    );
    w.run(&["import"]).ok();
    sim.script("+14165550383", vec![Step::Stall(Box::new(Step::Stay))]);
    let mut send = w.spawn_quiet(&["send"]);
    wait_until(Duration::from_secs(30), "three calls", || {
        sim.creates().len() >= 3
    });
    send.kill().unwrap();
    send.wait().unwrap();
    w.env("REMINDERS_NOW", "2026-11-25T00:10:00Z");
    w.run(&["reconcile"]).ok();
    let runs: serde_json::Value =
        serde_json::from_str(&w.run(&["status", "runs", "--json"]).stdout()).unwrap();
    let send_run = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "send")
        .expect("the send run");
    assert_eq!(send_run["outcome"], "died", "{send_run}");
    assert_eq!(
        send_run["dispatched"], 2,
        "the two calls Twilio took: {send_run}"
    );
    // Plain lines for mail: the words read across the line breaks.
    let check = w.run(&["status", "--check"]).stdout();
    let words = check.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("run_died")
            && words.contains("died before it finished")
            && words.contains("after Twilio had taken 2 contact(s)"),
        "{check}"
    );
    assert_eq!(sim.creates().len(), 3, "nobody contacted twice");
}
