//! The export's rules (docs/exports.md) one by one, end to end: dates, file shapes, values and the
//! drop folder, each through the real binary on a small file written for it.

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::common::Workdir;
use crate::exports::{data_of, failed_rows, json, stored, utc_of_local};

const PLAIN: &str = "appointment_id,patient_id,phone_number,appt_date_time\n";

/// The first import's record, as `status imports --json` gives it.
fn import(w: &Workdir, n: usize) -> Value {
    let all = json(w, &["status", "imports", "--json"]);
    // Newest first.
    let list = all.as_array().unwrap();
    list[list.len() - n].clone()
}

/// (total, stored, duplicates, failed, withdrawn) of an import record.
fn counts(import: &Value) -> [i64; 5] {
    [
        "total_rows",
        "successful_rows",
        "duplicate_rows",
        "failed_rows",
        "withdrawn_rows",
    ]
    .map(|k| import[k].as_i64().unwrap())
}

/// (appointment_id, stored UTC time) of every stored appointment.
fn ids_and_times(w: &Workdir) -> Vec<(String, String)> {
    stored(w).into_iter().map(|a| (a.0, a.4)).collect()
}

#[test]
fn one_garbage_date_does_not_decide_the_order() {
    let w = Workdir::new();
    w.write(
        "csv/day.csv",
        format!(
            "{PLAIN}G1,P1,416-555-0101,13/45/2026 9:30\n\
             G2,P2,416-555-0102,25/11/2026 9:30\n\
             G3,P3,416-555-0103,01/12/2026 10:00\n\
             G4,P4,416-555-0104,26/11/2026 14:00\n"
        ),
    );
    let out = w.run(&["import"]).ok();
    // 13/45/2026 is a date neither way: it does not count against day-first, and fails alone.
    assert_eq!(
        ids_and_times(&w),
        [
            ("G2".into(), utc_of_local("2026-11-25 09:30")),
            ("G3".into(), utc_of_local("2026-12-01 10:00")),
            ("G4".into(), utc_of_local("2026-11-26 14:00")),
        ]
    );
    assert_eq!(
        failed_rows(&w),
        [(
            2,
            "appt_date_time '13/45/2026 9:30' has a date part '13/45/2026' that is not a real \
             date read day-first (dmy)"
                .to_string()
        )]
    );
    let said = "day-first (dmy): 2 slash dates read only day-first, 0 only month-first, 1 either way, 1 neither way";
    assert_eq!(import(&w, 1)["summary"]["dates"], said);
    assert!(
        out.contains(&format!(
            "day.csv: UTF-8 comma-separated; slash dates read {said}"
        )),
        "{out}"
    );

    // Alone with dates that read both ways, the garbage decides nothing either: slash_dates.
    w.write(
        "csv/next.csv",
        format!(
            "{PLAIN}H1,P1,416-555-0101,13/45/2026 9:30\n\
             H2,P2,416-555-0102,01/02/2027 9:30\n\
             H3,P3,416-555-0103,03/04/2027 9:30\n"
        ),
    );
    w.run(&["import"]).ok();
    let dates = import(&w, 2)["summary"]["dates"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        dates.starts_with("month-first (mdy, the configured slash_dates): no slash date decides"),
        "{dates}"
    );
    let times = ids_and_times(&w);
    assert!(
        times.contains(&("H2".into(), utc_of_local("2027-01-02 09:30"))),
        "{times:?}"
    );
}

#[test]
fn a_ragged_row_is_rejected_whole_and_names_the_delimiter() {
    let w = Workdir::new();
    w.write(
        "csv/a.csv",
        "appointment_id,patient_id,phone_number,appt_date_time,appointment_msg\n\
         R1,P1,416-555-0101,2026-11-25 09:30,Room 2, second floor\n\
         R2,P2,416-555-0102,2026-11-25 10:00,\"Room 3, first floor\"\n",
    );
    w.write(
        "csv/b.csv",
        "appointment_id;patient_id;phone_number;appt_date_time\nS1;P1;416-555-0103;2026-11-25 09:30;x\n",
    );
    let out = w.run(&["import"]).ok();
    assert_eq!(ids_and_times(&w).len(), 1, "only R2 is stored");
    let failed = failed_rows(&w);
    assert_eq!(
        failed,
        [
            (
                2,
                "6 fields where the header has 5: is there an unquoted comma in a value? Nothing \
                 of the row was stored, so no value lands in the wrong column"
                    .to_string()
            ),
            (
                2,
                "5 fields where the header has 4: is there an unquoted semicolon in a value? \
                 Nothing of the row was stored, so no value lands in the wrong column"
                    .to_string()
            ),
        ]
    );
    assert!(
        out.contains("a.csv row 2: 6 fields where the header has 5"),
        "{out}"
    );
    let msg: String = w
        .db()
        .query_row("SELECT appointment_msg FROM appointments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(msg, "Room 3, first floor");
}

#[test]
fn excel_shortened_numbers_are_named_and_a_phone_list_moves_on() {
    let w = Workdir::new();
    w.write(
        "reminders.toml",
        "[csv]\ncall_only = [\"Home\"]\n\n[csv.columns]\nappointment_id = \"Id\"\npatient_id = \"Patient\"\nphone_number = [\"Cell\", \"Home\"]\ntext_preference = \"Text\"\nappt_date_time = \"When\"\n",
    );
    w.write(
        "csv/day.csv",
        "Id,Patient,Cell,Home,Text,When\n\
         E1,P1,1.41656E+10,,yes,2026-11-25 09:30\n\
         E2,P2,1.41656E+10,416-555-0102,yes,2026-11-25 10:00\n\
         E3,P3,4165550103.0,,yes,2026-11-25 10:30\n\
         E4,P4,'4165550104,,yes,2026-11-25 11:00\n",
    );
    w.run(&["import"]).ok();
    assert_eq!(
        failed_rows(&w),
        [(
            2,
            "phone_number (column \"Cell\") '1.41656E+10' Excel shortened this number to \
             1.41656E+10: format the column as text and export again"
                .to_string()
        )]
    );
    let got: Vec<(String, String, String)> =
        stored(&w).into_iter().map(|a| (a.0, a.2, a.3)).collect();
    assert_eq!(
        got,
        [
            // The cell number is gone; the home line is called (call_only), not texted.
            ("E2".into(), "+14165550102".into(), "call".into()),
            ("E3".into(), "+14165550103".into(), "sms".into()),
            ("E4".into(), "+14165550104".into(), "sms".into()),
        ]
    );
}

#[test]
fn comma_semicolon_and_tab_are_found_from_the_header_line() {
    let w = Workdir::new();
    for (name, d) in [("a-comma", ","), ("b-semicolon", ";"), ("c-tab", "\t")] {
        let body = [
            [
                "appointment_id",
                "patient_id",
                "phone_number",
                "appt_date_time",
                "appointment_msg",
            ],
            [
                name,
                "P1",
                "416-555-0101",
                "2026-11-25 09:30",
                "Dr. Li, room 2; bring card",
            ],
        ]
        .map(|row| {
            row.iter()
                .map(|c| {
                    if c.contains(d) {
                        format!("\"{c}\"")
                    } else {
                        c.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(d)
        })
        .join("\r\n");
        w.write(&format!("csv/{name}.csv"), body);
    }
    w.run(&["import"]).ok();
    let delimiters: Vec<Value> = (1..=3)
        .map(|n| import(&w, n)["summary"]["delimiter"].clone())
        .collect();
    assert_eq!(delimiters, ["comma", "semicolon", "tab"]);
    let msgs: Vec<String> = {
        let db = w.db();
        let mut stmt = db
            .prepare("SELECT appointment_msg FROM appointments ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(msgs, ["Dr. Li, room 2; bring card"; 3]);
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut bytes = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        bytes.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    bytes
}

#[test]
fn utf16_big_and_little_endian_read_alike() {
    let w = Workdir::new();
    let text = |id: &str| {
        format!(
            "Liste du 25/11/2026\t\t\t\t\r\n\
             appointment_id\tpatient_id\tphone_number\tappt_date_time\tProvider\r\n\
             {id}\tP1\t416-555-0101\t25/11/2026 9:30\tDr Bélanger\r\n"
        )
    };
    w.write("csv/a-be.csv", utf16(&text("BE1"), true));
    w.write("csv/b-le.csv", utf16(&text("LE1"), false));
    w.run(&["import"]).ok();
    assert_eq!(
        ids_and_times(&w),
        [
            ("BE1".into(), utc_of_local("2026-11-25 09:30")),
            ("LE1".into(), utc_of_local("2026-11-25 09:30")),
        ]
    );
    assert_eq!(import(&w, 1)["summary"]["encoding"], "UTF-16 BE");
    assert_eq!(import(&w, 2)["summary"]["encoding"], "UTF-16 LE");
    assert_eq!(data_of(&w, "BE1")["provider"], "Dr Bélanger");
    assert_eq!(data_of(&w, "LE1")["provider"], "Dr Bélanger");
}

#[test]
fn a_short_row_reads_its_missing_trailing_fields_as_empty() {
    let w = Workdir::new();
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,text_preference,appt_date_time,language\n\
         T1,P1,416-555-0101,y,2026-11-25 09:30\n\
         T2,P2,416-555-0102,y\n",
    );
    w.run(&["import"]).ok();
    let got: Vec<(String, String, String)> =
        stored(&w).into_iter().map(|a| (a.0, a.3, a.5)).collect();
    assert_eq!(got, [("T1".into(), "sms".into(), "en".into())]);
    assert_eq!(
        failed_rows(&w),
        [(3, "appt_date_time '' is empty".to_string())]
    );
}

#[test]
fn ids_lose_invisible_characters_and_every_other_column_is_data() {
    let w = Workdir::new();
    w.write(
        "csv/day.csv",
        "Appointment ID,Patient ID,Phone Number,Appt Date/Time,Provider,Visit Type,Room #\n\
         A1,P1,416-555-0101,2026-11-25 09:30,Dr. Li,Cleaning,2\n\
         A1\u{200b},P1\u{feff},416-555-0101,2026-11-25 09:30,Dr. Li,Cleaning,2\n\
         \u{200b}A2 ,P2,416-555-0102,2026-11-25 10:00,Dr. Roy,Check-up,\n",
    );
    w.run(&["import"]).ok();
    assert_eq!(counts(&import(&w, 1)), [3, 2, 1, 0, 0]);
    let ids: Vec<(String, String)> = stored(&w).into_iter().map(|a| (a.0, a.1)).collect();
    assert_eq!(
        ids,
        [("A1".into(), "P1".into()), ("A2".into(), "P2".into())]
    );
    // Every column no field reads, under its normalised header: the templates' placeholders.
    assert_eq!(
        data_of(&w, "A1"),
        serde_json::json!({"provider": "Dr. Li", "visit_type": "Cleaning", "room": "2"})
    );
    assert_eq!(data_of(&w, "A2")["room"], "");
}

/// A recipe's phone list naming a column this export lacks (OpenEMR's BatchCom file has no
/// `phone_biz`): the columns it has are read, and the summary says which one is missing.
#[test]
fn a_phone_list_naming_a_column_the_file_lacks_reads_the_others_and_says_so() {
    let w = Workdir::new();
    w.write(
        "reminders.toml",
        "[csv.columns]\npatient_id = \"pubpid\"\nphone_number = [\"phone_cell\", \"phone_home\", \"phone_biz\"]\nappt_date_time = \"pc_eventDate\"\n",
    );
    w.write(
        "csv/day.csv",
        "pubpid,phone_cell,phone_home,pc_eventDate\n301,,416-555-0101,2026-11-25 09:30\n302,416-555-0102,,2026-11-25 10:00\n",
    );
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stdout().contains(
            "day.csv: phone_number: no \"phone_biz\" column in this file; read from \"phone_cell\" or \"phone_home\""
        ),
        "{}",
        run.stdout()
    );
    assert_eq!(counts(&import(&w, 1)), [2, 2, 0, 0, 0]);
    // A list none of whose columns is there still fails the file, naming them.
    w.write(
        "csv/other.csv",
        "pubpid,mobile,pc_eventDate\n303,416-555-0103,2026-11-25 11:00\n",
    );
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("phone_number is mapped to"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_mapped_header_the_file_lacks_fails_the_file_naming_field_and_header() {
    let w = Workdir::new();
    w.write(
        "reminders.toml",
        "[csv.columns]\nappointment_id = \"AptNum\"\npatient_id = \"PatNum\"\nphone_number = \"WirelessPhone\"\nappt_date_time = \"AptDateTime\"\n",
    );
    w.write(
        "csv/day.csv",
        "AptNum,PatientNumber,WirelessPhone,AptDateTime\n7001,301,416-555-0101,2026-11-25 09:30\n",
    );
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let why = "patient_id is mapped to \"PatNum\" but the file has no such column";
    assert!(
        run.stderr()
            .contains("day.csv could not be imported: no header row"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains(why), "{}", run.stderr());
    let import = import(&w, 1);
    assert_eq!(import["status"], "failed");
    assert!(import["error"].as_str().unwrap().contains(why), "{import}");
    assert!(w.join("archive/day.csv").exists());
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 0);
}

#[test]
fn an_unknown_field_in_csv_columns_is_a_usage_error_naming_it() {
    let w = Workdir::new();
    w.write(
        "reminders.toml",
        "[csv.columns]\nappointment = \"AptNum\"\n",
    );
    w.write(
        "csv/day.csv",
        format!("{PLAIN}A1,P1,416-555-0101,2026-11-25 09:30\n"),
    );
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 2);
    let err = run.stderr();
    assert!(
        err.contains("unknown key `csv.columns.appointment`"),
        "{err}"
    );
    assert!(
        err.contains("(fields: appointment_id, patient_id, phone_number"),
        "{err}"
    );
    assert!(w.join("csv/day.csv").exists(), "nothing was imported");
    // A call_only column that is no phone column would text a landline.
    w.write(
        "reminders.toml",
        "[csv]\ncall_only = [\"HomePhone\"]\n\n[csv.columns]\npatient_id = \"PatNum\"\nphone_number = [\"Cell\", \"Home Phone\"]\nappt_date_time = \"When\"\n",
    );
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr()
            .contains("`csv.call_only`: \"HomePhone\" is not one of the phone_number columns"),
        "{}",
        run.stderr()
    );
}

#[test]
fn the_drop_folder_missing_is_an_error_and_empty_a_warning() {
    let w = Workdir::new();
    let run = w.run(&["import"]);
    assert_eq!(
        (run.code(), run.stdout().as_str()),
        (0, ""),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr()
            .contains("no CSV file to import in csv: has the export arrived?"),
        "{}",
        run.stderr()
    );
    std::fs::remove_dir(w.join("csv")).unwrap();
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr()
            .contains("the drop folder csv does not exist (csv_dir / REMINDERS_CSV_DIR)"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_file_named_outside_the_drop_folder_is_copied_and_left_in_place() {
    let w = Workdir::new();
    let body = format!("{PLAIN}A1,P1,416-555-0101,2026-11-25 09:30\n");
    let outside = w.write("exports/day.csv", &body);
    std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = std::fs::metadata(&outside).unwrap();
    w.run(&["import", "exports/day.csv"]).ok();
    let after = std::fs::metadata(&outside).unwrap();
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), body);
    assert_eq!(after.permissions().mode() & 0o777, 0o644);
    assert_eq!(after.modified().unwrap(), before.modified().unwrap());
    let copy = w.join("archive/day.csv");
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), body);
    assert_eq!(
        std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(import(&w, 1)["file_path"], "archive/day.csv");
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 1);
}

#[test]
fn language_words_are_read_and_the_others_counted_in_the_summary() {
    let w = Workdir::new();
    let mut csv = String::from("appointment_id,patient_id,phone_number,appt_date_time,language\n");
    for (i, lang) in [
        "English",
        "fra",
        "Français",
        "fr-CA",
        "EN-ca",
        "",
        "Spanish",
        "de",
        "Klingon",
        "es-MX",
        "Klingon",
    ]
    .iter()
    .enumerate()
    {
        csv.push_str(&format!(
            "L{i},P{i},416-555-01{i:02},2026-11-25 09:30,{lang}\n"
        ));
    }
    w.write("csv/day.csv", csv);
    let out = w.run(&["import"]).ok();
    let langs: Vec<String> = stored(&w).into_iter().map(|a| a.5).collect();
    assert_eq!(
        langs,
        [
            "en", "fr", "fr", "fr", "en", "en", "es", "en", "en", "es", "en"
        ]
    );
    assert!(
        out.contains("day.csv: language not recognised, English used: 'de' ×1, 'Klingon' ×2"),
        "{out}"
    );
    assert_eq!(
        import(&w, 1)["summary"]["languages_not_recognised"],
        serde_json::json!([["de", 1], ["Klingon", 2]])
    );
}

#[test]
fn the_example_configuration_is_valid() {
    let w = Workdir::new();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("reminders.toml.example");
    w.write("reminders.toml", std::fs::read(example).unwrap());
    w.write(
        "csv/day.csv",
        format!("{PLAIN}A1,P1,416-555-0101,2026-11-25 09:30\n"),
    );
    w.run(&["import"]).ok();
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 1);
}
