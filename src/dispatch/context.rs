//! What every worker of a dispatching run shares: the client, the rules, the run's identity and
//! clock, and the run-wide stop (bad credentials, a signal, the end of contact hours).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::news::Rules;
use crate::twilio::client::Client;

pub struct RunCtx<'a> {
    pub client: &'a Client,
    pub rules: Rules,
    /// The configured sender, for attempts recorded without a request (unbuildable ones).
    pub from: &'a str,
    pub run_id: i64,
    /// The first pause after Twilio asks us to slow down or answers unclearly.
    pub backoff: Duration,
    pub clock: Clock,
    /// Set once: no worker starts a new contact after it.
    pub stop: AtomicBool,
    stop_reason: Mutex<Option<String>>,
    /// Set once: no more texts in this run (the sender may not text); calls go on.
    no_texts: AtomicBool,
    no_texts_reason: Mutex<Option<String>>,
    /// Requests Twilio is known to have acted on (a call or message exists): what a run that
    /// ends in a fault reports as contacted.
    contacted: AtomicI64,
}

impl<'a> RunCtx<'a> {
    pub fn new(client: &'a Client, rules: Rules, from: &'a str, run_id: i64, clock: Clock) -> Self {
        RunCtx {
            client,
            rules,
            from,
            run_id,
            backoff: Duration::from_millis(500),
            clock,
            stop: AtomicBool::new(false),
            stop_reason: Mutex::new(None),
            no_texts: AtomicBool::new(false),
            no_texts_reason: Mutex::new(None),
            contacted: AtomicI64::new(0),
        }
    }

    /// Twilio created a call or message for this run.
    pub fn note_contacted(&self) {
        self.contacted.fetch_add(1, Ordering::SeqCst);
    }

    pub fn contacted(&self) -> i64 {
        self.contacted.load(Ordering::SeqCst)
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
