//! Applying news to the store: a status report about an attempt (from a callback, a fetch or
//! crash recovery) and what patients tell us. Webhook handlers, `send`, `retry` and `reconcile`
//! all come through here, so an appointment moves the same way whichever path brought the news.
//! Callers run these inside their own transaction.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::clock::Stamp;
use crate::db::attempts::{self, StatusReport};
use crate::db::{appointments, opt_outs};
use crate::domain::channel::Channel;
use crate::domain::contact_kind::ContactKind;
use crate::domain::ordering::{self, Status};
use crate::domain::outcome::{self, Ending};
use crate::domain::schedule::{self, Touches};
use crate::domain::sites::SiteTable;
use crate::domain::state::{Event, State};

/// The settings that decide how an outcome counts.
#[derive(Clone, Debug)]
pub struct OutcomeRules {
    /// Attempts per touch.
    pub max_attempts: u32,
    pub voicemail_counts_as_reached: bool,
    pub touches: Touches,
    /// Each site's zone: "days before the appointment" is counted in it.
    pub sites: SiteTable,
}

impl OutcomeRules {
    /// The appointment's local date minus today's, in its site's zone.
    pub fn days_until(&self, appt: &appointments::Stored, now: DateTime<Utc>) -> i64 {
        let tz = self.sites.zone(&appt.site);
        let at = appt.at.instant();
        (at.with_timezone(&tz).date_naive() - now.with_timezone(&tz).date_naive()).num_days()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// No attempt has this SID (recorded by the caller, answered 200 so Twilio stops).
    UnknownSid,
    /// Older than or the same as what is stored: nothing changed.
    Stale,
    /// The attempt row took the report; the appointment moved if `moved` says so.
    Recorded {
        appointment: i64,
        moved: Option<(State, State)>,
    },
}

/// Records a status report for the attempts with `report.sid` (one per appointment of a
/// combined message). `sent_is_final` is for reconciliation: a message still `sent` long after
/// sending will get no delivery receipt.
pub fn apply_status(
    conn: &Connection,
    rules: &OutcomeRules,
    report: &StatusReport,
    sent_is_final: bool,
    now: Stamp,
) -> Result<Applied> {
    let found = attempts::by_sid(conn, &report.sid)?;
    let Some(first) = found.first() else {
        return Ok(Applied::UnknownSid);
    };
    let ch = first.channel;
    let stored = Status {
        word: &first.status,
        sequence: first.sequence_number,
    };
    let incoming = Status {
        word: &report.status,
        sequence: report.sequence_number,
    };
    if !ordering::supersedes(ch, stored, incoming, sent_is_final) {
        return Ok(Applied::Stale);
    }
    let newly_final_sent = sent_is_final && report.status == "sent";
    let ending = if outcome::is_final(ch, &report.status) || newly_final_sent {
        Some(match ch {
            Channel::Call => outcome::call_ending(
                &report.status,
                report.answered_by.as_deref(),
                rules.voicemail_counts_as_reached,
            ),
            _ => outcome::sms_ending(&report.status, report.error_code),
        })
    } else {
        None
    };
    let mut moved = None;
    for attempt in &found {
        attempts::record_status(conn, attempt.id, report, now)?;
        if let Some(ending) = ending {
            moved = end_attempt(conn, rules, attempt, ending, now)?.or(moved);
        }
    }
    Ok(Applied::Recorded {
        appointment: first.appointment,
        moved,
    })
}

/// An attempt is over: move its appointment accordingly. Only the latest attempt decides, so a
/// late outcome of an earlier attempt cannot disturb one in flight.
pub fn end_attempt(
    conn: &Connection,
    rules: &OutcomeRules,
    attempt: &attempts::Attempt,
    ending: Ending,
    now: Stamp,
) -> Result<Option<(State, State)>> {
    let Some(appt) = appointments::get(conn, attempt.appointment)? else {
        return Ok(None);
    };
    // A follow-up (a text after a voicemail, a message after a missed visit) is not one of the
    // schedule's attempts: its outcome moves nothing, except a number that opted out.
    if attempt.kind != ContactKind::Reminder {
        if ending == Ending::OptedOut {
            opt_outs::add(conn, &attempt.to, "twilio error 21610", None, now)?;
            // An offer went to a waiting patient's number, not to this appointment's.
            if attempt.to == appt.phone_number {
                return move_appointment(conn, &appt, Event::OptedOut, now);
            }
        }
        return Ok(None);
    }
    if appt.attempt_count != attempt.attempt {
        return Ok(None);
    }
    let after_failure = || {
        let d = rules.days_until(&appt, now.instant());
        schedule::after_failure(
            &rules.touches,
            appt.touch_days,
            appt.touch_attempts,
            rules.max_attempts,
            d,
            appt.reached_before,
        )
    };
    let event = match ending {
        Ending::Reached => Event::Reached,
        Ending::Retryable => Event::AttemptFailed {
            then: after_failure(),
        },
        // A number that cannot be reached now will not be at a later touch either.
        Ending::Permanent => Event::AttemptFailed {
            then: if appt.reached_before {
                State::Reached
            } else {
                State::Failed
            },
        },
        Ending::SwitchToCall => {
            appointments::set_channel(conn, appt.id, Channel::Call, now)?;
            Event::AttemptFailed {
                then: after_failure(),
            }
        }
        Ending::OptedOut => {
            opt_outs::add(conn, &appt.phone_number, "twilio error 21610", None, now)?;
            Event::OptedOut
        }
    };
    move_appointment(conn, &appt, event, now)
}

/// Applies `event` to an appointment through the transition table; the change, if any.
pub fn move_appointment(
    conn: &Connection,
    appt: &appointments::Stored,
    event: Event<'_>,
    now: Stamp,
) -> Result<Option<(State, State)>> {
    appointments::transitions::apply(conn, appt, event, now)
}

/// A number opted out (STOP, ARRET, by hand): recorded in its history with `source` and the
/// `words` used, and every appointment of the number still waiting for contact stops.
pub fn opt_out(
    conn: &Connection,
    phone: &str,
    source: &str,
    words: Option<&str>,
    now: Stamp,
) -> Result<usize> {
    opt_outs::add(conn, phone, source, words, now)?;
    let mut moved = 0;
    for appt in waiting_for(conn, phone)? {
        if move_appointment(conn, &appt, Event::OptedOut, now)?.is_some() {
            moved += 1;
        }
    }
    Ok(moved)
}

/// What an opt-in changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptedIn {
    /// The number had been opted out (its latest event was an opt-out).
    pub lifted: bool,
    /// Upcoming appointments of the number whose contact resumed.
    pub resumed: usize,
}

/// START/UNSTOP (or by hand): the opt-out is lifted (the history keeps both) and contact
/// resumes where it stopped.
pub fn opt_in(
    conn: &Connection,
    rules: &OutcomeRules,
    phone: &str,
    source: &str,
    words: Option<&str>,
    now: Stamp,
) -> Result<OptedIn> {
    let lifted = opt_outs::remove(conn, phone, source, words, now)?;
    let mut resumed = 0;
    for appt in appointments::for_phone_in_states(conn, phone, &[State::OptedOut])? {
        if appt.at > now {
            let resume = schedule::resume_state(
                appt.touch_attempts,
                rules.max_attempts,
                appt.reached_before,
            );
            if move_appointment(conn, &appt, Event::OptedIn { resume }, now)?.is_some() {
                resumed += 1;
            }
        }
    }
    Ok(OptedIn { lifted, resumed })
}

fn waiting_for(conn: &Connection, phone: &str) -> Result<Vec<appointments::Stored>> {
    appointments::for_phone_in_states(
        conn,
        phone,
        &[
            State::Pending,
            State::InFlight,
            State::RetryWait,
            State::Failed,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db;

    const NOW: &str = "2026-11-25T00:00:00Z";

    fn now() -> Stamp {
        crate::clock::stored_at(NOW)
    }

    fn rules() -> OutcomeRules {
        OutcomeRules {
            max_attempts: 3,
            voicemail_counts_as_reached: true,
            touches: crate::domain::schedule::Touches::new(&[1]).unwrap(),
            sites: SiteTable::single(chrono_tz::America::Toronto),
        }
    }

    fn setup(channel: Channel) -> (Connection, i64) {
        let conn = db::open_memory();
        conn.execute_batch(&format!(
            "INSERT INTO imports (id, file_name, sha256, status, user_id, started_at)
                 VALUES (1, 'f.csv', 'x', 'completed', 'u', '{NOW}');
             INSERT INTO appointments (id, appointment_id, patient_id, phone_number, phone_preference,
                 text_preference, appt_date_time, channel, status, attempt_count, touch_days, touch_attempts,
                 import_id, created_at, updated_at)
                 VALUES (1, 'A1', 'P1', '+14165550101', 1, 0, '2026-11-25T15:00:00Z', '{}', 'in_flight', 1, 1, 1, 1, '{NOW}', '{NOW}');
             INSERT INTO appointment_logs (id, appointment_id, attempt, channel, sid, \"to\", \"from\", status, touch_days, created_at, updated_at)
                 VALUES (1, 1, 1, '{}', 'SID1', '+14165550101', '+14165550000', 'queued', 1, '{NOW}', '{NOW}');",
            channel.as_str(),
            channel.as_str()
        ))
        .unwrap();
        (conn, 1)
    }

    fn report(status: &str, seq: Option<i64>) -> StatusReport {
        StatusReport {
            sid: "SID1".into(),
            status: status.into(),
            sequence_number: seq,
            ..Default::default()
        }
    }

    fn state_of(conn: &Connection) -> (String, String, Option<String>) {
        conn.query_row(
            "SELECT a.status, l.status, a.success_at FROM appointments a JOIN appointment_logs l ON l.appointment_id = a.id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    }

    #[test]
    fn a_late_ringing_does_not_undo_completed() {
        let (conn, _) = setup(Channel::Call);
        let done = StatusReport {
            answered_by: Some("human".into()),
            duration: Some(23),
            ..report("completed", Some(3))
        };
        let applied = apply_status(&conn, &rules(), &done, false, now()).unwrap();
        assert_eq!(
            applied,
            Applied::Recorded {
                appointment: 1,
                moved: Some((State::InFlight, State::Reached))
            }
        );
        assert_eq!(
            apply_status(&conn, &rules(), &report("ringing", Some(1)), false, now()).unwrap(),
            Applied::Stale
        );
        assert_eq!(
            apply_status(&conn, &rules(), &done, false, now()).unwrap(),
            Applied::Stale
        );
        let (appt, log, success) = state_of(&conn);
        assert_eq!(
            (appt.as_str(), log.as_str(), success.as_deref()),
            ("reached", "completed", Some(NOW))
        );
    }

    #[test]
    fn a_failed_sms_with_30006_switches_to_call() {
        let (conn, _) = setup(Channel::Sms);
        let r = StatusReport {
            error_code: Some(30006),
            ..report("undelivered", None)
        };
        apply_status(&conn, &rules(), &r, false, now()).unwrap();
        let (appt, log, _) = state_of(&conn);
        assert_eq!((appt.as_str(), log.as_str()), ("retry_wait", "undelivered"));
        let ch: String = conn
            .query_row("SELECT channel FROM appointments", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ch, "call");
    }

    #[test]
    fn sent_becomes_final_only_when_reconciling() {
        let (conn, _) = setup(Channel::Sms);
        apply_status(&conn, &rules(), &report("sent", None), false, now()).unwrap();
        assert_eq!(state_of(&conn).0, "in_flight");
        apply_status(&conn, &rules(), &report("sent", None), true, now()).unwrap();
        assert_eq!(state_of(&conn).0, "reached");
    }

    #[test]
    fn unknown_sid() {
        let (conn, _) = setup(Channel::Call);
        let r = StatusReport {
            sid: "CAnope".into(),
            ..report("completed", None)
        };
        assert_eq!(
            apply_status(&conn, &rules(), &r, false, now()).unwrap(),
            Applied::UnknownSid
        );
    }

    #[test]
    fn last_attempt_failing_fails_the_appointment() {
        let (conn, _) = setup(Channel::Call);
        conn.execute(
            "UPDATE appointments SET attempt_count = 3, touch_attempts = 3",
            [],
        )
        .unwrap();
        conn.execute("UPDATE appointment_logs SET attempt = 3", [])
            .unwrap();
        apply_status(&conn, &rules(), &report("no-answer", Some(2)), false, now()).unwrap();
        assert_eq!(state_of(&conn).0, "failed");
    }

    #[test]
    fn opt_out_and_back_in() {
        let (conn, _) = setup(Channel::Sms);
        conn.execute("UPDATE appointments SET status = 'retry_wait'", [])
            .unwrap();
        assert_eq!(
            opt_out(&conn, "+14165550101", "reply", Some("STOP"), now()).unwrap(),
            1
        );
        assert!(opt_outs::contains(&conn, "+14165550101").unwrap());
        assert_eq!(state_of(&conn).0, "opted_out");
        assert_eq!(
            opt_in(
                &conn,
                &rules(),
                "+14165550101",
                "reply",
                Some("START"),
                now()
            )
            .unwrap(),
            OptedIn {
                lifted: true,
                resumed: 1
            }
        );
        assert_eq!(state_of(&conn).0, "retry_wait");
    }
}
