//! The SQLite store: one file, WAL, foreign keys, a busy timeout, and migrations run in order
//! under `PRAGMA user_version`. The file holds patient phone numbers, so it is created 0600.
//!
//! Three ways in: `open` for commands that write (it creates the database when there is none,
//! and says so), `open_existing` for the listener taking up a restored file (never creates),
//! and `open_to_read` for `status` (never creates; read-only when it cannot write). What went
//! wrong, in words (locked, read-only, disk full), is `fault`.

pub mod appointments;
pub mod attempts;
pub mod attention;
pub mod backfill;
pub mod candidates;
pub mod history;
pub mod imports;
pub mod offers;
pub mod opt_outs;
pub mod prune;
pub mod replies;
pub mod report;
pub mod results;
pub mod runs;
pub mod slots;
mod types;
pub mod views;
pub mod waitlist;
pub mod webhook_events;

pub mod fault;
pub mod holds;

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OpenFlags};

use crate::access::Permission;

/// Migrations, in order; the database's `user_version` says how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_init.sql"),
    include_str!("migrations/002_status_indexes.sql"),
    include_str!("migrations/003_one_time_index.sql"),
    include_str!("migrations/004_part_two.sql"),
    include_str!("migrations/005_due_count_index.sql"),
    include_str!("migrations/006_one_state_time_index.sql"),
    include_str!("migrations/007_data_keys.sql"),
    include_str!("migrations/008_results_in_the_index.sql"),
    include_str!("migrations/009_contacts.sql"),
    include_str!("migrations/010_windows.sql"),
    include_str!("migrations/011_after_the_reminder.sql"),
    include_str!("migrations/012_import_events.sql"),
    include_str!("migrations/013_language_codes.sql"),
    include_str!("migrations/014_holds.sql"),
    include_str!("migrations/015_waitlist.sql"),
];

/// SQLite's page size for a new database, in bytes.
const PAGE_SIZE: i64 = 16 * 1024;

/// How long a write waits for another process (the listener, a run) to finish its own.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens (creating it if there is none yet, mode 0600) and migrates the database, for a command
/// that writes. An existing database this process cannot write is an error saying so (not
/// "creating the database": that is said only when one is really being created).
pub fn open(path: &Path) -> Result<Connection> {
    open_with_timeout(path, BUSY_TIMEOUT)
}

pub fn open_with_timeout(path: &Path, busy: Duration) -> Result<Connection> {
    if !exists(path)? {
        create(path)?;
    }
    let conn = connect(path, busy, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    writable(conn, path)
}

/// Opens an existing database for writing, never creating one: what the listener does when it
/// finds its database file replaced (a restore) or back after a deletion.
pub fn open_existing(path: &Path, busy: Duration) -> Result<Connection> {
    if !exists(path)? {
        bail!("there is no database at {}", path.display());
    }
    // A zero-byte file is not a database someone restored: migrating it would silently make
    // an empty one where the clinic's data should be.
    if std::fs::metadata(path)?.len() == 0 {
        bail!(
            "{} is an empty file, not a reminders database: restore the database there (or remove the file)",
            path.display()
        );
    }
    let conn = connect(path, busy, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    writable(conn, path)
}

/// The pragma that makes each commit wait until it is on the disk (the WAL is synced at every
/// commit; with the default NORMAL only at checkpoints, so a power cut can undo the last
/// commits). For connections whose commits something outside the database relies on at once:
/// the listener's 200 to Twilio, an import's rows before its file is archived.
pub fn make_durable(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// A connection that reads and writes a few rows at a time (a dispatch worker's, one of up to
/// `max_in_flight`): with 16 KiB pages, SQLite's default cache of 2 MiB for each of 64 workers
/// took a run 20 MB over its memory budget (BENCHMARKS.md, "Page size"), and the pages it
/// would keep are in the kernel's cache anyway (a read costs microseconds; a contact, 250 ms).
pub fn for_point_writes(conn: Connection) -> Result<Connection> {
    conn.pragma_update(None, "cache_size", -POINT_WRITE_CACHE_KIB)?;
    Ok(conn)
}

/// A worker connection's page cache, in KiB (four pages).
const POINT_WRITE_CACHE_KIB: i64 = 64;

/// Writes the WAL back into the database file and empties it; `true` when all of it went in
/// (no reader held part of it back).
pub fn checkpoint_truncate(conn: &Connection) -> Result<bool> {
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    Ok(busy == 0)
}

/// How a reading command got the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    /// This process cannot write the database (file, folder or filesystem read-only): it is
    /// read as it is and nothing in it is changed.
    ReadOnly,
}

/// Opens an existing database for a command that reads (`status`): never creates one (a missing
/// database is an error naming the path), and when this process cannot write it,
/// opens it read-only instead of failing.
pub fn open_to_read(path: &Path) -> Result<(Connection, Access)> {
    if !exists(path)? {
        bail!(
            "there is no database at {} (db / REMINDERS_DB / --db): nothing has been imported here yet, or this is not the folder the clinic's cron runs in",
            path.display()
        );
    }
    // SQLite opens a file it may not write read-only on its own; a folder or filesystem that
    // is read-only shows when SQLite cannot create the WAL's companion files.
    let conn = connect(path, BUSY_TIMEOUT, OpenFlags::SQLITE_OPEN_READ_WRITE);
    let conn = match conn {
        Ok(c) if !c.is_readonly(rusqlite::MAIN_DB)? => {
            let mut c = c;
            migrate(&mut c)
                .with_context(|| format!("migrating the database {}", path.display()))?;
            return Ok((c, Access::ReadWrite));
        }
        Ok(c) => c,
        Err(e) if fault::is_cannot_open(&e) => read_only_snapshot(path)?,
        Err(e) => return Err(e),
    };
    schema_is_current(&conn, path)?;
    Ok((conn, Access::ReadOnly))
}

/// A read-only folder or filesystem: SQLite cannot make the WAL's shared-memory file, so the
/// database is read as an unchanging file. That is safe only when no change is waiting in its
/// WAL (a database closed cleanly has none), and nobody can write it meanwhile (nobody can
/// create the WAL there either).
fn read_only_snapshot(path: &Path) -> Result<Connection> {
    let wal = companion(path, "-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        bail!(
            "the database {} cannot be read here: its folder is read-only and {} holds changes not yet in the database (it was not closed cleanly); open it once where it can be written",
            path.display(),
            wal.display()
        );
    }
    let mut uri = String::from("file:");
    for b in path.as_os_str().as_encoded_bytes() {
        match *b {
            b'?' | b'#' | b'%' => uri.push_str(&format!("%{b:02X}")),
            _ => uri.push(char::from(*b)),
        }
    }
    uri.push_str("?immutable=1");
    let conn = Connection::open_with_flags(
        &uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening the database {} read-only", path.display()))?;
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    })
    .with_context(|| format!("reading the database {}", path.display()))?;
    Ok(conn)
}

fn schema_is_current(conn: &Connection, path: &Path) -> Result<()> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .with_context(|| format!("reading the database {}", path.display()))?;
    if version != MIGRATIONS.len() as i64 {
        bail!(
            "the database {} is at schema version {version}, this program reads version {}, and it cannot be upgraded from here because this process cannot write it: run `reminders status` once as the user who can",
            path.display(),
            MIGRATIONS.len()
        );
    }
    Ok(())
}

/// What `check` learns of an existing database without changing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// Its `user_version`: how many migrations have run.
    pub version: i64,
    /// How many this program has.
    pub current: i64,
    /// What `PRAGMA quick_check` found wrong (empty: nothing).
    pub problems: Vec<String>,
}

/// A read-only connection to an existing database: never creates one, never migrates it.
pub fn open_read_only(path: &Path) -> Result<Connection> {
    if !exists(path)? {
        bail!("there is no database at {}", path.display());
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening the database {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Opens an existing database read-only (never creating, never migrating) and reads its schema
/// version and SQLite's quick integrity check.
pub fn inspect(path: &Path) -> Result<Inspection> {
    let conn = open_read_only(path)?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .with_context(|| format!("reading the database {}", path.display()))?;
    let mut stmt = conn.prepare("PRAGMA quick_check")?;
    let found = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<String>>>()
        .with_context(|| format!("checking the database {}", path.display()))?;
    Ok(Inspection {
        version,
        current: MIGRATIONS.len() as i64,
        problems: found.into_iter().filter(|p| p != "ok").collect(),
    })
}

pub use crate::access::companion;

fn exists(path: &Path) -> Result<bool> {
    path.try_exists()
        .with_context(|| format!("looking for the database {}", path.display()))
}

/// Creates the database file ourselves so it is owner-only from its first byte (and its folder,
/// when missing, owner-only too), whatever the umask; SQLite gives the WAL and shared-memory
/// files the same mode as the database.
fn create(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::files::private_dir(dir, "the database folder")?;
    }
    log::info!("creating the database {}", path.display());
    OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .or_else(|e| {
            // Someone else created it meanwhile: theirs is as good.
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Ok(std::fs::File::open(path)?)
            } else {
                Err(e)
            }
        })
        .permission(path)
        .with_context(|| format!("creating the database {}", path.display()))?;
    Ok(())
}

/// A connection to an existing file (never creating one), in WAL mode, with the busy timeout.
fn connect(path: &Path, busy: Duration, flags: OpenFlags) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        flags | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening the database {}", path.display()))?;
    conn.busy_timeout(busy)?;
    // Only a database with nothing in it yet takes this (an existing one keeps its own pages).
    // 16 KiB pages quarter the reads of a day's export and the pages an import writes
    // (BENCHMARKS.md, "Page size"); larger ones made the import slower again.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    // The first read: a file that is not a database, or cannot be read, says so here.
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .with_context(|| format!("reading the database {}", path.display()))?;
    if !mode.eq_ignore_ascii_case("wal") && !conn.is_readonly(rusqlite::MAIN_DB)? {
        conn.pragma_update(None, "journal_mode", "WAL")
            .with_context(|| format!("switching {} to WAL mode", path.display()))?;
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// A connection for a command that writes: refused with clear words when the file cannot be
/// written, then migrated.
fn writable(mut conn: Connection, path: &Path) -> Result<Connection> {
    if conn.is_readonly(rusqlite::MAIN_DB)? {
        bail!(fault::read_only_words(path));
    }
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
        if sql.contains("writable_schema") {
            // A definition edited in place is read again only when the schema cookie moves
            // (SQLite's procedure for dropping a CHECK constraint): this connection too.
            let cookie: i64 = tx.pragma_query_value(None, "schema_version", |r| r.get(0))?;
            tx.pragma_update(None, "schema_version", cookie + 1)?;
        }
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

/// SQLite's plan for `sql`, its steps joined by "; ", for the tests that hold each query to an
/// index. Parameters are left unbound: the plan does not depend on their values.
#[cfg(test)]
pub fn query_plan(conn: &Connection, sql: &str) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let mut rows = stmt.raw_query();
    let mut detail = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        detail.push(row.get::<_, String>(3).unwrap());
    }
    detail.join("; ")
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
    fn sqlite_is_built_with_the_options_of_cargo_config() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let used = |option: &str| -> bool {
            conn.query_row("SELECT sqlite_compileoption_used(?1)", [option], |r| {
                r.get(0)
            })
            .unwrap()
        };
        // Otherwise every SQLite allocation takes a global mutex.
        assert!(used("DEFAULT_MEMSTATUS=0"));
        // Otherwise each of a send's 64 worker connections keeps 320 KiB it was never allowed.
        assert!(used("DEFAULT_PCACHE_INITSZ=0"));
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

    #[test]
    fn a_database_from_before_language_packs_takes_any_code() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        for sql in &super::MIGRATIONS[..10] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 10).unwrap();
        conn.execute_batch(
            "INSERT INTO imports (file_name, sha256, status, user_id, started_at)
             VALUES ('a', 'b', 'completed', 'u', 'c')",
        )
        .unwrap();
        let insert = "INSERT INTO appointments (appointment_id, patient_id, phone_number, phone_preference,
               text_preference, appt_date_time, language, channel, import_id, created_at, updated_at)
             VALUES ('A1', 'P1', '+14165550101', 0, 1, '2026-11-25T14:30:00Z', 'es', 'sms', 1, 'x', 'x');";
        let before = conn.execute_batch(insert).unwrap_err().to_string();
        assert!(before.contains("CHECK constraint failed"), "{before}");
        super::migrate(&mut conn).unwrap();
        conn.execute_batch(insert).unwrap();
        let lang: String = conn
            .query_row("SELECT language FROM appointments", [], |r| r.get(0))
            .unwrap();
        assert_eq!(lang, "es");
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        // Another connection, opened before or after, sees the new definition.
        drop(conn);
        let other = super::open(&path).unwrap();
        other
            .execute_batch(&insert.replace("'A1'", "'A2'").replace("'es'", "'pa'"))
            .unwrap();
    }

    #[test]
    fn inspecting_reads_the_version_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        assert!(super::inspect(&path).is_err());
        assert!(!path.exists(), "inspect must never create a database");
        drop(super::open(&path).unwrap());
        let i = super::inspect(&path).unwrap();
        let migrations = super::MIGRATIONS.len() as i64;
        assert_eq!((i.version, i.current), (migrations, migrations));
        assert!(i.problems.is_empty(), "{:?}", i.problems);
        let old = dir.path().join("old.db");
        let conn = rusqlite::Connection::open(&old).unwrap();
        conn.pragma_update(None, "user_version", 3).unwrap();
        drop(conn);
        assert_eq!(super::inspect(&old).unwrap().version, 3);
        assert_eq!(super::inspect(&old).unwrap().version, 3, "not migrated");
    }

    #[test]
    fn a_new_database_takes_the_page_size_and_an_existing_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let page_size = |conn: &rusqlite::Connection| -> i64 {
            conn.pragma_query_value(None, "page_size", |r| r.get(0))
                .unwrap()
        };
        let new = dir.path().join("new.db");
        assert_eq!(page_size(&super::open(&new).unwrap()), super::PAGE_SIZE);

        // A database made before this page size (4 KiB, SQLite's default) stays readable and
        // writable as it is: the pragma cannot change it in WAL mode, and must not fail.
        let old = dir.path().join("old.db");
        let conn = rusqlite::Connection::open(&old).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE t(x)").unwrap();
        drop(conn);
        let conn = super::open(&old).unwrap();
        assert_eq!(page_size(&conn), 4096);
        let (conn, _) = super::open_to_read(&old).unwrap();
        assert_eq!(page_size(&conn), 4096);
    }
}
