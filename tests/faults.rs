//! Faults and hostile input (issue #10): one end-to-end test per item of the audit,
//! through the real binary against the Twilio simulator and the real listener, and two fuzz
//! tests bounded to a few seconds each.
//!
//! - `twilio`: a request stalled on a reused keep-alive connection (1), created-then-garbled
//!   answers (6), a run in which Twilio answered nobody (9);
//! - `exports`: unclosed quotes (2), files still being written (3), extra fields (4), symlinks
//!   (7), one bad byte (8), masking in shifted columns (10), archive failures and invisible
//!   characters in ids (11);
//! - `database`: the listener's file replaced or deleted (5) and its durable commits (11), runs
//!   that died (9), a locked, read-only, missing or full database (11);
//! - `fuzz`: mutated CSV bytes through the import, random form bodies and signatures at the
//!   listener;
//! - `round3`: the third audit's combined messages (two texts to one number told apart under
//!   garbled answers and kills), replies between sites, touches in a family, control
//!   characters, and a fuzz test of recovery with families and kills;
//! - `round3_edges`: the third audit's edges — outputs written only over regular files,
//!   numbers in Twilio's error texts, prune's clock, the public URL, modes under umask 000 and
//!   the database file the listener takes up, a patient's reply of 60 KB.
//! - `round3_import`: the third audit's import and configuration items: lines and files too
//!   long or too wide to read (6, 7), contradicting consent words (8), config paths that are
//!   not files (14), a column mapped twice, delimiters that cannot separate, line ends inside
//!   quotes, Excel times just before midnight.

mod database;
mod exports;
mod fuzz;
mod round3;
mod round3_edges;
mod round3_import;
mod twilio;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::common::Run;

pub const HEADER: &str =
    "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n";

/// The clinic's ids of every stored appointment, sorted.
pub fn stored_ids(w: &crate::common::Workdir) -> Vec<String> {
    let db = w.db();
    let mut stmt = db
        .prepare("SELECT appointment_id FROM appointments ORDER BY appointment_id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A call appointment row for 2026-11-25 at `time` (local), to +1 416 555 `last4`.
pub fn call_row(id: &str, last4: &str, time: &str) -> String {
    format!("{id},P{id},416-555-{last4},y,n,2026-11-25 {time}\n")
}

/// Runs `cmd` to the end, but never longer than `limit`: past it the child is killed and the
/// test fails (a hang is the fault some of these tests are about).
#[track_caller]
pub fn bounded(mut cmd: Command, limit: Duration) -> Run {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starting reminders");
    let pid = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watch = done.clone();
    let watchdog = std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < limit {
            if watch.load(std::sync::atomic::Ordering::SeqCst) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        true
    });
    let out = child.wait_with_output().expect("waiting for reminders");
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let killed = watchdog.join().unwrap_or(false);
    let run = Run(out);
    assert!(
        !killed,
        "still running after {limit:?}: killed\nstdout:\n{}\nstderr:\n{}",
        run.stdout(),
        run.stderr()
    );
    run
}

/// Waits (bounded) until `ready` holds.
#[track_caller]
pub fn wait_until(limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A child process killed with SIGKILL when dropped (a test that fails never leaves one behind).
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
