//! `import --dry-run`: it reads, checks and reports exactly as an import would, and
//! leaves the database, the archive and the drop folder exactly as they were — compared here
//! file by file (name, size, modification time, mode) and the database table by table.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rusqlite::types::Value;

use crate::common::Workdir;

const HEADER: &str = "appointment_id,patient_id,phone_number,appt_date_time,status\n";

/// Every file and folder under `root` (the folder itself included): size, mtime to the
/// nanosecond, mode. SQLite's `-wal`/`-shm` files come and go with any connection, so the
/// folder holding the database is listed by its entries, not by its own time.
fn listing(root: &Path) -> BTreeMap<String, (u64, i64, i64, u32)> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (u64, i64, i64, u32)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let m = std::fs::symlink_metadata(&path).unwrap();
            let name = path.strip_prefix(root).unwrap().display().to_string();
            out.insert(name, (m.len(), m.mtime(), m.mtime_nsec(), m.mode()));
            if m.is_dir() {
                walk(root, &path, out);
            }
        }
    }
    walk(root, root, &mut out);
    out
}

/// The database's logical content: its schema, user_version and every table's rows in rowid
/// order — read from a copy, so that looking changes nothing. `None` when there is no database.
fn dump(w: &Workdir) -> Option<Vec<String>> {
    let db = w.join("reminders.db");
    if !db.exists() {
        return None;
    }
    let copy = tempfile::tempdir().unwrap();
    for suffix in ["", "-wal"] {
        let from = w.join(&format!("reminders.db{suffix}"));
        if from.exists() {
            std::fs::copy(&from, copy.path().join(format!("copy.db{suffix}"))).unwrap();
        }
    }
    let conn = rusqlite::Connection::open(copy.path().join("copy.db")).unwrap();
    let mut out = vec![format!(
        "user_version {}",
        conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .unwrap()
    )];
    let tables: Vec<(String, String)> = {
        let mut stmt = conn
            .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    for (name, sql) in &tables {
        out.push(format!("schema {name}: {sql}"));
        if !sql.starts_with("CREATE TABLE") {
            continue;
        }
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{name}\" ORDER BY rowid"))
            .unwrap();
        let n = stmt.column_count();
        let rows: Vec<String> = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get::<_, Value>(i).unwrap()))
                    .collect();
                Ok(format!("{name}: {}", cells.join(" | ")))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.extend(rows);
    }
    Some(out)
}

/// What an import printed, with what differs between a dry run and a real one taken out: the
/// import number, the archive line and the dry run's own first line.
fn report(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| !l.contains(": archived as ") && !l.starts_with("Dry run:"))
        .map(|l| {
            let mut cells: Vec<String> = l.split('│').map(str::to_string).collect();
            // The import column: `#2` for an import, `-` for a dry run.
            if cells.len() > 2 && cells[1].trim() != "file" {
                cells[2] = "N".into();
            }
            cells.join("│")
        })
        .collect()
}

#[test]
fn a_dry_run_changes_nothing_and_reports_what_the_import_does() {
    let w = Workdir::new();
    let first = format!(
        "{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,\n\
         A2,P2,416-555-0102,2026-11-25 11:00,\n\
         A3,P3,416-555-0103,2026-11-26 09:00,\n"
    );
    w.write("csv/1.csv", &first);
    w.run(&["import"]).ok();
    // What the next run finds: a file that moves A1, cancels A2, adds A4 and has a bad row; the
    // first file again under another name; and a file outside the drop folder.
    w.write(
        "csv/2.csv",
        format!(
            "{HEADER}A1,P1,416-555-0101,2026-11-25 14:00,\n\
             A2,P2,416-555-0102,2026-11-25 11:00,Cancelled\n\
             A4,P4,416-555-0104,25/11/2026 15:00,\n\
             A5,P5,555-01,2026-11-25 16:00,\n"
        ),
    );
    w.write("csv/3-again.csv", &first);
    w.write(
        "exports/outside.csv",
        format!("{HEADER}B1,P9,416-555-0109,2026-11-27 09:00,\n"),
    );
    let files = listing(w.path());
    let db = dump(&w);
    assert!(files.contains_key("archive/1.csv"), "{files:?}");

    let dry = w.run(&["import", "--dry-run"]).ok();
    assert!(
        dry.starts_with("Dry run: nothing was stored, archived or recorded."),
        "{dry}"
    );
    assert!(
        dry.contains("2.csv: 1 appointment(s) moved to a new time"),
        "{dry}"
    );
    assert!(dry.contains("2.csv row 5: phone_number '"), "{dry}");
    assert!(dry.contains("is not a valid phone number"), "{dry}");
    assert!(
        dry.contains("3-again.csv: same content as import #1 (1.csv)"),
        "{dry}"
    );
    let by_name = w.run(&["import", "--dry-run", "exports/outside.csv"]).ok();
    assert!(
        by_name.contains("outside.csv: stored by date: 2026-11-27: 1"),
        "{by_name}"
    );
    w.run(&["import", "--dry-run", "--force", "csv/3-again.csv"])
        .ok();
    assert_eq!(listing(w.path()), files, "files changed");
    assert_eq!(dump(&w), db, "the database changed");

    // The real import reports what the dry run said it would.
    let real = w.run(&["import"]).ok();
    assert_eq!(
        report(&dry),
        report(&real),
        "dry run:\n{dry}\nimport:\n{real}"
    );
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE status = 'withdrawn'"),
        2
    );
}

#[test]
fn a_dry_run_without_a_database_creates_none() {
    let w = Workdir::new();
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,\n"),
    );
    let files = listing(w.path());
    let out = w.run(&["import", "--dry-run"]).ok();
    assert!(
        out.contains("day.csv: stored by date: 2026-11-25: 1"),
        "{out}"
    );
    assert_eq!(listing(w.path()), files);
    assert!(!w.join("reminders.db").exists());
    assert!(!w.join("archive").exists());
    assert_eq!(dump(&w), None);
}

#[test]
fn a_dry_run_of_a_big_file_leaves_the_indexes_it_would_rebuild() {
    let w = Workdir::new();
    w.write(
        "csv/1.csv",
        format!("{HEADER}A1,P1,416-555-0101,2026-11-25 10:00,\n"),
    );
    w.run(&["import"]).ok();
    // Big enough for the bulk path, which drops the secondary indexes inside the transaction.
    let mut csv = String::from(HEADER);
    for i in 0..50_000 {
        csv.push_str(&format!(
            "K{i},P{i},416-555-{:04},2026-11-25 10:00,\n",
            i % 10_000
        ));
    }
    w.write("csv/2.csv", csv);
    let files = listing(w.path());
    let db = dump(&w);
    let out = w.run(&["import", "--dry-run"]).ok();
    assert!(
        out.contains("2.csv: stored by date: 2026-11-25: 50000"),
        "{out}"
    );
    assert_eq!(listing(w.path()), files);
    assert_eq!(dump(&w), db);
}
