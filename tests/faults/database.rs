//! The database under faults: items 5, 9 and 11 of issue #10 — the listener's file replaced or
//! deleted, durable commits, runs that died, and a locked, read-only, missing or full database.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use reminders::twilio::simulator::{Simulator, Step};
use rusqlite::{Connection, TransactionBehavior};
use serde_json::Value;

use super::{HEADER, Killed, bounded, call_row, wait_until};
use crate::common::listener::{Listener, attempt, imported};
use crate::common::twilio::{self, PUBLIC_URL};
use crate::common::{EVENING, Workdir};

const CA: &str = "CA55555555555555555555555555555555";

fn completed(seq: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CallSid", CA.to_string()),
        ("CallStatus", "completed".to_string()),
        ("SequenceNumber", seq.to_string()),
        ("CallDuration", "20".to_string()),
        ("AnsweredBy", "human".to_string()),
    ]
}

fn post(l: &Listener, params: &[(&'static str, String)]) -> u16 {
    let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    l.post("/twilio/call-status", &p).0
}

fn events_in(path: &Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("SELECT count(*) FROM webhook_events", [], |r| r.get(0))
        .unwrap()
}

/// `from` copied to `to` the way a careful restore does it: written aside, owner-only (the
/// listener takes up no file others could write), renamed into place.
fn restore(from: &Path, to: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let aside = to.with_extension("restoring");
    std::fs::copy(from, &aside).unwrap();
    std::fs::set_permissions(&aside, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::rename(&aside, to).unwrap();
}

/// A backup from before schema 4: what an old copy of the database looks like.
fn schema_3_backup(path: &Path) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db/migrations");
    let db = Connection::open(path).unwrap();
    for name in [
        "001_init.sql",
        "002_status_indexes.sql",
        "003_one_time_index.sql",
    ] {
        db.execute_batch(&std::fs::read_to_string(dir.join(name)).unwrap())
            .unwrap();
    }
    db.pragma_update(None, "user_version", 3).unwrap();
}

/// Item 5 and durability: 200 means stored in the configured database. A file renamed over
/// it (a restore) is taken up — the callback lands in the new file, none of the old file's
/// changes do; a deleted file means 503 and a failing /healthz, and nothing is created at the
/// path, until a database is back (an older schema is migrated).
#[test]
fn the_listener_follows_its_database_file_replaced_or_deleted() {
    let wd = imported();
    let db = wd.join("reminders.db");
    let backup = wd.join("backup.db");
    attempt(&wd, "A1003", "call", CA);
    std::fs::copy(&db, &backup).unwrap();
    let l = Listener::start(&wd);
    assert!(l.log().contains("synchronous=FULL"), "{}", l.log());

    assert_eq!(post(&l, &completed("3")), 200);
    assert_eq!(events_in(&db), 1);

    // Restored from the backup, renamed into place under the running listener (its WAL left
    // beside the path: the listener must not let it be applied to the new file).
    restore(&backup, &db);
    assert_eq!(post(&l, &completed("4")), 200);
    assert_eq!(events_in(&db), 1, "stored in the file now at the path");
    let state: String = Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT status FROM appointments WHERE appointment_id = 'A1003'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(state, "reached");
    assert_eq!(l.get("/healthz").0, 200);

    // Deleted (with its WAL): refused, unhealthy, and no empty database appears.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    assert_eq!(post(&l, &completed("5")), 503);
    assert_eq!(l.get("/healthz").0, 503);
    assert!(!db.exists(), "nothing created at the path");

    // An older backup put back: migrated, and stored into again.
    let old = wd.join("old.db");
    schema_3_backup(&old);
    restore(&old, &db);
    assert_eq!(post(&l, &completed("6")), 200);
    assert_eq!(l.get("/healthz").0, 200);
    let (version, events): (i64, i64) = Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version), count(*) FROM webhook_events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let current = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/db/migrations"))
        .unwrap()
        .count() as i64;
    assert_eq!(
        (version, events),
        (current, 1),
        "migrated to the current schema"
    );
    assert!(l.log().contains("was replaced"), "{}", l.log());
    assert!(l.log().contains("is gone"), "{}", l.log());
    l.stop();
}

fn stalled_send(settings: &str) -> (Workdir, Simulator, Killed) {
    let sim = twilio::start(EVENING);
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, PUBLIC_URL);
    w.write(
        "reminders.toml",
        format!("[sending]\ncalls_per_second = 100\nmax_in_flight = 1\n{settings}"),
    );
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}{}{}",
            call_row("K1", "0131", "10:00"),
            call_row("K2", "0132", "11:00")
        ),
    );
    w.run(&["import"]).ok();
    sim.set_default(
        reminders::domain::channel::Channel::Call,
        Step::Stall(Box::new(Step::Stay)),
    );
    let child = w
        .command(&["send"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let send = Killed(child);
    wait_until(Duration::from_secs(20), "the first request", || {
        !sim.creates().is_empty()
    });
    (w, sim, send)
}

/// Item 9: a run killed with SIGKILL is recorded as died by the next command that opens the
/// database (`status`), and `--check` lists it.
#[test]
fn a_run_killed_mid_way_is_recorded_as_died_by_the_next_status() {
    let (w, _sim, mut send) = stalled_send("[twilio]\ntimeout_seconds = 60\n");
    send.0.kill().unwrap();
    send.0.wait().unwrap();
    let runs: Value = serde_json::from_str(&w.run(&["status", "runs", "--json"]).ok()).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs:#}");
    assert!(!runs[0]["finished_at"].is_null(), "{runs:#}");
    let error = runs[0]["error"].as_str().unwrap_or("");
    assert!(
        error.contains("the run died before it finished"),
        "{runs:#}"
    );
    let table = w.run(&["status", "runs"]).ok();
    assert!(!table.contains("(not finished)"), "{table}");
    let check = w.run(&["status", "--check"]);
    assert_eq!(check.code(), 1);
    assert!(check.stdout().contains("send run #1"), "{}", check.stdout());
}

/// Item 11: a locked database names the run that holds the lock, and what to do.
#[test]
fn a_locked_database_names_the_run_that_holds_it() {
    let (w, _sim, _send) = stalled_send("[twilio]\ntimeout_seconds = 60\n");
    let mut db = w.db();
    let held = db
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .unwrap();
    let run = bounded(w.command(&["withdraw", "K2"]), Duration::from_secs(60));
    drop(held);
    assert_eq!(run.code(), 1);
    let err = run.stderr();
    assert!(err.contains("reminders.db is locked"), "{err}");
    assert!(err.contains("send run #1 (pid "), "{err}");
    assert!(err.contains("wait for it to finish"), "{err}");
}

/// Item 11: with no run going, the words say what else holds the lock and who has it open.
#[test]
fn a_database_locked_by_another_process_says_what_it_may_be() {
    let w = Workdir::new();
    w.write(
        "csv/day.csv",
        format!("{HEADER}{}", call_row("L1", "0141", "10:00")),
    );
    w.empty_db();
    let mut db = w.db();
    let held = db
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .unwrap();
    let run = bounded(w.command(&["import"]), Duration::from_secs(60));
    drop(held);
    assert_eq!(run.code(), 1);
    let err = run.stderr();
    assert!(err.contains("reminders.db is locked"), "{err}");
    assert!(
        err.contains("an import, the webhook listener or a sqlite3 shell"),
        "{err}"
    );
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "names this test, which holds it: {err}"
    );
    assert!(w.join("csv/day.csv").exists(), "left for the next run");
}

/// Makes `path` unwritable even for root (`chattr +i`), or by mode when not root; undone on drop.
struct ReadOnly(Vec<PathBuf>);

impl ReadOnly {
    fn new(paths: &[PathBuf]) -> ReadOnly {
        for p in paths {
            let done = std::process::Command::new("chattr")
                .arg("+i")
                .arg(p)
                .status()
                .is_ok_and(|s| s.success());
            if !done {
                use std::os::unix::fs::PermissionsExt;
                let mode = if p.is_dir() { 0o555 } else { 0o444 };
                std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
            }
        }
        ReadOnly(paths.to_vec())
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(p)
                .status();
            use std::os::unix::fs::PermissionsExt;
            let mode = if p.is_dir() { 0o755 } else { 0o600 };
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode));
        }
    }
}

/// Item 11: a database this process cannot write is read by `status` (file read-only, or its
/// whole folder); a command that must write says the database cannot be written — never
/// "creating the database".
#[test]
fn a_read_only_database_lets_status_read_and_says_so_to_writers() {
    let w = Workdir::new();
    w.fixture(
        "appointments-2026-11-24.csv",
        "csv/appointments-2026-11-24.csv",
    );
    w.run(&["import"]).ok();
    let db = w.join("reminders.db");
    {
        let _ro = ReadOnly::new(std::slice::from_ref(&db));
        let out = w.run(&["status", "appointments", "--json"]).ok();
        let list: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(list.as_array().unwrap().len(), 20);
        let summary = w.run(&["status"]);
        summary.ok();
        let withdraw = w.run(&["withdraw", "A1001"]);
        assert_eq!(withdraw.code(), 1);
        let err = withdraw.stderr();
        assert!(err.contains("cannot be written by this process"), "{err}");
        assert!(!err.contains("creating the database"), "{err}");
        for run in [&summary, &withdraw] {
            assert!(!run.stderr().contains("creating"), "{}", run.stderr());
        }
    }
    // The folder too (a backup on a read-only mount): no WAL files can be made beside it.
    let dir = w.join("ro");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&db, dir.join("reminders.db")).unwrap();
    {
        let _ro = ReadOnly::new(&[dir.join("reminders.db"), dir.clone()]);
        let out = w
            .run(&[
                "--db",
                "ro/reminders.db",
                "status",
                "appointments",
                "--json",
            ])
            .ok();
        let list: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(list.as_array().unwrap().len(), 20);
    }
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE status = 'pending'"),
        20
    );
}

/// `status` never creates a database; a missing one is an error naming the path.
#[test]
fn status_without_a_database_names_the_path_and_creates_nothing() {
    let w = Workdir::new();
    let run = w.run(&["status"]);
    assert_eq!(run.code(), 1);
    let err = run.stderr();
    assert!(
        err.contains("there is no database at reminders.db"),
        "{err}"
    );
    assert!(!err.contains("creating"), "{err}");
    assert!(!w.join("reminders.db").exists());
}

/// Item 11: the disk fills up (here: the process's file size limit, RLIMIT_FSIZE, which also
/// works as root) in the middle of a run. The run stops, says the disk is full and how many
/// patients it had contacted; the next run (with room again) contacts nobody twice.
#[test]
fn a_full_disk_mid_run_is_reported_with_the_patients_contacted_before_it() {
    let sim = twilio::start(EVENING);
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, PUBLIC_URL);
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 100\nsms_per_second = 100\nmax_in_flight = 1\n",
    );
    w.fixture(
        "appointments-2026-11-24.csv",
        "csv/appointments-2026-11-24.csv",
    );
    w.run(&["import"]).ok();
    let mut cmd = w.command(&["send"]);
    let limit = FILE_SIZE_LIMIT;
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(move || {
            let l = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &l) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let run = bounded(cmd, Duration::from_secs(60));
    let err = run.stderr();
    assert_eq!(run.code(), 1, "{err}");
    let contacted = sim.creates().len();
    assert!(
        (1..20).contains(&contacted),
        "stopped part-way: {contacted}\n{err}"
    );
    assert!(
        err.contains(
            "the disk is full (or a file size limit was reached) writing the database reminders.db"
        ),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{contacted} patient(s) had been contacted by this run before it happened"
        )),
        "{err}"
    );

    // Room again: the rest are contacted, nobody twice.
    bounded(w.command(&["send"]), Duration::from_secs(60)).ok();
    let mut numbers: Vec<String> = sim
        .creates()
        .iter()
        .map(|r| r.param("To").unwrap().to_string())
        .collect();
    assert_eq!(numbers.len(), 20, "{numbers:?}");
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 20);
}

/// Bytes any file of the run may reach: the WAL (16 KiB pages) fills up after a few contacts.
const FILE_SIZE_LIMIT: u64 = 960 * 1024;
