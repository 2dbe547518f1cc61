//! What every worker of a dispatching run shares: the client, the rules, the run's identity and
//! clock, and the run-wide stop (bad credentials, a signal, the end of contact hours).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
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
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Stops the run; the first reason given is the one reported.
    pub fn stop_with(&self, why: &str) {
        self.stop.store(true, Ordering::SeqCst);
        self.stop_reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(|| why.to_string());
    }

    pub fn stop_reason(&self) -> Option<String> {
        self.stop_reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
