//! The third audit of the import and the configuration: files and rows too big to read whole,
//! files too wide, consent words that contradict each other, config paths that are not files,
//! mappings that give one column to two fields, delimiters that cannot separate fields, line
//! ends inside quoted fields, and Excel times a moment before midnight.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use super::{HEADER, bounded, call_row, stored_ids};
use crate::common::twilio::{clinic, window};
use crate::common::{EVENING, Run, Workdir};

/// The address space the binary may use in these tests (`ulimit -v`). A small import needs well
/// under 128 MiB; a reader that amplifies a long line needs many times the line's size.
const MEMORY_LIMIT: u64 = 256 * 1024 * 1024;

/// `cmd`, limited to `MEMORY_LIMIT` of address space: past it an allocation fails and the
/// process aborts, as under a cron job's `ulimit -v`.
fn within_memory_limit(mut cmd: Command) -> Command {
    // Safety: only setrlimit, which is async-signal-safe, runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY_LIMIT,
                rlim_max: MEMORY_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

/// Every import recorded: (file name, status, error, archived path).
fn imports(w: &Workdir) -> Vec<(String, String, Option<String>, Option<String>)> {
    let db = w.db();
    let mut stmt = db
        .prepare("SELECT file_name, status, error, file_path FROM imports ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn failed_rows(w: &Workdir) -> Vec<(i64, String, String)> {
    let db = w.db();
    let mut stmt = db
        .prepare(
            "SELECT row_number, validation_error, data FROM failed_import_rows
             ORDER BY import_id, row_number",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn drop_folder(w: &Workdir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(w.join("csv"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Item 6: an 8 MB file of one line (no line end at all, a comma every other byte) is recorded
/// as a failed import saying why, and archived; the good export after it in the drop folder
/// imports. All of it within a 256 MiB address space: the line is never read whole into
/// per-field structures.
#[test]
fn a_file_of_one_huge_line_is_a_failed_import_and_the_next_export_imports() {
    let w = Workdir::new();
    w.write("csv/2026-11-23.csv", "a,".repeat(4 * 1024 * 1024));
    w.write(
        "csv/2026-11-24.csv",
        format!("{HEADER}{}", call_row("G1", "0101", "10:00")),
    );
    let run = bounded(
        within_memory_limit(w.command(&["import"])),
        Duration::from_secs(120),
    );
    // The bad file makes the run exit 1 (a file could not be imported); nothing aborted.
    assert_eq!(run.code(), 1, "{}\n{}", run.stdout(), run.stderr());
    let recorded = imports(&w);
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    let (name, status, error, archived) = &recorded[0];
    assert_eq!(
        (name.as_str(), status.as_str()),
        ("2026-11-23.csv", "failed")
    );
    let error = error.as_deref().unwrap_or_default();
    assert!(
        error.contains("line 1 is 8.0 MiB long, more than the 256 KiB"),
        "{error}"
    );
    assert!(archived.is_some(), "the failed file is archived");
    assert_eq!(
        (recorded[1].0.as_str(), recorded[1].1.as_str()),
        ("2026-11-24.csv", "completed")
    );
    assert_eq!(stored_ids(&w), ["G1"]);
    assert!(drop_folder(&w).is_empty(), "{:?}", drop_folder(&w));
    assert!(run.stderr().contains("256 KiB"), "{}", run.stderr());
}

/// Item 6, one row: a row of 8 MB (one huge line among good ones) fails alone, with a reason,
/// and the rows around it are stored; memory stays within the same limit.
#[test]
fn a_row_longer_than_the_cap_fails_alone() {
    let w = Workdir::new();
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}{}{}\n{}",
            call_row("H1", "0101", "10:00"),
            "a,".repeat(4 * 1024 * 1024),
            call_row("H3", "0103", "11:00"),
        ),
    );
    let run = bounded(
        within_memory_limit(w.command(&["import"])),
        Duration::from_secs(120),
    );
    let out = run.ok();
    assert_eq!(stored_ids(&w), ["H1", "H3"], "{out}");
    let failed = failed_rows(&w);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, 3);
    assert!(
        failed[0]
            .1
            .starts_with("the row is 8.0 MiB long, more than the 256 KiB a row may have"),
        "{failed:?}"
    );
    // Nothing of the huge row is kept.
    assert!(failed[0].2.len() < 100, "{}", failed[0].2.len());
    assert_eq!(imports(&w)[0].1, "completed");
}

/// Item 7: a header of more columns than the cap (1,000) is a failed import that names both
/// numbers, and the file is archived.
#[test]
fn a_header_wider_than_the_column_cap_is_a_failed_import() {
    let w = Workdir::new();
    let extra: Vec<String> = (1..=1200).map(|i| format!("c{i}")).collect();
    w.write(
        "csv/wide.csv",
        format!(
            "appointment_id,patient_id,phone_number,appt_date_time,{}\nW1,P1,416-555-0101,2026-11-25 10:00{}\n",
            extra.join(","),
            ",x".repeat(1200)
        ),
    );
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 1, "{}\n{}", run.stdout(), run.stderr());
    let recorded = imports(&w);
    assert_eq!(recorded[0].1, "failed");
    let error = recorded[0].2.as_deref().unwrap_or_default();
    assert!(
        error.contains("the header (row 1) has 1204 columns, more than the 1000"),
        "{error}"
    );
    assert!(recorded[0].3.is_some(), "archived");
    assert!(stored_ids(&w).is_empty());
}

/// Item 7: a row of 900 columns (under the cap) is stored, and its columns are the
/// placeholders of the clinic's text, the last as well as the first.
#[test]
fn a_row_of_nine_hundred_columns_renders_its_placeholders() {
    let (mut w, sim, port) = clinic("[templates]\nsms_en = \"sms.en.txt\"\n");
    w.write(
        "sms.en.txt",
        "First {c1}, middle {c450}, last {c894} at {time}. Reply STOP to opt out.",
    );
    let names: Vec<String> = (1..=894).map(|i| format!("c{i}")).collect();
    let values: Vec<String> = (1..=894).map(|i| format!("v{i}")).collect();
    w.write(
        "csv/day.csv",
        format!(
            "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,{}\n\
             N1,P1,416-555-0101,n,y,2026-11-25 09:00,{}\n",
            names.join(","),
            values.join(",")
        ),
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    let texts = sim.creates_to("+14165550101");
    assert_eq!(texts.len(), 1);
    assert_eq!(
        texts[0].param("Body").unwrap(),
        "First v1, middle v450, last v894 at 9:00 AM. Reply STOP to opt out."
    );
}

fn with_config(config: &str) -> (Workdir, Run) {
    let w = Workdir::new();
    w.write("reminders.toml", config);
    w.write(
        "csv/day.csv",
        format!("{HEADER}{}", call_row("K1", "0101", "10:00")),
    );
    let run = w.run(&["import"]);
    (w, run)
}

#[track_caller]
fn refused(config: &str, says: &[&str]) {
    let (w, run) = with_config(config);
    assert_eq!(
        run.code(),
        2,
        "{config}\nstdout:\n{}\nstderr:\n{}",
        run.stdout(),
        run.stderr()
    );
    for s in says {
        assert!(
            run.stderr().contains(s),
            "{config}: {s:?} in\n{}",
            run.stderr()
        );
    }
    assert!(!w.join("reminders.db").exists(), "nothing was imported");
}

/// Item 8: a clinic's word that a built-in word of the other meaning already claims, or that
/// its own lists give both meanings, is refused when the configuration loads (exit 2), naming
/// the key and the word; otherwise the built-in meaning would silently win (patients marked
/// "O" for no would be texted).
#[test]
fn consent_words_that_contradict_each_other_are_refused() {
    refused(
        "[csv.values]\nno = [\"O\"]\n",
        &["`csv.values.no`", "\"O\"", "built-in yes word"],
    );
    refused(
        "[csv.values]\nyes = [\"n\"]\n",
        &["`csv.values.yes`", "\"n\"", "built-in no word"],
    );
    refused(
        "[csv.values]\nyes = [\"Sí\"]\nno = [\"SÍ\"]\n",
        &["`csv.values.no`", "\"SÍ\"", "`csv.values.yes`"],
    );
    // Words that agree with the built-in ones, or are new, are fine.
    let (w, run) =
        with_config("[csv.values]\nyes = [\"X\", \"Sí\"]\nno = [\"Unknown\", \"N/A\"]\n");
    run.ok();
    assert_eq!(stored_ids(&w), ["K1"]);
}

/// Item 14: a config path that is a named pipe or a device is refused at once (exit 2), naming
/// the path and what it is, instead of waiting for a writer or reading without end.
#[test]
fn a_config_path_that_is_a_fifo_or_a_device_is_refused_at_once() {
    let w = Workdir::new();
    let fifo = w.join("pipe.toml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for (path, what) in [
        (fifo.to_str().unwrap(), "a named pipe"),
        ("/dev/zero", "a character device"),
        (w.path().to_str().unwrap(), "a folder"),
    ] {
        let run = bounded(
            within_memory_limit(w.command(&["--config", path, "status"])),
            Duration::from_secs(20),
        );
        assert_eq!(run.code(), 2, "{path}: {}", run.stderr());
        assert!(
            run.stderr()
                .contains(&format!("config file {path} is {what}")),
            "{path}: {}",
            run.stderr()
        );
    }
    // Also through the environment.
    let mut w2 = Workdir::new();
    w2.env("REMINDERS_CONFIG", "/dev/zero");
    let run = bounded(
        within_memory_limit(w2.command(&["status"])),
        Duration::from_secs(20),
    );
    assert_eq!(run.code(), 2, "{}", run.stderr());
}

/// Item 14, the files the configuration names: a template path that is a named pipe stops the
/// run at once with the path and what it is, before anyone is contacted, instead of holding the
/// run lock while it waits for a writer.
#[test]
fn a_template_that_is_a_fifo_stops_the_run_at_once() {
    let (w, sim, _port) = clinic("[templates]\nsms_en = \"pipe.txt\"\n");
    let fifo = w.join("pipe.txt");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    w.write(
        "csv/day.csv",
        format!("{HEADER}T1,P1,416-555-0101,n,y,2026-11-25 09:00\n"),
    );
    w.run(&["import"]).ok();
    let run = bounded(w.command(&["send"]), Duration::from_secs(30));
    assert_ne!(run.code(), 0);
    assert!(
        run.stderr().contains("template pipe.txt is a named pipe"),
        "{}",
        run.stderr()
    );
    assert!(sim.creates_to("+14165550101").is_empty());
}

/// Item 14: a config file larger than the cap is refused without reading it all.
#[test]
fn a_config_file_larger_than_the_cap_is_refused() {
    let w = Workdir::new();
    w.write(
        "reminders.toml",
        format!("# {}\n", "x".repeat(2 * 1024 * 1024)),
    );
    let run = w.run(&["status"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr()
            .contains("more than the 1 MiB a config file may have"),
        "{}",
        run.stderr()
    );
}

/// Minor: one header given to two fields in `[csv.columns]` (directly, or in a phone list)
/// is refused at load, naming both fields and the header; otherwise each row's values would
/// land in two fields at once.
#[test]
fn a_header_mapped_to_two_fields_is_refused() {
    refused(
        "[csv.columns]\nappointment_id = \"ID\"\npatient_id = \"ID\"\nphone_number = \"Phone\"\nappt_date_time = \"When\"\n",
        &["appointment_id", "patient_id", "\"ID\""],
    );
    refused(
        "[csv.columns]\npatient_id = \"PatNum\"\nphone_number = [\"Cell\", \"PATNUM\"]\nappt_date_time = \"When\"\n",
        &["patient_id", "phone_number", "\"PATNUM\""],
    );
}

/// Minor: a delimiter that is a line end, a quote, a letter or a digit cannot separate fields:
/// refused with a clear message (exit 2), not taken as "auto" or used.
#[test]
fn a_delimiter_that_cannot_separate_fields_is_refused() {
    for (toml_value, shown) in [
        ("\"\\n\"", "a line end"),
        ("\"\\r\"", "a line end"),
        ("'\"'", "the quote"),
        ("\"a\"", "a letter or digit"),
        ("\"1\"", "a letter or digit"),
    ] {
        refused(
            &format!("[csv]\ndelimiter = {toml_value}\n"),
            &["`csv.delimiter`", shown],
        );
    }
    // A tab written as a real tab character is a tab, not "auto": a comma-separated file has
    // no header when read tab-separated.
    let (w, run) = with_config("[csv]\ndelimiter = \"\\t\"\n");
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains("read tab-separated"),
        "{}",
        run.stderr()
    );
    assert!(stored_ids(&w).is_empty());
}

/// Minor: a carriage return inside a quoted field, alone or before a line feed, is part of the
/// field: the row stays one row and the field keeps it.
#[test]
fn a_carriage_return_inside_quotes_stays_in_its_field() {
    let w = Workdir::new();
    let header = "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,appointment_msg,language\r\n";
    w.write(
        "csv/cr.csv",
        format!(
            "{header}\
             C1,P1,416-555-0101,y,n,2026-11-25 10:00,\"line one\rline two\",en\r\n\
             C2,P2,416-555-0102,y,n,2026-11-25 10:00,\"one\r\ntwo\",fr\r\n\
             C3,P3,416-555-0103,y,n,2026-11-25 10:00,\"a\r\rb\",fr\r\n\
             C4,P4,416-555-0104,y,n,2026-11-25 10:00,plain,en\r\n"
        ),
    );
    let out = w.run(&["import"]).ok();
    assert!(failed_rows(&w).is_empty(), "{out}");
    let msgs: Vec<(String, String, i64)> = {
        let db = w.db();
        let mut s = db
            .prepare("SELECT appointment_id, appointment_msg, language = 'fr' FROM appointments ORDER BY appointment_id")
            .unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        msgs,
        [
            ("C1".into(), "line one\rline two".into(), 0),
            ("C2".into(), "one\r\ntwo".into(), 1),
            ("C3".into(), "a\r\rb".into(), 1),
            ("C4".into(), "plain".into(), 0),
        ]
    );
    let total: i64 = w.count("SELECT processed_rows FROM imports");
    assert_eq!(total, 4);
}

/// Minor: an Excel date-time a fraction of a second before midnight stays on its own day, at
/// 23:59, rather than rounding into the next day.
#[test]
fn an_excel_time_just_before_midnight_stays_on_its_day() {
    let w = Workdir::new();
    w.write(
        "csv/serial.csv",
        format!(
            "{HEADER}S1,P1,416-555-0101,y,n,46351.999999\nS2,P2,416-555-0102,y,n,46351.9999999\nS3,P3,416-555-0103,y,n,46351.395833\n"
        ),
    );
    let out = w.run(&["import"]).ok();
    let times: Vec<String> = {
        let db = w.db();
        let mut s = db
            .prepare("SELECT appt_date_time FROM appointments ORDER BY appointment_id")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    // 23:59 on 2026-11-25 in Toronto (UTC-5) is 04:59 UTC on the 26th.
    assert_eq!(
        times,
        [
            "2026-11-26T04:59:00Z",
            "2026-11-26T04:59:00Z",
            "2026-11-25T14:30:00Z"
        ],
        "{out}"
    );
    assert!(out.contains("2026-11-25: 3"), "{out}");
}
