//! A wave over a long waitlist: how long choosing a freed slot's candidates takes, and the
//! peak memory of the command that does it (`reminders backfill --dry-run`: open the store,
//! open the slot, choose the wave, render its offers).
//!
//! Three lists of N entries (default 100,000), one site: "all fit" (the wave reads a handful of
//! rows); "1 in 400 fit" (20 providers, 5 visit types, a date window that holds the slot's date
//! one time in four, durations of 15 to 60 minutes, every 7th number opted out); "only the last
//! 3 fit" (every other entry wants another provider: the wave reads the whole list).
//!
//! Run: cargo bench --bench waitlist [N]   (results go in BENCHMARKS.md). Needs /usr/bin/time.

use std::collections::HashSet;
use std::process::Command;
use std::time::Instant;

use reminders::config::Waitlist;
use reminders::db::{candidates, slots};

const NOW: &str = "2026-11-24T19:00:00-05:00";

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    for mix in [Mix::All, Mix::OneIn400, Mix::LastThree] {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("reminders.db");
        fill(&db, n, mix);
        let conn = reminders::db::open(&db).expect("the store");
        let w = Waitlist::default();
        let slot = slots::get(&conn, 1).unwrap().expect("the slot");
        let mut times = Vec::new();
        let mut chosen = Vec::new();
        for _ in 0..7 {
            let started = Instant::now();
            chosen = candidates::next(&conn, &w, &slot, 3, &HashSet::new()).unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        assert_eq!(chosen.len(), 3, "a wave of three");
        times.sort_by(f64::total_cmp);
        drop(conn);
        let out = Command::new("/usr/bin/time")
            .args([
                "-f",
                "%e %M",
                env!("CARGO_BIN_EXE_reminders"),
                "backfill",
                "--dry-run",
            ])
            .current_dir(dir.path())
            .env_clear()
            .env("REMINDERS_NOW", NOW)
            .env("REMINDERS_PUBLIC_URL", "https://rem.example.ca")
            .output()
            .expect("/usr/bin/time");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("3 offer(s) listed."), "{stdout}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or_default().to_string();
        let mut f = last.split_whitespace();
        let wall: f64 = f.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
        let kb: f64 = f.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
        println!(
            "{} entries, {}: candidates::next {:.1} ms (median of 7; min {:.1}, max {:.1}); \
             `backfill --dry-run` {:.2} s wall, peak RSS {:.1} MB",
            n,
            mix.name(),
            times[3],
            times[0],
            times[6],
            wall,
            kb / 1024.0
        );
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mix {
    All,
    OneIn400,
    LastThree,
}

impl Mix {
    fn name(self) -> &'static str {
        match self {
            Mix::All => "all fit",
            Mix::OneIn400 => "1 in 400 fit",
            Mix::LastThree => "only the last 3 fit",
        }
    }
}

/// A store with one appointment given back (Wed 10:00, Dr. 0, visit 0, 30 minutes) and `n`
/// waiting patients, in the order they joined.
fn fill(db: &std::path::Path, n: usize, mix: Mix) {
    let mut conn = reminders::db::open(db).expect("creating the store");
    let tx = conn.transaction().unwrap();
    tx.execute_batch(
        "INSERT INTO imports (id, file_name, sha256, status, user_id, started_at)
             VALUES (1, 'w.csv', 'x', 'completed', 'bench', '2026-11-24T00:00:00Z');
         INSERT INTO appointments (id, appointment_id, patient_id, phone_number,
             phone_preference, text_preference, appt_date_time, appointment_msg, language,
             channel, status, import_id, created_at, updated_at, site, provider, visit_type,
             duration_minutes)
         VALUES (1, 'A1', 'P0', '+14165550100', 0, 1, '2026-11-25T15:00:00Z', '', 'en',
             'sms', 'cancel_requested', 1, '2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z',
             '', 'Dr. 0', 'visit 0', 30);
         INSERT INTO slots (id, appointment_id, site, starts_at, local_date, provider,
             visit_type, duration_minutes, freed_by_patient, opened_at)
         VALUES (1, 1, '', '2026-11-25T15:00:00Z', '2026-11-25', 'Dr. 0', 'visit 0', 30, 'P0',
             '2026-11-24T23:59:00Z');",
    )
    .unwrap();
    {
        let mut entry = tx
            .prepare(
                "INSERT INTO waitlist_entries (import_id, row_number, site, patient_id,
                     phone_number, language, provider, visit_type, duration_minutes, earliest,
                     latest, added, data)
                 VALUES (1, ?1, '', ?2, ?3, 'en', ?4, ?5, ?6, ?7, ?8, ?9, '{}')",
            )
            .unwrap();
        let mut stop = tx
            .prepare(
                "INSERT INTO opt_outs (phone_number, event, source, created_at)
                 VALUES (?1, 'opt_out', 'reply', '2026-01-01T00:00:00Z')",
            )
            .unwrap();
        for i in 0..n {
            let phone = format!("+1416{:07}", 2_000_000 + i);
            type Row = (
                Option<String>,
                Option<String>,
                Option<i64>,
                Option<&'static str>,
                Option<&'static str>,
            );
            let (provider, visit, duration, earliest, latest): Row = match mix {
                Mix::All => (None, None, None, None, None),
                Mix::OneIn400 => {
                    let window = (i / 100) % 4 == 0;
                    (
                        Some(format!("Dr. {}", i % 20)),
                        Some(format!("visit {}", (i / 20) % 5)),
                        Some(15 + (i / 400 % 2) as i64 * 15),
                        Some(if window { "2026-11-20" } else { "2026-12-01" }),
                        Some(if window { "2026-11-30" } else { "2026-12-31" }),
                    )
                }
                Mix::LastThree => {
                    let dr = if i + 3 >= n { 0 } else { 1 };
                    (Some(format!("Dr. {dr}")), None, None, None, None)
                }
            };
            entry
                .execute(rusqlite::params![
                    i as i64 + 2,
                    format!("W{i}"),
                    phone,
                    provider,
                    visit,
                    duration,
                    earliest,
                    latest,
                    // One a minute from the start of 2026, in row order.
                    format!(
                        "2026-{:02}-{:02}T{:02}:{:02}:00Z",
                        1 + i / (28 * 1440),
                        1 + (i / 1440) % 28,
                        (i / 60) % 24,
                        i % 60
                    ),
                ])
                .unwrap();
            if mix == Mix::OneIn400 && i % 7 == 0 {
                stop.execute([&phone]).unwrap();
            }
        }
    }
    tx.commit().unwrap();
}
