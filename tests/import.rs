//! `import` end to end: the real binary on the clinic's exports in a temporary directory.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::common::Workdir;
use crate::faults::wait_until;

const HEADER: &str =
    "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n";

/// (status, total, successful, duplicates, failed) of an import.
fn counts(w: &Workdir, id: i64) -> (String, i64, i64, i64, i64, i64) {
    w.db()
        .query_row(
            "SELECT status, total_rows, processed_rows, successful_rows, duplicate_rows, failed_rows
             FROM imports WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap()
}

#[test]
fn each_sample_imports_with_its_exact_counts() {
    let w = Workdir::new();
    w.fixture("appointments-2026-11-24.csv", "csv/a-appointments.csv");
    w.fixture("excel-export.csv", "csv/b-excel-export.csv");
    w.fixture("windows-1252-semicolon.csv", "csv/c-windows.csv");
    let out = w.run(&["import"]).ok();
    // Oldest name first.
    assert!(out.find("a-appointments").unwrap() < out.find("b-excel").unwrap());
    assert_eq!(counts(&w, 1), ("completed".into(), 22, 22, 20, 2, 0));
    assert_eq!(counts(&w, 2), ("completed".into(), 10, 10, 4, 1, 5));
    assert_eq!(counts(&w, 3), ("completed".into(), 3, 3, 3, 0, 0));
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 27);

    // Excel's BOM and CRLF, the `Appt Date/Time` header, slash dates with AM/PM.
    let (phone, at, msg): (String, String, String) = w
        .db()
        .query_row(
            "SELECT phone_number, appt_date_time, appointment_msg FROM appointments WHERE appointment_id = 'B2002'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (phone.as_str(), at.as_str(), msg.as_str()),
        ("+16135550101", "2026-11-25T19:15:00Z", "")
    );
    // Windows-1252 with semicolons: accents and the dash decoded.
    let msg: String = w
        .db()
        .query_row(
            "SELECT appointment_msg FROM appointments WHERE appointment_id = 'C3001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        msg,
        "Rappel : votre rendez-vous à l'Hôpital Général est demain à 8 h 15."
    );
    let msg: String = w
        .db()
        .query_row(
            "SELECT appointment_msg FROM appointments WHERE appointment_id = 'C3003'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(msg.contains("4 PM — please"), "{msg}");

    // The rejected rows are stored with a reason naming the field.
    let reasons: Vec<(i64, String)> = {
        let db = w.db();
        let mut stmt = db
            .prepare("SELECT row_number, validation_error FROM failed_import_rows WHERE import_id = 2 ORDER BY row_number")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let rows: Vec<i64> = reasons.iter().map(|r| r.0).collect();
    assert_eq!(rows, vec![5, 6, 7, 8, 9]);
    assert!(
        reasons[0]
            .1
            .starts_with("phone_number '***1234' is not a valid phone number"),
        "{reasons:?}"
    );
    assert!(reasons[1].1.starts_with("phone_preference 'maybe'"));
    assert!(
        reasons[2]
            .1
            .starts_with("appt_date_time '13/45/2026 25:00'")
    );
    assert_eq!(reasons[3].1, "appointment_id is empty");
    assert!(reasons[4].1.contains("already in the past"));
    // The printed summary names file, row and field, with the number masked.
    assert!(
        out.contains("b-excel-export.csv row 5: phone_number '***1234'"),
        "{out}"
    );
    assert!(!out.contains("555-1234"));

    // Everything was archived, owner-only, and the drop folder is empty.
    assert_eq!(std::fs::read_dir(w.join("csv")).unwrap().count(), 0);
    for name in ["a-appointments.csv", "b-excel-export.csv", "c-windows.csv"] {
        let mode = std::fs::metadata(w.join("archive").join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    let mode = std::fs::metadata(w.join("reminders.db"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn duplicates_within_across_files_and_in_two_formats_are_stored_once() {
    let w = Workdir::new();
    w.write(
        "csv/1.csv",
        format!("{HEADER}D1,P1,416-555-0101,y,n,2026-11-25 09:30\nD1,P1,(416) 555-0101,y,n,2026-11-25T09:30:00-05:00\nD2,P2,416-555-0102,y,n,2026-11-25 10:00\n"),
    );
    w.write(
        "csv/2.csv",
        format!("{HEADER}D1,P1,416-555-0101,y,n,11/25/2026 9:30 AM\nD2,P2,416-555-0102,y,n,2026-11-25T15:00:00Z\nD3,P3,416-555-0103,y,n,2026-11-25 11:00\n"),
    );
    w.run(&["import"]).ok();
    assert_eq!(counts(&w, 1), ("completed".into(), 3, 3, 2, 1, 0));
    assert_eq!(counts(&w, 2), ("completed".into(), 3, 3, 1, 2, 0));
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 3);
    // Same appointment and patient at another time is another appointment.
    w.write(
        "csv/3.csv",
        format!("{HEADER}D1,P1,416-555-0101,y,n,2026-11-26 09:30\n"),
    );
    w.run(&["import"]).ok();
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 4);
}

#[test]
fn the_same_file_twice_is_recognised_not_reimported() {
    let w = Workdir::new();
    w.fixture("appointments-2026-11-24.csv", "csv/today.csv");
    w.run(&["import"]).ok();
    w.fixture("appointments-2026-11-24.csv", "csv/today.csv");
    let out = w.run(&["import"]).ok();
    assert!(
        out.contains("same content as import #1 (today.csv): not imported again"),
        "{out}"
    );
    assert_eq!(counts(&w, 2), ("skipped".into(), 0, 0, 0, 0, 0));
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 20);
    // Archived beside the first under a new name; nothing overwritten.
    assert!(w.join("archive/today.csv").exists());
    assert!(w.join("archive/today.import-2.csv").exists());
}

#[test]
fn dst_gap_is_rejected_and_overlap_takes_the_earlier_instant() {
    let mut w = Workdir::new();
    w.env("REMINDERS_NOW", "2026-02-01T12:00:00-05:00");
    w.write(
        "csv/dst.csv",
        format!("{HEADER}G1,P1,416-555-0101,y,n,2026-03-08 02:30\nO1,P2,416-555-0102,y,n,2026-11-01 01:30\n"),
    );
    w.run(&["import"]).ok();
    let reason: String = w
        .db()
        .query_row("SELECT validation_error FROM failed_import_rows", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        reason.contains("does not exist in America/Toronto"),
        "{reason}"
    );
    let at: String = w
        .db()
        .query_row(
            "SELECT appt_date_time FROM appointments WHERE appointment_id = 'O1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        at, "2026-11-01T05:30:00Z",
        "01:30 EDT, the first of the two"
    );
}

#[test]
fn a_file_that_cannot_be_read_as_appointments_is_recorded_failed_and_archived() {
    let w = Workdir::new();
    w.write("csv/wrong.csv", "name,phone\nAda,416-555-0101\n");
    w.write(
        "csv/x-good.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 09:30\n"),
    );
    let run = w.run(&["import"]);
    assert_eq!(
        run.code(),
        1,
        "a failed file fails the command for cron to mail"
    );
    assert!(
        run.stdout()
            .contains("no header row: none of the first 20 lines holds the columns needed (no patient_id column; no phone_number column"),
        "{}",
        run.stdout()
    );
    let (status, error): (String, String) = w
        .db()
        .query_row(
            "SELECT status, error FROM imports WHERE file_name = 'wrong.csv'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(status, "failed");
    assert!(error.contains("phone_number"), "{error}");
    assert!(w.join("archive/wrong.csv").exists());
    // The good file beside it is imported all the same.
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 1);
}

/// The appointments table's secondary indexes, by name.
fn appointment_indexes(w: &Workdir) -> Vec<String> {
    let db = w.db();
    let mut stmt = db
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'appointments'
             AND sql IS NOT NULL ORDER BY name",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Whether another connection holds the database's write lock (a write transaction is open).
fn writer_busy(w: &Workdir) -> bool {
    let db = w.db();
    db.busy_timeout(Duration::ZERO).unwrap();
    match db.execute_batch("BEGIN IMMEDIATE") {
        Ok(()) => {
            db.execute_batch("ROLLBACK").unwrap();
            false
        }
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::DatabaseBusy =>
        {
            true
        }
        Err(e) => panic!("probing the write lock: {e}"),
    }
}

/// Sends `signal` to `pid` and waits until the process is in `state` (as /proc shows it).
fn signal_and_wait(pid: u32, signal: &str, state: char) {
    let sent = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status();
    assert!(sent.is_ok_and(|s| s.success()), "kill {signal} {pid}");
    wait_until(Duration::from_secs(30), "the process to stop", || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| rest.starts_with(state)))
            .unwrap_or(false)
    });
}

#[test]
fn a_killed_import_leaves_nothing_and_a_rerun_imports_the_file_once() {
    let w = Workdir::new();
    w.write("csv/empty.csv", HEADER);
    w.run(&["import"]).ok();
    let indexes = appointment_indexes(&w);
    assert_eq!(indexes.len(), 3, "{indexes:?}");
    // Large enough for the bulk path, which drops the secondary indexes and rebuilds them
    // inside the file's transaction: a kill must leave them as they were.
    let rows = 60_000;
    let mut csv = String::from(HEADER);
    for i in 0..rows {
        csv.push_str(&format!(
            "K{i},P{i},416-555-{:04},y,n,2026-11-25 10:00\n",
            i % 10_000
        ));
    }
    w.write("csv/big.csv", csv);
    let mut child = w.spawn_quiet(&["import"]);
    // The import's one write is the file's transaction: the database's write lock taken means
    // the transaction is open. Stopped there, with nothing of the file committed, the kill lands
    // mid-import.
    wait_until(Duration::from_secs(120), "the import's transaction", || {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it was seen storing"
        );
        writer_busy(&w)
    });
    signal_and_wait(child.id(), "-STOP", 'T');
    assert!(writer_busy(&w), "stopped inside the transaction");
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 0);
    assert_eq!(
        w.count("SELECT count(*) FROM imports WHERE file_name = 'big.csv'"),
        0,
        "stopped before the commit"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        w.count("SELECT count(*) FROM appointments"),
        0,
        "half an import"
    );
    assert_eq!(
        w.count("SELECT count(*) FROM imports WHERE file_name = 'big.csv'"),
        0
    );
    assert_eq!(appointment_indexes(&w), indexes);
    w.run(&["import"]).ok();
    assert_eq!(w.count("SELECT count(*) FROM appointments"), rows);
    assert_eq!(
        w.count(
            "SELECT count(*) FROM imports WHERE status = 'completed' AND file_name = 'big.csv'"
        ),
        1
    );
    assert_eq!(appointment_indexes(&w), indexes);
}

#[test]
fn bad_configuration_exits_2_naming_key_and_source() {
    let mut w = Workdir::new();
    w.env("REMINDERS_TZ", "Mars/Olympus_Mons");
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr()
            .contains("`timezone` from environment variable REMINDERS_TZ"),
        "{}",
        run.stderr()
    );
}

#[test]
fn large_files_count_duplicates_exactly_across_insert_batches() {
    let w = Workdir::new();
    let mut csv = String::from(HEADER);
    // 300 distinct appointments, every one written twice (the copy 1-70 rows later, so copies
    // fall both inside and across the importer's multi-row insert batches), 5 rejected rows.
    for i in 0..300 {
        csv.push_str(&format!(
            "L{i},P{i},416-555-{:04},y,n,2026-11-25 10:00\n",
            i
        ));
        if i >= 70 {
            let j = i - (i % 70);
            csv.push_str(&format!(
                "L{j},P{j},416-555-{:04},y,n,2026-11-25 10:00\n",
                j
            ));
        }
    }
    for j in 230..300 {
        csv.push_str(&format!(
            "L{j},P{j},416-555-{:04},y,n,2026-11-25T15:00:00Z\n",
            j
        ));
    }
    for k in 0..5 {
        csv.push_str(&format!("X{k},P{k},not a phone,y,n,2026-11-25 10:00\n"));
    }
    w.write("csv/large.csv", csv);
    w.run(&["import"]).ok();
    assert_eq!(counts(&w, 1), ("completed".into(), 605, 605, 300, 300, 5));
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 300);
}
