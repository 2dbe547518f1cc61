//! Twilio that stalls, garbles or refuses: items 1, 6 and 9 of issue #10.

use std::time::{Duration, Instant};

use reminders::domain::channel::Channel;
use reminders::twilio::simulator::{Garble, Simulator, Step};
use serde_json::Value;

use super::{HEADER, bounded, call_row};
use crate::common::twilio::{self, PUBLIC_URL};
use crate::common::{EVENING, Workdir};

fn setup(rows: &[String], settings: &str) -> (Workdir, Simulator) {
    let sim = twilio::start(EVENING);
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, PUBLIC_URL);
    w.write(
        "reminders.toml",
        format!("[sending]\ncalls_per_second = 100\nsms_per_second = 100\n{settings}"),
    );
    w.write("csv/day.csv", format!("{HEADER}{}", rows.concat()));
    w.run(&["import"]).ok();
    (w, sim)
}

fn state(w: &Workdir, id: &str) -> (String, i64, Option<String>) {
    w.db()
        .query_row(
            "SELECT a.status, a.attempt_count, l.sid FROM appointments a
             LEFT JOIN appointment_logs l ON l.appointment_id = a.id
             WHERE a.appointment_id = ?1 ORDER BY l.id DESC LIMIT 1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

/// Item 1: Twilio (or a proxy) takes a request on a kept-alive connection and never answers.
/// The request's deadline ends the wait; the run asks Twilio's list, finds the call it made,
/// keeps it, and finishes — it cannot hold the run lock forever.
#[test]
fn a_request_stalled_on_a_reused_connection_ends_at_its_deadline_and_is_not_sent_twice() {
    let (w, sim) = setup(
        &[
            call_row("S1", "0101", "09:00"),
            call_row("S2", "0102", "10:00"),
        ],
        "max_in_flight = 1\n[twilio]\ntimeout_seconds = 2\n",
    );
    sim.script("+14165550102", vec![Step::Stall(Box::new(Step::Stay))]);
    let started = Instant::now();
    let run = bounded(w.command(&["send"]), Duration::from_secs(60));
    let took = started.elapsed();
    run.ok();
    assert!(took < Duration::from_secs(20), "the run took {took:?}");

    let creates = sim.creates();
    assert_eq!(creates.len(), 2, "each patient once: {creates:?}");
    assert_eq!(creates[0].param("To"), Some("+14165550101"));
    assert_eq!(creates[1].param("To"), Some("+14165550102"));
    assert_eq!(
        creates[0].connection, creates[1].connection,
        "the stalled request went out on the kept-alive connection of the first"
    );
    let asked = sim
        .received()
        .into_iter()
        .filter(|r| r.method == "GET" && r.param("To") == Some("+14165550102"))
        .count();
    assert!(
        asked >= 1,
        "the run asked Twilio's list before anything else"
    );
    let stalled_sid = sim.sid_to("+14165550102").unwrap();
    assert_eq!(
        state(&w, "S2"),
        ("in_flight".into(), 1, Some(stalled_sid)),
        "the call Twilio made is the attempt's"
    );
    assert_eq!(
        w.count("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL AND dispatched = 2"),
        1
    );
}

/// Item 6: Twilio creates the call or message, and the answer comes back as a proxy's 502,
/// Twilio's 503, an HTML page, an empty or a truncated body. Each patient is contacted once in
/// the run, and the retry that follows contacts nobody again.
#[test]
fn created_then_garbled_answers_never_make_a_second_contact() {
    let garbles = [
        ("G1", "0111", Garble::BadGateway),
        ("G2", "0112", Garble::Unavailable),
        ("G3", "0113", Garble::HtmlOk),
        ("G4", "0114", Garble::EmptyOk),
        ("G5", "0115", Garble::Truncated),
    ];
    let rows: Vec<String> = garbles
        .iter()
        .map(|(id, last4, _)| call_row(id, last4, "10:00"))
        .chain(["T1,PT1,416-555-0116,n,y,2026-11-25 10:00\n".to_string()])
        .collect();
    let (mut w, sim) = setup(&rows, "");
    for (_, last4, g) in garbles {
        sim.script(
            &format!("+1416555{last4}"),
            vec![Step::Garbled(g, Box::new(Step::Stay))],
        );
    }
    // A text, answered with a proxy's page.
    sim.script(
        "+14165550116",
        vec![Step::Garbled(Garble::BadGateway, Box::new(Step::Stay))],
    );
    let run = bounded(w.command(&["send"]), Duration::from_secs(60));
    let out = run.ok();
    assert!(out.contains("6 to contact"), "{out}");

    w.env("REMINDERS_NOW", "2026-11-24T19:45:00-05:00");
    bounded(w.command(&["retry"]), Duration::from_secs(60)).ok();

    for (id, last4, g) in garbles {
        let to = format!("+1416555{last4}");
        assert_eq!(sim.creates_to(&to).len(), 1, "{g:?}: one create for {id}");
        assert_eq!(sim.contacts(&to).calls, 1, "{g:?}");
        let sid = sim.sid_to(&to);
        assert_eq!(state(&w, id), ("in_flight".into(), 1, sid), "{g:?}");
    }
    assert_eq!(sim.creates_to("+14165550116").len(), 1);
    assert_eq!(sim.contacts("+14165550116").texts, 1);
    assert_eq!(sim.creates().len(), 6);
}

/// Item 9: a run in which Twilio answered no request (503 to every one) contacted nobody: it
/// exits 1, records why, and `status --check` lists it.
#[test]
fn a_run_that_reached_nobody_exits_1_and_check_lists_it() {
    let (w, sim) = setup(
        &[
            call_row("U1", "0121", "10:00"),
            call_row("U2", "0122", "11:00"),
        ],
        "",
    );
    for channel in [Channel::Call, Channel::Sms] {
        sim.set_default(
            channel,
            Step::Refuse {
                http: 503,
                code: 20500,
            },
        );
    }
    let run = bounded(w.command(&["send"]), Duration::from_secs(90));
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains("no contact could be made"),
        "{}",
        run.stderr()
    );
    assert_eq!(sim.resources().len(), 0, "nothing was created");
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE status = 'pending' AND attempt_count = 0"),
        2,
        "nobody's attempts were used up"
    );

    let check = w.run(&["status", "--check", "--json"]);
    assert_eq!(check.code(), 1, "{}", check.stderr());
    let items: Value = serde_json::from_str(&check.stdout()).unwrap();
    let runs: Vec<&Value> = items
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "run_error")
        .collect();
    assert_eq!(runs.len(), 1, "{items:#}");
    assert_eq!(runs[0]["subject"], "send run #1");
    assert!(
        runs[0]["detail"]
            .as_str()
            .unwrap()
            .contains("no contact could be made"),
        "{items:#}"
    );
}
