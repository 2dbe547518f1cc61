//! The waitlist's freed slots as people and the clinic see them: `status backfill`, the
//! backfill file, `status --check`, the report and one appointment's history. Slots and offers
//! are written here by SQL, as the waitlist's engine leaves them, on a database the real
//! `import` built.

use serde_json::Value;

use crate::common::Workdir;

/// The sample export imported; A1001 (09:30 on 2026-11-25 in Toronto) gave its slot back and
/// was offered to three waiting patients: P77 took it (moving from A2044), P78 said yes too
/// late, P79 declined. A1002's slot is still open with one offer out; A1003's closed unfilled
/// with a provider a spreadsheet would run.
fn slots() -> Workdir {
    let w = Workdir::new();
    w.fixture(
        "appointments-2026-11-24.csv",
        "csv/appointments-2026-11-24.csv",
    );
    w.run(&["import"]).ok();
    let db = w.db();
    db.execute_batch(
        "UPDATE appointments SET status = 'cancel_requested'
             WHERE appointment_id IN ('A1001', 'A1002', 'A1003');
         INSERT INTO slots (id, appointment_id, site, starts_at, local_date, provider, visit_type,
             duration_minutes, freed_by_patient, state, opened_at, waves, taker_patient_id,
             taker_moves_from, taken_at, closed_at)
         SELECT 1, id, '', '2026-11-25T14:30:00Z', '2026-11-25', 'Dr Lee', 'check-up', 30, 'P501',
             'taken', '2026-11-24T23:00:00Z', 1, 'P77', 'A2044', '2026-11-24T23:12:00Z',
             '2026-11-24T23:12:00Z'
         FROM appointments WHERE appointment_id = 'A1001';
         INSERT INTO slots (id, appointment_id, site, starts_at, local_date, freed_by_patient,
             state, opened_at, waves)
         SELECT 2, id, '', '2026-11-25T15:30:00Z', '2026-11-25', 'P502', 'open',
             '2026-11-24T23:30:00Z', 1
         FROM appointments WHERE appointment_id = 'A1002';
         INSERT INTO slots (id, appointment_id, site, starts_at, local_date, provider,
             freed_by_patient, state, closed_reason, opened_at, closed_at, waves)
         SELECT 3, id, '', '2026-11-25T16:30:00Z', '2026-11-25', '=cmd()', 'P503', 'closed',
             '15 offers, no taker', '2026-11-24T23:40:00Z', '2026-11-25T00:40:00Z', 5
         FROM appointments WHERE appointment_id = 'A1003';",
    )
    .unwrap();
    for (slot, freed, patient, phone, wave, state, at) in [
        (
            1,
            "A1001",
            "P77",
            "+14165550177",
            1,
            "taken",
            "2026-11-24T23:00:00Z",
        ),
        (
            1,
            "A1001",
            "P78",
            "+14165550178",
            1,
            "lost",
            "2026-11-24T23:00:00Z",
        ),
        (
            1,
            "A1001",
            "P79",
            "+14165550179",
            1,
            "declined",
            "2026-11-24T23:00:00Z",
        ),
        (
            2,
            "A1002",
            "P90",
            "+14165550190",
            1,
            "open",
            "2026-11-24T23:30:00Z",
        ),
    ] {
        db.execute(
            "INSERT INTO appointment_logs (appointment_id, attempt, channel, \"to\", \"from\",
                 status, sid, kind, created_at, updated_at)
             SELECT id, 0, 'sms', ?2, '+14165550000', 'delivered',
                 'SM' || lower(hex(randomblob(16))), 'offer', ?3, ?3
             FROM appointments WHERE appointment_id = ?1",
            rusqlite::params![freed, phone, at],
        )
        .unwrap();
        db.execute(
            "INSERT INTO offers (slot_id, log_id, patient_id, phone_number, language, wave, state,
                 sent_at, answered_at)
             VALUES (?1, last_insert_rowid(), ?2, ?3, 'en', ?4, ?5, ?6,
                 CASE WHEN ?5 IN ('taken', 'lost', 'declined') THEN '2026-11-24T23:12:00Z' END)",
            rusqlite::params![slot, patient, phone, wave, state, at],
        )
        .unwrap();
    }
    w
}

fn json(w: &Workdir, args: &[&str]) -> Value {
    serde_json::from_str(&w.run(args).ok()).unwrap()
}

#[test]
fn status_backfill_shows_each_slot_with_its_offers_and_taker() {
    let w = slots();
    let table = w.run(&["status", "backfill"]).ok();
    let taken = table
        .lines()
        .find(|l| l.contains("A1001"))
        .unwrap_or_else(|| panic!("{table}"));
    for cell in [
        "2026-11-25",
        "09:30",
        "Dr Lee",
        "taken",
        "P77",
        "A2044",
        "18:12",
    ] {
        assert!(taken.contains(cell), "{cell}: {table}");
    }
    assert!(table.contains("closed (15 offers, no taker)"), "{table}");

    let all = json(&w, &["status", "backfill", "--json"]);
    let slots = all.as_array().unwrap();
    assert_eq!(slots.len(), 3);
    assert_eq!(slots[0]["freed_by"], "A1001");
    assert_eq!(
        (
            &slots[0]["offers_sent"],
            &slots[0]["offers_declined"],
            &slots[0]["offers_lost"]
        ),
        (&Value::from(3), &Value::from(1), &Value::from(1))
    );
    let offers = slots[0]["offers"].as_array().unwrap();
    assert_eq!(offers.len(), 3);
    assert_eq!(offers[0]["patient_id"], "P77");
    assert_eq!(offers[0]["state"], "taken");
    assert_eq!(offers[0]["wave"], 1);
    // Masked, in every format, --show-phone or not.
    let shown = w
        .run(&["status", "backfill", "--json", "--show-phone"])
        .ok();
    assert!(!shown.contains("4165550177"), "{shown}");
    assert_eq!(offers[0]["phone_number"], "+1416***0177");

    let open = json(&w, &["status", "backfill", "--json", "--state", "open"]);
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(open[0]["offers_open"], 1);
    let other_day = json(
        &w,
        &["status", "backfill", "--json", "--date", "2026-11-26"],
    );
    assert_eq!(other_day.as_array().unwrap().len(), 0);

    let csv = w.run(&["status", "backfill", "--csv"]).ok();
    assert!(
        csv.starts_with("date,time,provider,visit type,freed by,state,sent,"),
        "{csv}"
    );
    assert!(csv.contains(",'=cmd(),"), "{csv}");

    let bad = w.run(&["status", "backfill", "--state", "pending"]);
    assert_eq!(bad.code(), 2);
    assert!(
        bad.stderr().contains("open, taken, closed, expired"),
        "{}",
        bad.stderr()
    );
    let wrong_view = w.run(&["status", "imports", "--state", "taken"]);
    assert_eq!(wrong_view.code(), 2);
}

#[test]
fn export_writes_the_days_backfill_file_for_the_clinic() {
    let w = slots();
    let out = w.run(&["export", "--date", "2026-11-25"]).ok();
    assert!(out.contains("3 freed slot(s) of 2026-11-25"), "{out}");
    let path = w.join("outbox/backfill-2026-11-25.csv");
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "slot_date",
            "slot_time",
            "site",
            "provider",
            "visit_type",
            "freed_by",
            "state",
            "offers_sent",
            "taker_patient_id",
            "moves_from",
            "taken_at"
        ]
    );
    let rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "2026-11-25",
            "09:30",
            "",
            "Dr Lee",
            "check-up",
            "A1001",
            "taken",
            "3",
            "P77",
            "A2044",
            "2026-11-24 18:12"
        ]
    );
    // A value a spreadsheet would run is defused.
    assert_eq!(rows[2][3], "'=cmd()");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // A day without slots gets no backfill file.
    let out = w.run(&["export", "--date", "2026-11-26"]).ok();
    assert!(!out.contains("freed slot"), "{out}");
    assert!(!w.join("outbox/backfill-2026-11-26.csv").exists());
}

#[test]
fn check_asks_to_book_the_taker_until_booked_or_the_time_passes() {
    let mut w = slots();
    let check = w.run(&["status", "--check"]);
    assert_eq!(check.code(), 1);
    let mail = check.stdout();
    // Cron's mail: plain lines of at most 80 characters.
    assert!(mail.lines().all(|l| l.chars().count() <= 80), "{mail}");
    let flat = mail.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("book P77 into 2026-11-25 09:30, release A2044"),
        "{mail}"
    );
    let json = json(&w, &["status", "--json"]);
    let items = json["attention"].as_array().expect("attention list");
    let slot: Vec<&Value> = items
        .iter()
        .filter(|i| i["kind"] == "slot_to_book")
        .collect();
    assert_eq!(slot.len(), 1, "{items:?}");
    assert_eq!(slot[0]["at"], "2026-11-25T14:30:00Z");

    // The slot's time has come: nothing left to book.
    w.env("REMINDERS_NOW", "2026-11-25T14:31:00Z");
    let later = w.run(&["status", "--json"]).ok();
    assert!(!later.contains("slot_to_book"), "{later}");

    // Booked (an export listed P77 at that time): cleared.
    w.env("REMINDERS_NOW", crate::common::EVENING);
    w.db()
        .execute(
            "UPDATE slots SET booked_at = '2026-11-25T01:00:00Z' WHERE id = 1",
            [],
        )
        .unwrap();
    let booked = w.run(&["status", "--json"]).ok();
    assert!(!booked.contains("slot_to_book"), "{booked}");
}

#[test]
fn the_report_counts_the_periods_freed_slots() {
    let w = slots();
    let report = json(
        &w,
        &[
            "report",
            "--from",
            "2026-11-25",
            "--to",
            "2026-11-25",
            "--json",
        ],
    );
    let wl = &report["waitlist"];
    assert_eq!(
        (
            &wl["slots_opened"],
            &wl["offers_sent"],
            &wl["takers"],
            &wl["filled"],
            &wl["closed_unfilled"],
            &wl["still_open"],
        ),
        (
            &Value::from(3),
            &Value::from(4),
            &Value::from(2),
            &Value::from(1),
            &Value::from(1),
            &Value::from(1)
        )
    );
    // Opened 23:00, taken 23:12.
    assert_eq!(wl["median_minutes_to_taken"], 12.0);
    // Offers are texts to other patients: not the freed appointments' reminders.
    assert_eq!(report["funnel"]["contacted"], 0);
    assert!(
        report["by_touch"].as_array().unwrap().is_empty(),
        "{report}"
    );

    w.run(&[
        "report",
        "--from",
        "2026-11-25",
        "--to",
        "2026-11-25",
        "--out",
        "r.html",
    ])
    .ok();
    let page = std::fs::read_to_string(w.join("r.html")).unwrap();
    assert!(page.contains("<h2>Waitlist</h2>"), "{page}");
    assert!(page.contains("12 min"), "{page}");
    let none = std::fs::read_to_string({
        w.run(&[
            "report",
            "--from",
            "2026-11-20",
            "--to",
            "2026-11-20",
            "--out",
            "n.html",
        ])
        .ok();
        w.join("n.html")
    })
    .unwrap();
    assert!(none.contains("No slot was freed"), "{none}");
}

#[test]
fn history_tells_the_freed_slot_and_logs_show_offers_as_offers() {
    let w = slots();
    let story = json(&w, &["history", "A1001", "--json"]);
    let events = story["events"]
        .as_array()
        .or_else(|| story.as_array())
        .unwrap_or_else(|| panic!("{story}"));
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .filter(|k| ["slot", "offer", "attempt"].contains(k))
        .collect();
    // Opened, three offers (no attempt of A1001's own), taken.
    assert_eq!(
        kinds,
        ["slot", "offer", "offer", "offer", "slot"],
        "{story}"
    );
    let offers: Vec<&Value> = events.iter().filter(|e| e["kind"] == "offer").collect();
    assert_eq!(offers[0]["patient_id"], "P77");
    assert_eq!(offers[0]["to"], "+1416***0177");
    assert_eq!(offers[1]["state"], "lost");
    let taken = events.iter().rev().find(|e| e["kind"] == "slot").unwrap();
    assert_eq!(taken["step"], "taken");
    assert_eq!(taken["taker_moves_from"], "A2044");
    let table = w.run(&["history", "A1001"]).ok();
    assert!(table.contains("slot opened"), "{table}");
    assert!(!table.contains("4165550177"), "{table}");
    // The results row lists no offer as this patient's follow-up.
    let results = events.iter().find(|e| e["kind"] == "results").unwrap();
    assert_eq!(results["cells"]["follow_ups"], "", "{results}");

    let logs = json(&w, &["status", "logs", "--json", "--search", "A1001"]);
    let logs = logs.as_array().unwrap();
    assert_eq!(logs.len(), 3);
    assert!(logs.iter().all(|l| l["kind"] == "offer"), "{logs:?}");
    assert_eq!(logs[0]["offered_to"], "P77");
    let csv = w
        .run(&["status", "logs", "--csv", "--search", "A1001"])
        .ok();
    assert!(
        csv.lines().nth(1).unwrap().contains(",A1001,P77,offer,"),
        "{csv}"
    );
}

#[test]
fn status_backfill_fits_an_80_column_terminal_keeping_dates_whole() {
    let w = slots();
    let lines = crate::terminal::at_80_columns(&w, &["status", "backfill"]);
    let shown = lines.join("\n");
    assert!(lines.iter().all(|l| l.chars().count() <= 80), "{shown}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("2026-11-25") && l.contains("A1001") && l.contains("P77")),
        "{shown}"
    );
    assert!(shown.contains("hidden at this width"), "{shown}");
}
