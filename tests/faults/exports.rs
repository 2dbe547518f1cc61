//! Hostile and damaged export files: items 2, 3, 4, 7, 8, 10 and 11 of issue #10.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::{HEADER, bounded, stored_ids, wait_until};
use crate::common::Workdir;

/// (total, stored, duplicates, failed, withdrawn) of import `id`.
fn counts(w: &Workdir, id: i64) -> (i64, i64, i64, i64, i64) {
    w.db()
        .query_row(
            "SELECT processed_rows, successful_rows, duplicate_rows, failed_rows, withdrawn_rows
             FROM imports WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
}

fn failed_rows(w: &Workdir) -> Vec<(i64, String)> {
    let db = w.db();
    let mut stmt = db
        .prepare("SELECT row_number, validation_error FROM failed_import_rows ORDER BY row_number")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn age(path: &Path) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now() - Duration::from_secs(60)))
        .unwrap();
}

/// Items 2 and 4: a quote never closed fails its own row and the lines after it are rows; a
/// row with more fields than the header fails and stores nothing shifted.
#[test]
fn an_unclosed_quote_or_extra_fields_fail_only_their_row() {
    let w = Workdir::new();
    w.write(
        "csv/day.csv",
        format!(
            "{}\n{}\n{}\n{}\n{}\n",
            "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,appointment_msg",
            "Q1,P1,416-555-0101,y,n,2026-11-25 10:00,fine",
            "Q2,P2,416-555-0102,y,n,2026-11-25 10:00,\"never closed",
            "Q3,P3,416-555-0103,y,n,2026-11-25 10:00,\"quoted, with a comma\"",
            "Q4,P4,416-555-0104,y,n,2026-11-25 10:00,one,too many",
        ) + "Q5,P5,416-555-0105,y,n,2026-11-25 10:00,last\n",
    );
    let out = w.run(&["import"]).ok();
    assert_eq!(counts(&w, 1), (5, 3, 0, 2, 0), "{out}");
    assert_eq!(stored_ids(&w), ["Q1", "Q3", "Q5"]);
    let failed = failed_rows(&w);
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].0, 3);
    assert!(
        failed[0].1.contains("quote opened in appointment_msg"),
        "{failed:?}"
    );
    assert!(failed[0].1.contains("never closed"), "{failed:?}");
    assert_eq!(failed[1].0, 5);
    assert!(
        failed[1].1.starts_with("8 fields where the header has 7"),
        "{failed:?}"
    );
    let msg: String = w
        .db()
        .query_row(
            "SELECT appointment_msg FROM appointments WHERE appointment_id = 'Q3'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(msg, "quoted, with a comma");
}

/// Item 8: one byte that is not UTF-8 in a UTF-8 (BOM) file fails its row only; the other rows
/// stay UTF-8 (no "HÃ´pital").
#[test]
fn one_bad_byte_fails_its_row_and_the_file_stays_utf8() {
    let w = Workdir::new();
    let mut file = b"\xef\xbb\xbfappointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,appointment_msg\n".to_vec();
    file.extend_from_slice("E1,P1,416-555-0101,y,n,2026-11-25 10:00,Hôpital Montfort\n".as_bytes());
    file.extend_from_slice(b"E2,P2,416-555-0102,y,n,2026-11-25 10:00,caf\xe9 du coin\n");
    file.extend_from_slice("E3,P3,416-555-0103,y,n,2026-11-25 10:00,École Saint-Éloi\n".as_bytes());
    w.write("csv/bom.csv", file);
    let out = w.run(&["import"]).ok();
    assert!(out.contains("UTF-8"), "{out}");
    assert_eq!(counts(&w, 1), (3, 2, 0, 1, 0), "{out}");
    let failed = failed_rows(&w);
    assert_eq!(failed[0].0, 3);
    assert!(failed[0].1.contains("not valid UTF-8"), "{failed:?}");
    let msgs: Vec<String> = {
        let db = w.db();
        let mut s = db
            .prepare("SELECT appointment_msg FROM appointments ORDER BY appointment_id")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(msgs, ["Hôpital Montfort", "École Saint-Éloi"]);
}

/// Item 10: when columns shift, phone numbers land under other headers: every one is masked
/// in the reasons the import prints and in every format of `status failed-rows`.
#[test]
fn phone_numbers_in_shifted_columns_are_masked_everywhere() {
    let w = Workdir::new();
    w.write(
        "csv/shifted.csv",
        format!(
            "{HEADER}{}{}{}",
            "M1,P2,y,416-555-0177,n,2026-11-25 10:00\n",
            "M2,6135550188,P3,y,n,2026-11-25 10:00\n",
            "M3,P4,(613) 555-0199,maybe,n,2026-11-25 10:00\n",
        ),
    );
    let import = w.run(&["import"]);
    let out = import.ok();
    assert_eq!(counts(&w, 1), (3, 0, 0, 3, 0), "{out}");
    // The reason for M1 quotes the number that sits under phone_preference.
    assert!(
        out.contains("phone_preference '***0177' is not yes or no"),
        "{out}"
    );
    let views = [
        w.run(&["status", "failed-rows"]).ok(),
        w.run(&["status", "failed-rows", "--json"]).ok(),
        w.run(&["status", "failed-rows", "--csv"]).ok(),
    ];
    for text in &views {
        for digits in ["0177", "0188", "0199"] {
            assert!(
                text.contains(&format!("***{digits}")),
                "{digits} masked: {text}"
            );
        }
    }
    for text in views.iter().chain([&out, &import.stderr()]) {
        for full in [
            "555-0177",
            "5550188",
            "555-0199",
            "4165550177",
            "6135550199",
        ] {
            assert!(!text.contains(full), "{full} shown in full: {text}");
        }
    }
    let json: Value = serde_json::from_str(&views[1]).unwrap();
    assert_eq!(json[0]["data"]["phone_preference"], "***0177");
    assert_eq!(json[1]["data"]["patient_id"], "***0188");
}

/// Item 11: an id is text a person can see: `Z1`, `Z1` + NUL and `Z1` + zero-width space are
/// one appointment (two duplicates), stored as `Z1`.
#[test]
fn ids_differing_only_by_invisible_characters_are_one_appointment() {
    let w = Workdir::new();
    w.write(
        "csv/ids.csv",
        format!(
            "{HEADER}Z1,P1,416-555-0101,y,n,2026-11-25 10:00\nZ1\0,P1,416-555-0101,y,n,2026-11-25 10:00\nZ1\u{200b},P1\u{feff},416-555-0101,y,n,2026-11-25 10:00\n"
        ),
    );
    let out = w.run(&["import"]).ok();
    assert_eq!(counts(&w, 1), (3, 1, 2, 0, 0), "{out}");
    let (id, patient): (String, String) = w
        .db()
        .query_row(
            "SELECT appointment_id, patient_id FROM appointments",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((id.as_str(), patient.as_str()), ("Z1", "P1"));
}

/// Item 7: a symlink in the drop folder to a secret is skipped with a warning: nothing read
/// through it is printed or stored, the target's mode is unchanged, the link stays.
#[test]
fn a_symlink_to_a_secret_is_skipped_without_reading_or_touching_it() {
    let w = Workdir::new();
    let secret = w.write("twilio.env", "TWILIO_AUTH_TOKEN=hunter2-not-a-csv\n");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("../twilio.env", w.join("csv/a-secrets.csv")).unwrap();
    w.write(
        "csv/b-day.csv",
        format!("{HEADER}L1,P1,416-555-0101,y,n,2026-11-25 10:00\n"),
    );
    let run = w.run(&["import"]);
    let out = run.ok();
    let err = run.stderr();
    assert!(
        err.contains("csv/a-secrets.csv is a symbolic link"),
        "warned: {err}"
    );
    for text in [&out, &err] {
        assert!(!text.contains("hunter2"), "{text}");
    }
    assert_eq!(
        w.count("SELECT count(*) FROM imports"),
        1,
        "only the real file"
    );
    assert_eq!(
        w.count("SELECT count(*) FROM imports WHERE coalesce(error, '') LIKE '%hunter2%' OR file_name LIKE '%secrets%'"),
        0
    );
    let mode = std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the target's mode is unchanged");
    assert!(
        std::fs::symlink_metadata(w.join("csv/a-secrets.csv"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    for entry in std::fs::read_dir(w.join("archive")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(!text.contains("hunter2"), "archived: {text}");
    }
}

/// Item 3: a file that grows while it is imported is not imported in part and archived: the
/// run notices, keeps nothing of it and leaves it; a file modified seconds ago is left for the
/// next run; once it has settled the next run imports it whole.
#[test]
fn a_file_still_being_written_is_left_for_the_next_run_and_then_imported_whole() {
    let w = Workdir::new();
    let rows = 40_000;
    let mut csv = String::from(HEADER);
    for i in 0..rows {
        csv.push_str(&format!(
            "W{i},P{i},416-555-{:04},y,n,2026-11-25 10:00\n",
            i % 10_000
        ));
    }
    let path = w.write("csv/big.csv", csv);
    let child = w
        .command(&["import"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The upload goes on while the import reads: append once the import has the file open.
    let fds = format!("/proc/{}/fd", child.id());
    wait_until(
        Duration::from_secs(20),
        "the import to open the file",
        || {
            std::fs::read_dir(&fds).is_ok_and(|d| {
                d.flatten()
                    .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|p| p == path))
            })
        },
    );
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    for i in rows..rows + 1000 {
        writeln!(
            f,
            "W{i},P{i},416-555-{:04},y,n,2026-11-25 10:00",
            i % 10_000
        )
        .unwrap();
    }
    drop(f);
    let run = crate::common::Run(child.wait_with_output().unwrap());
    run.ok();
    assert!(
        run.stderr().contains("changed while it was being imported"),
        "{}",
        run.stderr()
    );
    assert_eq!(
        w.count("SELECT count(*) FROM appointments"),
        0,
        "nothing kept"
    );
    assert_eq!(
        w.count("SELECT count(*) FROM imports"),
        0,
        "no checksum recorded"
    );
    assert!(path.exists(), "left in the drop folder");
    assert!(
        !w.join("archive").exists() || std::fs::read_dir(w.join("archive")).unwrap().count() == 0
    );

    // Just written: left for the next run.
    let again = w.run(&["import"]);
    again.ok();
    assert!(
        again.stderr().contains("may still be being written"),
        "{}",
        again.stderr()
    );
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 0);

    // Settled: imported whole, and archived.
    age(&path);
    bounded(w.command(&["import"]), Duration::from_secs(300)).ok();
    assert_eq!(counts(&w, 1).0, rows as i64 + 1000);
    assert_eq!(
        w.count("SELECT count(*) FROM appointments"),
        rows as i64 + 1000
    );
    assert!(!path.exists());
}

/// Item 3, the plain case: a file that has just arrived is left; later it is imported.
#[test]
fn a_file_that_just_arrived_waits_for_the_next_run() {
    let w = Workdir::new();
    let path = w.write_fresh(
        "csv/fresh.csv",
        format!("{HEADER}F1,P1,416-555-0101,y,n,2026-11-25 10:00\n"),
    );
    let run = w.run(&["import"]);
    run.ok();
    assert!(
        run.stderr().contains("may still be being written"),
        "{}",
        run.stderr()
    );
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 0);
    age(&path);
    w.run(&["import"]).ok();
    assert_eq!(stored_ids(&w), ["F1"]);
}

/// Item 11: the rows are committed but the archive folder cannot be made (a regular file sits
/// at its path): the run says imported-but-not-archived and exits 1; a rerun neither imports
/// the file again nor leaves copies; once the folder can be made, the file is archived 0600.
#[test]
fn an_import_that_cannot_be_archived_says_so_and_a_rerun_archives_it_once() {
    let w = Workdir::new();
    w.write("archive", "not a folder\n");
    let day = w.write(
        "csv/day.csv",
        format!("{HEADER}R1,P1,416-555-0101,y,n,2026-11-25 10:00\nR2,P2,416-555-0102,y,n,2026-11-25 11:00\n"),
    );
    std::fs::set_permissions(&day, std::fs::Permissions::from_mode(0o644)).unwrap();
    let first = w.run(&["import"]);
    assert_eq!(first.code(), 1, "{}", first.stderr());
    assert!(
        first
            .stderr()
            .contains("day.csv was imported (import #1) but could not be archived"),
        "{}",
        first.stderr()
    );
    assert!(!first.stderr().contains("could not be imported"));
    assert_eq!(counts(&w, 1), (2, 2, 0, 0, 0));

    // Still broken: nothing imported twice, no copy left anywhere.
    assert_eq!(w.run(&["import"]).code(), 1);
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 2);
    let names: Vec<String> = std::fs::read_dir(w.path())
        .unwrap()
        .chain(std::fs::read_dir(w.join("csv")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().filter(|n| n.contains("day")).count() == 1,
        "{names:?}"
    );

    // Fixed: archived once, owner-only, and still not imported twice.
    std::fs::remove_file(w.join("archive")).unwrap();
    w.run(&["import"]).ok();
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 2);
    assert!(!day.exists());
    let archived: Vec<_> = std::fs::read_dir(w.join("archive"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(archived.len(), 1, "{archived:?}");
    let mode = std::fs::metadata(&archived[0])
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}
