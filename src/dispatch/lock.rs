//! One dispatching run at a time: an exclusive lock on a file beside the database. A second run
//! waits a bounded time, then gives up naming the run that holds the lock. The operating system
//! releases the lock when its holder dies, so a killed run never blocks the next one.
//!
//! Commands that do not dispatch ask without waiting: `holder` names the run holding it (the
//! words for a locked database), and `close_dead_runs` records as died the runs left unfinished
//! while nobody holds it.

use crate::clock::Stamp;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rusqlite::Connection;

use crate::access::Permission;
use crate::db::runs;
use crate::exit::LockBusy;

pub struct RunLock {
    file: File,
}

impl RunLock {
    /// Takes the lock, waiting up to `wait`; `holder` describes this run to whoever waits next.
    pub fn acquire(path: &Path, wait: Duration, holder: &str) -> Result<RunLock> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .permission(path)
            .with_context(|| format!("opening the run lock {}", path.display()))?;
        let deadline = Instant::now() + wait;
        let mut announced = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    let current = read_holder(&mut file);
                    if Instant::now() >= deadline {
                        return Err(anyhow::Error::new(LockBusy(format!(
                            "another dispatching run holds the lock {} and did not finish within {}s: {current}",
                            path.display(),
                            wait.as_secs()
                        ))));
                    }
                    if !announced {
                        log::warn!("waiting for another run to finish: {current}");
                        announced = true;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("locking {}", path.display()));
                }
            }
        }
        let mut lock = RunLock { file };
        lock.describe(holder)?;
        Ok(lock)
    }

    /// Rewrites what a waiting run is told about the holder (e.g. once the run has its number).
    pub fn describe(&mut self, holder: &str) -> Result<()> {
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(holder.as_bytes())?;
        self.file.flush()?;
        Ok(())
    }
}

/// Which other dispatching run holds the lock at `path` right now, asked without waiting and
/// without creating anything: `None` when nobody does, there is no lock file, or the holder is
/// this process.
pub fn holder(path: &Path) -> Option<String> {
    let mut file = File::open(path).ok()?;
    match file.try_lock() {
        Ok(()) => None,
        Err(std::fs::TryLockError::WouldBlock) => {
            let text = read_holder(&mut file);
            let me = std::process::id();
            let mine = [format!("pid {me},"), format!("pid {me})")];
            (!mine.iter().any(|m| text.contains(m.as_str()))).then_some(text)
        }
        Err(std::fs::TryLockError::Error(_)) => None,
    }
}

/// Closes as died the runs that never recorded their end (a run that died is recorded as such by
/// the next command that opens the database: docs/behaviour.md, "Recovery"), for commands that do
/// not take the run lock themselves. Only when no process holds the lock: it is taken for the
/// moment (never waited for), so no run can start in between and be taken for dead. Best effort: a
/// command that only reads must not fail because it could not do this.
pub fn close_dead_runs(conn: &Connection, lock_path: &Path, now: Stamp) -> usize {
    match try_close_dead_runs(conn, lock_path, now) {
        Ok(n) => n,
        Err(e) => {
            log::debug!("runs that died were not closed this time: {e:#}");
            0
        }
    }
}

fn try_close_dead_runs(conn: &Connection, lock_path: &Path, now: Stamp) -> Result<usize> {
    if runs::unfinished(conn)? == 0 {
        return Ok(0);
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(lock_path)
        .permission(lock_path)
        .with_context(|| format!("opening the run lock {}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        // A run is going: the unfinished runs may be its own.
        Err(std::fs::TryLockError::WouldBlock) => return Ok(0),
        Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
    }
    // Not worth a long wait behind an import: the next command does it.
    conn.busy_timeout(Duration::from_secs(1))?;
    let closed = runs::close_dead(conn, now, runs::DIED_UNCHECKED);
    conn.busy_timeout(crate::db::BUSY_TIMEOUT)?;
    let closed = closed?;
    if closed > 0 {
        log::warn!(
            "{closed} run(s) had died before finishing (killed, crashed or the machine stopped): recorded as such; the next send, retry or reconcile checks their contacts with Twilio"
        );
    }
    Ok(closed)
}

fn read_holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_string(&mut text);
    if text.trim().is_empty() {
        "holder unknown".to_string()
    } else {
        text.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::stored_at;

    #[test]
    fn a_second_taker_waits_then_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db.lock");
        let held = RunLock::acquire(&path, Duration::ZERO, "send run #7 (pid 42)").unwrap();
        let started = Instant::now();
        let err = RunLock::acquire(&path, Duration::from_millis(300), "retry")
            .err()
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(err.to_string().contains("send run #7 (pid 42)"), "{err}");
        assert_eq!(crate::exit::code_for(&err), crate::exit::LOCK_BUSY);
        drop(held);
        RunLock::acquire(&path, Duration::ZERO, "retry").unwrap();
    }

    #[test]
    fn dead_runs_are_closed_only_while_nobody_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("r.db");
        let lock = dir.path().join("r.db.lock");
        let conn = crate::db::open(&db).unwrap();
        assert_eq!(holder(&lock), None, "no lock file: nobody");
        runs::start(
            &conn,
            crate::domain::run_job::RunJob::Send,
            &[],
            stored_at("2026-11-25T00:00:00Z"),
        )
        .unwrap();
        let held = RunLock::acquire(&lock, Duration::ZERO, "send run #1 (pid 42)").unwrap();
        assert_eq!(holder(&lock).as_deref(), Some("send run #1 (pid 42)"));
        assert_eq!(
            close_dead_runs(&conn, &lock, stored_at("2026-11-25T00:01:00Z")),
            0
        );
        drop(held);
        assert_eq!(holder(&lock), None);
        assert_eq!(
            close_dead_runs(&conn, &lock, stored_at("2026-11-25T00:01:00Z")),
            1
        );
        assert_eq!(runs::unfinished(&conn).unwrap(), 0);
    }
}
