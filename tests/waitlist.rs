//! The waitlist (docs/waitlist.md): a slot a patient gives back is offered by text to the
//! patients waiting for an earlier one, in waves; the first YES wins — through the real binary,
//! the real listener and the simulator.

use std::thread;

use reminders::twilio::simulator::{Simulator, Step};

use crate::common::Workdir;
use crate::common::listener::{Listener, encode, sign};
use crate::common::twilio::{FROM, clinic, state, window};

const SITES: &str = "[sites.main]\nnames = [\"Main\"]\nclinic_name = \"Bloor Clinic\"\n\
                     [sites.east]\nnames = [\"East\"]\n";
const HEADER: &str = "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,clinic,provider,visit_type,duration_minutes\n";

/// Puts waiting patients on the list the way a clinic does: a waitlist file in the drop
/// folder, imported. One line each, `site,patient,phone,provider,visit type,minutes
/// needed,earliest,latest,booking they would move from,added` (an empty field is no value).
fn waiting(w: &Workdir, entries: &[&str]) {
    let mut file = String::from(
        "clinic,patient_id,phone_number,provider,visit_type,duration_minutes,earliest,latest,appointment_id,added\n",
    );
    for line in entries {
        assert_eq!(line.split(',').count(), 10, "{line}");
        file.push_str(line);
        file.push('\n');
    }
    w.write("csv/waitlist.csv", file);
    let out = w.run(&["import"]).ok();
    assert!(out.contains("waitlist"), "{out}");
    assert_eq!(
        w.count("SELECT count(*) FROM waitlist_entries") as usize,
        entries.len(),
        "{out}"
    );
}

/// The offers Twilio was asked to send to `to`: their words.
fn offers_to(sim: &Simulator, to: &str) -> Vec<String> {
    sim.creates_to(to)
        .iter()
        .filter_map(|r| r.param("Body").map(str::to_string))
        .filter(|b| b.contains("opened on"))
        .collect()
}

fn all_offers(sim: &Simulator) -> usize {
    sim.creates()
        .iter()
        .filter(|r| r.param("Body").is_some_and(|b| b.contains("opened on")))
        .count()
}

/// A patient's text to our number, through the listener; its TwiML answer.
fn text(listener: &Listener, port: u16, sid: &str, from: &str, body: &str) -> String {
    let params = [
        ("MessageSid", sid),
        ("From", from),
        ("To", FROM),
        ("Body", body),
    ];
    let url = format!("http://127.0.0.1:{port}/twilio/sms-inbound");
    let (code, answer) = listener.post_with(
        "/twilio/sms-inbound",
        &encode(&params),
        Some(&sign(&url, &params)),
    );
    assert_eq!(code, 200, "{answer}");
    answer
}

/// An evening: A1 (Main, Dr. Singh, cleaning, 30 minutes, Wed 10:00) reached by text at 19:00,
/// the patient answers R; the waiting list holds one entry for each rule that leaves a patient
/// out, and four who fit.
fn freed_slot() -> (Workdir, Simulator, u16) {
    let (mut w, sim, port) = clinic(SITES);
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,n,y,2026-11-25 10:00,Main,Dr. Singh,Cleaning,30\n\
             B1,P19,416-555-0119,n,y,2026-11-25 08:30,Main,Dr. Singh,Cleaning,30\n\
             B2,P14,416-555-0114,n,y,2026-12-20 08:30,Main,Dr. Singh,Cleaning,30\n\
             A2,P30,416-555-0130,n,y,2026-11-25 09:00,East,,,\n"
        ),
    );
    sim.script("+14165550101", vec![Step::Deliver { reply: Some("R") }]);
    sim.script("+14165550130", vec![Step::Deliver { reply: Some("R") }]);
    sim.script("+14165550130", vec![Step::Deliver { reply: Some("R") }]);
    window(&mut w, &sim, port, "2026-11-24T19:00:00-05:00", &["run"]);
    assert_eq!(state(&w, "A1"), "cancel_requested");
    let old = "2025-06-01T12:00:00Z";
    let left_out = [
        // Each left out by one rule; all on the list before anyone who fits.
        format!("east,P15,+14165550115,,,,,,,{old}"), // another site
        format!("main,P16,+14165550116,Dr. Wu,,,,,,{old}"), // another provider
        format!("main,P22,+14165550122,,surgery,,,,,{old}"), // another visit type
        format!("main,P17,+14165550117,,,45,,,,{old}"), // needs longer than 30 minutes
        format!("main,P18,+14165550118,,,,2026-11-26,,,{old}"), // not before the 26th
        format!("main,P23,+14165550123,,,,,2026-11-24,,{old}"), // not after the 24th
        format!("main,P19,+14165550119,,,,,,B1,{old}"), // own booking (08:30) is sooner
        format!("main,P20,+14165550120,,,,,,,{old}"), // opted out (below)
        format!("main,P1,+14165550191,,,,,,,{old}"),  // the patient who gave it back
        // P21 waits at both sites: the East slot (sooner) is offered first, and that open
        // offer keeps the number out of Main's waves.
        format!("east,P21,+14165550121,,,,,,,{old}"),
        format!("main,P21,+14165550121,,,,,,,{old}"),
    ];
    let mut entries: Vec<&str> = vec![
        // Who fits, in the order they joined: P11, P12, P13, then P14 (moving from a booking
        // later than the slot).
        "main,P12,+14165550112,dr. singh,,30,,,,2026-01-02T12:00:00Z",
        "main,P11,+14165550111,,,,2026-11-20,2026-11-30,,2026-01-01T12:00:00Z",
        "main,P13,+14165550113,,cleaning,20,,,,2026-01-03T12:00:00Z",
        "main,P14,+14165550114,,,,,,B2,2026-01-04T12:00:00Z",
    ];
    entries.extend(left_out.iter().map(String::as_str));
    waiting(&w, &entries);
    // P20 said STOP.
    w.env("REMINDERS_NOW", "2026-11-24T19:01:00-05:00");
    w.run(&["opt-out", "+14165550120"]).ok();
    (w, sim, port)
}

#[test]
fn a_freed_slot_goes_in_waves_to_the_right_patients_and_the_first_yes_wins() {
    let (mut w, sim, port) = freed_slot();
    // 19:05: the next run opens the slot and sends the first wave, to the first three who fit.
    let out = window(&mut w, &sim, port, "2026-11-24T19:05:00-05:00", &["run"]);
    assert!(
        out.contains("5 offer(s) sent in 2 wave(s); 2 slot(s) opened"),
        "{out}"
    );
    for n in ["+14165550111", "+14165550112", "+14165550113"] {
        let sent = offers_to(&sim, n);
        assert_eq!(
            sent,
            [
                "Bloor Clinic: an appointment opened on Wed Nov 25 at 10:00 AM with Dr. Singh. Reply YES to take it; the first reply gets it. Reply STOP to opt out."
            ],
            "{n}"
        );
    }
    // East's slot went to its two: P21 first (on the list longest), and P15.
    assert_eq!(offers_to(&sim, "+14165550121").len(), 1);
    assert_eq!(offers_to(&sim, "+14165550115").len(), 1);
    assert_eq!(all_offers(&sim), 5);
    // Nothing more before wave_minutes have passed.
    let out = window(&mut w, &sim, port, "2026-11-24T19:10:00-05:00", &["run"]);
    assert_eq!(out, "");
    assert_eq!(all_offers(&sim), 5);
    // 19:15: the second wave: the one left who fits.
    let out = window(&mut w, &sim, port, "2026-11-24T19:15:00-05:00", &["run"]);
    assert!(
        out.contains("1 offer(s) sent in 1 wave(s); 1 open slot(s) with nobody left to offer"),
        "{out}"
    );
    assert_eq!(offers_to(&sim, "+14165550114").len(), 1);
    assert_eq!(all_offers(&sim), 6);

    // 19:17: two patients answer YES at the same moment: one gets it, the other is told.
    w.env("REMINDERS_NOW", "2026-11-24T19:17:00-05:00");
    let listener = Listener::start_on(&w, port);
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(|| text(&listener, port, "SMyes1", "+14165550112", "Yes"));
        let b = s.spawn(|| text(&listener, port, "SMyes2", "+14165550113", "oui!"));
        (a.join().unwrap(), b.join().unwrap())
    });
    let no = text(&listener, port, "SMno1", "+14165550111", "no");
    listener.stop();
    let won = [&a, &b]
        .iter()
        .filter(|t| t.contains("s yours: Wed Nov 25 at 10:00 AM") || t.contains("Il est à vous"))
        .count();
    let lost = [&a, &b]
        .iter()
        .filter(|t| t.contains("someone else took") || t.contains("a pris ce rendez-vous"))
        .count();
    assert_eq!((won, lost), (1, 1), "{a}\n{b}");
    assert!(no.contains("You stay on the waiting list."), "{no}");
    let (taker, slot_state): (String, String) = w
        .db()
        .query_row(
            "SELECT taker_patient_id, state FROM slots WHERE site = 'main'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(slot_state, "taken");
    assert!(taker == "P12" || taker == "P13", "{taker}");
    let states: Vec<String> = w
        .db()
        .prepare(
            "SELECT o.patient_id || ' ' || o.state FROM offers o JOIN slots s ON s.id = o.slot_id
             WHERE s.site = 'main' ORDER BY o.patient_id",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let loser = if taker == "P12" { "P13" } else { "P12" };
    let mut expected = vec![
        "P11 declined".to_string(),
        format!("{taker} taken"),
        format!("{loser} lost"),
        "P14 closed".to_string(),
    ];
    expected.sort();
    assert_eq!(states, expected);
    // No third wave: the slot is taken.
    let out = window(&mut w, &sim, port, "2026-11-24T19:25:00-05:00", &["run"]);
    assert_eq!(out, "");
    assert_eq!(all_offers(&sim), 6);
    // The freed appointment was never touched by the offers.
    assert_eq!(state(&w, "A1"), "cancel_requested");

    // The clinic is told whom to book: the backfill file and `status --check`.
    let file = std::fs::read_to_string(w.join("outbox/backfill-2026-11-25.csv")).unwrap();
    let row = file
        .lines()
        .find(|l| l.contains(",A1,"))
        .unwrap_or_else(|| panic!("{file}"));
    assert!(row.contains("taken") && row.contains(&taker), "{file}");
    w.env("REMINDERS_NOW", "2026-11-24T19:30:00-05:00");
    let check = w.run(&["status", "--check"]);
    let book = format!("book {taker} into 2026-11-25 10:00");
    assert!(check.stdout().contains(&book), "{}", check.stdout());
    // The front desk books them; the next export lists the taker at that time, and the item
    // clears.
    w.write(
        "csv/booked.csv",
        format!(
            "{HEADER}A77,{taker},416-555-0177,n,y,2026-11-25 10:00,Main,Dr. Singh,Cleaning,30\n"
        ),
    );
    let out = window(&mut w, &sim, port, "2026-11-24T19:35:00-05:00", &["import"]);
    assert!(out.contains("1 waitlist slot(s) now booked"), "{out}");
    let check = w.run(&["status", "--check"]);
    assert!(!check.stdout().contains(&book), "{}", check.stdout());
}

/// A1 (Wed 10:00) given back at 19:00 by an R reply, with `config` added, and four patients
/// waiting who all fit: P11 to P14, in that order.
fn one_slot(config: &str, at: &str) -> (Workdir, Simulator, u16) {
    let (mut w, sim, port) = clinic(config);
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,n,y,{at},Main,Dr. Singh,Cleaning,30\n"),
    );
    sim.script("+14165550101", vec![Step::Deliver { reply: Some("R") }]);
    window(&mut w, &sim, port, "2026-11-24T19:00:00-05:00", &["run"]);
    assert_eq!(state(&w, "A1"), "cancel_requested");
    waiting(
        &w,
        &[
            "main,P11,+14165550111,,,,,,,2026-01-01T12:00:00Z",
            "main,P12,+14165550112,,,,,,,2026-01-02T12:00:00Z",
            "main,P13,+14165550113,,,,,,,2026-01-03T12:00:00Z",
            "main,P14,+14165550114,,,,,,,2026-01-04T12:00:00Z",
        ],
    );
    (w, sim, port)
}

fn slot_state(w: &Workdir) -> (String, Option<String>) {
    w.db()
        .query_row("SELECT state, closed_reason FROM slots", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
}

/// A patient's text, with the listener up only for it.
fn text_once(w: &mut Workdir, port: u16, when: &str, sid: &str, from: &str, body: &str) -> String {
    w.env("REMINDERS_NOW", when);
    let listener = Listener::start_on(w, port);
    let answer = text(&listener, port, sid, from, body);
    listener.stop();
    answer
}

#[test]
fn a_slot_too_close_to_its_time_gets_no_offer_and_an_open_one_expires_there() {
    // Given back at 19:00 for 20:30 the same evening: less than min_notice_hours (2) ahead.
    let (mut w, sim, port) = one_slot(SITES, "2026-11-24 20:30");
    let out = window(&mut w, &sim, port, "2026-11-24T19:05:00-05:00", &["run"]);
    assert_eq!(out, "");
    assert_eq!(w.count("SELECT count(*) FROM slots"), 0);
    assert_eq!(all_offers(&sim), 0);

    // Given back for tomorrow 10:00: offered tonight; at 08:00, two hours before, it expires.
    let (mut w, sim, port) = one_slot(SITES, "2026-11-25 10:00");
    window(&mut w, &sim, port, "2026-11-24T19:05:00-05:00", &["run"]);
    assert_eq!(all_offers(&sim), 3);
    let out = window(&mut w, &sim, port, "2026-11-25T08:00:00-05:00", &["run"]);
    assert!(out.contains("1 slot(s) expired unfilled"), "{out}");
    assert_eq!(slot_state(&w).0, "expired");
    let late = text_once(
        &mut w,
        port,
        "2026-11-25T08:01:00-05:00",
        "SMlate",
        "+14165550111",
        "YES",
    );
    assert!(late.contains("that offer has closed"), "{late}");
    assert_eq!(slot_state(&w).0, "expired");
    assert_eq!(all_offers(&sim), 3);
}

#[test]
fn a_slot_closes_unfilled_after_max_offers() {
    let (mut w, sim, port) = one_slot(
        &format!("{SITES}[waitlist]\nwave_size = 1\nmax_offers = 2\n"),
        "2026-11-25 10:00",
    );
    window(&mut w, &sim, port, "2026-11-24T19:05:00-05:00", &["run"]);
    window(&mut w, &sim, port, "2026-11-24T19:15:00-05:00", &["run"]);
    assert_eq!(offers_to(&sim, "+14165550111").len(), 1);
    assert_eq!(offers_to(&sim, "+14165550112").len(), 1);
    // The last offer has its ten minutes; then the slot closes, and nobody else is asked.
    let out = window(&mut w, &sim, port, "2026-11-24T19:20:00-05:00", &["run"]);
    assert_eq!(out, "");
    let out = window(&mut w, &sim, port, "2026-11-24T19:25:00-05:00", &["run"]);
    assert!(out.contains("a slot closed: 2 offers, no taker"), "{out}");
    assert_eq!(
        slot_state(&w),
        ("closed".into(), Some("2 offers, no taker".into()))
    );
    window(&mut w, &sim, port, "2026-11-24T19:35:00-05:00", &["run"]);
    assert_eq!(all_offers(&sim), 2);
    let offers: Vec<String> = w
        .db()
        .prepare("SELECT state FROM offers")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(offers, ["closed", "closed"]);
}

#[test]
fn the_patient_keeping_the_appointment_closes_the_slot_and_a_late_yes_is_told() {
    let (mut w, sim, port) = one_slot(SITES, "2026-11-25 10:00");
    window(&mut w, &sim, port, "2026-11-24T19:05:00-05:00", &["run"]);
    assert_eq!(all_offers(&sim), 3);
    // P1 changes their mind: C confirms A1 after all.
    let kept = text_once(
        &mut w,
        port,
        "2026-11-24T19:07:00-05:00",
        "SMkeep",
        "+14165550101",
        "C",
    );
    assert!(kept.contains("confirmed"), "{kept}");
    assert_eq!(state(&w, "A1"), "confirmed");
    // A YES that comes before the next run is told the offer closed, and wins nothing.
    let late = text_once(
        &mut w,
        port,
        "2026-11-24T19:08:00-05:00",
        "SMyes",
        "+14165550112",
        "yes",
    );
    assert!(late.contains("that offer has closed"), "{late}");
    assert_eq!(
        slot_state(&w),
        (
            "closed".into(),
            Some("the appointment was kept after all".into())
        )
    );
    window(&mut w, &sim, port, "2026-11-24T19:15:00-05:00", &["run"]);
    assert_eq!(all_offers(&sim), 3);
    assert_eq!(state(&w, "A1"), "confirmed");
}

#[test]
fn a_wave_killed_mid_send_never_sends_an_offer_twice() {
    let (mut w, sim, port) = one_slot(
        &format!("{SITES}[twilio]\ntimeout_seconds = 30\n"),
        "2026-11-25 10:00",
    );
    // The second offer is created at Twilio and its answer never comes: the run is killed
    // while it waits.
    sim.script(
        "+14165550112",
        vec![Step::Stall(Box::new(Step::Deliver { reply: None }))],
    );
    w.env("REMINDERS_NOW", "2026-11-24T19:05:00-05:00");
    sim.set_now(crate::common::twilio::at("2026-11-24T19:05:00-05:00"));
    let mut run = w.spawn_quiet(&["backfill"]);
    let started = std::time::Instant::now();
    while offers_to(&sim, "+14165550112").is_empty() {
        assert!(
            started.elapsed().as_secs() < 60,
            "the second offer never went out"
        );
        thread::sleep(std::time::Duration::from_millis(20));
    }
    run.kill().unwrap();
    run.wait().unwrap();
    assert_eq!(all_offers(&sim), 2);
    // Killed between the request and its answer: the offer's attempt is left open.
    assert_eq!(
        w.count("SELECT count(*) FROM appointment_logs WHERE status = 'dispatching'"),
        1
    );
    // The next run settles the one left open from what Twilio has, sends the third of the
    // wave's offers only at the next wave, and nobody gets two.
    window(&mut w, &sim, port, "2026-11-24T19:06:00-05:00", &["run"]);
    window(&mut w, &sim, port, "2026-11-24T19:16:00-05:00", &["run"]);
    for n in [
        "+14165550111",
        "+14165550112",
        "+14165550113",
        "+14165550114",
    ] {
        assert_eq!(offers_to(&sim, n).len(), 1, "{n}");
    }
    assert_eq!(
        w.count("SELECT count(*) FROM offers o JOIN appointment_logs l ON l.id = o.log_id WHERE l.sid IS NOT NULL"),
        4
    );
    assert_eq!(
        w.count("SELECT count(*) FROM appointment_logs WHERE status = 'dispatching'"),
        0
    );
}

#[test]
fn backfill_dry_run_lists_the_wave_and_changes_nothing() {
    let (mut w, sim, port) = one_slot(SITES, "2026-11-25 10:00");
    w.env("REMINDERS_NOW", "2026-11-24T19:05:00-05:00");
    let dry = w.run(&["backfill", "--dry-run"]).ok();
    assert!(dry.starts_with("Dry run: nobody is contacted"), "{dry}");
    for (n, p) in [
        ("+1416***0111", "P11"),
        ("+1416***0112", "P12"),
        ("+1416***0113", "P13"),
    ] {
        assert!(
            dry.contains(&format!(
                "sms (offer) {n} en — slot 2026-11-25 10:00 freed by A1, to patient {p}, wave 1 — GSM-7, 1 segment"
            )),
            "{dry}"
        );
    }
    assert!(dry.contains("3 offer(s) listed."), "{dry}");
    assert!(dry.contains("waitlist: 1 slot(s) would open."), "{dry}");
    assert!(!dry.contains("sent"), "a dry run sends nothing: {dry}");
    assert!(
        dry.contains(
            "Bloor Clinic: an appointment opened on Wed Nov 25 at 10:00 AM with Dr. Singh."
        ),
        "{dry}"
    );
    assert!(!dry.contains("4165550111"), "numbers masked: {dry}");
    assert_eq!(all_offers(&sim), 0);
    assert_eq!(w.count("SELECT count(*) FROM slots"), 0);
    assert_eq!(
        w.count("SELECT count(*) FROM runs WHERE kind = 'backfill'"),
        0
    );
    // The same, for real, by hand.
    let out = window(
        &mut w,
        &sim,
        port,
        "2026-11-24T19:05:00-05:00",
        &["backfill"],
    );
    assert!(
        out.contains("3 offer(s) sent in 1 wave(s); 1 slot(s) opened"),
        "{out}"
    );
    assert_eq!(all_offers(&sim), 3);
    assert_eq!(
        w.count("SELECT count(*) FROM runs WHERE kind = 'backfill' AND dispatched = 3"),
        1
    );
}

#[test]
fn an_offer_template_that_cannot_render_stops_the_run_before_any_offer() {
    let (mut w, sim, port) = one_slot(SITES, "2026-11-25 10:00");
    w.write("offer.txt", "Free: {date} {time} with {dentist}");
    w.write(
        "reminders.toml",
        format!("{SITES}[templates]\nsms_offer_en = \"offer.txt\"\n"),
    );
    w.env("REMINDERS_NOW", "2026-11-24T19:05:00-05:00");
    sim.set_now(crate::common::twilio::at("2026-11-24T19:05:00-05:00"));
    let listener = Listener::start_on(&w, port);
    let out = w.run(&["backfill"]);
    listener.stop();
    assert_eq!(out.code(), 2, "{}", out.stderr());
    assert!(
        out.stderr()
            .contains("the waitlist's offer in en cannot be sent")
            && out.stderr().contains("{dentist}"),
        "{}",
        out.stderr()
    );
    assert_eq!(all_offers(&sim), 0);
    let check = w.run(&["check"]);
    assert!(
        check
            .stdout()
            .contains("waitlist offer in en (offer.txt): {dentist} is not a placeholder"),
        "{}",
        check.stdout()
    );
}

#[test]
fn a_freed_appointment_moved_elsewhere_leaves_its_slot_open() {
    let (mut w, sim, port) = one_slot(SITES, "2026-11-25 10:00");
    window(&mut w, &sim, port, "2026-11-24T19:05:00-05:00", &["run"]);
    assert_eq!(all_offers(&sim), 3);
    // The front desk rebooks P1 for next week: the export moves A1. Its Wednesday time is
    // still free.
    w.write(
        "csv/moved.csv",
        format!("{HEADER}A1,P1,416-555-0101,n,y,2026-12-02 10:00,Main,Dr. Singh,Cleaning,30\n"),
    );
    window(&mut w, &sim, port, "2026-11-24T19:10:00-05:00", &["import"]);
    assert_eq!(
        w.count(
            "SELECT count(*) FROM appointments WHERE appointment_id = 'A1' AND status = 'withdrawn'"
        ),
        1
    );
    let out = window(&mut w, &sim, port, "2026-11-24T19:15:00-05:00", &["run"]);
    assert!(out.contains("1 offer(s) sent in 1 wave(s)"), "{out}");
    assert_eq!(slot_state(&w).0, "open");
    assert_eq!(offers_to(&sim, "+14165550114").len(), 1);
}

#[test]
fn under_a_daily_cap_an_offer_leaves_room_for_a_reminder_still_due_and_a_cancelled_export_frees_a_slot()
 {
    let status_header = "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,clinic,provider,status\n";
    let (mut w, sim, port) = clinic(&format!(
        "{SITES}[limits]\nper_day = 1\n[waitlist]\nopen_from = [\"cancel_requested\", \"cancelled\"]\n"
    ));
    // 16:00: the export holds A1 and, for P11's number, B11 tomorrow (its reminder due at
    // 19:00 tonight).
    w.write(
        "csv/day.csv",
        format!(
            "{status_header}A1,P1,416-555-0101,n,y,2026-11-25 10:00,Main,Dr. Singh,Booked\n\
             B11,P11,416-555-0111,n,y,2026-11-25 15:00,Main,Dr. Singh,Booked\n"
        ),
    );
    window(&mut w, &sim, port, "2026-11-24T16:00:00-05:00", &["import"]);
    waiting(
        &w,
        &[
            "main,P11,+14165550111,,,,,,,2026-01-01T12:00:00Z",
            "main,P12,+14165550112,,,,,,,2026-01-02T12:00:00Z",
        ],
    );
    // 16:30: a later export cancels A1. The slot opens with no reply from anyone.
    w.write(
        "csv/later.csv",
        format!(
            "{status_header}A1,P1,416-555-0101,n,y,2026-11-25 10:00,Main,Dr. Singh,Cancelled\n"
        ),
    );
    window(&mut w, &sim, port, "2026-11-24T16:30:00-05:00", &["import"]);
    assert_eq!(state(&w, "A1"), "withdrawn");
    let out = window(&mut w, &sim, port, "2026-11-24T16:35:00-05:00", &["run"]);
    assert!(
        out.contains("1 offer(s) sent in 1 wave(s); 1 slot(s) opened"),
        "{out}"
    );
    assert!(out.contains("1 held by the rules of contact"), "{out}");
    // P11's one contact of the day is kept for B11's reminder; P12 is offered the slot.
    assert_eq!(offers_to(&sim, "+14165550111").len(), 0);
    assert_eq!(offers_to(&sim, "+14165550112").len(), 1);
    window(&mut w, &sim, port, "2026-11-24T19:00:00-05:00", &["run"]);
    assert_eq!(
        sim.creates_to("+14165550111").len(),
        1,
        "B11's reminder went out"
    );
    assert_eq!(state(&w, "B11"), "reached");
}
