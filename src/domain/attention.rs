//! Which day `status` is about, and what on it needs a person: the facts come in as records,
//! the verdicts go out as data; `cmd/status.rs` does the reading and the printing.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::db::imports::ImportRow;
use crate::db::views::{AppointmentRow, RunRow};
use crate::domain::state::State;

/// The local day of the next appointment at or after `now`; today when nothing is coming.
pub fn coming_day(next: Option<DateTime<Utc>>, now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    next.unwrap_or(now).with_timezone(&tz).date_naive()
}

/// The UTC instants `[start, end)` of a local day. A day can be 23 or 25 hours long, and in a few
/// zones midnight itself is skipped by DST, so the day starts at its first local time that exists.
pub fn day_bounds(day: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    (start_of(day, tz), start_of(day + Duration::days(1), tz))
}

fn start_of(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A DST gap lasts at most a few hours; step through it by quarter hours.
    for _ in 0..16 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The window whose imports and runs belong to a day: from the start of the evening before
/// (the 19:00 import and send happen then) to the end of the day itself.
pub fn activity_window(day: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    (start_of(day - Duration::days(1), tz), day_bounds(day, tz).1)
}

/// One thing a person should look at.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Item {
    /// `failed`, `cancel_requested`, `opted_out`, `import_failed`, `import_rejected_rows`,
    /// `run_error`.
    pub kind: &'static str,
    /// What it is about: an appointment id, `import #N` or `<kind> run #N`.
    pub subject: String,
    /// When it happened or is for (UTC RFC 3339): the appointment time, or when the import or
    /// run started.
    pub at: String,
    pub detail: String,
}

/// Appointments the patient could not be reached for, asked to cancel or opted out; imports
/// that failed or rejected rows; runs that stopped with an error. Appointments first, by time.
pub fn items(appointments: &[AppointmentRow], imports: &[ImportRow], runs: &[RunRow]) -> Vec<Item> {
    let mut out = Vec::new();
    for a in appointments {
        let (kind, detail) = match State::parse(&a.state) {
            Some(State::Failed) => (
                "failed",
                format!(
                    "not reached after {} attempt(s) by {}: tell the patient another way",
                    a.attempt_count, a.channel
                ),
            ),
            Some(State::CancelRequested) => (
                "cancel_requested",
                "the patient asked to cancel or reschedule".to_string(),
            ),
            Some(State::OptedOut) => (
                "opted_out",
                "the number opted out of reminders: not contacted".to_string(),
            ),
            _ => continue,
        };
        out.push(Item {
            kind,
            subject: format!(
                "appointment {} (patient {})",
                a.appointment_id, a.patient_id
            ),
            at: a.appt_date_time.clone(),
            detail,
        });
    }
    for i in imports {
        if i.status == "failed" {
            out.push(Item {
                kind: "import_failed",
                subject: format!("import #{}", i.id),
                at: i.started_at.clone(),
                detail: format!(
                    "{} could not be imported: {}",
                    i.file_name,
                    i.error.as_deref().unwrap_or("no reason recorded")
                ),
            });
        } else if i.failed_rows > 0 {
            out.push(Item {
                kind: "import_rejected_rows",
                subject: format!("import #{}", i.id),
                at: i.started_at.clone(),
                detail: format!(
                    "{}: {} row(s) rejected; see `reminders status failed-rows --import {}`",
                    i.file_name, i.failed_rows, i.id
                ),
            });
        }
    }
    for r in runs {
        if let Some(err) = &r.error {
            out.push(Item {
                kind: "run_error",
                subject: format!("{} run #{}", r.kind, r.id),
                at: r.started_at.clone(),
                detail: err.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appt(id: &str, state: &str) -> AppointmentRow {
        AppointmentRow {
            id: 1,
            appointment_id: id.into(),
            patient_id: "P1".into(),
            phone_number: "+14165550101".into(),
            appt_date_time: "2026-11-25T14:30:00Z".into(),
            language: "en".into(),
            channel: "call".into(),
            state: state.into(),
            attempt_count: 3,
            last_attempt_at: None,
            success_at: None,
            import_id: 1,
        }
    }

    fn import(id: i64, status: &str, failed_rows: i64) -> ImportRow {
        ImportRow {
            id,
            file_name: "a.csv".into(),
            file_path: None,
            sha256: String::new(),
            status: status.into(),
            total_rows: 3,
            processed_rows: 3,
            successful_rows: 3 - failed_rows,
            duplicate_rows: 0,
            failed_rows,
            user_id: "ops".into(),
            started_at: "2026-11-25T00:00:00Z".into(),
            finished_at: None,
            error: (status == "failed").then(|| "not a CSV".to_string()),
            withdrawn_rows: 0,
            summary: None,
        }
    }

    #[test]
    fn only_what_a_person_must_act_on() {
        let appts = [
            "pending",
            "in_flight",
            "reached",
            "confirmed",
            "retry_wait",
            "expired",
            "failed",
            "cancel_requested",
            "opted_out",
        ]
        .map(|s| appt(s, s));
        let imports = [
            import(1, "completed", 0),
            import(2, "completed", 2),
            import(3, "failed", 0),
            import(4, "skipped", 0),
        ];
        let run = |id: i64, error: Option<&str>| RunRow {
            id,
            kind: "send".into(),
            started_at: "2026-11-25T00:00:00Z".into(),
            finished_at: None,
            selected: 0,
            dispatched: 0,
            failed: 0,
            skipped: 0,
            error: error.map(String::from),
        };
        let got = items(
            &appts,
            &imports,
            &[run(1, None), run(2, Some("Twilio 20003"))],
        );
        let kinds: Vec<(&str, &str)> = got.iter().map(|i| (i.kind, i.subject.as_str())).collect();
        assert_eq!(
            kinds,
            [
                ("failed", "appointment failed (patient P1)"),
                (
                    "cancel_requested",
                    "appointment cancel_requested (patient P1)"
                ),
                ("opted_out", "appointment opted_out (patient P1)"),
                ("import_rejected_rows", "import #2"),
                ("import_failed", "import #3"),
                ("run_error", "send run #2"),
            ]
        );
        assert!(items(&appts[..6], &imports[..1], &[run(1, None)]).is_empty());
    }

    #[test]
    fn days_follow_the_clinic_zone_across_dst() {
        let tz = chrono_tz::America::Toronto;
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let (a, b) = day_bounds(d("2026-11-25"), tz);
        assert_eq!(
            (a, b),
            (t("2026-11-25T05:00:00Z"), t("2026-11-26T05:00:00Z"))
        );
        // 2026-11-01 is 25 hours long in Toronto (clocks go back).
        let (a, b) = day_bounds(d("2026-11-01"), tz);
        assert_eq!(b - a, Duration::hours(25));
        // 19:00 local on the 24th is already the 25th in UTC, but the coming day is the 25th
        // only because of the next appointment; with none it is today.
        let now = t("2026-11-25T00:00:00Z");
        assert_eq!(coming_day(None, now, tz), d("2026-11-24"));
        assert_eq!(
            coming_day(Some(t("2026-11-25T14:30:00Z")), now, tz),
            d("2026-11-25")
        );
        // In Sao Paulo's old rules midnight was skipped; the day starts at 01:00.
        let (a, _) = day_bounds(d("2018-11-04"), chrono_tz::America::Sao_Paulo);
        assert_eq!(a, t("2018-11-04T03:00:00Z"));
        let (from, to) = activity_window(d("2026-11-25"), tz);
        assert_eq!(
            (from, to),
            (t("2026-11-24T05:00:00Z"), t("2026-11-26T05:00:00Z"))
        );
    }
}
