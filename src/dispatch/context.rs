//! What every worker of a dispatching run shares: the settings, the client, the rules, the run's
//! identity and clock, and what stops it (bad credentials, a signal, the end of a site's contact
//! hours, a sender that may not text).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Options;
use super::message::Texts;
use crate::clock::Clock;
use crate::config::Config;
use crate::news::OutcomeRules;
use crate::twilio::client::Client;

pub struct RunCtx<'a> {
    pub cfg: &'a Config,
    pub opts: Options,
    pub client: &'a Client,
    pub rules: &'a OutcomeRules,
    pub texts: &'a Texts,
    pub public_url: &'a str,
    pub run_id: i64,
    /// The first pause after Twilio asks us to slow down or answers unclearly.
    pub backoff: Duration,
    pub clock: Clock,
    /// Set once (here, or by a signal): no worker starts a new contact after it.
    pub stop: Arc<AtomicBool>,
    stop_reason: Mutex<Option<String>>,
    /// Set once: no more texts in this run (the sender may not text); calls go on.
    no_texts: AtomicBool,
    no_texts_reason: Mutex<Option<String>>,
    /// Sites whose contact hours ended during the run: nothing more is started there.
    closed: Mutex<HashSet<String>>,
    /// Requests Twilio is known to have acted on (a call or message exists): what a run that
    /// ends in a fault reports as contacted.
    contacted: AtomicI64,
    /// Numbers with a contact between its claim and its settling, and the signal that one of
    /// them settled (see `NumberTurn`).
    busy_numbers: Mutex<HashSet<String>>,
    number_freed: Condvar,
}

/// A worker's turn at one phone number: while it is held no other worker of the run claims a
/// contact to that number. Six or more appointments on one number (a care home's desk) go out
/// as two messages; one after the other, each contact is the only one to that number that is
/// unsettled, so an unclear answer or a kill can always be matched with what Twilio has.
pub struct NumberTurn<'c, 'a> {
    ctx: &'c RunCtx<'a>,
    number: String,
}

impl Drop for NumberTurn<'_, '_> {
    fn drop(&mut self) {
        let mut busy = self
            .ctx
            .busy_numbers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        busy.remove(&self.number);
        self.ctx.number_freed.notify_all();
    }
}

/// What a run is and works with.
pub struct Parts<'a> {
    pub cfg: &'a Config,
    pub opts: Options,
    pub client: &'a Client,
    pub rules: &'a OutcomeRules,
    pub texts: &'a Texts,
    pub public_url: &'a str,
    pub run_id: i64,
    pub clock: Clock,
}

impl<'a> RunCtx<'a> {
    pub fn new(p: Parts<'a>) -> Self {
        RunCtx {
            cfg: p.cfg,
            opts: p.opts,
            client: p.client,
            rules: p.rules,
            texts: p.texts,
            public_url: p.public_url,
            run_id: p.run_id,
            backoff: Duration::from_millis(500),
            clock: p.clock,
            stop: Arc::new(AtomicBool::new(false)),
            stop_reason: Mutex::new(None),
            no_texts: AtomicBool::new(false),
            no_texts_reason: Mutex::new(None),
            closed: Mutex::new(HashSet::new()),
            contacted: AtomicI64::new(0),
            busy_numbers: Mutex::new(HashSet::new()),
            number_freed: Condvar::new(),
        }
    }

    /// Waits until no other worker of this run has a contact out to `number`, then holds it.
    /// `None` once the run has stopped.
    pub fn number_turn(&self, number: &str) -> Option<NumberTurn<'_, 'a>> {
        let mut busy = self.busy_numbers.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return None;
            }
            if busy.insert(number.to_string()) {
                return Some(NumberTurn {
                    ctx: self,
                    number: number.to_string(),
                });
            }
            // A timeout as well as the signal: a stop set by a signal handler notifies nobody.
            busy = self
                .number_freed
                .wait_timeout(busy, Duration::from_millis(200))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Twilio created a call or message for this run.
    pub fn note_contacted(&self) {
        self.contacted.fetch_add(1, Ordering::SeqCst);
    }

    pub fn contacted(&self) -> i64 {
        self.contacted.load(Ordering::SeqCst)
    }

    /// Shares the stop with a signal handler.
    pub fn with_stop(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = stop;
        self
    }

    /// A site's contact hours have ended: no new contact there in this run.
    pub fn close_site(&self, site: &str) {
        self.closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(site.to_string());
    }

    pub fn site_closed(&self, site: &str) -> bool {
        self.closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(site)
    }

    /// Whether every site the run serves has closed for the day.
    pub fn all_sites_closed(&self) -> bool {
        let closed = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        !closed.is_empty()
            && self
                .cfg
                .site_keys()
                .iter()
                .filter(|k| self.opts.sites.is_empty() || self.opts.sites.iter().any(|s| s == *k))
                .all(|k| closed.contains(*k))
    }

    /// The sites whose contact hours ended during the run.
    pub fn closed_sites(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect();
        v.sort();
        v
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Stops the run; the first reason given is the one reported.
    pub fn stop_with(&self, why: &str) {
        set_once(&self.stop, &self.stop_reason, why);
    }

    pub fn stop_reason(&self) -> Option<String> {
        read(&self.stop_reason)
    }

    /// No more texts in this run; calls go on.
    pub fn stop_texting(&self, why: &str) {
        set_once(&self.no_texts, &self.no_texts_reason, why);
    }

    pub fn texting_stopped(&self) -> bool {
        self.no_texts.load(Ordering::SeqCst)
    }

    pub fn texting_stop_reason(&self) -> Option<String> {
        read(&self.no_texts_reason)
    }
}

fn set_once(flag: &AtomicBool, reason: &Mutex<Option<String>>, why: &str) {
    flag.store(true, Ordering::SeqCst);
    reason
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(|| why.to_string());
}

fn read(reason: &Mutex<Option<String>>) -> Option<String> {
    reason.lock().unwrap_or_else(|e| e.into_inner()).clone()
}
