//! What every run that talks to Twilio holds for its whole life: the run lock, the database,
//! its `runs` row and the client; and the settling of what earlier runs left open.

use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::clock::{Clock, db_time};
use crate::config::{Config, Credentials};
use crate::db::{self, runs};
use crate::dispatch::lock::RunLock;
use crate::dispatch::recover::{self, Settled};
use crate::news::Rules;
use crate::twilio::client::Client;

pub struct Session {
    _lock: RunLock,
    pub conn: Connection,
    pub run_id: i64,
    pub client: Client,
    pub creds: Credentials,
    pub rules: Rules,
    pub clock: Clock,
}

impl Session {
    /// Waits for the run lock (exit 3 if another run keeps it), then records the run.
    pub fn open(cfg: &Config, kind: &str, sites: &[String]) -> Result<Session> {
        let creds = cfg.credentials()?;
        let pid = std::process::id();
        let started = db_time(cfg.now());
        let mut lock = RunLock::acquire(
            &cfg.lock_path(),
            Duration::from_secs(cfg.sending.lock_wait_seconds),
            &format!("{kind} run (pid {pid}, started {started})"),
        )?;
        let conn = db::open(&cfg.db)?;
        // Holding the lock, any run still "not finished" is one that died.
        runs::close_dead(&conn, &db_time(cfg.now()), runs::DIED_CHECKED)?;
        let run_id = runs::start(&conn, kind, sites, &db_time(cfg.now()))?;
        lock.describe(&format!(
            "{kind} run #{run_id} (pid {pid}, started {started})"
        ))?;
        Ok(Session {
            _lock: lock,
            conn,
            run_id,
            client: Client::new(&creds),
            creds,
            rules: cfg.news_rules(),
            clock: cfg.clock,
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Resolves attempts a dead run left without a SID and, with `reconcile`, fetches the
    /// outcome of every attempt still lacking one.
    pub fn settle(&mut self, reconcile: bool, progress: &dyn Fn(usize, usize)) -> Result<Settled> {
        let now = self.now();
        let mut settled = recover::unfinished(&mut self.conn, &self.client, &self.rules, now)
            .context("checking attempts an interrupted run left open")?;
        if reconcile {
            let s = recover::awaiting(&mut self.conn, &self.client, &self.rules, now, progress)
                .context("reconciling attempts whose outcome has not arrived")?;
            settled.updated += s.updated;
            settled.unresolved += s.unresolved;
        }
        Ok(settled)
    }

    pub fn finish(&self, ending: &runs::Ending<'_>) -> Result<()> {
        runs::end(&self.conn, self.run_id, ending, &db_time(self.now()))
    }
}
