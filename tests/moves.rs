//! A later export corrects an earlier one (docs/exports.md, "Moved, cancelled and withdrawn"):
//! moved and cancelled appointments, moved back again, snapshot files, and `withdraw` by hand — end
//! to end through the real binary.

use crate::common::Workdir;

const HEADER: &str = "appointment_id,patient_id,phone_number,appt_date_time,status\n";

/// Every appointment as (appointment_id, local time, state, withdrawn_reason, moved_from local).
type Row = (String, String, String, Option<String>, Option<String>);

fn table(w: &Workdir) -> Vec<Row> {
    let db = w.db();
    let mut stmt = db
        .prepare(
            "SELECT appointment_id, appt_date_time, status, withdrawn_reason, moved_from
             FROM appointments ORDER BY id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// `(id, "2026-11-25 10:00", state, reason, moved_from)` with the times turned to UTC.
fn row(id: &str, local: &str, state: &str, reason: Option<&str>, from: Option<&str>) -> Row {
    (
        id.into(),
        crate::exports::utc_of_local(local),
        state.into(),
        reason.map(Into::into),
        from.map(crate::exports::utc_of_local),
    )
}

/// Everything an import can change: the appointments table, whole.
fn appointments_dump(w: &Workdir) -> Vec<Vec<String>> {
    let db = w.db();
    let mut stmt = db
        .prepare("SELECT * FROM appointments ORDER BY id")
        .unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| {
                r.get::<_, rusqlite::types::Value>(i)
                    .map(|v| format!("{v:?}"))
            })
            .collect()
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// (total, stored, duplicates, failed, withdrawn) of the latest import.
fn last_counts(w: &Workdir) -> (i64, i64, i64, i64, i64) {
    w.db()
        .query_row(
            "SELECT total_rows, successful_rows, duplicate_rows, failed_rows, withdrawn_rows
             FROM imports ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
}

const FILE_1: &str = "A1,P1,416-555-0101,2026-11-25 10:00,Booked\n\
                      A2,P2,416-555-0102,2026-11-25 11:00,Booked\n";
const FILE_2: &str = "A1,P1,416-555-0101,2026-11-25 14:00,Booked\n\
                      A2,P2,416-555-0102,2026-11-25 11:00,Cancelled\n";

#[test]
fn a_later_file_moves_one_appointment_and_cancels_another_and_reruns_change_nothing() {
    let w = Workdir::new();
    w.write("exports/1.csv", format!("{HEADER}{FILE_1}"));
    w.write("exports/2.csv", format!("{HEADER}{FILE_2}"));
    w.run(&["import", "exports/1.csv"]).ok();
    let out = w.run(&["import", "exports/2.csv"]).ok();
    assert_eq!(last_counts(&w), (2, 1, 0, 0, 1));
    assert!(
        out.contains("2.csv: 1 appointment(s) moved to a new time: the earlier time withdrawn"),
        "{out}"
    );
    let after = vec![
        row("A1", "2026-11-25 10:00", "withdrawn", Some("moved"), None),
        row(
            "A2",
            "2026-11-25 11:00",
            "withdrawn",
            Some("cancelled"),
            None,
        ),
        row(
            "A1",
            "2026-11-25 14:00",
            "pending",
            None,
            Some("2026-11-25 10:00"),
        ),
    ];
    assert_eq!(table(&w), after);
    let settled = appointments_dump(&w);

    // Read again, whichever file and however: nothing changes.
    for args in [
        &["import", "--force", "exports/1.csv"][..],
        &["import", "--force", "exports/2.csv"],
        &["import", "--force", "exports/1.csv"],
    ] {
        w.run(args).ok();
        assert_eq!(appointments_dump(&w), settled, "{args:?}");
    }
    // Forced, file 1's rows are all already stored: duplicates, not brought back.
    assert_eq!(last_counts(&w), (2, 0, 2, 0, 0));
    // The same rows under a new name are the same content: recognised, not imported.
    w.write("csv/copy-of-1.csv", format!("{HEADER}{FILE_1}"));
    w.write("csv/copy-of-2.csv", format!("{HEADER}{FILE_2}"));
    let out = w.run(&["import"]).ok();
    assert!(
        out.contains("copy-of-1.csv: same content as import #1 (1.csv)"),
        "{out}"
    );
    assert!(
        out.contains("copy-of-2.csv: same content as import #2 (2.csv)"),
        "{out}"
    );
    assert_eq!(appointments_dump(&w), settled);
}

#[test]
fn an_appointment_moved_back_to_its_first_time_is_reinstated() {
    let w = Workdir::new();
    w.write(
        "csv/1.csv",
        format!("{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,\n"),
    );
    w.run(&["import"]).ok();
    w.write(
        "csv/2.csv",
        format!("{HEADER}A1,P1,416-555-0101,2026-11-25 14:00,\n"),
    );
    w.run(&["import"]).ok();
    // A new export (not file 1 again) puts it back at 10:00.
    w.write(
        "csv/3.csv",
        format!("{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,Booked\n"),
    );
    w.run(&["import"]).ok();
    // Brought back, not a duplicate; what replaced it is withdrawn as moved.
    assert_eq!(last_counts(&w), (1, 1, 0, 0, 0));
    assert_eq!(
        table(&w),
        [
            row("A1", "2026-11-25 10:00", "pending", None, None),
            row(
                "A1",
                "2026-11-25 14:00",
                "withdrawn",
                Some("moved"),
                Some("2026-11-25 10:00")
            ),
        ]
    );
    // Listed again after a cancel, likewise.
    w.write(
        "csv/4.csv",
        format!("{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,Cancelled\n"),
    );
    w.run(&["import"]).ok();
    assert_eq!(table(&w)[0].2, "withdrawn");
    w.write(
        "csv/5.csv",
        format!("{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,Confirmed\n"),
    );
    w.run(&["import"]).ok();
    assert_eq!(
        table(&w)[0],
        row("A1", "2026-11-25 10:00", "pending", None, None)
    );
}

#[test]
fn within_one_file_the_later_row_wins() {
    let w = Workdir::new();
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,\n\
             A2,P2,416-555-0102,2026-11-25 11:00,\n\
             A1,P1,416-555-0101,2026-11-25 15:00,\n\
             A2,P2,416-555-0102,2026-11-25 11:00,annulé\n\
             A3,P3,416-555-0103,2026-11-25 09:00,\n\
             A3,P3,416-555-0103,2026-11-25 12:00,\n\
             A3,P3,416-555-0103,2026-11-25 09:00,\n"
        ),
    );
    w.run(&["import"]).ok();
    assert_eq!(
        table(&w),
        [
            row("A1", "2026-11-25 10:00", "withdrawn", Some("moved"), None),
            row(
                "A2",
                "2026-11-25 11:00",
                "withdrawn",
                Some("cancelled"),
                None
            ),
            row(
                "A1",
                "2026-11-25 15:00",
                "pending",
                None,
                Some("2026-11-25 10:00")
            ),
            row("A3", "2026-11-25 09:00", "pending", None, None),
            row(
                "A3",
                "2026-11-25 12:00",
                "withdrawn",
                Some("moved"),
                Some("2026-11-25 09:00")
            ),
        ]
    );
    assert_eq!(last_counts(&w), (7, 6, 0, 0, 1));
}

#[test]
fn a_snapshot_file_withdraws_what_it_no_longer_lists_on_its_dates_only() {
    let w = Workdir::new();
    w.write("reminders.toml", "[csv]\nsnapshot = true\n");
    w.write(
        "csv/1.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,\n\
             A2,P2,416-555-0102,2026-11-25 11:00,\n\
             A3,P3,416-555-0103,2026-11-26 09:00,\n"
        ),
    );
    w.run(&["import"]).ok();
    // The next export of the 25th lacks A2 and adds A4; it says nothing of the 26th.
    w.write(
        "csv/2.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,\n\
             A4,P4,416-555-0104,2026-11-25 12:00,\n"
        ),
    );
    let out = w.run(&["import"]).ok();
    assert!(
        out.contains("2.csv: 1 appointment(s) no longer in the export withdrawn (snapshot)"),
        "{out}"
    );
    assert_eq!(
        table(&w),
        [
            row("A1", "2026-11-25 10:00", "pending", None, None),
            row(
                "A2",
                "2026-11-25 11:00",
                "withdrawn",
                Some("not in export"),
                None
            ),
            row("A3", "2026-11-26 09:00", "pending", None, None),
            row("A4", "2026-11-25 12:00", "pending", None, None),
        ]
    );
    assert_eq!(last_counts(&w), (2, 1, 1, 0, 0));

    // Without snapshot (the default), a file that lacks an appointment withdraws nothing.
    let w = Workdir::new();
    w.write(
        "csv/1.csv",
        format!("{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,\n"),
    );
    w.write(
        "csv/2.csv",
        format!("{HEADER}A4,P4,416-555-0104,2026-11-25 12:00,\n"),
    );
    w.run(&["import"]).ok();
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE status = 'withdrawn'"),
        0
    );
}

#[test]
fn a_snapshot_leaves_what_has_gone_by_alone() {
    let mut w = Workdir::new();
    w.write("reminders.toml", "[csv]\nsnapshot = true\n");
    w.env("REMINDERS_NOW", "2026-11-25T08:00:00-05:00");
    w.write(
        "csv/1.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,\n\
             A2,P2,416-555-0102,2026-11-25 15:00,\n"
        ),
    );
    w.run(&["import"]).ok();
    // At noon the day's export lists the 10:00 appointment (a row rejected as past) and
    // the 15:00 one: the morning's is history, not "not in export".
    w.env("REMINDERS_NOW", "2026-11-25T12:00:00-05:00");
    w.write(
        "csv/2.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,Arrived\n\
             A2,P2,416-555-0102,2026-11-25 15:00,Booked\n"
        ),
    );
    w.run(&["import"]).ok();
    assert_eq!(last_counts(&w), (2, 0, 1, 1, 0));
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE status = 'withdrawn'"),
        0
    );
}

#[test]
fn withdraw_by_hand_exits_0_1_or_2() {
    let w = Workdir::new();
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,\n\
             B1,P1,416-555-0101,2026-11-25 11:00,\n\
             B1,P2,416-555-0102,2026-11-25 12:00,\n"
        ),
    );
    w.run(&["import"]).ok();

    let run = w.run(&["withdraw", "A1", "--reason", "patient called to cancel"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stdout().contains("withdrawn: appointment A1 (patient P1) at 2026-11-25 10:00, was pending: patient called to cancel"),
        "{}",
        run.stdout()
    );
    assert_eq!(
        table(&w)[0],
        row(
            "A1",
            "2026-11-25 10:00",
            "withdrawn",
            Some("patient called to cancel"),
            None
        )
    );

    // Nothing in the schedule matches: the same one again, or one never imported.
    for id in ["A1", "Z9"] {
        let run = w.run(&["withdraw", id]);
        assert_eq!(run.code(), 1, "{id}: {}", run.stderr());
        assert!(
            run.stderr()
                .contains(&format!("no appointment {id} is in the schedule")),
            "{}",
            run.stderr()
        );
    }

    // One id, two patients: ambiguous without --patient, and nothing is withdrawn.
    let run = w.run(&["withdraw", "B1"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr()
            .contains("appointment id B1 belongs to 2 patients (P1, P2): say which with --patient"),
        "{}",
        run.stderr()
    );
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE status = 'withdrawn'"),
        1
    );
    w.run(&["withdraw", "B1", "--patient", "P2"]).ok();
    let withdrawn: Vec<Row> = table(&w)
        .into_iter()
        .filter(|r| r.2 == "withdrawn")
        .collect();
    assert_eq!(
        withdrawn,
        [
            row(
                "A1",
                "2026-11-25 10:00",
                "withdrawn",
                Some("patient called to cancel"),
                None
            ),
            row(
                "B1",
                "2026-11-25 12:00",
                "withdrawn",
                Some("withdrawn by hand"),
                None
            ),
        ]
    );
}

#[test]
fn a_file_big_enough_for_a_bulk_load_still_finds_what_is_stored() {
    // The bulk path (a file at least as big as the table) decides which rows need looking up
    // from a filter of the stored pairs: it must still see every one of them.
    let w = Workdir::new();
    let mut first = String::from(HEADER);
    for i in 0..100 {
        first.push_str(&format!(
            "K{i},P{i},416-555-01{:02},2026-11-25 10:00,\n",
            i % 100
        ));
    }
    w.write("csv/1.csv", first);
    w.run(&["import"]).ok();
    let mut big = String::from(HEADER);
    for i in 0..50_000 {
        // K0-K49 again (duplicates), K50-K59 at 11:00 (moved), K60-K99 cancelled, then new.
        let (time, status) = match i {
            0..50 => ("10:00", ""),
            50..60 => ("11:00", ""),
            60..100 => ("10:00", "Cancelled"),
            _ => ("12:00", ""),
        };
        big.push_str(&format!(
            "K{i},P{i},416-555-{:04},2026-11-25 {time},{status}\n",
            i % 10_000
        ));
    }
    w.write("csv/2.csv", big);
    let out = w.run(&["import"]).ok();
    assert!(
        out.contains("2.csv: 10 appointment(s) moved to a new time"),
        "{out}"
    );
    assert_eq!(last_counts(&w), (50_000, 49_910, 50, 0, 40));
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE status = 'withdrawn'"),
        50
    );
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 100 + 49_910);
}
