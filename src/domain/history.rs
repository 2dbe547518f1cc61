//! One appointment's whole story (`reminders history`): the kinds of event it is made of, their
//! order, and their words. `db::history` gathers the facts; this module sorts and renders them,
//! so a new kind of event (a hold, an offer, a follow-up) is one more `Kind` here and one more
//! query there.
//!
//! Phone numbers arrive masked: nothing here ever holds a full one.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::contact_kind::ContactKind;
use crate::domain::slot_story;
use crate::domain::twilio_errors;

/// What one row of an import did to an appointment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    /// Stored as a new appointment (a moved one included: it says where from).
    Stored,
    /// The same appointment again: nothing changed.
    Duplicate,
    /// A row with another time: this appointment was withdrawn for it.
    Moved,
    /// A withdrawn appointment listed again: back in the schedule.
    Reinstated,
    /// A cancelled row: the appointment was withdrawn.
    Cancelled,
    /// A row saying the clinic cancelled: withdrawn, and the patient is told.
    ClinicCancelled,
    /// A row saying the patient did not come.
    NoShow,
}

impl RowAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RowAction::Stored => "stored",
            RowAction::Duplicate => "duplicate",
            RowAction::Moved => "moved",
            RowAction::Reinstated => "reinstated",
            RowAction::Cancelled => "cancelled",
            RowAction::ClinicCancelled => "clinic_cancelled",
            RowAction::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<RowAction> {
        [
            RowAction::Stored,
            RowAction::Duplicate,
            RowAction::Moved,
            RowAction::Reinstated,
            RowAction::Cancelled,
            RowAction::ClinicCancelled,
            RowAction::NoShow,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// One attempt as the story tells it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Attempt {
    pub attempt: i64,
    pub channel: String,
    /// Masked.
    pub to: String,
    pub sid: Option<String>,
    /// Twilio's word, or ours before Twilio answered (`dispatching`, `not-sent`).
    pub status: String,
    /// What it came to, in words ("no answer", "reached").
    pub outcome: String,
    pub answered_by: Option<String>,
    pub error_code: Option<i64>,
    /// The error code's meaning.
    pub error: Option<String>,
    pub duration_seconds: Option<i64>,
    pub price: Option<f64>,
    pub price_unit: Option<String>,
    pub segments: Option<i64>,
    pub touch_days: Option<u32>,
    /// A reminder attempt, or the follow-up it was (a text after a voicemail…).
    pub contact: ContactKind,
}

/// The kinds of event, in the order they are told when they happen at the same instant (a row
/// that moved an appointment, then its withdrawal, then the appointment stored in its place; a
/// touch before its first attempt; an attempt before its callbacks).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// A row of an import. `row` is unknown for imports made before rows were recorded.
    Import {
        import_id: i64,
        file: String,
        row: Option<u64>,
        action: RowAction,
        /// The appointment's local time, and for a moved one the time it was moved from.
        appointment_at: Option<String>,
        moved_from: Option<String>,
    },
    /// Out of the schedule, with the reason (moved, cancelled, not in export, by hand).
    Withdrawn {
        reason: String,
    },
    /// A reminder touch begun: its `days_before` and place in the schedule ("1 of 2").
    Touch {
        days_before: u32,
        of: Option<String>,
    },
    Attempt(Attempt),
    /// A status callback (or keypress) Twilio sent for one of its attempts.
    Callback {
        sid: String,
        route: String,
        status: Option<String>,
        error_code: Option<i64>,
        error: Option<String>,
        digits: Option<String>,
    },
    /// A text the patient sent, and what it was taken to mean.
    Reply {
        text: String,
        meaning: String,
        from: String,
    },
    /// The number opted out or back in.
    Consent {
        opted_out: bool,
        number: String,
        source: String,
        words: Option<String>,
    },
    /// A contact the rules of contact held (a cap per number, a profile's length): not made,
    /// tried again later. `reason` says which rule, in words.
    Held {
        rule: String,
        reason: String,
    },
    /// The slot this appointment gave back, offered to the waitlist: opened, taken, booked,
    /// closed or expired (`domain::slot_story`).
    Slot {
        step: slot_story::Step,
        #[serde(flatten)]
        slot: slot_story::Slot,
    },
    /// One offer of that slot to a waiting patient (its text is an attempt row of this
    /// appointment's, told here as the offer it was).
    Offer(slot_story::Offer),
    /// What `export` writes for it: the results file's columns and cells, in the file's order.
    Results {
        #[serde(serialize_with = "in_order")]
        cells: Vec<(String, String)>,
    },
}

/// Columns and cells as one JSON object, in the file's column order.
fn in_order<S: serde::Serializer>(cells: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(cells.len()))?;
    for (k, v) in cells {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

impl Kind {
    fn rank(&self) -> u8 {
        match self {
            // A repeat of a stored row is told beside it, in file order.
            Kind::Import {
                action: RowAction::Stored | RowAction::Reinstated | RowAction::Duplicate,
                ..
            } => 2,
            Kind::Import { .. } => 0,
            Kind::Withdrawn { .. } => 1,
            Kind::Touch { .. } => 3,
            Kind::Attempt(_) => 4,
            Kind::Callback { .. } => 5,
            Kind::Reply { .. } => 6,
            // A slot opens on the reply that freed it, then its offers go out.
            Kind::Slot { .. } => 7,
            Kind::Offer(_) => 8,
            Kind::Consent { .. } => 9,
            Kind::Held { .. } => 10,
            Kind::Results { .. } => 11,
        }
    }
}

/// One event of the story.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// When it happened; `None` for what is not an event in time (the results row), told last.
    pub at: Option<DateTime<Utc>>,
    /// The stored appointment it concerns (a moved appointment is two), if one.
    pub appointment: Option<i64>,
    #[serde(flatten)]
    pub kind: Kind,
}

/// Time order; at one instant, the order of `Kind`, rows of one import in file order;
/// otherwise the order gathered (a stable sort), which keeps attempts and callbacks in the
/// order they were stored.
pub fn sort(events: &mut [Event]) {
    let file_place = |k: &Kind| match k {
        Kind::Import { import_id, row, .. } => Some((*import_id, *row)),
        _ => None,
    };
    events.sort_by(|a, b| match (a.at, b.at) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x
            .cmp(&y)
            .then(a.kind.rank().cmp(&b.kind.rank()))
            .then(file_place(&a.kind).cmp(&file_place(&b.kind))),
    });
}

/// The event's time for people, in the clinic's zone, to the second (callbacks come seconds
/// apart).
pub fn when(e: &Event, tz: Tz) -> String {
    match e.at {
        Some(t) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string(),
        None => "now".to_string(),
    }
}

/// A short word for the event, and the rest in words.
pub fn describe(e: &Event) -> (String, String) {
    let on = |detail: String| match e.appointment {
        Some(id) => format!("{detail} [#{id}]"),
        None => detail,
    };
    match &e.kind {
        Kind::Import {
            import_id,
            file,
            row,
            action,
            appointment_at,
            moved_from,
        } => {
            let row = row.map_or_else(|| "row not recorded".to_string(), |r| format!("row {r}"));
            let what = match action {
                RowAction::Stored => {
                    let at = appointment_at.as_deref().unwrap_or("?");
                    match moved_from {
                        Some(from) => format!("stored for {at}, moved from {from}"),
                        None => format!("stored for {at}"),
                    }
                }
                RowAction::Duplicate => "duplicate, nothing changed".to_string(),
                RowAction::Moved => "listed at another time: this one withdrawn".to_string(),
                RowAction::Reinstated => "listed again: back in the schedule".to_string(),
                RowAction::Cancelled => "marked cancelled in the export".to_string(),
                RowAction::ClinicCancelled => {
                    "marked cancelled by the clinic in the export".to_string()
                }
                RowAction::NoShow => "marked as missed (no show) in the export".to_string(),
            };
            (
                format!("import {}", action.as_str()),
                on(format!("{file}, {row} (import {import_id}): {what}")),
            )
        }
        Kind::Withdrawn { reason } => ("withdrawn".to_string(), on(reason.clone())),
        Kind::Touch { days_before, of } => {
            let before = match days_before {
                0 => "on the day".to_string(),
                1 => "1 day before".to_string(),
                n => format!("{n} days before"),
            };
            let detail = match of {
                Some(of) => format!("touch {of}, {before}"),
                None => before,
            };
            ("touch".to_string(), on(detail))
        }
        Kind::Attempt(a) => ("attempt".to_string(), on(attempt_words(a))),
        Kind::Callback {
            sid,
            route,
            status,
            error_code,
            error,
            digits,
        } => {
            let mut parts = vec![route.clone()];
            if let Some(s) = status {
                parts.push(s.clone());
            }
            if let Some(d) = digits {
                parts.push(format!("pressed {d}"));
            }
            if let Some(code) = error_code {
                parts.push(format!(
                    "error {code} {}",
                    error.as_deref().unwrap_or("(unknown Twilio error)")
                ));
            }
            parts.push(sid.clone());
            ("callback".to_string(), on(parts.join(", ")))
        }
        Kind::Reply {
            text,
            meaning,
            from,
        } => (
            "reply".to_string(),
            on(format!("{text:?} from {from}: {meaning}")),
        ),
        Kind::Held { reason, .. } => ("held".to_string(), on(reason.clone())),
        Kind::Slot { step, slot } => {
            let (word, detail) = slot_story::describe_slot(*step, slot);
            (word, on(detail))
        }
        Kind::Offer(o) => {
            let (word, detail) = slot_story::describe_offer(o);
            (word, on(detail))
        }
        Kind::Consent {
            opted_out,
            number,
            source,
            words,
        } => {
            let words = words
                .as_deref()
                .map(|w| format!(" ({w:?})"))
                .unwrap_or_default();
            (
                if *opted_out { "opt-out" } else { "opt-in" }.to_string(),
                format!("{number}, {source}{words}"),
            )
        }
        Kind::Results { cells } => {
            let shown: Vec<String> = cells
                .iter()
                // The story is of this appointment and patient already.
                .filter(|(k, v)| !v.is_empty() && k != "appointment_id" && k != "patient_id")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            ("results file".to_string(), on(shown.join(", ")))
        }
    }
}

fn attempt_words(a: &Attempt) -> String {
    let mut parts = vec![match a.contact {
        ContactKind::Reminder => format!("{} #{} to {}", a.channel, a.attempt, a.to),
        kind => format!("{} ({}) to {}", a.channel, kind.describe(), a.to),
    }];
    parts.push(match a.status.as_str() {
        s if s == a.outcome || a.outcome.is_empty() => s.to_string(),
        s => format!("{s}: {}", a.outcome),
    });
    if let Some(by) = &a.answered_by {
        parts.push(format!("answered by {by}"));
    }
    // A reminder that failed on an error has that error as its outcome ("undelivered: 30003
    // phone off or out of reach"): said once.
    if let Some(code) = a.error_code
        && a.outcome != twilio_errors::describe(code)
    {
        parts.push(format!(
            "error {code} {}",
            a.error.as_deref().unwrap_or("(unknown Twilio error)")
        ));
    }
    if let Some(d) = a.duration_seconds {
        parts.push(format!("{d} s"));
    }
    if let Some(n) = a.segments {
        parts.push(format!("{n} segment(s)"));
    }
    if let Some(p) = a.price {
        parts.push(format!(
            "price {} {}",
            p.abs(),
            a.price_unit.as_deref().unwrap_or("")
        ));
    }
    parts.push(a.sid.clone().unwrap_or_else(|| "no SID".to_string()));
    parts.join(", ").trim().to_string()
}

/// An error code's meaning, for an attempt or a callback.
pub fn error_words(code: Option<i64>) -> Option<String> {
    code.map(|c| {
        twilio_errors::meaning(c)
            .unwrap_or("(unknown Twilio error)")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    fn import(at_: &str, action: RowAction) -> Event {
        Event {
            at: at(at_),
            appointment: Some(1),
            kind: Kind::Import {
                import_id: 1,
                file: "a.csv".into(),
                row: Some(2),
                action,
                appointment_at: Some("2026-11-25 10:00".into()),
                moved_from: None,
            },
        }
    }

    fn attempt(at_: &str, n: i64) -> Event {
        Event {
            at: at(at_),
            appointment: Some(1),
            kind: Kind::Attempt(Attempt {
                attempt: n,
                channel: "call".into(),
                to: "+1416***0101".into(),
                status: "no-answer".into(),
                outcome: "no answer".into(),
                ..Attempt::default()
            }),
        }
    }

    fn kinds(events: &[Event]) -> Vec<String> {
        events.iter().map(|e| describe(e).0).collect()
    }

    #[test]
    fn rows_of_one_import_are_told_in_file_order() {
        let row = |n: u64, action| {
            let mut e = import("2026-11-24T20:00:00Z", action);
            if let Kind::Import { row, .. } = &mut e.kind {
                *row = Some(n);
            }
            e
        };
        let mut events = vec![
            row(10, RowAction::Duplicate),
            row(2, RowAction::Stored),
            row(11, RowAction::Duplicate),
        ];
        sort(&mut events);
        let rows: Vec<_> = events
            .iter()
            .map(|e| match &e.kind {
                Kind::Import { row, action, .. } => (*row, *action),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            rows,
            [
                (Some(2), RowAction::Stored),
                (Some(10), RowAction::Duplicate),
                (Some(11), RowAction::Duplicate),
            ]
        );
    }

    #[test]
    fn events_go_in_time_order_and_at_one_instant_in_the_order_of_kinds() {
        let results = Event {
            at: None,
            appointment: Some(1),
            kind: Kind::Results { cells: vec![] },
        };
        let withdrawn = Event {
            at: at("2026-11-24T20:00:00Z"),
            appointment: Some(1),
            kind: Kind::Withdrawn {
                reason: "moved".into(),
            },
        };
        let touch = Event {
            at: at("2026-11-25T00:00:00Z"),
            appointment: Some(1),
            kind: Kind::Touch {
                days_before: 1,
                of: Some("1 of 1".into()),
            },
        };
        let mut events = vec![
            results,
            attempt("2026-11-25T00:45:00Z", 2),
            attempt("2026-11-25T00:00:00Z", 1),
            withdrawn,
            touch,
            import("2026-11-24T20:00:00Z", RowAction::Stored),
            import("2026-11-24T20:00:00Z", RowAction::Moved),
            import("2026-11-24T12:00:00Z", RowAction::Stored),
        ];
        sort(&mut events);
        assert_eq!(
            kinds(&events),
            [
                "import stored",
                "import moved",
                "withdrawn",
                "import stored",
                "touch",
                "attempt",
                "attempt",
                "results file"
            ]
        );
        let Kind::Attempt(first) = &events[5].kind else {
            panic!("an attempt")
        };
        assert_eq!(first.attempt, 1, "the earlier attempt first");
    }

    #[test]
    fn events_are_told_in_words_in_the_clinics_zone() {
        let e = attempt("2026-11-25T00:00:00Z", 1);
        assert_eq!(when(&e, chrono_tz::America::Toronto), "2026-11-24 19:00:00");
        let (what, detail) = describe(&e);
        assert_eq!(what, "attempt");
        assert_eq!(
            detail,
            "call #1 to +1416***0101, no-answer: no answer, no SID [#1]"
        );
        let mut refused = Attempt {
            attempt: 1,
            channel: "sms".into(),
            to: "+1416***0101".into(),
            status: "undelivered".into(),
            outcome: "30006 landline or unreachable carrier".into(),
            error_code: Some(30006),
            error: error_words(Some(30006)),
            sid: Some("SM1".into()),
            ..Attempt::default()
        };
        refused.price = Some(-0.0079);
        refused.price_unit = Some("USD".into());
        let (_, detail) = describe(&Event {
            at: None,
            appointment: None,
            kind: Kind::Attempt(refused),
        });
        // The error is said once: the outcome names it.
        assert_eq!(detail.matches("30006").count(), 1, "{detail}");
        assert!(
            detail.contains("undelivered: 30006 landline or unreachable carrier"),
            "{detail}"
        );
        assert!(detail.contains("price 0.0079 USD"), "{detail}");
        assert_eq!(RowAction::parse("reinstated"), Some(RowAction::Reinstated));
        assert_eq!(RowAction::parse("stored?"), None);
    }

    #[test]
    fn a_row_without_its_number_says_so() {
        let mut e = import("2026-11-24T12:00:00Z", RowAction::Stored);
        if let Kind::Import { row, .. } = &mut e.kind {
            *row = None;
        }
        assert_eq!(
            describe(&e).1,
            "a.csv, row not recorded (import 1): stored for 2026-11-25 10:00 [#1]"
        );
    }
}
