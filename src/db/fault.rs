//! What went wrong with the database, in words an operator can act on (docs/operations.md,
//! "Troubleshooting"): a lock someone else holds, a file this process may not write or open (whose
//! it is), a full disk or a file size limit. `explain` puts those words in front of an error that
//! ended a command; the error's own chain stays behind them as the detail.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;
use rusqlite::ffi;

use super::BUSY_TIMEOUT;

/// A fault a person can do something about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Another process kept the write lock past the busy timeout.
    Locked,
    /// The file, its folder or the filesystem may not be written by this process.
    ReadOnly,
    /// No space left, or the process's file size limit (RLIMIT_FSIZE) reached.
    Full,
}

/// The first fault in `err`'s chain, if any.
pub fn classify(err: &anyhow::Error, db: &Path) -> Option<Fault> {
    err.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<rusqlite::Error>() {
            return sqlite_fault(e, db);
        }
        cause.downcast_ref::<std::io::Error>().and_then(io_fault)
    })
}

fn sqlite_fault(e: &rusqlite::Error, db: &Path) -> Option<Fault> {
    let rusqlite::Error::SqliteFailure(f, _) = e else {
        return None;
    };
    match f.code {
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Some(Fault::Locked),
        ErrorCode::ReadOnly => Some(Fault::ReadOnly),
        ErrorCode::DiskFull => Some(Fault::Full),
        // SQLite reports ENOSPC as SQLITE_FULL, but any other failed write (EFBIG from the file
        // size limit among them) as a bare I/O error without its errno. A failed write in a
        // process that has a file size limit, or on a filesystem with no space left, is that.
        ErrorCode::SystemIoFailure
            if [
                ffi::SQLITE_IOERR_WRITE,
                ffi::SQLITE_IOERR_TRUNCATE,
                ffi::SQLITE_IOERR_FSYNC,
                ffi::SQLITE_IOERR_SHMSIZE,
            ]
            .contains(&f.extended_code)
                && (file_size_limited() || no_space_left(db)) =>
        {
            Some(Fault::Full)
        }
        _ => None,
    }
}

fn io_fault(e: &std::io::Error) -> Option<Fault> {
    match e.raw_os_error()? {
        libc::ENOSPC | libc::EFBIG | libc::EDQUOT => Some(Fault::Full),
        libc::EROFS => Some(Fault::ReadOnly),
        _ => None,
    }
}

/// Whether SQLite could not open the database file (or the WAL's companion files beside it:
/// in a folder this user may not write, SQLite says READONLY_DIRECTORY).
pub fn is_cannot_open(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        matches!(
            c.downcast_ref::<rusqlite::Error>(),
            Some(rusqlite::Error::SqliteFailure(f, _))
                if f.code == ErrorCode::CannotOpen
                    || f.extended_code == ffi::SQLITE_READONLY_CANTINIT
                    || f.extended_code == ffi::SQLITE_READONLY_DIRECTORY
        )
    })
}

fn file_size_limited() -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut limit) } == 0;
    ok && limit.rlim_cur != libc::RLIM_INFINITY
}

fn no_space_left(db: &Path) -> bool {
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: an all-zero statvfs is a valid value to be overwritten; the path is a valid C
    // string for the duration of the call.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0;
    ok && st.f_bavail == 0
}

/// The words for a database this process may not write: whose files are in the way, when
/// that is the cause.
pub fn read_only_words(db: &Path) -> String {
    let why = crate::access::database_words(db).unwrap_or_else(|| {
        "the file, its folder or the filesystem is read-only, or it belongs to another user"
            .to_string()
    });
    format!(
        "the database {} cannot be written by this process ({why}): `reminders status` can still read it; run this command as the user that owns the database, or make it writable again",
        db.display()
    )
}

/// The words for a database SQLite could not open ("unable to open database file"), when its
/// files or folder belong to someone else or lack the owner's permission.
pub fn cannot_open_words(db: &Path) -> Option<String> {
    crate::access::database_words(db)
        .map(|why| format!("the database {} cannot be opened: {why}", db.display()))
}

/// The words for a full disk; `contacted` is said by a dispatching run.
pub fn full_words(err: &anyhow::Error, db: &Path) -> String {
    let what = if err
        .chain()
        .any(|c| c.downcast_ref::<rusqlite::Error>().is_some())
    {
        format!("the database {}", db.display())
    } else {
        "a file (named below)".to_string()
    };
    format!(
        "the disk is full (or a file size limit was reached) writing {what}: free some space (or raise the limit) and run the command again"
    )
}

/// The words for a lock held too long. `run_holder` describes the dispatching run holding the
/// run lock, when one does.
pub fn locked_words(db: &Path, run_holder: Option<&str>) -> String {
    let waited = BUSY_TIMEOUT.as_secs();
    let who = match run_holder {
        Some(run) => format!(
            "{run} is running and is the likely holder (see `reminders status runs`): wait for it to finish, or stop it if it is stuck"
        ),
        None => {
            let open = openers(db);
            let list = if open.is_empty() {
                String::new()
            } else {
                format!(" (processes with the database open: {})", open.join(", "))
            };
            format!(
                "no other send, retry or reconcile run is going, so it is an import, the webhook listener or a sqlite3 shell left in a transaction{list}: let it finish, or end that transaction or process"
            )
        }
    };
    format!(
        "the database {} is locked: another process has held its write lock for more than {waited} s; {who}, then run this command again",
        db.display()
    )
}

/// Puts the words for `err`'s fault, if it has one, in front of it. `run_holder` is asked only
/// for a lock (it looks at the run lock file).
pub fn explain(
    err: anyhow::Error,
    db: &Path,
    run_holder: impl FnOnce() -> Option<String>,
) -> anyhow::Error {
    match classify(&err, db) {
        Some(Fault::Locked) => {
            let words = locked_words(db, run_holder().as_deref());
            err.context(words)
        }
        Some(Fault::ReadOnly) if !err.to_string().contains("cannot be written") => {
            let words = read_only_words(db);
            err.context(words)
        }
        Some(Fault::Full) => {
            let words = full_words(&err, db);
            err.context(words)
        }
        None if is_cannot_open(&err) && !err.to_string().contains("cannot be opened") => {
            match cannot_open_words(db) {
                Some(words) => err.context(words),
                None => err,
            }
        }
        _ => err,
    }
}

/// Other processes that have the database open, as `pid 123 (sqlite3 reminders.db)`, read
/// from /proc (only those this user may look at); at most five.
fn openers(db: &Path) -> Vec<String> {
    let Ok(target) = db.canonicalize() else {
        return Vec::new();
    };
    let me = std::process::id();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me || !has_open(&entry.path().join("fd"), &target) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let mut words: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|w| !w.is_empty())
            .map(|w| {
                String::from_utf8_lossy(w)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        if let Some(first) = words.first_mut() {
            // The program's name, not where it was installed.
            *first = Path::new(first.as_str())
                .file_name()
                .map_or(first.clone(), |n| n.to_string_lossy().into_owned());
        }
        let mut cmd = words.join(" ");
        if cmd.chars().count() > 60 {
            cmd = cmd.chars().take(59).collect::<String>() + "…";
        }
        found.push(format!("pid {pid} ({cmd})"));
        if found.len() == 5 {
            break;
        }
    }
    found
}

fn has_open(fd_dir: &Path, target: &PathBuf) -> bool {
    let Ok(fds) = std::fs::read_dir(fd_dir) else {
        return false;
    };
    fds.flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|p| &p == target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::{Connection, TransactionBehavior};
    use std::time::Duration;

    fn failure(code: i32) -> anyhow::Error {
        anyhow::Error::from(rusqlite::Error::SqliteFailure(ffi::Error::new(code), None))
            .context("storing the callback")
    }

    #[test]
    fn sqlite_and_system_errors_are_classified() {
        let db = Path::new("/nowhere/r.db");
        assert_eq!(
            classify(&failure(ffi::SQLITE_BUSY), db),
            Some(Fault::Locked)
        );
        assert_eq!(
            classify(&failure(ffi::SQLITE_READONLY), db),
            Some(Fault::ReadOnly)
        );
        assert_eq!(classify(&failure(ffi::SQLITE_FULL), db), Some(Fault::Full));
        assert_eq!(classify(&failure(ffi::SQLITE_CORRUPT), db), None);
        let efbig = anyhow::Error::from(std::io::Error::from_raw_os_error(libc::EFBIG))
            .context("copying into archive/x.csv");
        assert_eq!(classify(&efbig, db), Some(Fault::Full));
        let words = format!("{:#}", explain(efbig, db, || None));
        assert!(
            words.starts_with("the disk is full (or a file size limit was reached) writing a file"),
            "{words}"
        );
        assert!(words.contains("archive/x.csv"), "{words}");
    }

    #[test]
    fn a_held_lock_is_explained_with_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let conn = crate::db::open_with_timeout(&path, Duration::from_millis(20)).unwrap();
        let mut other = Connection::open(&path).unwrap();
        let tx = other
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        let busy = conn
            .execute(
                "INSERT INTO runs (kind, started_at) VALUES ('send', 'x')",
                [],
            )
            .map_err(anyhow::Error::from)
            .unwrap_err();
        let words = format!(
            "{:#}",
            explain(busy, &path, || Some("send run #12 (pid 42)".into()))
        );
        assert!(words.contains("is locked"), "{words}");
        assert!(
            words.contains("send run #12 (pid 42) is running"),
            "{words}"
        );
        drop(tx);
    }
}
