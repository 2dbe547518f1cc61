//! The SQLite store: one file, WAL, foreign keys, a busy timeout, and migrations run in order
//! under `PRAGMA user_version`. The file holds patient phone numbers, so it is created 0600.

pub mod appointments;
pub mod attempts;
pub mod imports;
pub mod opt_outs;
pub mod replies;
pub mod report;
pub mod runs;
pub mod views;
pub mod webhook_events;

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rusqlite::Connection;

/// Migrations, in order; the database's `user_version` says how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_init.sql"),
    include_str!("migrations/002_status_indexes.sql"),
    include_str!("migrations/003_one_time_index.sql"),
    include_str!("migrations/004_part_two.sql"),
];

/// How long a write waits for another process (the listener, a run) to finish its own.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a database that must already exist, for commands that only read it or report on it
/// (`status`, `export`, `report`): a missing file is an error naming the path — such a command
/// never creates an empty database wherever it happens to run. A file this account cannot
/// write is opened read-only.
pub fn open_existing(path: &Path) -> Result<Connection> {
    if !path.exists() {
        anyhow::bail!(
            "no database at {} (db / REMINDERS_DB / --db): is this the right working directory, or has nothing been imported yet?",
            path.display()
        );
    }
    let writable = OpenOptions::new().append(true).open(path).is_ok();
    if writable {
        return open(path);
    }
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening the database {} to read it", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .with_context(|| format!("reading the database {}", path.display()))?;
    if version != MIGRATIONS.len() as i64 {
        anyhow::bail!(
            "the database {} is read-only here and at schema version {version}, not {}: run a command that writes it (as its owner) to upgrade it first",
            path.display(),
            MIGRATIONS.len()
        );
    }
    Ok(conn)
}

/// Opens (creating if needed, mode 0600) and migrates the database.
pub fn open(path: &Path) -> Result<Connection> {
    open_with_timeout(path, BUSY_TIMEOUT)
}

pub fn open_with_timeout(path: &Path, busy: Duration) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the database folder {}", dir.display()))?;
    }
    // Create the file ourselves so it is owner-only from its first byte; SQLite gives the WAL
    // and shared-memory files the same mode as the database.
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating the database {}", path.display()))?;
    let mut conn = Connection::open(path)
        .with_context(|| format!("opening the database {}", path.display()))?;
    conn.busy_timeout(busy)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .with_context(|| format!("switching {} to WAL mode", path.display()))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrate(&mut conn).with_context(|| format!("migrating the database {}", path.display()))?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let version = usize::try_from(version).unwrap_or(0);
    if version > MIGRATIONS.len() {
        bail!(
            "the database is at schema version {version}, newer than this program knows ({}); upgrade reminders",
            MIGRATIONS.len()
        );
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = crate::db::begin(conn)?;
        tx.execute_batch(sql)
            .with_context(|| format!("running migration {}", i + 1))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// An empty store in memory, with the schema: what a dry run works in when there is no
/// database yet (it must create nothing).
pub fn open_in_memory() -> Result<Connection> {
    let mut conn = Connection::open_in_memory()?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrate(&mut conn)?;
    Ok(conn)
}

#[cfg(test)]
pub fn open_memory() -> Connection {
    open_in_memory().expect("in-memory database")
}

/// A write transaction that takes the write lock up front, so a busy database makes it wait
/// (busy timeout) instead of failing when a read would have to turn into a write.
pub fn begin(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn sqlite_is_built_without_its_memory_counters() {
        // Set in .cargo/config.toml: otherwise every SQLite allocation takes a global mutex.
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let used: bool = conn
            .query_row(
                "SELECT sqlite_compileoption_used('DEFAULT_MEMSTATUS=0')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(used);
    }

    #[test]
    fn creates_owner_only_file_with_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/reminders.db");
        let conn = super::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, super::MIGRATIONS.len() as i64);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(conn);
        // Reopening does not re-run migrations.
        super::open(&path).unwrap();
    }
}
