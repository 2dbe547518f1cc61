//! `send` and `retry` end to end: the real binary against a fake Twilio over HTTP.

use std::time::{Duration, Instant};

use reminders::twilio::simulator::Simulator;

use crate::common::twilio::{self, PUBLIC_URL, refuse, sid};
use crate::common::{self, EVENING, Workdir};
use crate::faults::wait_until;

fn setup() -> (Workdir, Simulator) {
    let fake = twilio::start(EVENING);
    let mut w = Workdir::new();
    twilio::connect(&mut w, &fake, PUBLIC_URL);
    w.fixture(
        "appointments-2026-11-24.csv",
        "csv/appointments-2026-11-24.csv",
    );
    w.run(&["import"]).ok();
    (w, fake)
}

fn fast(w: &Workdir, extra: &str) {
    w.write(
        "reminders.toml",
        format!("[sending]\ncalls_per_second = 100\nsms_per_second = 100\n{extra}"),
    );
}

fn state_of(w: &Workdir, appointment_id: &str) -> (String, String, i64) {
    w.db()
        .query_row(
            "SELECT status, channel, attempt_count FROM appointments WHERE appointment_id = ?1",
            [appointment_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

#[test]
fn send_contacts_everyone_once_with_the_parameters_twilio_needs() {
    let (w, fake) = setup();
    fast(&w, "");
    let out = w.run(&["send"]).ok();
    assert!(out.contains("20 to contact"), "{out}");

    let creates = fake.creates();
    assert_eq!(creates.len(), 20);
    let mut numbers: Vec<_> = creates
        .iter()
        .map(|r| r.param("To").unwrap().to_string())
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 20, "one contact per appointment");

    // A1001 (text yes) is an SMS; A1003 (neither) gets the default channel, a call.
    let sms = &fake.creates_to("+14165550101")[0];
    assert!(sms.path.ends_with("/Messages.json"));
    assert_eq!(sms.param("From"), Some("+16135550000"));
    assert_eq!(
        sms.param("Body"),
        Some(
            "Reminder: your appointment at Bloor Clinic is on Nov 25 at 9:30. Reply C to confirm, R to cancel or reschedule, STOP to opt out."
        )
    );
    assert_eq!(
        sms.param("StatusCallback"),
        Some("https://rem.example.ca/twilio/sms-status#rc=3&rp=ct,rt,5xx")
    );
    assert_eq!(sms.param("ValidityPeriod"), Some("7200"));
    assert!(sms.authorization.as_deref().unwrap().starts_with("Basic "));

    let call = &fake.creates_to("+14165550103")[0];
    assert!(call.path.ends_with("/Calls.json"));
    assert_eq!(
        call.param("StatusCallback"),
        Some("https://rem.example.ca/twilio/call-status#rc=3&rp=ct,rt,5xx")
    );
    assert_eq!(
        call.all("StatusCallbackEvent"),
        vec!["initiated", "ringing", "answered", "completed"]
    );
    assert_eq!(call.param("MachineDetection"), Some("DetectMessageEnd"));
    let twiml = call.param("Twiml").unwrap();
    assert!(twiml.contains(r#"<Say language="en-CA">Reminder: your appointment at Bloor Clinic is on Nov 25 at 11:30.</Say>"#), "{twiml}");
    let id: i64 = w
        .db()
        .query_row(
            "SELECT id FROM appointments WHERE appointment_id = 'A1003'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(twiml.contains(&format!(
        r#"action="https://rem.example.ca/twilio/voice-gather?appointment={id}""#
    )));

    // Every attempt is recorded with Twilio's SID, every appointment is in flight.
    assert_eq!(
        w.count(
            "SELECT count(*) FROM appointment_logs WHERE sid IS NOT NULL AND status = 'queued'"
        ),
        20
    );
    assert_eq!(
        w.count(
            "SELECT count(*) FROM appointments WHERE status = 'in_flight' AND attempt_count = 1"
        ),
        20
    );
    assert_eq!(w.count("SELECT count(*) FROM runs WHERE kind = 'send' AND dispatched = 20 AND finished_at IS NOT NULL"), 1);

    // A second send finds nobody pending.
    let again = w.run(&["send"]).ok();
    assert!(again.contains("0 to contact"), "{again}");
    assert_eq!(fake.creates().len(), 20);
}

#[test]
fn french_calls_use_the_configured_voice_and_hostile_text_stays_text() {
    let (w, fake) = setup();
    fast(&w, "say_voice_fr = \"Polly.Gabrielle-Neural\"\n");
    w.write(
        "csv/hostile.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,appointment_msg\n\
         H1,Q1,416-555-0199,y,n,2026-11-25 10:00,\"</Say><Dial>+19005550000</Dial><Say>\"\n",
    );
    w.run(&["import"]).ok();
    w.run(&["send"]).ok();
    let fr = fake.creates_to("+14165550105")[0]
        .param("Twiml")
        .unwrap()
        .to_string();
    assert!(
        fr.contains(r#"<Say voice="Polly.Gabrielle-Neural" language="fr-CA">Rappel : rendez-vous"#),
        "{fr}"
    );
    let hostile = fake.creates_to("+14165550199")[0]
        .param("Twiml")
        .unwrap()
        .to_string();
    let mut reader = quick_xml::Reader::from_str(&hostile);
    loop {
        match reader.read_event().expect("well-formed TwiML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                assert_ne!(e.name().0, "Dial", "{hostile}");
            }
            _ => {}
        }
    }
}

#[test]
fn dry_run_renders_and_changes_nothing() {
    let (w, fake) = setup();
    let out = w.run(&["send", "--dry-run"]).ok();
    assert!(out.contains("Dry run"), "{out}");
    // One line per message: channel, masked number, language, appointment and time, segments.
    assert!(
        out.contains("sms +1416***0101 en — A1001 2026-11-25 09:30 — GSM-7, 1 segment"),
        "{out}"
    );
    assert!(!out.contains("<Gather"), "{out}");
    assert!(out.contains("20 message(s) listed."), "{out}");
    let full = w.run(&["send", "--dry-run", "--show-messages"]).ok();
    assert!(full.contains("<Gather"), "{full}");
    assert!(
        !out.contains("4165550101") && !full.contains("4165550101"),
        "numbers stay masked"
    );
    assert!(fake.received().is_empty());
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE status = 'pending'"),
        20
    );
    assert_eq!(w.count("SELECT count(*) FROM runs"), 0);
}

#[test]
fn pacing_stays_under_the_rate_with_several_requests_in_flight() {
    let (w, fake) = setup();
    // 14 calls at 4/s, up to 8 at once: while Twilio keeps its answers, the run goes on
    // calling until 8 are out, each in its turn.
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 4\nsms_per_second = 50\nmax_in_flight = 8\n",
    );
    fake.hold_creates_from(1);
    let started = Instant::now();
    let mut child = w.spawn_quiet(&["send"]);
    wait_until(Duration::from_secs(60), "8 requests out at once", || {
        fake.held() == 8
    });
    fake.release();
    assert!(child.wait().unwrap().success());
    assert_eq!(fake.max_in_flight(), 8, "never more than max_in_flight");
    let mut calls: Vec<Instant> = fake
        .creates()
        .iter()
        .filter(|r| r.path.ends_with("Calls.json"))
        .map(|r| r.at)
        .collect();
    calls.sort();
    assert_eq!(calls.len(), 14);
    // Never above the rate: the k-th call's turn came k × 250 ms after the first's at the
    // earliest, and the first's no sooner than the run started (a bound no load can break).
    for (k, at) in calls.iter().enumerate() {
        let since = *at - started;
        assert!(
            since >= Duration::from_millis(250) * k as u32,
            "call {} arrived {since:?} after the start",
            k + 1
        );
    }
}

#[test]
fn twilio_errors_have_their_effects() {
    let (w, fake) = setup();
    fast(&w, "");
    let script = |to: &str, http: u16, code: i64| refuse(&fake, to, http, code);
    script("+14165550101", 429, 20429); // busy: retried within the run
    script("+14165550102", 400, 21610); // unsubscribed
    script("+14165550103", 400, 21211); // invalid number
    script("+14165550107", 400, 21614); // not a mobile: calls from now on
    script("+14165550104", 500, 20500); // Twilio trouble: retried
    w.run(&["send"]).ok();

    assert_eq!(fake.creates_to("+14165550101").len(), 2);
    assert_eq!(state_of(&w, "A1001").0, "in_flight");
    assert_eq!(fake.creates_to("+14165550104").len(), 2);
    assert_eq!(state_of(&w, "A1002").0, "opted_out");
    assert_eq!(
        w.count("SELECT count(*) FROM opt_outs WHERE phone_number = '+14165550102'"),
        1
    );
    assert_eq!(state_of(&w, "A1003").0, "failed");
    assert_eq!(
        state_of(&w, "A1007"),
        ("retry_wait".into(), "call".into(), 1)
    );
    let (code, msg): (i64, String) = w
        .db()
        .query_row(
            "SELECT error_code, error_message FROM appointment_logs l JOIN appointments a ON a.id = l.appointment_id WHERE a.appointment_id = 'A1003'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (code, msg.as_str()),
        (
            21211,
            "The 'To' number +1416***0103 is not a valid phone number."
        )
    );

    // The retry at 19:45 calls A1007 and never contacts the opted-out or invalid numbers.
    let mut w = w;
    w.env("REMINDERS_NOW", "2026-11-24T19:45:00-05:00");
    w.run(&["retry"]).ok();
    let retried = fake.creates_to("+14165550107");
    assert_eq!(retried.len(), 2);
    assert!(retried[1].path.ends_with("Calls.json"));
    assert_eq!(fake.creates_to("+14165550102").len(), 1);
    assert_eq!(fake.creates_to("+14165550103").len(), 1);
}

#[test]
fn bad_credentials_stop_the_run_without_using_attempts() {
    let (w, fake) = setup();
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 100\nsms_per_second = 100\nmax_in_flight = 1\n",
    );
    for n in 101..=120 {
        refuse(&fake, &format!("+14165550{n}"), 401, 20003);
    }
    let run = w.run(&["send"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains("TWILIO_AUTH_TOKEN"),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains(twilio::TOKEN));
    assert_eq!(
        fake.creates().len(),
        1,
        "the run stops at the first refusal"
    );
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE status = 'pending' AND attempt_count = 0"),
        20
    );
    assert_eq!(
        w.count("SELECT count(*) FROM runs WHERE error LIKE '%20003%'"),
        1
    );
}

#[test]
fn quiet_hours_and_expiry() {
    let (mut w, fake) = setup();
    fast(&w, "");
    w.env("REMINDERS_NOW", "2026-11-24T21:30:00-05:00");
    let run = w.run(&["send"]);
    assert_eq!(run.code(), 0);
    assert!(
        run.stderr().contains("outside the contact hours"),
        "{}",
        run.stderr()
    );
    assert!(fake.creates().is_empty());

    // Next morning at 10:00 the 08:30 and 09:30 appointments have passed.
    w.env("REMINDERS_NOW", "2026-11-25T10:00:00-05:00");
    w.run(&["send"]).ok();
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE status = 'expired'"),
        5
    );
    assert_eq!(fake.creates().len(), 15);

    let (mut w2, fake2) = setup();
    fast(&w2, "");
    w2.env("REMINDERS_NOW", "2026-11-24T21:30:00-05:00");
    w2.run(&["send", "--force", "--limit", "3"]).ok();
    assert_eq!(fake2.creates().len(), 3);
}

#[test]
fn retry_respects_the_gap_and_reconciles_lost_callbacks() {
    let (mut w, fake) = setup();
    fast(&w, "");
    w.run(&["send"]).ok();
    // Callbacks never came: Twilio knows A1003's call went unanswered and A1001's text arrived.
    fake.set_status(
        &sid(&fake, "+14165550103"),
        "no-answer",
        serde_json::json!({}),
    );
    fake.set_status(
        &sid(&fake, "+14165550101"),
        "delivered",
        serde_json::json!({}),
    );

    w.env("REMINDERS_NOW", "2026-11-24T19:10:00-05:00");
    let early = w.run(&["retry"]).ok();
    assert!(early.contains("last attempt too recent"), "{early}");
    assert_eq!(fake.creates().len(), 20);
    assert_eq!(state_of(&w, "A1001").0, "reached");
    assert_eq!(state_of(&w, "A1003").0, "retry_wait");

    w.env("REMINDERS_NOW", "2026-11-24T19:45:00-05:00");
    w.run(&["retry"]).ok();
    assert_eq!(fake.creates_to("+14165550103").len(), 2);
    assert_eq!(fake.creates_to("+14165550101").len(), 1);
    assert_eq!(fake.creates().len(), 21);
    assert_eq!(
        state_of(&w, "A1003"),
        ("in_flight".into(), "call".into(), 2)
    );
}

#[test]
fn killed_mid_run_then_rerun_contacts_everyone_exactly_once() {
    let (w, fake) = setup();
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 50\nsms_per_second = 50\nmax_in_flight = 4\n",
    );
    // Killed while Twilio has created four calls and answered none.
    fake.hold_creates_from(1);
    let mut child = w.spawn_quiet(&["send"]);
    wait_until(Duration::from_secs(60), "four requests out", || {
        fake.held() == 4
    });
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    fake.release();
    assert_eq!(fake.creates().len(), 4, "killed mid-run");
    assert_eq!(
        w.count("SELECT count(*) FROM appointment_logs WHERE status = 'dispatching'"),
        4
    );

    let out = w.run(&["send"]).ok();
    assert!(out.contains("had reached Twilio and were kept"), "{out}");
    let creates = fake.creates();
    assert_eq!(creates.len(), 20, "every patient exactly once");
    let mut numbers: Vec<_> = creates
        .iter()
        .map(|r| r.param("To").unwrap().to_string())
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 20);
    assert_eq!(
        w.count(
            "SELECT count(*) FROM appointments WHERE status = 'in_flight' AND attempt_count = 1"
        ),
        20
    );
    assert_eq!(
        w.count("SELECT count(DISTINCT sid) FROM appointment_logs WHERE sid IS NOT NULL"),
        20
    );
}

#[test]
fn two_sends_at_once_contact_everyone_exactly_once() {
    let (w, fake) = setup();
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 40\nsms_per_second = 40\n",
    );
    fake.set_latency(Duration::from_millis(50));
    let first = w.command(&["send"]).spawn().unwrap();
    let second = w.command(&["send"]).spawn().unwrap();
    common::Run(first.wait_with_output().unwrap()).ok();
    common::Run(second.wait_with_output().unwrap()).ok();
    assert_eq!(fake.creates().len(), 20);
}

#[test]
fn a_second_run_gives_up_after_the_lock_wait_and_names_the_holder() {
    let (w, fake) = setup();
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 100\nsms_per_second = 100\nlock_wait_seconds = 0\n",
    );
    // The second starts while the first waits on Twilio.
    fake.hold_creates_from(1);
    let mut first = w.spawn_quiet(&["send"]);
    wait_until(
        Duration::from_secs(60),
        "the first run's first request",
        || fake.held() > 0,
    );
    let second = w.run(&["retry"]);
    assert_eq!(second.code(), 3, "{}", second.stderr());
    assert!(
        second.stderr().contains("send run #1"),
        "{}",
        second.stderr()
    );
    fake.release();
    assert!(first.wait().unwrap().success());
}

#[test]
fn reconcile_applies_lost_outcomes_without_contacting_anyone() {
    let (w, fake) = setup();
    fast(&w, "");
    w.run(&["send"]).ok();
    fake.set_status(
        &sid(&fake, "+14165550104"),
        "completed",
        serde_json::json!({"answered_by": "human", "duration": "31"}),
    );
    fake.set_status(&sid(&fake, "+14165550106"), "busy", serde_json::json!({}));
    fake.set_status(
        &sid(&fake, "+14165550102"),
        "undelivered",
        serde_json::json!({"error_code": 30006}),
    );
    let out = w.run(&["reconcile"]).ok();
    assert!(out.contains("3 outcome(s) fetched and applied"), "{out}");
    assert_eq!(fake.creates().len(), 20, "nobody contacted");
    assert_eq!(state_of(&w, "A1004").0, "reached");
    assert_eq!(state_of(&w, "A1006").0, "retry_wait");
    assert_eq!(
        state_of(&w, "A1002"),
        ("retry_wait".into(), "call".into(), 1)
    );
    let duration: i64 = w
        .db()
        .query_row(
            "SELECT duration FROM appointment_logs WHERE sid = ?1",
            [sid(&fake, "+14165550104")],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(duration, 31);
    assert_eq!(
        w.count("SELECT count(*) FROM runs WHERE kind = 'reconcile' AND finished_at IS NOT NULL"),
        1
    );
}
