//! What needs a person (docs/status.md, "What needs a person"): the facts come in as plain records,
//! the items go out as data, each saying what to do; `cmd/status` does the reading and the
//! printing. An empty list means nothing is wrong: `status --check` is silent and exits 0.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::clock::Stamp;
use crate::domain::channel::Channel;
use crate::domain::run_job::RunJob;
use crate::domain::run_outcome::RunOutcome;
use crate::domain::state::State;
use crate::domain::twilio_errors;

/// One thing a person should look at, and what to do about it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Item {
    /// `failed`, `cancel_requested`, `opted_out`, `opted_out_after_reminder`,
    /// `expired_untried`, `import_failed`, `import_rejected_rows`, `export_missing`,
    /// `file_not_imported`, `run_error`, `run_interrupted`, `run_died`,
    /// `run_unresolved`, `run_stopped`, `run_capacity`, `callbacks_missing`, `free_text_reply`,
    /// `number_invalid`, `text_preference`, `window_missed`, `window_late`, `run_refused`,
    /// `slot_to_book`.
    pub kind: &'static str,
    /// What it is about: an appointment, `import #N`, `<kind> run #N`, a number.
    pub subject: String,
    /// When it happened or is for (UTC RFC 3339).
    pub at: String,
    /// What happened and what to do.
    pub detail: String,
}

/// An appointment of the day.
pub struct Appointment<'a> {
    pub appointment_id: &'a str,
    pub patient_id: &'a str,
    pub at: Stamp,
    pub state: State,
    pub attempts: i64,
    pub channel: Channel,
}

pub struct Import<'a> {
    pub id: i64,
    pub file_name: &'a str,
    pub failed: bool,
    pub rejected_rows: i64,
    pub started_at: Stamp,
    pub error: Option<&'a str>,
}

pub struct Run<'a> {
    pub id: i64,
    pub kind: RunJob,
    pub started_at: Stamp,
    /// `None` while it is going.
    pub outcome: Option<RunOutcome>,
    pub error: Option<&'a str>,
    pub left_for_next: i64,
    pub unresolved: i64,
    /// The fit check's warning.
    pub note: Option<&'a str>,
    /// Contacts Twilio took during the run.
    pub dispatched: i64,
}

/// A reply no word matched.
pub struct FreeText<'a> {
    pub phone_masked: String,
    pub body: &'a str,
    pub appointment_id: Option<&'a str>,
    pub received_at: Stamp,
}

/// An attempt Twilio refused because of the number.
pub struct BadNumber<'a> {
    pub appointment_id: &'a str,
    pub patient_id: &'a str,
    pub phone_masked: String,
    pub code: i64,
    pub at: Stamp,
    /// A later attempt (a call, after a text Twilio could not deliver) reached the patient:
    /// the number is right; only the text preference is not.
    pub reached_later: bool,
    /// The number is a waiting patient's, refused for an offer of a freed slot.
    pub waitlist: bool,
}

/// An appointment whose reminder reached the patient, whose number then opted out (and still
/// is): this appointment ended well, but the patient gets no more reminders.
pub struct LateOptOut<'a> {
    pub appointment_id: &'a str,
    pub patient_id: &'a str,
    pub at: Stamp,
    pub phone_masked: String,
    /// How it came (`reply`, `by hand`) and the words used.
    pub source: &'a str,
    pub words: Option<&'a str>,
}

/// A window of the day (`reminders run`) that did not run, or ran late.
pub struct WindowNote {
    /// `the 19:00 send` (`… at bloor` with several sites).
    pub name: String,
    /// When it opened (UTC RFC 3339).
    pub opens: Stamp,
    /// When it ran, local `HH:MM`, and how many minutes late; `None`: it did not run.
    pub late: Option<(String, i64)>,
}

/// Attempts over 30 minutes old with a SID, and whether any callback reached us for them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silence<'a> {
    /// With no callback at all.
    pub silent: i64,
    /// ... whose outcome is still unknown (not fetched by `reconcile` or `retry` either).
    pub silent_open: i64,
    /// With a callback.
    pub heard: i64,
    pub oldest: Option<&'a str>,
}

impl Silence<'_> {
    /// How many to report. When callbacks arrive for other attempts, a lost one is Twilio's
    /// hiccup, and it stops mattering once `reconcile` (or `retry`) fetched its outcome. When
    /// none arrives at all, the listener or the proxy in front of it is not reached: every
    /// silent attempt says so, fetched or not.
    pub fn to_report(&self) -> i64 {
        if self.heard == 0 {
            self.silent
        } else {
            self.silent_open
        }
    }
}

/// A file in the drop folder that no import takes: not named `*.csv`.
pub struct NotCsv<'a> {
    /// As the operator finds it (`csv/appointments.txt`).
    pub path: &'a str,
    pub modified_at: &'a str,
}

/// A freed slot a waiting patient took, whose booking the clinic has not made yet.
pub struct TakenSlot<'a> {
    pub taker_patient_id: &'a str,
    /// The slot's start, and as the clinic reads it (`2026-11-25 09:30`).
    pub at: Stamp,
    pub local: String,
    /// The site's key (`""` with no sites).
    pub site: &'a str,
    /// The booking the taker moves from, to release.
    pub moves_from: Option<&'a str>,
}

/// What to do for a taken slot: "book P123 into 2026-11-25 09:30 (bloor), release A2044".
pub fn book_taker(s: &TakenSlot<'_>) -> String {
    let mut out = format!("book {} into {}", s.taker_patient_id, s.local);
    if !s.site.is_empty() {
        out.push_str(&format!(" ({})", s.site));
    }
    if let Some(from) = s.moves_from.map(str::trim).filter(|m| !m.is_empty()) {
        out.push_str(&format!(", release {from}"));
    }
    out
}

/// What is said of a file in the drop folder that is not imported, by `import` (a warning) and
/// by `--check`.
pub fn not_a_csv(path: &str) -> String {
    format!("{path} is not a .csv file: not imported; rename it to .csv if it is the export")
}

/// Everything that decides, for one day.
pub struct DayFacts<'a> {
    pub now: DateTime<Utc>,
    pub appointments: &'a [Appointment<'a>],
    pub imports: &'a [Import<'a>],
    pub runs: &'a [Run<'a>],
    /// When the latest import (of any file) started, and whether an export is expected today.
    pub last_import: Option<DateTime<Utc>>,
    pub export_expected_today: bool,
    /// Attempts over 30 minutes old with a SID and no callback at all.
    pub silence: Silence<'a>,
    pub free_text: &'a [FreeText<'a>],
    pub bad_numbers: &'a [BadNumber<'a>],
    pub late_opt_outs: &'a [LateOptOut<'a>],
    pub windows: &'a [WindowNote],
    /// The start of today in the clinic's zone: an import's rejected rows are news on the day
    /// of that import, not every evening and morning after.
    pub day_start: Stamp,
    /// Files in the drop folder now that no import takes.
    pub not_csv: &'a [NotCsv<'a>],
    /// Freed slots taken by a waiting patient and not yet booked, whatever their day.
    pub taken_slots: &'a [TakenSlot<'a>],
}

/// An export is expected at least this often (the evening's file, with a few hours' slack).
pub const EXPORT_EVERY_HOURS: i64 = 26;

pub fn items(f: &DayFacts<'_>) -> Vec<Item> {
    let mut out = Vec::new();
    export_missing(f, &mut out);
    for w in f.windows {
        let (kind, detail) = match &w.late {
            None => (
                "window_missed",
                format!(
                    "{} did not run: check that cron runs `reminders run` every 5 minutes as the data folder's owner, then `reminders check`",
                    w.name
                ),
            ),
            Some((at, minutes)) => (
                "window_late",
                format!(
                    "{} ran at {at}, {minutes} minutes late: check that cron runs `reminders run` every 5 minutes and that the server was up",
                    w.name
                ),
            ),
        };
        out.push(Item {
            kind,
            subject: w.name.clone(),
            at: w.opens.to_string(),
            detail,
        });
    }
    for n in f.not_csv {
        out.push(Item {
            kind: "file_not_imported",
            subject: n.path.to_string(),
            at: n.modified_at.to_string(),
            detail: format!("{} (or move it out of the drop folder)", not_a_csv(n.path)),
        });
    }
    for a in f.appointments {
        let (kind, detail) = match a.state {
            State::Failed => (
                "failed",
                format!(
                    "not reached after {} attempt(s) by {}: tell the patient another way",
                    a.attempts,
                    a.channel.as_str()
                ),
            ),
            State::CancelRequested => (
                "cancel_requested",
                "the patient asked to cancel or reschedule: call them and free the slot".to_string(),
            ),
            State::OptedOut => (
                "opted_out",
                "the number opted out of reminders: not contacted; remind the patient another way"
                    .to_string(),
            ),
            State::Expired if a.attempts == 0 => (
                "expired_untried",
                "the appointment passed without a single attempt (imported late, or no window ran in time): check the cron lines and the export's timing".to_string(),
            ),
            _ => continue,
        };
        out.push(Item {
            kind,
            subject: format!(
                "appointment {} (patient {})",
                a.appointment_id, a.patient_id
            ),
            at: a.at.to_string(),
            detail,
        });
    }
    for s in f.taken_slots {
        // Booked by the clinic (a later export listed the taker there) or passed: nothing to do.
        if s.at.instant() <= f.now {
            continue;
        }
        out.push(Item {
            kind: "slot_to_book",
            subject: format!("patient {} (freed slot)", s.taker_patient_id),
            at: s.at.to_string(),
            detail: format!("took a freed slot from the waitlist: {}", book_taker(s)),
        });
    }
    for o in f.late_opt_outs {
        let said = match o.words.map(str::trim).filter(|w| !w.is_empty()) {
            Some(w) => format!("{} \"{w}\"", o.source),
            None => o.source.to_string(),
        };
        out.push(Item {
            kind: "opted_out_after_reminder",
            subject: format!(
                "appointment {} (patient {})",
                o.appointment_id, o.patient_id
            ),
            at: o.at.to_string(),
            detail: format!(
                "the reminder reached the patient, then {} opted out ({said}): the patient asked for no more reminders; remind them another way of this and later appointments",
                o.phone_masked
            ),
        });
    }
    for i in f.imports {
        if i.failed {
            out.push(Item {
                kind: "import_failed",
                subject: format!("import #{}", i.id),
                at: i.started_at.to_string(),
                detail: format!(
                    "{} could not be imported: {} — fix the export or [csv.columns], then `reminders import --force FILE`",
                    i.file_name,
                    i.error.unwrap_or("no reason recorded")
                ),
            });
        } else if i.rejected_rows > 0 && i.started_at >= f.day_start {
            out.push(Item {
                kind: "import_rejected_rows",
                subject: format!("import #{}", i.id),
                at: i.started_at.to_string(),
                detail: format!(
                    "{}: {} row(s) rejected; see `reminders status failed-rows --import {}`",
                    i.file_name, i.rejected_rows, i.id
                ),
            });
        }
    }
    for r in f.runs {
        run_items(r, &mut out);
    }
    let silent = f.silence.to_report();
    if silent > 0 {
        out.push(Item {
            kind: "callbacks_missing",
            subject: format!("{silent} attempt(s)"),
            at: f.silence.oldest.unwrap_or_default().to_string(),
            detail: "Twilio's status callbacks have not arrived for over 30 minutes (outcomes only `reconcile` can fetch): check REMINDERS_PUBLIC_URL and the proxy, and that `serve-webhook` is running".to_string(),
        });
    }
    for t in f.free_text {
        out.push(Item {
            kind: "free_text_reply",
            subject: match t.appointment_id {
                Some(a) => format!("{} about appointment {a}", t.phone_masked),
                None => t.phone_masked.clone(),
            },
            at: t.received_at.to_string(),
            detail: format!(
                "the patient wrote: \"{}\" — read it and answer them",
                t.body.trim()
            ),
        });
    }
    for b in f.bad_numbers {
        if b.reached_later {
            out.push(Item {
                kind: "text_preference",
                subject: format!(
                    "appointment {} (patient {})",
                    b.appointment_id, b.patient_id
                ),
                at: b.at.to_string(),
                detail: format!(
                    "Twilio could not text {} ({}), and a call then reached the patient: set the patient's text preference to no in the clinic's system",
                    b.phone_masked,
                    twilio_errors::describe(b.code)
                ),
            });
            continue;
        }
        let (subject, place) = if b.waitlist {
            (
                format!("waiting patient {}", b.patient_id),
                "on the clinic's waitlist",
            )
        } else {
            (
                format!(
                    "appointment {} (patient {})",
                    b.appointment_id, b.patient_id
                ),
                "in the clinic's system",
            )
        };
        out.push(Item {
            kind: "number_invalid",
            subject,
            at: b.at.to_string(),
            detail: format!(
                "Twilio: {} for {}: fix the number {place}",
                twilio_errors::describe(b.code),
                b.phone_masked
            ),
        });
    }
    out
}

fn export_missing(f: &DayFacts<'_>, out: &mut Vec<Item>) {
    if !f.export_expected_today {
        return;
    }
    let stale = f
        .last_import
        .is_none_or(|t| f.now - t > Duration::hours(EXPORT_EVERY_HOURS));
    if stale {
        out.push(Item {
            kind: "export_missing",
            subject: "the clinic's export".into(),
            at: f.last_import.map(crate::clock::db_time).unwrap_or_default(),
            detail: format!(
                "nothing was imported in the last {EXPORT_EVERY_HOURS} hours{}: check that the clinic's system exported the file into the drop folder and that cron runs `reminders import` in the right folder",
                f.last_import
                    .map(|t| format!(" (last import {})", crate::clock::db_time(t)))
                    .unwrap_or_else(|| " (never)".into())
            ),
        });
    }
}

fn run_items(r: &Run<'_>, out: &mut Vec<Item>) {
    let subject = format!("{} run #{}", r.kind, r.id);
    let at = r.started_at.to_string();
    let mut push = |kind, detail: String| {
        out.push(Item {
            kind,
            subject: subject.clone(),
            at: at.clone(),
            detail,
        })
    };
    match r.outcome {
        Some(RunOutcome::Refused) => push(
            "run_refused",
            format!(
                "the {} was refused before it contacted anyone: {} — fix the configuration, then `reminders check`",
                r.kind,
                r.error.unwrap_or("no reason recorded")
            ),
        ),
        Some(RunOutcome::Died) => push(
            "run_died",
            format!(
                "the {} run died before it finished (killed, crashed or the machine stopped) after Twilio had taken {} contact(s): the next run checked or checks each with Twilio, so nobody is contacted twice; run `reminders retry` if no window is coming",
                r.kind, r.dispatched
            ),
        ),
        Some(RunOutcome::Interrupted) => push(
            "run_interrupted",
            format!(
                "the run was interrupted before it finished ({}){}: the next run checks its contacts with Twilio; run `reminders retry` if no window is coming",
                r.error.unwrap_or("no reason recorded"),
                left(r.left_for_next),
            ),
        ),
        Some(RunOutcome::StoppedAtContactHours) => push(
            "run_stopped",
            format!(
                "contact hours ended during the run{}: they are contacted at the next window (check the run starts early enough, or the rates)",
                left(r.left_for_next)
            ),
        ),
        _ => {
            if let Some(e) = r.error {
                push("run_error", e.to_string());
            }
        }
    }
    if r.unresolved > 0 {
        push(
            "run_unresolved",
            format!(
                "{} contact(s) got no clear answer from Twilio: the next `retry` or `reconcile` asks Twilio before anyone is contacted again",
                r.unresolved
            ),
        );
    }
    if let Some(note) = r.note {
        push("run_capacity", note.to_string());
    }
}

fn left(n: i64) -> String {
    if n > 0 {
        format!("; {n} contact(s) left for the next window")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{parse_db_time, stored_at};

    fn appt(id: &str, state: State, attempts: i64) -> Appointment<'_> {
        Appointment {
            appointment_id: id,
            patient_id: "P1",
            at: stored_at("2026-11-25T14:30:00Z"),
            state,
            attempts,
            channel: Channel::Call,
        }
    }

    fn run<'a>(id: i64, outcome: Option<&'a str>, error: Option<&'a str>) -> Run<'a> {
        Run {
            id,
            kind: RunJob::Send,
            started_at: stored_at("2026-11-25T00:00:00Z"),
            outcome: outcome.map(|o| RunOutcome::parse(o).expect("a run outcome")),
            error,
            left_for_next: 0,
            unresolved: 0,
            note: None,
            dispatched: 0,
        }
    }

    fn facts<'a>(
        appointments: &'a [Appointment<'a>],
        imports: &'a [Import<'a>],
        runs: &'a [Run<'a>],
    ) -> DayFacts<'a> {
        DayFacts {
            now: parse_db_time("2026-11-25T01:00:00Z").unwrap(),
            appointments,
            imports,
            runs,
            last_import: parse_db_time("2026-11-25T00:00:00Z"),
            export_expected_today: true,
            silence: Silence::default(),
            free_text: &[],
            bad_numbers: &[],
            late_opt_outs: &[],
            windows: &[],
            day_start: stored_at("2026-11-24T05:00:00Z"),
            not_csv: &[],
            taken_slots: &[],
        }
    }

    #[test]
    fn a_taken_slot_asks_for_its_booking_until_its_time() {
        let slot = |at, site, moves_from| TakenSlot {
            taker_patient_id: "P123",
            at,
            local: "2026-11-25 09:30".to_string(),
            site,
            moves_from,
        };
        let slots = [
            slot(stored_at("2026-11-25T14:30:00Z"), "bloor", Some("A2044")),
            slot(stored_at("2026-11-25T14:30:00Z"), "", None),
            // Its time has come: too late to book.
            slot(stored_at("2026-11-25T01:00:00Z"), "", None),
        ];
        let mut f = facts(&[], &[], &[]);
        f.taken_slots = &slots;
        let found: Vec<(&str, String)> = items(&f)
            .into_iter()
            .filter(|i| i.kind == "slot_to_book")
            .map(|i| (i.kind, i.detail))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "slot_to_book",
                    "took a freed slot from the waitlist: book P123 into 2026-11-25 09:30 (bloor), release A2044"
                        .to_string()
                ),
                (
                    "slot_to_book",
                    "took a freed slot from the waitlist: book P123 into 2026-11-25 09:30"
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn only_what_a_person_must_act_on() {
        let appts = [
            appt("pending", State::Pending, 0),
            appt("reached", State::Reached, 1),
            appt("confirmed", State::Confirmed, 1),
            appt("expired-tried", State::Expired, 2),
            appt("withdrawn", State::Withdrawn, 0),
            appt("failed", State::Failed, 3),
            appt("cancel", State::CancelRequested, 1),
            appt("stop", State::OptedOut, 1),
            appt("expired-untried", State::Expired, 0),
        ];
        let imports = [
            Import {
                id: 1,
                file_name: "a.csv",
                failed: false,
                rejected_rows: 0,
                started_at: stored_at("2026-11-25T00:00:00Z"),
                error: None,
            },
            Import {
                id: 2,
                file_name: "b.csv",
                failed: false,
                rejected_rows: 2,
                started_at: stored_at("2026-11-25T00:00:00Z"),
                error: None,
            },
            Import {
                id: 3,
                file_name: "c.csv",
                failed: true,
                rejected_rows: 0,
                started_at: stored_at("2026-11-25T00:00:00Z"),
                error: Some("no header row"),
            },
        ];
        let mut unresolved = run(4, Some("failed"), Some("no contact could be made"));
        unresolved.unresolved = 3;
        let mut stopped = run(5, Some("stopped at the end of contact hours"), None);
        stopped.left_for_next = 7;
        stopped.note = Some("12 of 20 contact(s) will not fit");
        let runs = [
            run(1, Some("completed"), None),
            run(
                2,
                Some("interrupted"),
                Some("interrupted (SIGINT or SIGTERM)"),
            ),
            {
                let mut died = run(3, Some("died"), Some("the run died"));
                died.dispatched = 4;
                died
            },
            unresolved,
            stopped,
        ];
        let got = items(&facts(&appts, &imports, &runs));
        let kinds: Vec<(&str, &str)> = got.iter().map(|i| (i.kind, i.subject.as_str())).collect();
        assert_eq!(
            kinds,
            [
                ("failed", "appointment failed (patient P1)"),
                ("cancel_requested", "appointment cancel (patient P1)"),
                ("opted_out", "appointment stop (patient P1)"),
                (
                    "expired_untried",
                    "appointment expired-untried (patient P1)"
                ),
                ("import_rejected_rows", "import #2"),
                ("import_failed", "import #3"),
                ("run_interrupted", "send run #2"),
                ("run_died", "send run #3"),
                ("run_error", "send run #4"),
                ("run_unresolved", "send run #4"),
                ("run_stopped", "send run #5"),
                ("run_capacity", "send run #5"),
            ]
        );
        assert!(
            got[7]
                .detail
                .contains("died before it finished (killed, crashed or the machine stopped) after Twilio had taken 4 contact(s)"),
            "{}",
            got[7].detail
        );
        assert!(
            got[10]
                .detail
                .contains("7 contact(s) left for the next window")
        );
        assert!(items(&facts(&appts[..5], &imports[..1], &runs[..1])).is_empty());
    }

    #[test]
    fn a_number_that_could_not_text_but_was_reached_by_call_is_advice_about_the_preference() {
        let bad = [BadNumber {
            appointment_id: "A3",
            patient_id: "P3",
            phone_masked: "+1416***0103".into(),
            code: 21614,
            at: stored_at("2026-11-25T00:10:00Z"),
            reached_later: true,
            waitlist: false,
        }];
        let mut f = facts(&[], &[], &[]);
        f.bad_numbers = &bad;
        let got = items(&f);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind, "text_preference");
        assert!(
            got[0].detail.contains("text preference to no"),
            "{}",
            got[0].detail
        );
        assert!(!got[0].detail.contains("fix the number"));
    }

    #[test]
    fn an_opt_out_after_the_reminder_reached_the_patient_asks_for_another_way() {
        let late = [LateOptOut {
            appointment_id: "A1",
            patient_id: "P1",
            at: stored_at("2026-11-25T14:00:00Z"),
            phone_masked: "+1416***0101".into(),
            source: "reply",
            words: Some("STOP"),
        }];
        let mut f = facts(&[], &[], &[]);
        f.late_opt_outs = &late;
        let got = items(&f);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].kind, got[0].subject.as_str()),
            ("opted_out_after_reminder", "appointment A1 (patient P1)")
        );
        assert!(
            got[0]
                .detail
                .contains("+1416***0101 opted out (reply \"STOP\")")
                && got[0].detail.contains("remind them another way"),
            "{}",
            got[0].detail
        );
    }

    #[test]
    fn a_lost_callback_that_was_fetched_clears_unless_no_callback_arrives_at_all() {
        let mut f = facts(&[], &[], &[]);
        let lost = |silent, silent_open, heard| Silence {
            silent,
            silent_open,
            heard,
            oldest: Some("2026-11-25T00:00:00Z"),
        };
        let count = |f: &DayFacts<'_>| {
            items(f)
                .iter()
                .filter(|i| i.kind == "callbacks_missing")
                .count()
        };
        f.silence = lost(1, 0, 20);
        assert_eq!(count(&f), 0, "fetched, and other callbacks arrive: cleared");
        f.silence = lost(1, 1, 20);
        assert_eq!(count(&f), 1, "still unknown");
        f.silence = lost(3, 0, 0);
        assert_eq!(
            count(&f),
            1,
            "no callback at all: the listener is not reached"
        );
    }

    #[test]
    fn rejected_rows_are_news_on_the_day_of_their_import_only() {
        let imports = [
            Import {
                id: 1,
                file_name: "yesterday.csv",
                failed: false,
                rejected_rows: 2,
                started_at: stored_at("2026-11-23T23:30:00Z"),
                error: None,
            },
            Import {
                id: 2,
                file_name: "today.csv",
                failed: false,
                rejected_rows: 1,
                started_at: stored_at("2026-11-24T23:30:00Z"),
                error: None,
            },
        ];
        let f = facts(&[], &imports, &[]);
        let subjects: Vec<String> = items(&f)
            .into_iter()
            .filter(|i| i.kind == "import_rejected_rows")
            .map(|i| i.subject)
            .collect();
        assert_eq!(subjects, ["import #2"]);
    }

    #[test]
    fn a_missing_export_callbacks_free_text_and_bad_numbers() {
        let free = [FreeText {
            phone_masked: "+1416***0101".into(),
            body: " what time? ",
            appointment_id: Some("A1"),
            received_at: stored_at("2026-11-25T00:30:00Z"),
        }];
        let bad = [
            BadNumber {
                appointment_id: "A2",
                patient_id: "P2",
                phone_masked: "+1416***0102".into(),
                code: 21211,
                at: stored_at("2026-11-25T00:10:00Z"),
                reached_later: false,
                waitlist: false,
            },
            // An offer of A2's freed slot to a waiting patient whose number is wrong.
            BadNumber {
                appointment_id: "A2",
                patient_id: "W7",
                phone_masked: "+1416***0177".into(),
                code: 21211,
                at: stored_at("2026-11-25T00:20:00Z"),
                reached_later: false,
                waitlist: true,
            },
        ];
        let not_csv = [NotCsv {
            path: "csv/appointments.txt",
            modified_at: "2026-11-24T23:55:00Z",
        }];
        let mut f = facts(&[], &[], &[]);
        f.last_import = parse_db_time("2026-11-23T19:00:00Z");
        f.silence = Silence {
            silent: 4,
            silent_open: 4,
            heard: 0,
            oldest: Some("2026-11-25T00:00:00Z"),
        };
        f.free_text = &free;
        f.bad_numbers = &bad;
        f.not_csv = &not_csv;
        let got = items(&f);
        let kinds: Vec<&str> = got.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            [
                "export_missing",
                "file_not_imported",
                "callbacks_missing",
                "free_text_reply",
                "number_invalid",
                "number_invalid"
            ]
        );
        assert!(got[0].detail.contains("last 26 hours"), "{}", got[0].detail);
        assert_eq!(
            got[1].detail,
            "csv/appointments.txt is not a .csv file: not imported; rename it to .csv if it is the export (or move it out of the drop folder)"
        );
        assert!(got[2].detail.contains("REMINDERS_PUBLIC_URL"));
        assert!(got[3].detail.contains("\"what time?\""));
        assert!(got[4].detail.contains("21211") && got[4].detail.contains("fix the number"));
        assert_eq!(got[4].subject, "appointment A2 (patient P2)");
        // The waiting patient's number is fixed on the waitlist, and it is theirs, not P2's.
        assert_eq!(got[5].subject, "waiting patient W7");
        assert!(
            got[5]
                .detail
                .ends_with("+1416***0177: fix the number on the clinic's waitlist"),
            "{}",
            got[5].detail
        );
        f.export_expected_today = false;
        assert_eq!(items(&f).len(), 5, "no export expected today (a weekend)");
    }
}
