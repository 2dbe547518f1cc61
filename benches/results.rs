//! Reading one day for the results file: the attempts of every appointment in one grouped query
//! (`db::results::in_range`, what the file uses) against one query per appointment (N+1), on a
//! day of N appointments with 3 attempts each, in a database of 10 such days.
//!
//! Run: cargo bench --bench results [N...]   (results go in BENCHMARKS.md by hand)

use std::time::{Duration, Instant};

use reminders::clock::Stamp;
use rusqlite::{Connection, params};

const DAYS: i64 = 10;

fn main() {
    let sizes: Vec<i64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 20_000]
    } else {
        sizes
    };
    println!(
        "| appointments a day | grouped (one query) | N+1 (a query per appointment) | N+1 / grouped |"
    );
    println!("|---|---|---|---|");
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bench.db");
        let mut conn = reminders::db::open(&path).expect("database");
        fill(&mut conn, n);
        let at = |text| {
            reminders::clock::parse_db_time(text)
                .expect("a time")
                .into()
        };
        let (from, to) = (at("2026-11-25T05:00:00Z"), at("2026-11-26T05:00:00Z"));
        let grouped = best(|| {
            let rows = reminders::db::results::in_range(&conn, from, to, None).unwrap();
            assert_eq!(rows.len() as i64, n);
            assert!(rows.iter().all(|(_, l)| l.len() == 3));
        });
        let n_plus_one = best(|| {
            let rows = per_appointment(&conn, from, to);
            assert_eq!(rows, n * 3);
        });
        println!(
            "| {n} | {:.1} ms | {:.1} ms | {:.2}× |",
            ms(grouped),
            ms(n_plus_one),
            n_plus_one.as_secs_f64() / grouped.as_secs_f64()
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The best of five runs (the first warms the page cache).
fn best(mut f: impl FnMut()) -> Duration {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn fill(conn: &mut Connection, n: i64) {
    let tx = conn.transaction().unwrap();
    tx.execute(
        "INSERT INTO imports (id, file_name, sha256, status, user_id, started_at)
         VALUES (1, 'bench.csv', 'x', 'completed', 'bench', '2026-11-15T00:00:00Z')",
        [],
    )
    .unwrap();
    {
        let mut appt = tx
            .prepare(
                "INSERT INTO appointments (id, appointment_id, patient_id, phone_number,
                     phone_preference, text_preference, appt_date_time, channel, status,
                     attempt_count, import_id, created_at, updated_at)
                 VALUES (?1, 'A' || ?1, 'P' || ?1, '+14165550101', 1, 0, ?2, 'call', ?3, 3, 1,
                     '', '')",
            )
            .unwrap();
        let mut log = tx
            .prepare(
                "INSERT INTO appointment_logs (appointment_id, attempt, channel, sid, \"to\",
                     \"from\", status, touch_days, created_at, updated_at)
                 VALUES (?1, ?2, 'call', 'CA' || ?1 || '-' || ?2, '+14165550101', '+14165550000',
                     'no-answer', 1, '', '')",
            )
            .unwrap();
        let states = ["failed", "reached", "confirmed", "retry_wait"];
        let mut id = 0;
        // Days 2026-11-20 … 2026-11-29, the 25th among them.
        for day in 0..DAYS {
            for i in 0..n {
                id += 1;
                let at = format!(
                    "2026-11-{:02}T{:02}:{:02}:00Z",
                    20 + day,
                    13 + (i % 600) / 60,
                    i % 60
                );
                appt.execute(params![id, at, states[(i % 4) as usize]])
                    .unwrap();
                for attempt in 1..=3 {
                    log.execute(params![id, attempt]).unwrap();
                }
            }
        }
    }
    tx.commit().unwrap();
}

/// The day's appointments, then each one's attempts by its own query: how many attempts.
fn per_appointment(conn: &Connection, from: Stamp, to: Stamp) -> i64 {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT id, appointment_id, patient_id, site, appt_date_time, status,
                    withdrawn_reason, channel, attempt_count, reached_at, confirmed_at,
                    cancel_requested_at, last_reply
             FROM appointments
             WHERE {} AND appt_date_time >= ?1 AND appt_date_time < ?2 AND deleted_at IS NULL
             ORDER BY appt_date_time, id",
            reminders::db::appointments::in_every_state("status")
        ))
        .unwrap();
    // The same appointment columns the grouped read takes.
    let ids: Vec<i64> = stmt
        .query_map(params![from, to], |r| {
            let _: (
                String,
                String,
                String,
                String,
                String,
                Option<String>,
                String,
                i64,
            ) = (
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            );
            let _: [Option<String>; 4] = [r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?];
            r.get(0)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut attempts = conn
        .prepare_cached(
            "SELECT channel, status, answered_by, error_code, error_message, touch_days
             FROM appointment_logs WHERE appointment_id = ?1 AND deleted_at IS NULL
             ORDER BY attempt, id",
        )
        .unwrap();
    let mut total = 0;
    for id in ids {
        let mut rows = attempts.query([id]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let _: (
                String,
                String,
                Option<String>,
                Option<i64>,
                Option<String>,
                Option<u32>,
            ) = (
                r.get(0).unwrap(),
                r.get(1).unwrap(),
                r.get(2).unwrap(),
                r.get(3).unwrap(),
                r.get(4).unwrap(),
                r.get(5).unwrap(),
            );
            total += 1;
        }
    }
    total
}
