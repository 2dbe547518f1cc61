//! Waitlist files end to end (docs/waitlist.md): read as exports are read, each row checked,
//! each file the whole list of the sites it holds; exports carrying what a freed slot is
//! matched on; and an export listing a slot's taker marking the booking made.

use crate::common::Workdir;

/// The evening the tests import at: 2026-11-24 19:00 in Toronto.
pub const NOW: &str = "2026-11-25T00:00:00Z";

const SITES: &str = "[sites.bloor]\nnames = [\"Bloor\"]\ntimezone = \"America/Toronto\"\n\
                     [sites.west]\nnames = [\"Kitsilano\"]\ntimezone = \"America/Vancouver\"\n";

const HEADER: &str =
    "patient_id,phone_number,clinic,provider,visit_type,duration_minutes,earliest,latest,added\n";

pub fn workdir(config: &str) -> Workdir {
    let mut w = Workdir::new();
    w.env("REMINDERS_NOW", NOW);
    w.write("reminders.toml", config);
    w
}

/// (kind, status, total, processed, stored, duplicates, failed) of an import.
pub fn import_row(w: &Workdir, id: i64) -> (String, String, i64, i64, i64, i64, i64) {
    w.db()
        .query_row(
            "SELECT kind, status, total_rows, processed_rows, successful_rows, duplicate_rows,
                    failed_rows FROM imports WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )
        .unwrap()
}

/// (site, patient_id) of every entry, in the order offers would go (earliest added first).
fn entries(w: &Workdir) -> Vec<(String, String)> {
    let db = w.db();
    let mut stmt = db
        .prepare("SELECT site, patient_id FROM waitlist_entries ORDER BY site, added, id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// (row_number, validation_error) of an import's rejected rows.
pub fn rejected(w: &Workdir, import: i64) -> Vec<(i64, String)> {
    let db = w.db();
    let mut stmt = db
        .prepare(
            "SELECT row_number, validation_error FROM failed_import_rows WHERE import_id = ?1
             ORDER BY row_number",
        )
        .unwrap();
    stmt.query_map([import], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn rejected_rows_are_kept_with_their_reasons_and_the_rest_is_the_list() {
    let w = workdir(SITES);
    // Windows-1252, semicolons, a title line and a blank line above the header.
    let text = "Liste d'attente \u{2014} novembre;;;;;;;;\n;;;;;;;;\n\
                patient_id;phone_number;clinic;provider;visit_type;duration_minutes;earliest;latest;added\n\
                P1;416-555-0101;Bloor;Dr Côté;cleaning;30;25/11/2026;05/12/2026;01/11/2026 09:15\n\
                P2;416-555-01;Bloor;;;;;;\n\
                P3;416-555-0103;Danforth;;;;;;\n\
                P4;416-555-0104;Bloor;;;half an hour;;;\n\
                P5;416-555-0105;Kitsilano;;;;10/12/2026;01/12/2026;\n\
                P6;416-555-0106;Kitsilano;;;;;;;extra;more\n\
                P7;604-555-0107;Kitsilano;;;45;;;03/11/2026\n\
                P1;(416) 555-0101;Bloor;;;;;;\n";
    let bytes: Vec<u8> = text
        .chars()
        .map(|c| match c {
            'ô' => 0xF4,
            '\u{2014}' => 0x97,
            c => c as u8,
        })
        .collect();
    w.write("csv/waitlist-bloor.csv", &bytes);
    let out = w.run(&["import"]).ok();
    assert!(
        out.contains(
            "waitlist-bloor.csv: waitlist, entries (each site's whole list now): bloor: 1, west: 1"
        ),
        "{out}"
    );
    assert!(out.contains("Windows-1252 semicolon-separated"), "{out}");
    assert!(out.contains("slash dates read day-first"), "{out}");
    // processed = stored + duplicates + failed; the same patient and number again is a duplicate.
    assert_eq!(
        import_row(&w, 1),
        ("waitlist".into(), "completed".into(), 8, 8, 2, 1, 5)
    );
    assert_eq!(entries(&w), pairs(&[("bloor", "P1"), ("west", "P7")]));
    let (provider, duration, earliest, latest, added): (String, i64, String, String, String) = w
        .db()
        .query_row(
            "SELECT provider, duration_minutes, earliest, latest, added FROM waitlist_entries
             WHERE patient_id = 'P1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        (
            provider.as_str(),
            duration,
            earliest.as_str(),
            latest.as_str(),
            added.as_str()
        ),
        (
            "Dr Côté",
            30,
            "2026-11-25",
            "2026-12-05",
            "2026-11-01T14:15:00Z"
        )
    );

    let reasons = rejected(&w, 1);
    let rows: Vec<i64> = reasons.iter().map(|(r, _)| *r).collect();
    assert_eq!(rows, [5, 6, 7, 8, 9]);
    let expect = [
        "is not a valid phone number",
        "clinic 'Danforth' names no configured site (sites: bloor, west",
        "duration_minutes 'half an hour' is not a whole number of minutes",
        "earliest 2026-12-10 is after latest 2026-12-01",
        "11 fields where the header has 9",
    ];
    for ((row, reason), want) in reasons.iter().zip(expect) {
        assert!(reason.contains(want), "row {row}: {reason}");
    }
    // Phone numbers in reasons are masked, as an export's are.
    assert!(!reasons[0].1.contains("416-555-01"), "{}", reasons[0].1);
    assert!(
        out.contains("waitlist-bloor.csv row 7: duration_minutes"),
        "{out}"
    );

    // `status imports` says which kind each import was.
    let status = w.run(&["status", "imports"]).ok();
    assert!(
        status.contains("kind") && status.contains("waitlist"),
        "{status}"
    );
    assert!(
        !w.join("csv/waitlist-bloor.csv").exists() && w.join("archive/waitlist-bloor.csv").exists()
    );
}

#[test]
fn a_file_for_one_site_replaces_that_sites_list_and_leaves_the_others() {
    let w = workdir(SITES);
    w.write(
        "csv/waitlist-1.csv",
        format!(
            "{HEADER}P1,416-555-0101,Bloor,,,,,,2026-11-02\nP2,416-555-0102,Bloor,,,,,,2026-11-01\n\
             W1,604-555-0111,Kitsilano,,,,,,\n"
        ),
    );
    w.run(&["import"]).ok();
    // Earliest added first: P2 joined before P1.
    assert_eq!(
        entries(&w),
        pairs(&[("bloor", "P2"), ("bloor", "P1"), ("west", "W1")])
    );
    w.write(
        "csv/waitlist-2.csv",
        format!("{HEADER}P3,416-555-0103,Bloor,,,,,,\n"),
    );
    let out = w.run(&["import"]).ok();
    assert!(
        out.contains("entries (each site's whole list now): bloor: 1"),
        "{out}"
    );
    assert_eq!(entries(&w), pairs(&[("bloor", "P3"), ("west", "W1")]));
    // Entries without `added` joined when their file was imported.
    let added: String = w
        .db()
        .query_row(
            "SELECT added FROM waitlist_entries WHERE patient_id = 'P3'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(added, NOW);
}

#[test]
fn one_site_clinic_a_file_of_nobody_empties_the_list() {
    let w = workdir("");
    w.write(
        "csv/waitlist-a.csv",
        "patient_id,phone_number\nP1,416-555-0101\nP2,416-555-0102\n",
    );
    w.run(&["import"]).ok();
    assert_eq!(w.count("SELECT count(*) FROM waitlist_entries"), 2);
    w.write("csv/waitlist-b.csv", "patient_id,phone_number\n");
    w.run(&["import"]).ok();
    assert_eq!(w.count("SELECT count(*) FROM waitlist_entries"), 0);
}

#[test]
fn the_same_waitlist_twice_is_recognised_and_force_imports_it_again() {
    let w = workdir(SITES);
    let text = format!("{HEADER}P1,416-555-0101,Bloor,,,,,,\nP2,416-555-0102,Bloor,,,,,,\n");
    w.write("csv/waitlist-mon.csv", &text);
    w.run(&["import"]).ok();
    w.write("csv/waitlist-tue.csv", &text);
    let out = w.run(&["import"]).ok();
    assert!(
        out.contains("same content as import #1 (waitlist-mon.csv): not imported again"),
        "{out}"
    );
    assert_eq!(import_row(&w, 2).0, "waitlist");
    assert_eq!(import_row(&w, 2).1, "skipped");
    let again = w.write("elsewhere/waitlist-tue.csv", &text);
    w.run(&["import", "--force", again.to_str().unwrap()]).ok();
    assert_eq!(
        import_row(&w, 3),
        ("waitlist".into(), "completed".into(), 2, 2, 2, 0, 0)
    );
    // Replaced, not added to: the list is the file's two entries, from the latest import.
    assert_eq!(
        w.count("SELECT count(*) FROM waitlist_entries WHERE import_id = 3"),
        2
    );
    assert_eq!(w.count("SELECT count(*) FROM waitlist_entries"), 2);
}

#[test]
fn a_dry_run_reads_and_reports_and_stores_nothing() {
    let w = workdir(SITES);
    w.empty_db();
    w.write(
        "csv/waitlist.csv",
        format!("{HEADER}P1,416-555-0101,Bloor,,,,,,\nP2,12,Bloor,,,,,,\n"),
    );
    let out = w.run(&["import", "--dry-run"]).ok();
    assert!(out.contains("Dry run: nothing was stored"), "{out}");
    assert!(
        out.contains("waitlist, entries (each site's whole list now): bloor: 1"),
        "{out}"
    );
    assert!(
        out.contains("waitlist.csv row 3: phone_number '12'"),
        "{out}"
    );
    assert_eq!(w.count("SELECT count(*) FROM imports"), 0);
    assert_eq!(w.count("SELECT count(*) FROM waitlist_entries"), 0);
    assert_eq!(w.count("SELECT count(*) FROM failed_import_rows"), 0);
    assert!(w.join("csv/waitlist.csv").exists());
}

#[test]
fn a_waitlist_named_on_the_command_line_is_a_waitlist_and_exports_stay_exports() {
    let w = workdir("[waitlist]\nfiles = \"asap*.txt\"\n");
    w.write(
        "csv/asap-list.txt",
        "patient_id\tphone_number\nP1\t416-555-0101\n",
    );
    w.write(
        "csv/appointments.csv",
        "appointment_id,patient_id,phone_number,appt_date_time\nA1,P9,416-555-0109,2026-11-25 09:30\n",
    );
    w.write("csv/notes.txt", "not an export");
    let run = w.run(&["import"]);
    let out = run.ok();
    // Oldest name first, each as what its name says.
    assert!(out.find("appointments.csv").unwrap() < out.find("asap-list.txt").unwrap());
    assert!(run.stderr().contains("notes.txt"), "{}", run.stderr());
    assert_eq!(
        w.count(
            "SELECT count(*) FROM imports WHERE kind = 'waitlist' AND file_name = 'asap-list.txt'"
        ),
        1
    );
    assert_eq!(
        w.count("SELECT count(*) FROM imports WHERE kind = 'appointments' AND file_name = 'appointments.csv'"),
        1
    );
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 1);
    assert_eq!(w.count("SELECT count(*) FROM waitlist_entries"), 1);
    let named = w.write(
        "elsewhere/asap-2.txt",
        "patient_id\tphone_number\nP2\t416-555-0102\n",
    );
    w.run(&["import", named.to_str().unwrap()]).ok();
    assert_eq!(entries(&w), pairs(&[("", "P2")]));
}

#[test]
fn an_export_carries_provider_visit_type_and_duration() {
    let w = workdir("");
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,appt_date_time,Provider,Visit Type,Duration (minutes)\n\
         A1,P1,416-555-0101,2026-11-25 09:30,Dr Li,cleaning,45\n\
         A2,P2,416-555-0102,2026-11-25 10:30,,,\n\
         A3,P3,416-555-0103,2026-11-25 11:30,Dr Li,exam,an hour\n",
    );
    let out = w.run(&["import"]).ok();
    assert!(
        out.contains("day.csv row 4: duration_minutes 'an hour' is not a whole number of minutes"),
        "{out}"
    );
    let db = w.db();
    let read = |id: &str| -> (Option<String>, Option<String>, Option<i64>) {
        db.query_row(
            "SELECT provider, visit_type, duration_minutes FROM appointments WHERE appointment_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    assert_eq!(
        read("A1"),
        (Some("Dr Li".into()), Some("cleaning".into()), Some(45))
    );
    assert_eq!(read("A2"), (None, None, None));
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 2);
    // Still a placeholder for the templates, as before it was a field.
    let keys: String = db
        .query_row("SELECT data_keys FROM imports WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(keys.contains("\"provider\""), "{keys}");
}

#[test]
fn an_export_listing_the_taker_at_the_slots_time_marks_it_booked() {
    let w = workdir("");
    w.write(
        "csv/day-1.csv",
        "appointment_id,patient_id,phone_number,appt_date_time\n\
         A1,P1,416-555-0101,2026-11-27 09:30\n\
         A8,P8,416-555-0108,2026-11-27 10:00\n",
    );
    w.run(&["import"]).ok();
    // P1 gave 09:30 back and P9 took it; P8 took a 10:00 slot, and is already listed then;
    // P7 took one no export lists yet.
    w.db()
        .execute_batch(
            "INSERT INTO slots (appointment_id, site, starts_at, local_date, freed_by_patient,
                                state, opened_at, taker_patient_id, taken_at)
             VALUES (1, '', '2026-11-27T14:30:00Z', '2026-11-27', 'P1', 'taken',
                     '2026-11-24T23:00:00Z', 'P9', '2026-11-24T23:10:00Z'),
                    (1, '', '2026-11-27T15:00:00Z', '2026-11-27', 'P1', 'taken',
                     '2026-11-24T23:00:00Z', 'P8', '2026-11-24T23:10:00Z'),
                    (1, '', '2026-11-27T16:00:00Z', '2026-11-27', 'P1', 'taken',
                     '2026-11-24T23:00:00Z', 'P7', '2026-11-24T23:10:00Z');",
        )
        .unwrap();
    w.write(
        "csv/day-2.csv",
        "appointment_id,patient_id,phone_number,appt_date_time\n\
         B9,P9,416-555-0109,2026-11-27 09:30\n\
         A8,P8,416-555-0108,2026-11-27 10:00\n\
         B7,P7,416-555-0107,2026-11-27 12:00\n",
    );
    let out = w.run(&["import"]).ok();
    assert!(out.contains("2 waitlist slot(s) now booked"), "{out}");
    let db = w.db();
    let booked = |taker: &str| -> Option<String> {
        db.query_row(
            "SELECT booked_at FROM slots WHERE taker_patient_id = ?1",
            [taker],
            |r| r.get(0),
        )
        .unwrap()
    };
    // Stored by this import, or seen again by it (a duplicate): booked at the import's time.
    assert_eq!(booked("P9").as_deref(), Some(NOW));
    assert_eq!(booked("P8").as_deref(), Some(NOW));
    // Listed at another time: not the slot.
    assert_eq!(booked("P7"), None);
}

#[test]
fn a_waitlist_without_its_columns_fails_whole_and_a_misspelt_field_is_named() {
    let w = workdir("[waitlist.columns]\npatient_id = \"PatNum\"\nphone_number = \"Cell\"\n");
    w.write("csv/waitlist.csv", "Patient,Cell\nP1,416-555-0101\n");
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains(
            "waitlist.csv could not be imported: no header row: none of the first 20 lines holds the columns needed (patient_id is mapped to \"PatNum\" but the file has no such column)"
        ),
        "{}",
        run.stderr()
    );
    assert_eq!(
        import_row(&w, 1),
        ("waitlist".into(), "failed".into(), 0, 0, 0, 0, 0)
    );
    assert!(w.join("archive/waitlist.csv").exists());

    let w = workdir("[waitlist.columns]\npatient = \"PatNum\"\n");
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr()
            .contains("unknown key `waitlist.columns.patient` (fields: patient_id, phone_number,"),
        "{}",
        run.stderr()
    );
    let w = workdir("[waitlist.columns]\npatient_id = \"Cell\"\nphone_number = \"CELL\"\n");
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr()
            .contains("[waitlist.columns]: patient_id and phone_number are both mapped to"),
        "{}",
        run.stderr()
    );
}
