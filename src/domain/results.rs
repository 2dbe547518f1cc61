//! The results file for the clinic's system (docs/operations.md, "The results file"): one row per
//! appointment of a local day, and the rules that turn its attempts into words — how many touches
//! were begun ("1 of 2") and why the patient was not reached ("no answer ×2, busy"). The facts come
//! in as plain records; `db::results` reads them and `outbox` writes the file.

use std::borrow::Cow;
use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;

use crate::clock::local_display;
use crate::domain::channel::Channel;
use crate::domain::contact_kind::ContactKind;
use crate::domain::outcome::{self, Ending};
use crate::domain::schedule::Touches;
use crate::domain::state::State;
use crate::domain::twilio_errors;

/// The file's columns, in order.
pub const HEADER: [&str; 15] = [
    "appointment_id",
    "patient_id",
    "site",
    "appt_date_time",
    "state",
    "withdrawn_reason",
    "channel",
    "touches",
    "attempts",
    "reached_at",
    "confirmed_at",
    "cancel_requested_at",
    "last_reply",
    "reason",
    "follow_ups",
];

/// An appointment as the results file needs it; times are stored UTC RFC 3339.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Appointment {
    /// The database's id: orders the appointments at one time as they were stored.
    pub id: i64,
    pub appointment_id: String,
    pub patient_id: String,
    pub site: String,
    pub at: String,
    pub state: String,
    pub withdrawn_reason: Option<String>,
    pub channel: String,
    pub attempt_count: i64,
    pub reached_at: Option<String>,
    pub confirmed_at: Option<String>,
    pub cancel_requested_at: Option<String>,
    pub last_reply: Option<String>,
    /// The reason of a hold since its last attempt (docs/behaviour.md, "Holds").
    pub held: Option<String>,
}

/// One attempt (a row of `appointment_logs`), oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attempt {
    pub channel: String,
    /// Twilio's own word, or ours before Twilio answered (`dispatching`, `not-sent`).
    pub status: String,
    pub answered_by: Option<String>,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    /// The touch (its `days_before`) it belongs to.
    pub touch_days: Option<u32>,
    /// `None` for a reminder attempt; else the follow-up it was (`ContactKind::stored`).
    pub kind: Option<String>,
}

impl Attempt {
    /// An attempt that never reached Twilio did not happen (`dispatch::unsent::undo`).
    fn happened(&self) -> bool {
        self.status != "not-sent"
    }

    /// One of the schedule's attempts (not a follow-up message).
    fn is_reminder(&self) -> bool {
        self.kind.is_none()
    }
}

/// What decides whether an attempt reached the patient, and which touch it belonged to.
#[derive(Clone, Copy, Debug)]
pub struct ReachRules<'a> {
    pub touches: &'a Touches,
    pub voicemail_counts_as_reached: bool,
}

/// The row for `a`, its cells in `HEADER` order (not yet made spreadsheet-safe: the writer does
/// that to every cell), times in `tz` (the site's zone). Cells that are `a`'s own text are
/// borrowed: a day's file is a million of them.
pub fn row<'a>(
    a: &'a Appointment,
    attempts: &[Attempt],
    rules: ReachRules<'_>,
    tz: Tz,
) -> Vec<Cow<'a, str>> {
    let local = |t: &Option<String>| {
        Cow::Owned(
            t.as_deref()
                .map(|t| local_display(t, tz))
                .unwrap_or_default(),
        )
    };
    let text = |t: &'a Option<String>| Cow::Borrowed(t.as_deref().unwrap_or_default());
    vec![
        Cow::Borrowed(a.appointment_id.as_str()),
        Cow::Borrowed(a.patient_id.as_str()),
        Cow::Borrowed(a.site.as_str()),
        Cow::Owned(local_display(&a.at, tz)),
        Cow::Borrowed(a.state.as_str()),
        text(&a.withdrawn_reason),
        Cow::Borrowed(a.channel.as_str()),
        Cow::Owned(touches(attempts, rules.touches)),
        Cow::Owned(a.attempt_count.to_string()),
        local(&a.reached_at),
        local(&a.confirmed_at),
        local(&a.cancel_requested_at),
        text(&a.last_reply),
        Cow::Owned(reason(a, attempts, rules.voicemail_counts_as_reached)),
        Cow::Owned(follow_ups(attempts)),
    ]
}

/// The messages that followed the reminder, each with Twilio's last word on it: "text after a
/// voicemail: delivered". Offers of the slot the appointment freed went to other patients: they
/// are the backfill file's, not this patient's follow-ups.
pub fn follow_ups(attempts: &[Attempt]) -> String {
    attempts
        .iter()
        .filter(|t| t.happened())
        .filter_map(|t| {
            let kind = ContactKind::from_stored(t.kind.as_deref())?;
            (!matches!(kind, ContactKind::Reminder | ContactKind::Offer))
                .then(|| format!("{}: {}", kind.describe(), t.status))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// "1 of 2": how many touches were begun (the distinct touches of the attempts that happened)
/// of how many the schedule has.
pub fn touches(attempts: &[Attempt], schedule: &Touches) -> String {
    let begun: BTreeSet<Option<u32>> = attempts
        .iter()
        .filter(|t| t.happened() && t.is_reminder())
        .map(|t| t.touch_days)
        .collect();
    format!("{} of {}", begun.len(), schedule.entries().len())
}

/// Why the patient was not reached, in words: each failed attempt's reason, repeats counted
/// ("no answer ×2, busy", in the order they first happened), then what ended the schedule when
/// that is not said already (expired, opted out). Empty when the patient was reached.
pub fn reason(a: &Appointment, attempts: &[Attempt], voicemail_counts: bool) -> String {
    let state = State::parse(&a.state);
    if a.reached_at.is_some() || state.is_some_and(State::is_reached) {
        return String::new();
    }
    let made = attempts
        .iter()
        .filter(|t| t.happened() && t.is_reminder())
        .count();
    let mut words: Vec<(String, usize)> = Vec::new();
    for w in attempts.iter().filter_map(|t| failure(t, voicemail_counts)) {
        match words.iter_mut().find(|(seen, _)| *seen == w) {
            Some((_, n)) => *n += 1,
            None => words.push((w, 1)),
        }
    }
    let mut out = words
        .iter()
        .map(|(w, n)| match n {
            1 => w.clone(),
            n => format!("{w} ×{n}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let said_opt_out = attempts.iter().any(|t| t.error_code == Some(21610));
    if let Some(held) = &a.held {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(held);
    }
    let ending = match state {
        // The hold says why nothing was sent yet.
        Some(State::Pending) if a.held.is_some() => None,
        Some(State::Expired) if made == 0 => Some("expired before any attempt"),
        Some(State::Expired) => Some("expired before the next attempt"),
        Some(State::OptedOut) if !said_opt_out => Some("the number opted out of reminders"),
        Some(State::Pending) if made == 0 && a.channel == Channel::None.as_str() => {
            Some("no channel: neither preference is yes and the default channel is none")
        }
        Some(State::Pending) if made == 0 => Some("not contacted yet"),
        _ => None,
    };
    if let Some(e) = ending {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(e);
    }
    out
}

/// What one attempt says about why the patient was not reached, or `None` when it reached them
/// or never happened.
pub fn failure(t: &Attempt, voicemail_counts: bool) -> Option<String> {
    if !t.happened() || !t.is_reminder() {
        return None;
    }
    let channel = Channel::parse(&t.channel).unwrap_or(Channel::Call);
    let status = t.status.as_str();
    // A text left at `sent` reached the patient: carriers without receipts stop there.
    let settled =
        outcome::is_final(channel, status) || (channel == Channel::Sms && status == "sent");
    if !settled {
        return Some("outcome not known yet".to_string());
    }
    let ending = match channel {
        Channel::Call => outcome::call_ending(status, t.answered_by.as_deref(), voicemail_counts),
        _ => outcome::sms_ending(status, t.error_code),
    };
    if ending == Ending::Reached {
        return None;
    }
    if let Some(code) = t.error_code {
        return Some(twilio_errors::describe(code));
    }
    let words = match (channel, status) {
        (Channel::Call, "no-answer") => "no answer",
        (Channel::Call, "busy") => "busy",
        (Channel::Call, "completed") => match t.answered_by.as_deref() {
            Some("fax") => "a fax machine answered",
            _ => "voicemail (not counted as reached)",
        },
        (Channel::Call, "canceled") => "call canceled",
        (Channel::Sms, "undelivered") => "text not delivered",
        (Channel::Sms, "canceled") => "text canceled",
        // Our own reason for an attempt that could not even be built (a message over Twilio's
        // limits); masked in case it quotes a number.
        (_, "failed") => match t.error_message.as_deref().filter(|m| !m.trim().is_empty()) {
            Some(m) => return Some(crate::mask::phones_in(m.trim())),
            None if channel == Channel::Call => "call failed",
            None => "text failed",
        },
        _ => status,
    };
    Some(words.to_string())
}

/// The days a dispatching run rewrites: every local day from each site's today up to the last
/// one a touch can be due (`largest` days ahead), and the days of the appointments it contacted.
pub fn days_after_run(
    todays: &[NaiveDate],
    largest: u32,
    contacted: &[NaiveDate],
) -> BTreeSet<NaiveDate> {
    let mut days: BTreeSet<NaiveDate> = contacted.iter().copied().collect();
    for &today in todays {
        for ahead in 0..=i64::from(largest) {
            days.insert(today + Duration::days(ahead));
        }
    }
    days
}

/// The file's name: `results-YYYY-MM-DD.csv`, or `results-SITE-YYYY-MM-DD.csv` for one site. A
/// site's name is a key of the configuration: anything but letters, digits, `-` and `_` becomes
/// `_`, so the name can never leave the folder.
pub fn file_name(site: Option<&str>, day: NaiveDate) -> String {
    outbox_name("results", site, day)
}

/// `{kind}-YYYY-MM-DD.csv`, or `{kind}-SITE-YYYY-MM-DD.csv` for one site, the site's name made
/// safe as [`file_name`] says: the outbox's files (results, backfill) are all named so.
pub fn outbox_name(kind: &str, site: Option<&str>, day: NaiveDate) -> String {
    match site {
        None => format!("{kind}-{day}.csv"),
        Some(s) => {
            let safe: String = s
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("{kind}-{safe}-{day}.csv")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(status: &str) -> Attempt {
        Attempt {
            channel: "call".into(),
            status: status.into(),
            touch_days: Some(1),
            ..Attempt::default()
        }
    }

    fn sms(status: &str, code: Option<i64>) -> Attempt {
        Attempt {
            channel: "sms".into(),
            status: status.into(),
            error_code: code,
            touch_days: Some(1),
            ..Attempt::default()
        }
    }

    fn in_state(state: &str) -> Appointment {
        Appointment {
            state: state.into(),
            channel: "call".into(),
            ..Appointment::default()
        }
    }

    fn machine(answered_by: &str) -> Attempt {
        Attempt {
            answered_by: Some(answered_by.into()),
            ..call("completed")
        }
    }

    #[test]
    fn each_attempt_in_words() {
        let refused = |code| Attempt {
            error_code: Some(code),
            error_message: Some("The 'To' number +14165550112 is not valid".into()),
            ..call("failed")
        };
        let ours = Attempt {
            error_message: Some("a text over 10 segments for +14165550199".into()),
            ..sms("failed", None)
        };
        let cases: Vec<(Attempt, bool, Option<&str>)> = vec![
            (call("no-answer"), true, Some("no answer")),
            (call("busy"), true, Some("busy")),
            (call("failed"), true, Some("call failed")),
            (call("canceled"), true, Some("call canceled")),
            (call("completed"), true, None),
            (machine("human"), false, None),
            (machine("machine_end_beep"), true, None),
            (
                machine("machine_end_beep"),
                false,
                Some("voicemail (not counted as reached)"),
            ),
            (machine("fax"), true, Some("a fax machine answered")),
            (call("ringing"), true, Some("outcome not known yet")),
            (call("dispatching"), true, Some("outcome not known yet")),
            (call("not-sent"), true, None),
            (refused(21211), true, Some("21211 not a valid phone number")),
            (
                refused(21610),
                true,
                Some("21610 the patient replied STOP: unsubscribed"),
            ),
            (refused(99999), true, Some("99999 (unknown Twilio error)")),
            (sms("delivered", None), true, None),
            (sms("read", None), true, None),
            (sms("sent", None), true, None),
            (sms("queued", None), true, Some("outcome not known yet")),
            (
                sms("undelivered", Some(30006)),
                true,
                Some("30006 landline or unreachable carrier"),
            ),
            (
                sms("failed", Some(21614)),
                true,
                Some("21614 not a mobile number: cannot take texts"),
            ),
            (sms("undelivered", None), true, Some("text not delivered")),
            (sms("failed", None), true, Some("text failed")),
            (sms("canceled", None), true, Some("text canceled")),
            (ours, true, Some("a text over 10 segments for +1416***0199")),
        ];
        for (attempt, voicemail_counts, want) in cases {
            assert_eq!(
                failure(&attempt, voicemail_counts).as_deref(),
                want,
                "{attempt:?} voicemail counts: {voicemail_counts}"
            );
        }
    }

    #[test]
    fn reasons_count_repeats_in_the_order_they_happened() {
        let cases: Vec<(&str, Vec<Attempt>, &str)> = vec![
            (
                "failed",
                vec![call("no-answer"), call("no-answer"), call("no-answer")],
                "no answer ×3",
            ),
            (
                "failed",
                vec![call("no-answer"), call("busy"), call("no-answer")],
                "no answer ×2, busy",
            ),
            ("retry_wait", vec![call("busy")], "busy"),
            (
                "failed",
                vec![Attempt {
                    error_code: Some(21211),
                    ..call("failed")
                }],
                "21211 not a valid phone number",
            ),
            (
                "expired",
                vec![call("no-answer"), call("no-answer")],
                "no answer ×2; expired before the next attempt",
            ),
            ("expired", vec![], "expired before any attempt"),
            (
                "expired",
                vec![call("not-sent")],
                "expired before any attempt",
            ),
            (
                "opted_out",
                vec![Attempt {
                    error_code: Some(21610),
                    ..sms("failed", None)
                }],
                "21610 the patient replied STOP: unsubscribed",
            ),
            ("opted_out", vec![], "the number opted out of reminders"),
            (
                "opted_out",
                vec![call("no-answer")],
                "no answer; the number opted out of reminders",
            ),
            ("pending", vec![], "not contacted yet"),
            ("pending", vec![call("not-sent")], "not contacted yet"),
            (
                "in_flight",
                vec![call("busy"), call("ringing")],
                "busy, outcome not known yet",
            ),
            ("withdrawn", vec![], ""),
            ("withdrawn", vec![call("busy")], "busy"),
            // Reached: nothing to explain, whatever failed on the way.
            ("reached", vec![call("no-answer"), call("completed")], ""),
            ("confirmed", vec![sms("delivered", None)], ""),
            ("cancel_requested", vec![call("busy")], ""),
        ];
        for (state, attempts, want) in cases {
            assert_eq!(
                reason(&in_state(state), &attempts, true),
                want,
                "{state} {attempts:?}"
            );
        }
        let texts_then_voicemail = [sms("undelivered", Some(30006)), machine("machine_start")];
        assert_eq!(
            reason(&in_state("retry_wait"), &texts_then_voicemail, false),
            "30006 landline or unreachable carrier, voicemail (not counted as reached)"
        );
        assert_eq!(
            reason(&in_state("reached"), &texts_then_voicemail, true),
            ""
        );
        // Reached at an earlier touch, not at this one: still reached.
        let reached_before = Appointment {
            reached_at: Some("2026-11-22T00:10:00Z".into()),
            ..in_state("retry_wait")
        };
        assert_eq!(reason(&reached_before, &[call("no-answer")], true), "");
        let nobody = Appointment {
            channel: "none".into(),
            ..in_state("pending")
        };
        assert_eq!(
            reason(&nobody, &[], true),
            "no channel: neither preference is yes and the default channel is none"
        );
    }

    #[test]
    fn touches_begun_of_the_schedule() {
        let two = Touches::new(&[3, 1]).unwrap();
        let one = Touches::new(&[1]).unwrap();
        let at = |touch: Option<u32>, status: &str| Attempt {
            touch_days: touch,
            ..call(status)
        };
        let cases: Vec<(&Touches, Vec<Attempt>, &str)> = vec![
            (&two, vec![], "0 of 2"),
            (&two, vec![at(Some(3), "busy")], "1 of 2"),
            (
                &two,
                vec![
                    at(Some(3), "busy"),
                    at(Some(3), "no-answer"),
                    at(Some(1), "completed"),
                ],
                "2 of 2",
            ),
            // A late import skips the earlier touch: one begun.
            (&two, vec![at(Some(1), "completed")], "1 of 2"),
            // An attempt that never went out begins nothing.
            (&two, vec![at(Some(3), "not-sent")], "0 of 2"),
            (&one, vec![at(Some(1), "no-answer"); 3], "1 of 1"),
            // Attempts from before touches were recorded count as one.
            (&one, vec![at(None, "busy"), at(None, "busy")], "1 of 1"),
        ];
        for (schedule, attempts, want) in cases {
            assert_eq!(touches(&attempts, schedule), want, "{attempts:?}");
        }
    }

    #[test]
    fn a_row_in_the_sites_zone() {
        let a = Appointment {
            appointment_id: "A1".into(),
            patient_id: "P1".into(),
            site: "bloor".into(),
            at: "2026-11-25T14:30:00Z".into(),
            state: "confirmed".into(),
            channel: "sms".into(),
            attempt_count: 1,
            reached_at: Some("2026-11-25T00:00:05Z".into()),
            confirmed_at: Some("2026-11-25T00:01:00Z".into()),
            last_reply: Some("Oui!".into()),
            ..Appointment::default()
        };
        let schedule = Touches::new(&[1]).unwrap();
        let rules = ReachRules {
            touches: &schedule,
            voicemail_counts_as_reached: true,
        };
        let got = row(
            &a,
            &[sms("delivered", None)],
            rules,
            chrono_tz::America::Vancouver,
        );
        assert_eq!(
            got,
            [
                "A1",
                "P1",
                "bloor",
                "2026-11-25 06:30",
                "confirmed",
                "",
                "sms",
                "1 of 1",
                "1",
                "2026-11-24 16:00",
                "2026-11-24 16:01",
                "",
                "Oui!",
                "",
                ""
            ]
        );
        assert_eq!(got.len(), HEADER.len());
    }

    #[test]
    fn days_a_run_rewrites() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let got = days_after_run(&[d("2026-11-24")], 1, &[d("2026-11-25"), d("2026-11-20")]);
        assert_eq!(
            got.into_iter().collect::<Vec<_>>(),
            [d("2026-11-20"), d("2026-11-24"), d("2026-11-25")]
        );
        // Two sites a day apart (one past midnight already), touches three days out.
        let got = days_after_run(&[d("2026-11-24"), d("2026-11-25")], 3, &[]);
        assert_eq!(got.len(), 5);
        assert_eq!(got.first(), Some(&d("2026-11-24")));
        assert_eq!(got.last(), Some(&d("2026-11-28")));
    }

    #[test]
    fn file_names_stay_in_their_folder() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(file_name(None, day), "results-2026-11-25.csv");
        assert_eq!(
            file_name(Some("bloor-west_2"), day),
            "results-bloor-west_2-2026-11-25.csv"
        );
        assert_eq!(
            file_name(Some("../etc/x y"), day),
            "results-___etc_x_y-2026-11-25.csv"
        );
        assert_eq!(
            outbox_name("backfill", Some("bloor west"), day),
            "backfill-bloor_west-2026-11-25.csv"
        );
    }

    #[test]
    fn offers_of_the_freed_slot_are_not_this_patients_touches_failures_or_follow_ups() {
        let offer = |status: &str| Attempt {
            kind: Some("offer".into()),
            touch_days: None,
            ..sms(status, Some(30006))
        };
        let attempts = [
            call("no-answer"),
            offer("undelivered"),
            offer("delivered"),
            Attempt {
                kind: Some("voicemail_text".into()),
                ..sms("delivered", None)
            },
        ];
        let schedule = Touches::new(&[1]).unwrap();
        assert_eq!(touches(&attempts, &schedule), "1 of 1");
        assert_eq!(reason(&in_state("failed"), &attempts, false), "no answer");
        assert_eq!(follow_ups(&attempts), "text after a voicemail: delivered");
    }
}
