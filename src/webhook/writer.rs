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

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
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
    pub now: String,
}

enum Job {
    Callback(Box<Callback>, oneshot::Sender<Result<Answer>>),
    Health(oneshot::Sender<Result<()>>),
}

/// The handle requests use to reach the writer thread.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread over `conn`; it stops when the `Writer` is dropped.
    pub fn start(conn: Connection, settings: Settings) -> Result<(Writer, JoinHandle<()>)> {
        let (jobs, queue) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || run(conn, &settings, &queue))
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

fn run(mut conn: Connection, settings: &Settings, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&mut conn, settings, group);
    }
}

fn commit_group(conn: &mut Connection, settings: &Settings, group: Vec<Job>) {
    let mut callbacks = Vec::with_capacity(group.len());
    for job in group {
        match job {
            // A read needs no write lock: it answers even while an import holds one.
            Job::Health(reply) => drop(reply.send(handlers::health(conn))),
            Job::Callback(cb, reply) => callbacks.push((cb, reply)),
        }
    }
    if callbacks.is_empty() {
        return;
    }
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            for (_, reply) in callbacks {
                let _ = reply.send(Err(anyhow!("starting a transaction: {e}")));
            }
            return;
        }
    };
    // Each outcome is sent on only once the commit holding it has succeeded.
    let mut done = Vec::with_capacity(callbacks.len());
    for (cb, reply) in callbacks {
        let outcome = tx.savepoint().map_err(anyhow::Error::from).and_then(|sp| {
            // Dropping the savepoint on an error rolls this callback back, alone.
            let out = handlers::apply(&sp, settings, cb.route, &cb.plan, &cb.params_json, &cb.now)?;
            sp.commit()?;
            Ok(out)
        });
        done.push((reply, outcome, cb));
    }
    let committed = tx.commit();
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::news::Rules;
    use crate::webhook::request;

    fn settings() -> Settings {
        Settings {
            public_url: "https://rem.example.ca".into(),
            rules: Rules {
                max_attempts: 3,
                voicemail_counts_as_reached: true,
                touches: crate::domain::schedule::Touches::new(&[1]).unwrap(),
                sites: crate::domain::sites::SiteTable::single(chrono_tz::America::Toronto),
            },
            voice_en: None,
            voice_fr: None,
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
            now: "2026-11-25T00:00:00Z".into(),
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
        let conn = crate::db::open_with_timeout(&path, Duration::from_millis(50)).unwrap();
        let (writer, thread) = Writer::start(conn, settings()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();

        // Another process holds the write lock longer than the busy timeout.
        let mut other = Connection::open(&path).unwrap();
        let lock = other
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        let refused = rt.block_on(writer.store(callback("CA1", "ringing", "1")));
        assert!(refused.is_err(), "answered although not stored");
        // Health is a read: the other process's write lock does not make it fail.
        rt.block_on(writer.health()).unwrap();
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
        let (writer, thread) = Writer::start(crate::db::open(&path).unwrap(), settings()).unwrap();
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
}
