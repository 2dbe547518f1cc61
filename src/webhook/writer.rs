//! The listener's one database writer: a thread that owns the connection and commits the
//! callbacks waiting for it together (group commit).
//!
//! Each callback must be stored before it is answered, and a transaction per callback spent
//! most of its time in the commit's system calls (WAL append, file locks), not in the work.
//! While one group commits, the next callbacks queue; the writer then takes all of them (up to
//! `MAX_GROUP`) into one transaction, each inside its own savepoint so that a callback that fails
//! is rolled back alone and answered 503 while the others are kept. Nobody is answered before
//! the commit that holds their callback has succeeded; if the commit fails, all of the group are
//! answered 503 and Twilio sends them again.
//!
//! 200 means stored in the configured database, durably: the connection commits with
//! `synchronous=FULL` (the WAL reaches the disk before the answer; one sync per group, shared by
//! everyone in it), and before each group the writer checks with one `stat` that the file at
//! the configured path is still the one it has open (`Store`). A file replaced under it (a
//! restore from a backup) is reopened, migrated if needed — but only if it is the listener's
//! own (its user's, not writable by group or others); a deleted one, or one not its own, means
//! 503 — and a failing `/healthz` — until a database it can take up is at that path. It never
//! creates one there.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::handlers::{self, Answer, Settings};
use super::request::{Plan, Route};

/// The most callbacks in one transaction: keeps a group's commit (and so everyone's wait) short.
const MAX_GROUP: usize = 64;

/// A callback that passed every check, ready to be stored.
pub struct Callback {
    pub route: Route,
    pub plan: Plan,
    pub params_json: String,
    pub now: crate::clock::Stamp,
}

enum Job {
    Callback(Box<Callback>, oneshot::Sender<Result<Answer>>),
    Health(oneshot::Sender<Result<()>>),
}

/// The handle requests use to reach the writer thread.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

/// Which file a connection is on: a file put in its place (renamed over it, or created after a
/// deletion) has another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The file at `path` now (one `stat`), or `None` when there is none.
    fn at(path: &Path) -> Result<Option<FileId>> {
        match std::fs::metadata(path) {
            Ok(m) => Ok(Some(FileId {
                dev: m.dev(),
                ino: m.ino(),
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => {
                Err(e).with_context(|| format!("checking the database file {}", path.display()))
            }
        }
    }
}

/// The listener's database: the connection, and which file it is open on.
pub struct Store {
    path: PathBuf,
    busy: Duration,
    conn: Option<Connection>,
    file: Option<FileId>,
    /// The WAL and shared-memory files beside it that belong to the open file.
    companions: Vec<(PathBuf, FileId)>,
    /// Why the last group could not be committed; `/healthz` fails until one is.
    failing: Option<String>,
    /// A file put at the path that was not taken up (said once in the log, not per callback).
    refused: Option<FileId>,
}

impl Store {
    /// The database at `path` for the listener: created if there is none yet (as the first
    /// command run anywhere creates it), migrated, and durable at each commit.
    pub fn open(path: &Path, busy: Duration) -> Result<Store> {
        let conn = crate::db::open_with_timeout(path, busy)?;
        crate::db::make_durable(&conn)?;
        let mut store = Store {
            path: path.to_path_buf(),
            busy,
            file: FileId::at(path)?,
            conn: Some(conn),
            companions: Vec::new(),
            failing: None,
            refused: None,
        };
        store.note_companions();
        Ok(store)
    }

    pub fn connection_for_startup(&self) -> Option<&Connection> {
        self.conn.as_ref()
    }

    fn note_companions(&mut self) {
        self.companions = ["-wal", "-shm"]
            .iter()
            .map(|s| crate::db::companion(&self.path, s))
            .filter_map(|p| FileId::at(&p).ok().flatten().map(|id| (p, id)))
            .collect();
    }

    /// The connection, once the file at the path is known to be the one it is open on.
    fn connection(&mut self) -> Result<&mut Connection> {
        let now = FileId::at(&self.path)?;
        match now {
            Some(id) if Some(id) == self.file && self.conn.is_some() => {}
            None => {
                if self.conn.is_some() {
                    log::error!(
                        "the database file {} is gone (deleted or moved away): callbacks are answered 503 (Twilio sends them again) and /healthz fails until a database is back at that path",
                        self.path.display()
                    );
                    self.retire();
                }
                bail!(
                    "the database file {} is missing: nothing can be stored until it is back",
                    self.path.display()
                );
            }
            Some(id) => {
                if self.conn.is_some() {
                    log::warn!(
                        "the database file {} was replaced (restored from a backup?): taking up the new file",
                        self.path.display()
                    );
                    self.retire();
                }
                if let Err(why) = trusted(&self.path) {
                    if self.refused != Some(id) {
                        log::error!(
                            "the database file now at {} is not taken up: {why}; callbacks are answered 503 (Twilio sends them again) until it is the listener's own (chown, chmod 600)",
                            self.path.display()
                        );
                        self.refused = Some(id);
                    }
                    bail!(
                        "the database file now at {} is not taken up: {why}",
                        self.path.display()
                    );
                }
                self.refused = None;
                let conn = crate::db::open_existing(&self.path, self.busy)?;
                crate::db::make_durable(&conn)?;
                log::warn!(
                    "storing callbacks in the database file now at {}",
                    self.path.display()
                );
                self.file = Some(id);
                self.conn = Some(conn);
                self.note_companions();
            }
        }
        self.conn
            .as_mut()
            .ok_or_else(|| anyhow!("the database {} is not open", self.path.display()))
    }

    /// Lets go of a file that is no longer at the path. SQLite does not checkpoint a moved
    /// file when its connection closes, so its WAL would stay beside the path and be applied
    /// to whatever file is put there next — another database's pages. So: checkpoint into the
    /// old file and empty the WAL, close, and remove its WAL and shared-memory files (only
    /// those: a WAL someone restored with the new file has another identity and is kept).
    fn retire(&mut self) {
        if let Some(old) = self.conn.take() {
            let emptied = crate::db::checkpoint_truncate(&old);
            if !matches!(emptied, Ok(true)) {
                log::warn!(
                    "the replaced database's last changes could not be written back into it ({emptied:?}): they stay with the old file"
                );
            }
            close(old);
        }
        self.file = None;
        for (path, id) in std::mem::take(&mut self.companions) {
            if FileId::at(&path).ok().flatten() == Some(id)
                && let Err(e) = std::fs::remove_file(&path)
            {
                log::warn!("removing {} of the replaced database: {e}", path.display());
            }
        }
    }

    fn health(&mut self) -> Result<()> {
        handlers::health(self.connection()?)?;
        match &self.failing {
            Some(why) => bail!("the last callbacks could not be stored: {why}"),
            None => Ok(()),
        }
    }
}

/// Whether a file put in the database's place may be taken up: the listener writes patients'
/// news into it and answers Twilio 200, so it must be the listener's own — a regular file owned
/// by the user the listener runs as, that neither its group nor others can write — and so must
/// a WAL or shared-memory file beside it (SQLite would apply the WAL's pages). Otherwise another
/// local user could put a database of their making in its place, or change it underneath.
fn trusted(path: &Path) -> std::result::Result<(), String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    for (p, required) in [
        (path.to_path_buf(), true),
        (crate::db::companion(path, "-wal"), false),
        (crate::db::companion(path, "-shm"), false),
    ] {
        let m = match std::fs::metadata(&p) {
            Ok(m) => m,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", p.display())),
        };
        if !m.file_type().is_file() {
            return Err(format!("{} is not a regular file", p.display()));
        }
        if m.uid() != me {
            return Err(format!(
                "{} belongs to user id {}, and the listener runs as user id {me}",
                p.display(),
                m.uid()
            ));
        }
        if m.mode() & 0o022 != 0 {
            return Err(format!(
                "{} can be written by {} (mode {:o})",
                p.display(),
                if m.mode() & 0o002 != 0 {
                    "every user"
                } else {
                    "its group"
                },
                m.mode() & 0o777
            ));
        }
    }
    Ok(())
}

fn close(conn: Connection) {
    if let Err((_, e)) = conn.close() {
        log::warn!("closing the previous database connection: {e}");
    }
}

impl Writer {
    /// Starts the writer thread over `store`; it stops when the `Writer` is dropped.
    pub fn start(store: Store, settings: Settings) -> Result<(Writer, JoinHandle<()>)> {
        let (jobs, queue) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || run(store, &settings, &queue))
            .context("starting the database writer thread")?;
        Ok((Writer { jobs }, thread))
    }

    /// Stores and applies `callback`; the answer once it is committed.
    pub async fn store(&self, callback: Callback) -> Result<Answer> {
        self.ask(|reply| Job::Callback(Box::new(callback), reply))
            .await
    }

    /// Whether the database answers a trivial query.
    pub async fn health(&self) -> Result<()> {
        self.ask(Job::Health).await
    }

    async fn ask<T>(&self, job: impl FnOnce(oneshot::Sender<Result<T>>) -> Job) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(job(reply))
            .map_err(|_| anyhow!("the database writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow!("the database writer stopped before answering"))?
    }
}

/// Waits up to `grace` for the writer thread to finish its last group after every `Writer`
/// handle is gone.
pub fn join(thread: JoinHandle<()>, grace: Duration) {
    let deadline = Instant::now() + grace;
    while !thread.is_finished() {
        if Instant::now() >= deadline {
            log::warn!(
                "the database writer did not stop within {}s",
                grace.as_secs()
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = thread.join();
}

fn run(mut store: Store, settings: &Settings, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&mut store, settings, group);
    }
}

type Waiting = Vec<(Box<Callback>, oneshot::Sender<Result<Answer>>)>;

fn commit_group(store: &mut Store, settings: &Settings, group: Vec<Job>) {
    let mut callbacks = Vec::with_capacity(group.len());
    for job in group {
        match job {
            // A read needs no write lock: it answers even while an import holds one.
            Job::Health(reply) => drop(reply.send(store.health())),
            Job::Callback(cb, reply) => callbacks.push((cb, reply)),
        }
    }
    if callbacks.is_empty() {
        return;
    }
    let conn = match store.connection() {
        Ok(conn) => conn,
        Err(e) => {
            let why = format!("{e:#}");
            for (_, reply) in callbacks {
                let _ = reply.send(Err(anyhow!("{why}")));
            }
            store.failing = Some(why);
            return;
        }
    };
    let failing = commit(conn, settings, callbacks);
    store.failing = failing;
}

/// One transaction for the group; what went wrong with it as a whole, if anything.
fn commit(conn: &mut Connection, settings: &Settings, callbacks: Waiting) -> Option<String> {
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let why = format!("starting a transaction: {e}");
            for (_, reply) in callbacks {
                let _ = reply.send(Err(anyhow!("{why}")));
            }
            return Some(why);
        }
    };
    // Each outcome is sent on only once the commit holding it has succeeded.
    let mut done = Vec::with_capacity(callbacks.len());
    for (cb, reply) in callbacks {
        let outcome = tx.savepoint().map_err(anyhow::Error::from).and_then(|sp| {
            // Dropping the savepoint on an error rolls this callback back, alone.
            let out = handlers::apply(&sp, settings, cb.route, &cb.plan, &cb.params_json, cb.now)?;
            sp.commit()?;
            Ok(out)
        });
        done.push((reply, outcome, cb));
    }
    let committed = tx.commit();
    let failing = committed.as_ref().err().map(|e| format!("committing: {e}"));
    for (reply, outcome, cb) in done {
        let outcome = match (&committed, outcome) {
            (Ok(()), Ok((answer, note))) => {
                log::info!("{} {}: {note}", cb.route.kind(), cb.plan.sid());
                Ok(answer)
            }
            (Ok(()), Err(e)) => Err(e),
            (Err(e), _) => Err(anyhow!("committing: {e}")),
        };
        // The request may have gone (client hung up): its callback is stored all the same.
        let _ = reply.send(outcome);
    }
    failing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::news::OutcomeRules;
    use crate::webhook::request;

    fn settings() -> Settings {
        Settings {
            public_url: "https://rem.example.ca".into(),
            rules: OutcomeRules {
                max_attempts: 3,
                voicemail_counts_as_reached: true,
                touches: crate::domain::schedule::Touches::new(&[1]).unwrap(),
                sites: crate::domain::sites::SiteTable::single(chrono_tz::America::Toronto),
            },
            languages: std::sync::Arc::new(crate::domain::languages::Languages::built_in()),
            lines: Default::default(),
            waitlist: Default::default(),
        }
    }

    fn callback(sid: &str, status: &str, seq: &str) -> Callback {
        let params: Vec<(String, String)> = [("CallSid", sid), ("CallStatus", status)]
            .iter()
            .chain(&[("SequenceNumber", seq)])
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Callback {
            route: Route::CallStatus,
            plan: request::plan(Route::CallStatus, "", &params).expect("a valid plan"),
            params_json: "{}".into(),
            now: crate::clock::stored_at("2026-11-25T00:00:00Z"),
        }
    }

    fn events(path: &std::path::Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT count(*) FROM webhook_events", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_callback_that_cannot_be_stored_gets_an_error_and_a_later_one_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let store = Store::open(&path, Duration::from_millis(50)).unwrap();
        let (writer, thread) = Writer::start(store, settings()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();

        // Another process holds the write lock longer than the busy timeout.
        let mut other = Connection::open(&path).unwrap();
        let lock = other
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        // Health is a read: the other process's write lock alone does not make it fail...
        rt.block_on(writer.health()).unwrap();
        let refused = rt.block_on(writer.store(callback("CA1", "ringing", "1")));
        assert!(refused.is_err(), "answered although not stored");
        // ... but writes failing do, until one succeeds.
        assert!(rt.block_on(writer.health()).is_err());
        lock.rollback().unwrap();
        assert_eq!(events(&path), 0);

        // Twilio sends it again: now it is stored, once.
        let stored = rt
            .block_on(writer.store(callback("CA1", "ringing", "1")))
            .unwrap();
        assert_eq!(stored.status, 200);
        rt.block_on(writer.health()).unwrap();
        assert_eq!(events(&path), 1);
        drop(writer);
        join(thread, Duration::from_secs(5));
    }

    #[test]
    fn callbacks_queued_together_are_each_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let store = Store::open(&path, crate::db::BUSY_TIMEOUT).unwrap();
        let (writer, thread) = Writer::start(store, settings()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // 400 callbacks in flight at once (several groups' worth), each of 200 sent twice.
        let writer = std::sync::Arc::new(writer);
        let answers = rt.block_on(async {
            let tasks: Vec<_> = (0..400)
                .map(|i| {
                    let writer = writer.clone();
                    let cb = callback(&format!("CA{}", i % 200), "completed", "3");
                    tokio::spawn(async move { writer.store(cb).await })
                })
                .collect();
            let mut answers = Vec::new();
            for t in tasks {
                answers.push(t.await.unwrap());
            }
            answers
        });
        assert!(
            answers
                .iter()
                .all(|a| a.as_ref().is_ok_and(|a| a.status == 200))
        );
        assert_eq!(events(&path), 200);
        drop(std::sync::Arc::into_inner(writer));
        join(thread, Duration::from_secs(5));
    }

    #[test]
    fn commits_are_durable() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("r.db"), crate::db::BUSY_TIMEOUT).unwrap();
        let sync: i64 = store
            .connection()
            .unwrap()
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
    }

    #[test]
    fn a_replaced_file_is_taken_up_and_a_deleted_one_refuses_until_it_is_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let store = Store::open(&path, crate::db::BUSY_TIMEOUT).unwrap();
        let (writer, thread) = Writer::start(store, settings()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let stored = |sid: &str| rt.block_on(writer.store(callback(sid, "ringing", "1")));
        assert_eq!(stored("CA1").unwrap().status, 200);

        // A backup restored by renaming it over the file.
        let backup = dir.path().join("backup.db");
        drop(crate::db::open(&backup).unwrap());
        std::fs::rename(&backup, &path).unwrap();
        assert_eq!(stored("CA2").unwrap().status, 200);
        assert_eq!(events(&path), 1, "stored in the file now at the path");

        // Deleted: refused, and nothing is created at the path.
        std::fs::remove_file(&path).unwrap();
        assert!(stored("CA3").is_err());
        assert!(rt.block_on(writer.health()).is_err());
        assert!(!path.exists());

        // Back: stored again, and healthy.
        drop(crate::db::open(&backup).unwrap());
        std::fs::rename(&backup, &path).unwrap();
        assert_eq!(stored("CA3").unwrap().status, 200);
        rt.block_on(writer.health()).unwrap();
        assert_eq!(events(&path), 1);
        drop(writer);
        join(thread, Duration::from_secs(5));
    }
}
