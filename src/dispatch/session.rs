//! What every run that talks to Twilio holds for its whole life: the run lock, the database,
//! its `runs` row and the client; and the settling of what earlier runs left open.

use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::clock::{Clock, Stamp};
use crate::config::{Config, Credentials};
use crate::db::{self, runs};
use crate::dispatch::Options;
use crate::dispatch::lock::RunLock;
use crate::dispatch::recover::{self, Settled};
use crate::domain::run_job::RunJob;
use crate::news::OutcomeRules;
use crate::twilio::client::Client;

pub struct Session {
    _lock: RunLock,
    pub conn: Connection,
    pub run_id: i64,
    pub client: Client,
    pub creds: Credentials,
    pub rules: OutcomeRules,
    pub clock: Clock,
}

impl Session {
    /// Waits for the run lock (exit 3 if another run keeps it), then records the run. Missing
    /// credentials refuse the run, and the refusal is recorded with its reason.
    pub fn open(cfg: &Config, opts: &Options) -> Result<Session> {
        let creds = cfg
            .credentials()
            .inspect_err(|e| record_refusal(cfg, opts, e))?;
        Self::start(
            cfg,
            creds,
            opts.kind.into(),
            &opts.sites,
            opts.window.as_ref(),
            opts.lock_wait,
        )
    }

    /// A run sending the waitlist's waves (`reminders backfill`, and `run` at each tick).
    pub fn open_backfill(
        cfg: &Config,
        sites: &[String],
        lock_wait: Option<Duration>,
    ) -> Result<Session> {
        Self::start(
            cfg,
            cfg.credentials()?,
            RunJob::Backfill,
            sites,
            None,
            lock_wait,
        )
    }

    /// `reconcile`'s session: every site, no window.
    pub fn open_reconcile(cfg: &Config) -> Result<Session> {
        Self::start(cfg, cfg.credentials()?, RunJob::Reconcile, &[], None, None)
    }

    fn start(
        cfg: &Config,
        creds: Credentials,
        kind: RunJob,
        sites: &[String],
        window: Option<&runs::WindowTag>,
        lock_wait: Option<Duration>,
    ) -> Result<Session> {
        let pid = std::process::id();
        let started = Stamp::from(cfg.now());
        let wait = lock_wait.unwrap_or(Duration::from_secs(cfg.sending.lock_wait_seconds));
        let mut lock = RunLock::acquire(
            &cfg.lock_path(),
            wait,
            &format!("{kind} run (pid {pid}, started {started})"),
        )?;
        let conn = db::open(&cfg.db)?;
        // Holding the lock, any run still "not finished" is one that died.
        runs::close_dead(&conn, Stamp::from(cfg.now()), runs::DIED_CHECKED)?;
        let run_id = runs::start_for(&conn, kind, sites, window, Stamp::from(cfg.now()))?;
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
            clock: cfg.clock.clone(),
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
        runs::end(&self.conn, self.run_id, ending, Stamp::from(self.now()))
    }
}

/// Records that a run was refused before it started, with the reason: `status runs` and
/// `status --check` show it the next morning. Only into a database that exists (a refused run
/// creates nothing); a failure to record is logged, the refusal itself is what is reported.
pub fn record_refusal(cfg: &Config, opts: &Options, why: &anyhow::Error) {
    if opts.dry_run || !cfg.db.exists() {
        return;
    }
    let recorded = db::open(&cfg.db).and_then(|conn| {
        runs::refused(
            &conn,
            opts.kind.into(),
            &opts.sites,
            opts.window.as_ref(),
            &format!("{why:#}"),
            Stamp::from(cfg.now()),
        )
    });
    if let Err(e) = recorded {
        log::warn!("could not record the refused run: {e:#}");
    }
}
