//! What the drop folder holds beyond tonight's export: files that are not imported are named
//! (by `import` and by `status --check`), and `import --now` sends whatever the folder held.

use serde_json::Value;

use crate::common::twilio::{clinic, state, window};
use crate::common::{EVENING, Workdir};

const HEADER: &str =
    "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n";

#[test]
fn files_not_named_csv_are_named_and_an_upper_case_csv_is_imported() {
    let w = Workdir::new();
    w.write(
        "csv/DAY.CSV",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 10:00\n"),
    );
    // Open Dental's export as it is saved, a spreadsheet, and what is never the export: a
    // hidden file and a folder.
    w.write(
        "csv/appointments.txt",
        format!("{HEADER}A2,P2,416-555-0102,y,n,2026-11-25 11:00\n"),
    );
    w.write("csv/day.xlsx", "PK");
    w.write("csv/.upload.part", "");
    std::fs::create_dir(w.join("csv/old")).unwrap();
    let import = w.run(&["import"]);
    import.ok();
    let err = import.stderr();
    for name in ["csv/appointments.txt", "csv/day.xlsx"] {
        assert!(
            err.contains(&format!(
                "{name} is not a .csv file: not imported; rename it to .csv if it is the export"
            )),
            "{err}"
        );
    }
    assert!(
        !err.contains(".upload.part") && !err.contains("csv/old"),
        "{err}"
    );
    assert_eq!(state(&w, "A1"), "pending", "DAY.CSV was imported");
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 1);
    assert!(!w.join("csv/DAY.CSV").exists(), "archived");
    assert!(w.join("csv/appointments.txt").exists(), "left where it is");

    // The next morning's check lists them, so someone renames or removes them.
    let check = w.run(&["status", "--check", "--json"]);
    assert_eq!(check.code(), 1, "{}", check.stderr());
    let items: Value = serde_json::from_str(&check.stdout()).unwrap();
    let named: Vec<(&str, &str)> = items
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "file_not_imported")
        .map(|i| {
            (
                i["subject"].as_str().unwrap(),
                i["detail"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named.iter().map(|n| n.0).collect::<Vec<_>>(),
        ["csv/appointments.txt", "csv/day.xlsx"]
    );
    assert!(
        named[0]
            .1
            .starts_with("csv/appointments.txt is not a .csv file: not imported; rename it"),
        "{}",
        named[0].1
    );
    // Renamed, it is imported, and the check has nothing more to say about it.
    std::fs::rename(
        w.join("csv/appointments.txt"),
        w.join("csv/appointments.csv"),
    )
    .unwrap();
    std::fs::remove_file(w.join("csv/day.xlsx")).unwrap();
    w.run(&["import"]).ok();
    assert_eq!(state(&w, "A2"), "pending");
    assert_eq!(w.run(&["status", "--check"]).code(), 0);
}

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
