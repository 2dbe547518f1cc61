//! One number, one message; sites; the clinic's words; French replies and the consent history
//! (docs/behaviour.md, "Combining", "Replies and keywords", "Opt-outs"), end to end: the real
//! binary, the simulator and the real listener.

use reminders::twilio::simulator::Step;

use crate::common::listener::Listener;
use crate::common::twilio::{at, clinic, state, window};
use crate::common::{EVENING, Workdir};

const HEADER: &str =
    "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n";

#[test]
fn a_family_on_one_number_gets_one_text_and_oui_confirms_all_three() {
    let (mut w, sim, port) = clinic("");
    sim.script(
        "+14165550101",
        vec![Step::Deliver {
            reply: Some("Oui!"),
        }],
    );
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,n,y,2026-11-25 09:00\n\
             A2,P2,416-555-0101,n,y,2026-11-25 09:30\n\
             A3,P3,416-555-0101,n,y,2026-11-25 10:15\n\
             A4,P4,416-555-0104,n,y,2026-11-25 11:00\n"
        ),
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    let texts = sim.creates_to("+14165550101");
    assert_eq!(texts.len(), 1, "one text for the three appointments");
    let body = texts[0].param("Body").unwrap();
    assert!(
        body.contains("Reminder, 3 appointments: Wed Nov 25, 9:00 AM; Wed Nov 25, 9:30 AM; and Wed Nov 25, 10:15 AM."),
        "{body}"
    );
    assert!(body.ends_with(", STOP to opt out."), "{body}");
    // Each appointment keeps its own attempt, pointing at the shared message.
    assert_eq!(
        w.count("SELECT count(DISTINCT appointment_id) FROM appointment_logs WHERE \"to\" = '+14165550101'"),
        3
    );
    assert_eq!(
        w.count("SELECT count(DISTINCT sid) FROM appointment_logs WHERE \"to\" = '+14165550101'"),
        1
    );
    // "Oui!" confirmed every appointment of that message; the other family's is untouched.
    for id in ["A1", "A2", "A3"] {
        assert_eq!(state(&w, id), "confirmed", "{id}");
    }
    assert_eq!(state(&w, "A4"), "reached");
    assert_eq!(sim.creates_to("+14165550104").len(), 1);
}

#[test]
fn a_call_for_two_appointments_and_keypress_one_confirms_both() {
    let (mut w, sim, port) = clinic("");
    sim.script("+14165550102", vec![Step::Answer { press: Some("1") }]);
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}A1,P1,416-555-0102,y,n,2026-11-25 09:00\n\
             A2,P2,416-555-0102,y,n,2026-11-25 14:00\n"
        ),
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    let calls = sim.creates_to("+14165550102");
    assert_eq!(calls.len(), 1);
    let twiml = calls[0].param("Twiml").unwrap();
    assert!(
        twiml.contains("you have 2 appointments: Wednesday, November 25 at 9:00 AM; and Wednesday, November 25 at 2:00 PM."),
        "{twiml}"
    );
    assert!(twiml.contains("Press 1 to confirm them all"), "{twiml}");
    assert_eq!(
        (state(&w, "A1"), state(&w, "A2")),
        ("confirmed".into(), "confirmed".into())
    );
}

#[test]
fn an_answer_for_several_appointments_says_so_by_text_and_by_phone() {
    use crate::common::listener::{attempt, imported};
    let wd = imported();
    // One text about A1001 and A1002 (the same number), one call about A1004 and A1008.
    wd.db()
        .execute(
            "UPDATE appointments SET phone_number = '+14165550101' WHERE appointment_id = 'A1002'",
            [],
        )
        .unwrap();
    for id in ["A1001", "A1002"] {
        attempt(&wd, id, "sms", "SM12");
    }
    for id in ["A1004", "A1008"] {
        attempt(&wd, id, "call", "CA48");
    }
    let l = Listener::start(&wd);
    let (code, xml) = l.post(
        "/twilio/sms-inbound",
        &[
            ("MessageSid", "SMr12"),
            ("From", "+14165550101"),
            ("To", "+14165550000"),
            ("Body", "C"),
        ],
    );
    assert_eq!(code, 200, "{xml}");
    assert!(
        xml.contains("<Message>Thank you, your appointments are confirmed.</Message>"),
        "{xml}"
    );
    assert_eq!(
        (state(&wd, "A1001"), state(&wd, "A1002")),
        ("confirmed".into(), "confirmed".into())
    );
    let (code, xml) = l.post(
        "/twilio/voice-gather?appointment=4",
        &[
            ("CallSid", "CA48"),
            ("Digits", "2"),
            ("CallStatus", "in-progress"),
        ],
    );
    assert_eq!(code, 200, "{xml}");
    assert!(
        xml.contains("The clinic will contact you to cancel or reschedule your appointments."),
        "{xml}"
    );
    assert_eq!(state(&wd, "A1008"), "cancel_requested");
}

#[test]
fn combine_false_keeps_one_message_per_appointment() {
    let (mut w, sim, port) = clinic("[schedule]\ncombine = false\n");
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,n,y,2026-11-25 09:00\n\
             A2,P2,416-555-0101,n,y,2026-11-25 09:30\n"
        ),
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    assert_eq!(sim.creates_to("+14165550101").len(), 2);
}

#[test]
fn every_csv_column_is_a_placeholder_in_the_clinics_own_text() {
    let (mut w, sim, port) = clinic("[templates]\nsms_en = \"sms.en.txt\"\n");
    w.write(
        "sms.en.txt",
        "See {provider} in room {room} ({visit_type}) at {time}. Reply STOP to opt out.",
    );
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,Provider,Room,Visit Type\n\
         A1,P1,416-555-0101,n,y,2026-11-25 09:00,\"Dr Bélanger, DDS\",,\"Cleaning \"\"deep\"\"\"\n",
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    let texts = sim.creates_to("+14165550101");
    assert_eq!(texts.len(), 1);
    assert_eq!(
        texts[0].param("Body").unwrap(),
        "See Dr Bélanger, DDS in room  (Cleaning \"deep\") at 9:00 AM. Reply STOP to opt out."
    );
}

const SITES: &str = "\n\
[sites.bloor]\n\
names = [\"Bloor\", \"Bloor St Clinic\"]\n\
phone_number = \"+14165550900\"\n\
clinic_name = \"Bloor Street Clinic\"\n\
callback_number = \"+14165550901\"\n\n\
[sites.west]\n\
names = [\"Kitsilano\"]\n\
timezone = \"America/Vancouver\"\n\
phone_number = \"+16045550900\"\n\
clinic_name = \"Kitsilano Clinic\"\n";

fn two_sites(w: &Workdir) {
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,clinic\n\
         B1,P1,416-555-0201,n,y,2026-11-25 09:00,Bloor St Clinic\n\
         W1,P2,604-555-0202,n,y,2026-11-25 09:00, kitsilano \n\
         X1,P3,416-555-0203,n,y,2026-11-25 09:00,Danforth\n",
    );
}

#[test]
fn two_sites_in_one_file_each_from_its_number_naming_its_clinic_in_its_own_zone() {
    let (mut w, sim, port) = clinic(SITES);
    two_sites(&w);
    let out = w.run(&["import"]);
    // A clinic value that names no site is a failed row naming the value and the sites.
    assert!(
        out.stdout()
            .contains("clinic 'Danforth' names no configured site (sites: bloor, west"),
        "{}",
        out.stdout()
    );
    // Times are read in each site's zone: 09:00 in Vancouver is 17:00 UTC.
    let west: String = w
        .db()
        .query_row(
            "SELECT appt_date_time FROM appointments WHERE appointment_id = 'W1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(west, "2026-11-25T17:00:00Z");

    // 19:00 in Toronto: the Bloor site's evening (16:00 in Vancouver, too early for its run).
    window(&mut w, &sim, port, EVENING, &["send", "--site", "bloor"]);
    let bloor = sim.creates_to("+14165550201");
    assert_eq!(bloor.len(), 1);
    assert_eq!(bloor[0].param("From"), Some("+14165550900"));
    let body = bloor[0].param("Body").unwrap();
    assert!(
        body.contains("from Bloor Street Clinic") && body.contains("Call +14165550901"),
        "{body}"
    );
    assert!(sim.creates_to("+16045550202").is_empty());
    // 19:00 in Vancouver, its own cron line: its patient, from its number, in its words.
    window(
        &mut w,
        &sim,
        port,
        "2026-11-24T19:00:00-08:00",
        &["send", "--site", "west"],
    );
    let west = sim.creates_to("+16045550202");
    assert_eq!(west.len(), 1);
    assert_eq!(west[0].param("From"), Some("+16045550900"));
    let body = west[0].param("Body").unwrap();
    assert!(
        body.contains("from Kitsilano Clinic") && body.contains("9:00 AM"),
        "{body}"
    );
    assert_eq!(sim.creates().len(), 2, "nobody twice, no site mixed");
    assert_eq!(w.run(&["send", "--site", "danforth"]).code(), 2);
}

#[test]
fn arret_then_start_leaves_two_history_rows_and_the_number_contactable() {
    let (mut w, sim, port) = clinic("");
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,language\n\
         A1,P1,514-555-0101,n,y,2026-11-25 09:00,fr\n\
         A2,P2,514-555-0101,n,y,2026-11-26 09:00,fr\n",
    );
    sim.script(
        "+15145550101",
        vec![Step::Deliver {
            reply: Some(" Arrêt. "),
        }],
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    // The listener understood the French opt-out Twilio does not know, and said so in French.
    assert_eq!(state(&w, "A2"), "opted_out");
    w.env("REMINDERS_NOW", "2026-11-24T20:00:00-05:00");
    let l = Listener::start_on(&w, port);
    let params = [
        ("MessageSid", "SMin0000000000000000000000000001"),
        ("From", "+15145550101"),
        ("To", "+16135550000"),
        ("Body", "START"),
        ("OptOutType", "START"),
    ];
    let sig = crate::common::listener::sign(
        &format!("http://127.0.0.1:{port}/twilio/sms-inbound"),
        &params,
    );
    let (code, _) = l.post_with(
        "/twilio/sms-inbound",
        &crate::common::listener::encode(&params),
        Some(&sig),
    );
    assert_eq!(code, 200);
    l.stop();
    let history: Vec<(String, String)> = {
        let db = w.db();
        let mut stmt = db
            .prepare("SELECT event, coalesce(words, '') FROM opt_outs WHERE phone_number = '+15145550101' ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        history,
        [
            ("opt_out".to_string(), "Arrêt.".to_string()),
            ("opt_in".to_string(), "START".to_string())
        ]
    );
    // Contactable again: the next evening's touch reaches A2.
    sim.set_now(at("2026-11-25T19:00:00-05:00"));
    window(&mut w, &sim, port, "2026-11-25T19:00:00-05:00", &["send"]);
    assert_eq!(sim.creates_to("+15145550101").len(), 2);
}
