//! The list views of `status`: appointments, attempts (logs), imports, rejected rows, runs and
//! the numbers opted out —
//! the same records as a table for people, JSON or CSV for scripts.

use std::io::Write;

use anyhow::Result;
use rusqlite::Connection;

use super::{Args, Scope};
use crate::clock::Stamp;
use crate::config::Config;
use crate::db::{self, views};
use crate::domain::contact_kind::ContactKind;
use crate::domain::dates;
use crate::domain::state::State;
use crate::domain::twilio_errors;
use crate::mask;
use crate::output::{self, Format, View};

/// The appointment filter the flags describe; `--date` becomes the local day's UTC bounds.
fn filter(args: &Args, scope: &Scope) -> views::Filter {
    let (from, to) = match scope.date {
        Some(d) => {
            let (a, b) = dates::day_bounds(d, scope.tz);
            (Some(a.into()), Some(b.into()))
        }
        None => (None, None),
    };
    views::Filter {
        from,
        to,
        state: args.state.clone(),
        channel: args.channel.clone(),
        import: args.import,
        search: args.search.as_ref().map(|s| s.trim().to_string()),
        site: scope.site.clone(),
        limit: args.limit,
    }
}

fn shown_phone(args: &Args, p: &str) -> String {
    if args.show_phone {
        p.to_string()
    } else {
        mask::phone(p)
    }
}

fn local(t: Option<Stamp>, tz: chrono_tz::Tz) -> String {
    t.map(|t| t.local(tz)).unwrap_or_default()
}

pub(super) fn appointments(
    cfg: &Config,
    conn: &Connection,
    args: &Args,
    scope: &Scope,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let tz = scope.tz;
    let mut records = views::appointments(conn, &filter(args, scope))?;
    for r in &mut records {
        r.phone_number = shown_phone(args, &r.phone_number);
    }
    let with_sites = !cfg.sites.is_empty();
    let rows = records
        .iter()
        .map(|a| {
            let state = match (&a.withdrawn_reason, &a.held) {
                (Some(why), _) if a.state == State::Withdrawn => format!("withdrawn ({why})"),
                // Still waiting, or passed while waiting: the hold says why.
                (_, Some(held))
                    if matches!(
                        a.state,
                        State::Pending | State::RetryWait | State::Reached | State::Expired
                    ) =>
                {
                    format!("{} ({held})", a.state.as_str())
                }
                _ => a.state.as_str().to_string(),
            };
            let touch = a
                .touch_days
                .and_then(|d| cfg.schedule.touches.ordinal(d))
                .map(|(n, of)| format!("{n} of {of}"))
                .unwrap_or_default();
            let mut row = vec![
                a.appointment_id.clone(),
                a.patient_id.clone(),
                a.phone_number.clone(),
                a.appt_date_time.local(cfg.site(&a.site).tz),
            ];
            if with_sites {
                row.push(a.site.clone());
            }
            row.extend([
                a.language.to_string(),
                a.channel.as_str().to_string(),
                state,
                touch,
                a.attempt_count.to_string(),
                local(a.last_attempt_at, tz),
                local(a.success_at, tz),
                a.import_id.to_string(),
            ]);
            row
        })
        .collect();
    let mut header = vec!["appointment", "patient", "phone", "time"];
    if with_sites {
        header.push("site");
    }
    header.extend([
        "lang",
        "channel",
        "state",
        "touch",
        "attempts",
        "last attempt",
        "reached",
        "import",
    ]);
    output::write(
        out,
        format,
        &View {
            title: "Appointments",
            header: &header,
            rows,
            records: &records,
            hide: &[
                "import",
                "reached",
                "last attempt",
                "lang",
                "channel",
                "patient",
                "attempts",
                "site",
            ],
        },
    )
}

pub(super) fn logs(
    conn: &Connection,
    args: &Args,
    scope: &Scope,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let tz = scope.tz;
    let mut records = views::logs(conn, &filter(args, scope))?;
    for r in &mut records {
        r.to = shown_phone(args, &r.to);
        // Twilio's texts quote the number ("The 'To' number +1… is not a valid phone number");
        // rows stored before those were masked on the way in are masked here.
        if let Some(m) = &mut r.error_message {
            *m = mask::phones_in(m);
        }
    }
    let rows = records
        .iter()
        .map(|l| {
            // Twilio's codes with their meaning in words, then Twilio's own message.
            let error = match (&l.error_code, &l.error_message) {
                (Some(c), Some(m)) => format!("{}: {m}", twilio_errors::describe(*c)),
                (Some(c), None) => twilio_errors::describe(*c),
                (None, Some(m)) => m.clone(),
                (None, None) => String::new(),
            };
            // An offer went to a waiting patient about the slot this appointment freed.
            let (patient, attempt) = match (l.kind, &l.offered_to) {
                (ContactKind::Reminder, _) => (l.patient_id.clone(), l.attempt.to_string()),
                (ContactKind::Offer, Some(to)) => (to.clone(), "offer".to_string()),
                (kind, _) => (l.patient_id.clone(), kind.describe().to_string()),
            };
            vec![
                l.created_at.local(tz),
                l.appointment_id.clone(),
                patient,
                attempt,
                l.touch_days.map(|d| format!("{d}d")).unwrap_or_default(),
                l.channel.as_str().to_string(),
                l.to.clone(),
                l.status.clone(),
                output::opt(&l.duration),
                output::opt(&l.answered_by),
                error,
                output::opt(&l.sid),
            ]
        })
        .collect();
    output::write(
        out,
        format,
        &View {
            title: "Attempts",
            header: &[
                "at",
                "appointment",
                "patient",
                "attempt",
                "touch",
                "channel",
                "to",
                "status",
                "duration",
                "answered by",
                "error",
                "sid",
            ],
            rows,
            records: &records,
            hide: &[
                "sid",
                "answered by",
                "duration",
                "patient",
                "touch",
                "attempt",
                "channel",
            ],
        },
    )
}

pub(super) fn imports(
    conn: &Connection,
    args: &Args,
    scope: &Scope,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let records = db::imports::list(conn, args.limit, args.import)?;
    output::write(
        out,
        format,
        &super::summary::imports_view(&records, scope.tz, "Imports"),
    )
}

pub(super) fn failed_rows(
    conn: &Connection,
    args: &Args,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let mut records = db::imports::failed_rows(conn, args.import)?;
    if !args.show_phone {
        for r in &mut records {
            mask_phone_fields(&mut r.data);
            r.validation_error = mask::phones_in(&r.validation_error);
        }
    }
    let rows = records
        .iter()
        .map(|r| {
            vec![
                r.import_id.to_string(),
                r.file_name.clone(),
                r.row_number.to_string(),
                r.validation_error.clone(),
                r.data.to_string(),
            ]
        })
        .collect();
    output::write(
        out,
        format,
        &View {
            title: "Rejected rows",
            header: &["import", "file", "row", "reason", "data"],
            rows,
            records: &records,
            hide: &["data"],
        },
    )
}

pub(super) fn runs(
    conn: &Connection,
    args: &Args,
    scope: &Scope,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let bounds = scope.date.map(|d| dates::day_bounds(d, scope.tz));
    let (from, to) = match bounds {
        Some((a, b)) => (Some(a.into()), Some(b.into())),
        None => (None, None),
    };
    let records = views::runs(conn, from, to, args.limit)?;
    output::write(
        out,
        format,
        &super::summary::runs_view(&records, scope.tz, "Runs"),
    )
}

pub(super) fn opt_outs(
    conn: &Connection,
    args: &Args,
    scope: &Scope,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let mut records = views::opted_out(conn, args.limit)?;
    for r in &mut records {
        r.phone_number = shown_phone(args, &r.phone_number);
    }
    let rows = records
        .iter()
        .map(|o| {
            vec![
                o.phone_number.clone(),
                o.opted_out_at.local(scope.tz),
                o.source.clone(),
                output::opt(&o.words),
            ]
        })
        .collect();
    output::write(
        out,
        format,
        &View {
            title: "Opted out",
            header: &["phone", "since", "source", "words"],
            rows,
            records: &records,
            hide: &[],
        },
    )
}

/// Masks every value of a stored CSV row that looks like a phone number, whatever its column:
/// columns shift in damaged exports, so the number may sit under any header.
fn mask_phone_fields(data: &mut serde_json::Value) {
    if let Some(map) = data.as_object_mut() {
        for value in map.values_mut() {
            if let Some(s) = value.as_str() {
                *value = serde_json::Value::String(mask::phones_in(s));
            }
        }
    }
}
