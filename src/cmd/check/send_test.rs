//! `check --send-test NUMBER [--call]`: one real text or call through the configured sender,
//! with the status callback a reminder carries, then a bounded wait for its report to reach
//! the database through the listener. It is recorded as a test (`webhook_events`), never as an
//! appointment.

use std::time::{Duration, Instant};

use super::Report;
use crate::clock::Stamp;
use crate::config::Config;
use crate::db::webhook_events::{self, Reported};
use crate::dispatch::message::callback_params;
use crate::domain::channel::Channel;
use crate::domain::outcome;
use crate::domain::readiness::{self, Finding, Level};
use crate::mask;
use crate::twilio::client::ApiError;

/// How often the database is read for the report while waiting.
const POLL: Duration = Duration::from_millis(200);

pub fn run(r: &mut Report, cfg: &Config, to: &str, channel: Channel, wait: Duration, ready: bool) {
    let kind = if channel == Channel::Call {
        "call"
    } else {
        "text"
    };
    let what = format!("send test: a {kind} to {}", mask::phone(to));
    let creds = match cfg.credentials() {
        Ok(c) if ready => c,
        _ => {
            r.add(Finding::fail(
                format!("{what}: not made"),
                "fix the failures above first (Twilio, the listener, the database): the test proves the whole path",
            ));
            return;
        }
    };
    // The test is written down before it is made: a database this user cannot write is found
    // before anyone's phone rings.
    let mut db = match crate::db::open_existing(&cfg.db, crate::db::BUSY_TIMEOUT) {
        Ok(c) => c,
        Err(e) => {
            r.add(Finding::fail(
                format!("{what}: not made, the database cannot be written: {e:#}"),
                "run the check as the database's owner",
            ));
            return;
        }
    };
    let site = cfg.site("");
    let clinic = site.identity.clinic_name.as_deref();
    let mut params: Vec<(&str, String)> = vec![("To", to.to_string())];
    match channel {
        Channel::Call => {
            params.push(("From", creds.phone_number.clone()));
            let english = cfg.languages.get("en");
            params.push(("Twiml", readiness::test_call(clinic, english)));
        }
        _ => {
            match site.messaging_service_sid {
                Some(mg) => params.push(("MessagingServiceSid", mg.to_string())),
                None => params.push(("From", creds.phone_number.clone())),
            }
            params.push(("Body", readiness::test_text(clinic)));
            params.push((
                "ValidityPeriod",
                (cfg.sending.sms_validity_minutes * 60).to_string(),
            ));
        }
    }
    params.extend(callback_params(channel, &creds.public_url));
    let client = crate::twilio::client::Client::new(&creds);
    let form: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = match client.create(channel, &form) {
        Ok(c) => c,
        Err(e) => {
            r.add(refused(&what, &e));
            return;
        }
    };
    let sid = created.sid;
    let recorded = crate::db::begin(&mut db)
        .map_err(anyhow::Error::from)
        .and_then(|tx| {
            webhook_events::record_test(
                &tx,
                &sid,
                channel.as_str(),
                &mask::phone(to),
                Stamp::from(cfg.now()),
            )?;
            tx.commit()?;
            Ok(())
        });
    if let Err(e) = recorded {
        log::warn!("recording the test {sid}: {e:#}");
    }
    r.add(Finding::ok(format!(
        "{what}: created ({sid}); waiting up to {} s for its report through {}",
        wait.as_secs(),
        creds.public_url
    )));
    let started = Instant::now();
    let seen = wait_for_report(&db, &sid, channel, wait);
    let after = started.elapsed().as_secs();
    r.add(match seen.last() {
        Some(last) if outcome::is_final(channel, &last.status) => {
            let (level, words) = readiness::test_outcome(channel, &last.status, last.error_code);
            let what = format!("{what}: {words} (its report came back in {after} s)");
            match level {
                Level::Ok => Finding::ok(what),
                Level::Warn => Finding::warn(
                    what,
                    "the call went out and its report came back: answer it next time to hear the message",
                ),
                Level::Fail => Finding::fail(what, delivery_advice(last.error_code)),
            }
        }
        Some(last) => Finding::warn(
            format!(
                "{what}: reports come back (last: {}), but none final within {} s",
                last.status,
                wait.as_secs()
            ),
            format!(
                "the listener path works; see how it ended later with `reminders status` or Twilio's log for {sid}"
            ),
        ),
        None => {
            let twilio_says = client
                .fetch(channel, &sid)
                .map_or_else(|e| format!("{e}"), |res| format!("Twilio says: {}", res.status));
            Finding::fail(
                format!(
                    "{what}: no report reached {} within {} s ({twilio_says})",
                    cfg.db.display(),
                    wait.as_secs()
                ),
                format!(
                    "Twilio could not reach {}/twilio/..., or the listener writes another database than this one. Twilio's console (Monitor > Logs > Errors) names the failure; the listener's log (journalctl -u reminders-webhook) shows what arrived",
                    creds.public_url
                ),
            )
        }
    });
}

/// Reads the reports for `sid` until a final one arrives or `wait` has passed.
fn wait_for_report(
    db: &rusqlite::Connection,
    sid: &str,
    channel: Channel,
    wait: Duration,
) -> Vec<Reported> {
    let deadline = Instant::now() + wait;
    loop {
        let seen = webhook_events::reported(db, sid).unwrap_or_default();
        let done = seen.iter().any(|s| outcome::is_final(channel, &s.status));
        if done || Instant::now() >= deadline {
            // The final report, if any, is the one to tell.
            let mut seen = seen;
            if let Some(i) = seen
                .iter()
                .rposition(|s| outcome::is_final(channel, &s.status))
            {
                seen.truncate(i + 1);
            }
            return seen;
        }
        std::thread::sleep(POLL);
    }
}

fn refused(what: &str, e: &ApiError) -> Finding {
    match e {
        ApiError::Refused {
            code: Some(code), ..
        } => Finding::fail(
            format!(
                "{what}: Twilio refused it: error {}",
                crate::domain::twilio_errors::describe(*code)
            ),
            format!("see https://www.twilio.com/docs/errors/{code}"),
        ),
        ApiError::Refused { .. } => Finding::fail(
            format!("{what}: {e}"),
            "see Twilio's log at https://console.twilio.com",
        ),
        ApiError::Unclear(_) => Finding::fail(
            format!("{what}: {e}"),
            "it may have gone out all the same: look for it in Twilio's log at https://console.twilio.com before trying again",
        ),
    }
}

fn delivery_advice(code: Option<i64>) -> String {
    match code {
        Some(code) => format!("see https://www.twilio.com/docs/errors/{code}; the listener path works (the report came back)"),
        None => "see Twilio's log at https://console.twilio.com; the listener path works (the report came back)".into(),
    }
}
