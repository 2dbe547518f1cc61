//! After the reminder (docs/behaviour.md, "After the reminder"): a text after a voicemail, a
//! message after a missed visit, a notice when the clinic cancels — each once, through the
//! real listener and the simulator.

use reminders::twilio::simulator::{Simulator, Step};

use crate::common::twilio::{clinic, state, window};

const HEADER: &str = "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,status\n";

/// What was created for `to`, in order: (channel path, words sent).
fn sent_to(sim: &Simulator, to: &str) -> Vec<(bool, String)> {
    sim.creates_to(to)
        .iter()
        .map(|r| {
            let text = r.path.ends_with("Messages.json");
            let words = r
                .param(if text { "Body" } else { "Twiml" })
                .unwrap_or_default()
                .to_string();
            (text, words)
        })
        .collect()
}

#[test]
fn a_voicemail_is_followed_by_one_text_whose_answer_confirms() {
    let (mut w, sim, port) = clinic("voicemail_text = true\n");
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 10:00,Booked\n"),
    );
    sim.script(
        "+14165550101",
        vec![Step::Voicemail, Step::Deliver { reply: Some("C") }],
    );
    window(
        &mut w,
        &sim,
        port,
        "2026-11-24T19:00:00-05:00",
        &["import", "--now"],
    );
    assert_eq!(state(&w, "A1"), "reached");
    assert_eq!(sent_to(&sim, "+14165550101").len(), 1);

    // The dry run lists it, and sends nothing.
    w.env("REMINDERS_NOW", "2026-11-24T19:45:00-05:00");
    let dry = w.run(&["retry", "--dry-run"]).ok();
    assert!(
        dry.contains("sms (text after a voicemail) +1416***0101 en — A1 2026-11-25 10:00"),
        "{dry}"
    );
    assert_eq!(sent_to(&sim, "+14165550101").len(), 1);
    window(&mut w, &sim, port, "2026-11-24T19:45:00-05:00", &["retry"]);
    let sent = sent_to(&sim, "+14165550101");
    assert_eq!(sent.len(), 2, "{sent:?}");
    let (text, words) = &sent[1];
    assert!(text, "the follow-up is a text");
    assert!(
        words
            .starts_with("We left you a voicemail about your appointment on Wed Nov 25, 10:00 AM.")
            && words.contains("Reply C to confirm or R to reschedule")
            && words.ends_with("Reply STOP to opt out."),
        "{words}"
    );
    // Its answer is an answer to the reminder.
    assert_eq!(state(&w, "A1"), "confirmed");
    let kind: String = w
        .db()
        .query_row(
            "SELECT kind FROM appointment_logs WHERE channel = 'sms'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kind, "voicemail_text");

    // Once per touch: nothing more at 09:00.
    window(&mut w, &sim, port, "2026-11-25T09:00:00-05:00", &["retry"]);
    assert_eq!(sent_to(&sim, "+14165550101").len(), 2);
}

#[test]
fn without_the_setting_a_voicemail_gets_no_text() {
    let (mut w, sim, port) = clinic("");
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 10:00,\n"),
    );
    sim.script("+14165550101", vec![Step::Voicemail]);
    window(
        &mut w,
        &sim,
        port,
        "2026-11-24T19:00:00-05:00",
        &["import", "--now"],
    );
    window(&mut w, &sim, port, "2026-11-24T19:45:00-05:00", &["retry"]);
    assert_eq!(sent_to(&sim, "+14165550101").len(), 1);
}

#[test]
fn a_missed_visit_gets_one_message_at_the_next_days_send_and_its_answer_goes_to_staff() {
    let (mut w, sim, port) = clinic(
        "[sites.main]\nnames = [\"Main\"]\nclinic_name = \"Bloor Clinic\"\ncallback_number = \"+14165550000\"\n",
    );
    let header = "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,status,clinic\n";
    w.write(
        "csv/day.csv",
        format!(
            "{header}A1,P1,416-555-0101,n,y,2026-11-25 10:00,Booked,Main\n\
             A2,P2,416-555-0102,n,y,2026-11-25 11:00,Booked,Main\n"
        ),
    );
    window(
        &mut w,
        &sim,
        port,
        "2026-11-24T19:00:00-05:00",
        &["import", "--now"],
    );
    assert_eq!(sent_to(&sim, "+14165550101").len(), 1);

    // The next evening's export says A1 did not come (A2 came).
    w.write(
        "csv/day2.csv",
        format!(
            "{header}A1,P1,416-555-0101,n,y,2026-11-25 10:00,No Show,Main\n\
             A2,P2,416-555-0102,n,y,2026-11-25 11:00,Completed,Main\n"
        ),
    );
    let out = window(&mut w, &sim, port, "2026-11-25T18:00:00-05:00", &["import"]);
    assert!(
        out.contains("1 past appointment(s) marked no_show"),
        "{out}"
    );
    assert_eq!(state(&w, "A1"), "no_show");
    // Not a retry, and not the evening of the visit itself.
    window(&mut w, &sim, port, "2026-11-25T19:45:00-05:00", &["retry"]);
    assert_eq!(sent_to(&sim, "+14165550101").len(), 1);

    sim.script("+14165550101", vec![Step::Deliver { reply: Some("C") }]);
    window(&mut w, &sim, port, "2026-11-26T19:00:00-05:00", &["send"]);
    let sent = sent_to(&sim, "+14165550101");
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(
        sent[1].1,
        "Bloor Clinic: we missed you on Wed Nov 25, 10:00 AM. Please call +14165550000 to book again. Reply STOP to opt out."
    );
    assert_eq!(sent_to(&sim, "+14165550102").len(), 1, "A2 came: nothing");
    // The answer is not a confirmation of anything: staff read it.
    assert_eq!(state(&w, "A1"), "no_show");
    let check = w.run(&["status", "--check", "--date", "2026-11-26"]);
    assert!(check.stdout().contains("\"C\""), "{}", check.stdout());
    // Once.
    window(&mut w, &sim, port, "2026-11-27T19:00:00-05:00", &["send"]);
    assert_eq!(sent_to(&sim, "+14165550101").len(), 2);
    // The report counts the missed visit and the message.
    let r = report(&w, "2026-11-27");
    assert_eq!(r["funnel"]["no_show"], 1);
    assert_eq!(r["follow_ups"]["no_show_messages"], 1);
    let results = std::fs::read_to_string(w.join("outbox/results-2026-11-25.csv")).unwrap();
    let a1 = results.lines().find(|l| l.starts_with("A1,")).unwrap();
    assert!(a1.contains(",no_show,"), "{a1}");
}

fn report(w: &crate::common::Workdir, to: &str) -> serde_json::Value {
    let out = w
        .run(&["report", "--json", "--from", "2026-11-24", "--to", to])
        .ok();
    serde_json::from_str(&out).expect("report --json")
}

#[test]
fn a_clinic_cancellation_is_told_once_and_never_for_a_visit_already_past() {
    let (mut w, sim, port) = clinic(
        "[csv.values]\nclinic_cancelled = [\"Cancelled by clinic\"]\n\
         [templates]\nsms_clinic_cancelled_en = \"cancelled.txt\"\n",
    );
    // The clinic's own words for the notice by text (a call says the built-in ones).
    w.write(
        "cancelled.txt",
        "Sorry: Dr Li is away, so your visit on {date} at {time} is off. Call us to rebook.",
    );
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,n,y,2026-11-25 10:00,Booked\n\
             A2,P2,416-555-0102,y,n,2026-11-25 11:00,Booked\n\
             A3,P3,416-555-0103,n,y,2026-11-24 20:00,Booked\n"
        ),
    );
    window(
        &mut w,
        &sim,
        port,
        "2026-11-24T19:00:00-05:00",
        &["import", "--now"],
    );
    assert_eq!(state(&w, "A1"), "reached");
    // At 20:30 the provider is ill: the clinic cancels all three (A3's time has passed).
    w.write(
        "csv/day2.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,n,y,2026-11-25 10:00,Cancelled by clinic\n\
             A2,P2,416-555-0102,y,n,2026-11-25 11:00,Cancelled by clinic\n\
             A3,P3,416-555-0103,n,y,2026-11-24 20:00,Cancelled by clinic\n"
        ),
    );
    window(
        &mut w,
        &sim,
        port,
        "2026-11-24T20:30:00-05:00",
        &["import", "--now"],
    );
    for id in ["A1", "A2", "A3"] {
        assert_eq!(state(&w, id), "withdrawn", "{id}");
    }
    let reason: String = w
        .db()
        .query_row(
            "SELECT withdrawn_reason FROM appointments WHERE appointment_id = 'A1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reason, "cancelled by the clinic");
    let a1 = sent_to(&sim, "+14165550101");
    assert_eq!(a1.len(), 2, "{a1:?}");
    assert_eq!(
        a1[1].1,
        "Sorry: Dr Li is away, so your visit on Wednesday, November 25 at 10:00 AM is off. Call us to rebook. Reply STOP to opt out."
    );
    // A2 prefers calls: the notice is said.
    let a2 = sent_to(&sim, "+14165550102");
    assert_eq!(a2.len(), 2, "{a2:?}");
    assert!(!a2[1].0 && a2[1].1.contains("is cancelled"), "{:?}", a2[1]);
    // A3 was already past: no notice (its reminder went at 19:00).
    assert_eq!(sent_to(&sim, "+14165550103").len(), 1);
    // Once.
    window(&mut w, &sim, port, "2026-11-24T20:45:00-05:00", &["retry"]);
    assert_eq!(sent_to(&sim, "+14165550101").len(), 2);
    assert_eq!(sent_to(&sim, "+14165550102").len(), 2);
    assert_eq!(report(&w, "2026-11-25")["follow_ups"]["clinic_notices"], 2);
    let results = std::fs::read_to_string(w.join("outbox/results-2026-11-25.csv")).unwrap();
    let a1 = results.lines().find(|l| l.starts_with("A1,")).unwrap();
    assert!(
        a1.contains(",cancelled by the clinic,")
            && a1.ends_with("notice of the clinic's cancellation: delivered"),
        "{a1}"
    );
}
