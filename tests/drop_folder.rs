//! What the drop folder holds: `import --now` sends whatever the folder held.

use crate::common::EVENING;
use crate::common::twilio::{clinic, state, window};

const HEADER: &str =
    "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n";

#[test]
fn import_now_with_an_empty_drop_folder_sends_what_was_imported_earlier() {
    let (mut w, sim, port) = clinic("");
    // This afternoon, by hand: imported, not sent.
    w.write(
        "afternoon.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 10:00\n\
             A2,P2,416-555-0102,n,y,2026-11-25 11:00\n"
        ),
    );
    w.run(&["import", "afternoon.csv"]).ok();
    assert!(sim.creates().is_empty());
    // The evening's `import --now` finds no file: it still sends.
    let out = window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    assert_eq!(sim.creates_to("+14165550101").len(), 1, "{out}");
    assert_eq!(sim.creates_to("+14165550102").len(), 1, "{out}");
    assert_eq!(state(&w, "A1"), "reached");
    assert_eq!(state(&w, "A2"), "reached");
}

#[test]
fn import_now_after_a_file_that_failed_does_not_send() {
    let (w, sim, _port) = clinic("");
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 10:00\n"),
    );
    w.run(&["import"]).ok();
    // Tonight's export cannot be read as appointments: it may hold cancellations.
    w.write("csv/tonight.csv", "not,an,export\n1,2,3\n");
    let run = w.run(&["import", "--now"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains("could not be imported"),
        "{}",
        run.stderr()
    );
    assert!(sim.creates().is_empty(), "nothing sent");
}
