//! Contact hours per weekday end to end (docs/configuration.md, "Contact hours by weekday"):
//! `[sending.hours_by_day] sat = "10:00-18:00"` keeps the 19:00 send from contacting anyone on a
//! Saturday, for `send --dry-run`, `send` and `run` alike, while a weekday's 19:00 still sends.

use crate::common::twilio::{clinic, state, window};

const HEADER: &str =
    "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n";

/// 2026-11-27 is a Friday, the 28th a Saturday.
const FRIDAY_7PM: &str = "2026-11-27T19:00:00-05:00";
const SATURDAY_7PM: &str = "2026-11-28T19:00:00-05:00";

#[test]
fn saturday_hours_end_at_six_so_the_seven_pm_send_contacts_nobody_but_friday_sends() {
    let (mut w, sim, port) = clinic("[sending.hours_by_day]\nsat = \"10:00-18:00\"\n");
    // A1 on Saturday (due Friday evening), A2 on Sunday (due Saturday evening).
    w.write(
        "csv/week.csv",
        format!(
            "{HEADER}A1,P1,416-555-0001,y,n,2026-11-28 10:00\n\
             A2,P2,416-555-0002,y,n,2026-11-29 11:00\n"
        ),
    );
    window(&mut w, &sim, port, FRIDAY_7PM, &["import", "--now"]);
    assert_eq!(
        sim.creates_to("+14165550001").len(),
        1,
        "Friday's hours are 08:00-21:00"
    );
    assert!(
        sim.creates_to("+14165550002").is_empty(),
        "not due yet on Friday"
    );

    w.env("REMINDERS_NOW", SATURDAY_7PM);
    sim.set_now(crate::common::twilio::at(SATURDAY_7PM));
    let dry = w.run(&["send", "--dry-run"]);
    assert_eq!(dry.code(), 0, "{}", dry.stderr());
    assert!(
        dry.stdout()
            .contains("1 outside contact hours: not contacted"),
        "{}",
        dry.stdout()
    );
    assert!(
        dry.stderr()
            .contains("19:00 is outside the contact hours on Saturday, 10:00-18:00"),
        "{}",
        dry.stderr()
    );

    for args in [&["send"][..], &["run"][..]] {
        let run = w.run(args);
        assert_eq!(run.code(), 0, "{args:?}: {}", run.stderr());
        assert!(
            run.stderr()
                .contains("outside the contact hours on Saturday"),
            "{args:?}: {}",
            run.stderr()
        );
    }
    assert!(
        sim.creates_to("+14165550002").is_empty(),
        "nobody is contacted at 19:00 on a Saturday"
    );
    assert_eq!(state(&w, "A2"), "pending");

    // Saturday 17:00 is inside Saturday's hours: the same appointment goes out.
    window(&mut w, &sim, port, "2026-11-28T17:00:00-05:00", &["send"]);
    assert_eq!(sim.creates_to("+14165550002").len(), 1);
}

#[test]
fn a_sites_own_sunday_hours_are_its_alone() {
    let config = "[sending.hours_by_day]\nsun = \"09:00-20:00\"\n\
                  [sites.bloor]\nnames = [\"Bloor\"]\n[sites.bloor.hours_by_day]\nsun = \"10:00-17:00\"\n\
                  [sites.king]\nnames = [\"King\"]\n";
    let (mut w, sim, port) = clinic(config);
    w.write(
        "csv/week.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,clinic\n\
         B1,P1,416-555-0011,y,n,2026-11-30 10:00,Bloor\n\
         K1,P2,416-555-0012,y,n,2026-11-30 10:00,King\n",
    );
    // Sunday 2026-11-29 at 19:00: King's Sunday runs to 20:00, Bloor's ended at 17:00.
    window(
        &mut w,
        &sim,
        port,
        "2026-11-29T19:00:00-05:00",
        &["import", "--now"],
    );
    assert_eq!(sim.creates_to("+14165550012").len(), 1);
    assert!(sim.creates_to("+14165550011").is_empty());
    assert_eq!(state(&w, "B1"), "pending");
}
