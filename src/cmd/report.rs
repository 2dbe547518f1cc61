//! `reminders report`: the manager's report (docs/report.md) — one self-contained HTML page, or
//! the same figures as JSON. The queries are in `db/report.rs`, the counting in
//! `report/tally.rs`, the page in `report/html.rs`; this file reads the flags, wires them
//! together and writes the result.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::clock::{Stamp, parse_db_time};
use crate::config::Config;
use crate::db::{self, report::Period, views};
use crate::domain::dates::{self, ACCEPTED};
use crate::domain::schedule::MAX_DAYS_BEFORE;
use crate::exit::usage;
use crate::mask;
use crate::report::hand_calls;
use crate::report::model::{FollowUps, HandCall, OptOuts, Rate, Report};
use crate::report::tally::{Settings, Tally};

/// The period when neither `--from` nor `--to` says otherwise: 30 days ending today.
const DEFAULT_DAYS: u64 = 30;

#[derive(clap::Args, Debug)]
#[command(
    about = "Write the manager's report: one self-contained HTML page (or --json)",
    long_about = "Writes the manager's report for a period (default: the last 30 days, ending \
today in the clinic's time zone) as one self-contained HTML page that needs no network and \
prints on A4: the funnel from import to answer (contacted, reached, confirmed, cancel \
requested, failed, expired, withdrawn, opted out) for the appointments whose time is in the \
period; the phone numbers that opted out during the period, also those a reminder had reached \
first; reach and confirmation rates by channel, by touch and by site; a daily trend; why \
patients were not reached; the texts, segments, calls and call minutes about those appointments, \
with Twilio's price where Twilio reported one; and the patients to phone by hand for the \
coming day (reminder failed, or asked to cancel). Phone numbers are masked unless \
--show-phone. The page holds patient ids, so it is written readable by its owner only, and \
only ever in place of a regular file: a symbolic link, named pipe, device or folder at --out is \
refused (`--out -` writes to standard output).\n\n\
--from and --to take today, tomorrow, yesterday or YYYY-MM-DD (both days included). The \
report only reads the database: it never creates one.",
    after_help = "Examples:\n  reminders report                                  # report.html, last 30 days\n  \
reminders report --from 2026-11-01 --to 2026-11-30 --out november.html\n  \
reminders report --from yesterday --to yesterday --site bloor\n  \
reminders report --json | jq .funnel\n  \
reminders report --out - > /srv/www/report.html"
)]
pub struct Args {
    /// First day of the period: today, tomorrow, yesterday or YYYY-MM-DD (default: 29 days
    /// before --to).
    #[arg(long, value_name = "DAY")]
    pub from: Option<String>,

    /// Last day of the period, included (default: today).
    #[arg(long, value_name = "DAY")]
    pub to: Option<String>,

    /// Only this site (a [sites.NAME] of the configuration).
    #[arg(long, value_name = "NAME")]
    pub site: Option<String>,

    /// Where to write: a new file or a regular file to replace (default report.html; with
    /// --json, standard output); `-` for standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// The figures as JSON instead of the page.
    #[arg(long)]
    pub json: bool,

    /// Show phone numbers in full on the hand-call list (masked by default: health data).
    #[arg(long)]
    pub show_phone: bool,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    let site = site_key(cfg, args.site.as_deref())?;
    let tz = match site {
        Some(key) => cfg.site(key).tz,
        None => cfg.timezone,
    };
    let now = cfg.now();
    let (from, to) = period(args, now.with_timezone(&tz).date_naive())?;
    let (conn, _) = db::open_to_read(&cfg.db)?;
    let asked = Asked {
        site,
        tz,
        from,
        to,
        now,
        show_phone: args.show_phone,
    };
    let report = build(cfg, &conn, &asked)
        .with_context(|| format!("reading the database {} for the report", cfg.db.display()))?;
    let to_stdout = args.out.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if args.json {
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        return match &args.out {
            Some(path) if !to_stdout => {
                write_private(path, text.as_bytes())?;
                println!("{}: {}", path.display(), headline(&report));
                Ok(())
            }
            _ => print_quietly(&text),
        };
    }
    if to_stdout {
        return print_quietly(&crate::report::render(&report));
    }
    let path = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("report.html"));
    write_private(&path, crate::report::render(&report).as_bytes())?;
    println!("{}: {}", path.display(), headline(&report));
    Ok(())
}

/// The site `--site` names, by its key in `[sites]` (case aside).
fn site_key<'a>(cfg: &'a Config, wanted: Option<&str>) -> Result<Option<&'a str>> {
    let Some(wanted) = wanted else {
        return Ok(None);
    };
    let keys: Vec<&str> = cfg.sites.iter().map(|s| s.key.as_str()).collect();
    if keys.is_empty() {
        return Err(usage(format!(
            "--site {wanted:?}: no [sites] are configured, so the report covers the one clinic"
        )));
    }
    keys.iter()
        .find(|k| k.eq_ignore_ascii_case(wanted.trim()))
        .map(|k| Some(*k))
        .ok_or_else(|| {
            usage(format!(
                "--site {wanted:?}: no such site; the configured sites are {}",
                keys.join(", ")
            ))
        })
}

/// `[from, to]` from the flags: both days included, 30 days ending today by default.
fn period(args: &Args, today: NaiveDate) -> Result<(NaiveDate, NaiveDate)> {
    let day = |flag: &str, word: &str| {
        dates::parse_day(word, today).map_err(|why| usage(format!("{flag}: {why}")))
    };
    let to = match &args.to {
        Some(word) => day("--to", word)?,
        None => today,
    };
    let from = match &args.from {
        Some(word) => day("--from", word)?,
        None => to
            .checked_sub_days(Days::new(DEFAULT_DAYS - 1))
            .unwrap_or(to),
    };
    if from > to {
        return Err(usage(format!(
            "--from {from} is after --to {to}: the period runs from the first day to the last (each {ACCEPTED})"
        )));
    }
    Ok((from, to))
}

/// What the flags asked for, resolved.
struct Asked<'a> {
    /// The `[sites]` key, or every site.
    site: Option<&'a str>,
    /// The zone days are read in: the site's, else the clinic's.
    tz: Tz,
    from: NaiveDate,
    /// Inclusive.
    to: NaiveDate,
    now: DateTime<Utc>,
    show_phone: bool,
}

fn build(cfg: &Config, conn: &rusqlite::Connection, asked: &Asked<'_>) -> Result<Report> {
    let &Asked {
        site, tz, from, to, ..
    } = asked;
    let voicemail_counts = cfg.sending.voicemail_counts_as_reached;
    let start = Stamp::from(dates::day_bounds(from, tz).0);
    let end = Stamp::from(dates::day_bounds(to, tz).1);
    let p = Period {
        from: start,
        to: end,
        site,
    };
    // One snapshot for every query, even while a run or the listener writes.
    let read = conn.unchecked_transaction()?;
    let span = db::report::span(&read, &p)?;
    let mut t = Tally::new(
        Settings {
            tz,
            from,
            to,
            voicemail_counts,
        },
        &span,
    );
    db::report::appointments(&read, &p, &span, |a| t.add_appointment(a))?;
    // Where the period's attempts start: none is older than its appointment's import (a day's
    // margin for a clock REMINDERS_NOW set behind the one the import ran by), nor made more
    // days ahead than a touch may be (a day's margin for the zones).
    let earliest =
        dates::day_bounds(from, tz).0 - chrono::Duration::days(i64::from(MAX_DAYS_BEFORE) + 1);
    let since = t
        .first_import()
        .and_then(parse_db_time)
        .map(|t| Stamp::from((t - chrono::Duration::days(1)).max(earliest)));
    if let Some(since) = since {
        db::report::attempts_made(&read, since, end, |a| t.add_attempt(a))?;
    }
    let one_site = cfg.sites.is_empty();
    let clinic = match site {
        Some(key) => cfg.site(key).identity.clinic_name.clone(),
        None => cfg.identity.clinic_name.clone(),
    };
    let clinic_or = |fallback: &str| clinic.clone().unwrap_or_else(|| fallback.to_string());
    let figures = t.finish(|key| match key {
        "" if one_site => clinic_or("All appointments"),
        "" => "No site".to_string(),
        key => key.to_string(),
    });

    let opted = db::report::opt_outs(&read, &p)?;
    let [voicemail_texts, no_show_messages, clinic_notices] = db::report::follow_ups(&read, &p)?;
    let holds = db::holds::counts_by_rule(&read, start, end, site)?
        .into_iter()
        .map(|(rule, count)| crate::report::model::HoldCount {
            rule,
            count: count.max(0) as u64,
        })
        .collect();
    let waitlist =
        crate::report::waitlist::tally(&db::backfill::period_slots(&read, start, end, site)?);
    let (to_call_date, to_call) = hand_call_list(&read, asked, voicemail_counts)?;
    Ok(Report {
        clinic: match site {
            Some(key) => clinic.unwrap_or_else(|| key.to_string()),
            None if one_site => clinic_or("All appointments"),
            None => clinic_or("All sites"),
        },
        site: site.map(str::to_string),
        timezone: tz.name().to_string(),
        from,
        to,
        generated_at: asked
            .now
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
        funnel: figures.funnel,
        opt_outs: OptOuts {
            numbers: opted.numbers,
            after_reached: opted.after_reached,
        },
        follow_ups: FollowUps {
            voicemail_texts,
            no_show_messages,
            clinic_notices,
        },
        holds,
        waitlist,
        by_channel: figures.by_channel,
        by_touch: figures.by_touch,
        by_site: figures.by_site,
        daily: figures.daily,
        failure_reasons: figures.failure_reasons,
        usage: figures.usage,
        to_call,
        to_call_date,
    })
}

/// The coming day — the local day of the next appointment from now on, as `status` has it —
/// and its patients to phone by hand.
fn hand_call_list(
    read: &rusqlite::Connection,
    asked: &Asked<'_>,
    voicemail_counts: bool,
) -> Result<(NaiveDate, Vec<HandCall>)> {
    let tz = asked.tz;
    let next = views::next_appointment_at(read, Stamp::from(asked.now))?;
    let day = dates::coming_day(next.map(|at| at.instant()), asked.now, tz);
    let (start, end) = dates::day_bounds(day, tz);
    let p = Period {
        from: start.into(),
        to: end.into(),
        site: asked.site,
    };
    let calls = db::report::to_call(read, &p)?
        .iter()
        .map(|c| {
            let phone = if asked.show_phone {
                c.phone_number.clone()
            } else {
                mask::phone(&c.phone_number)
            };
            hand_calls::hand_call(c, tz, voicemail_counts, phone)
        })
        .collect();
    Ok((day, calls))
}

/// The figures a manager looks for first, on one line: "20 appointment(s) from 2026-10-27 to
/// 2026-11-25: 19 contacted, 16 reached (84.2%), …; 3 to phone by hand for the coming day".
fn headline(r: &Report) -> String {
    let f = &r.funnel;
    let whole = Rate {
        label: String::new(),
        appointments: f.imported,
        contacted: f.contacted,
        reached: f.reached,
        confirmed: f.confirmed,
    };
    let pct = |share: Option<f64>| match share {
        Some(s) => format!(" ({:.1}%)", s * 100.0),
        None => String::new(),
    };
    format!(
        "{} appointment(s) from {} to {}: {} contacted, {} reached{}, {} confirmed{}, {} asked to cancel, {} failed; {} to phone by hand for the coming day",
        f.imported,
        r.from,
        r.to,
        f.contacted,
        f.reached,
        pct(whole.reach_rate()),
        f.confirmed,
        pct(whole.confirm_rate()),
        f.cancel_requested,
        f.failed,
        r.to_call.len(),
    )
}

/// Writes `bytes` to `path` whole or not at all, readable by its owner only (`files::replace`:
/// written aside, flushed, renamed over the old one, and never over anything but a regular
/// file), so a reader never sees half a report and an old report's looser mode is not inherited.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::files::replace(path, |out| Ok(out.write_all(bytes)?))
        .with_context(|| format!("writing the report to {}", path.display()))
}

/// The page or the JSON to standard output; a reader that stops early (`| head`) is no error.
fn print_quietly(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn args(from: Option<&str>, to: Option<&str>) -> Args {
        Args {
            from: from.map(String::from),
            to: to.map(String::from),
            site: None,
            out: None,
            json: false,
            show_phone: false,
        }
    }

    #[test]
    fn the_period_is_30_days_ending_today_unless_told() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            period(&args(None, None), today).unwrap(),
            (d("2026-10-27"), today)
        );
        assert_eq!(
            period(&args(Some("yesterday"), Some("tomorrow")), today).unwrap(),
            (d("2026-11-24"), d("2026-11-26"))
        );
        assert_eq!(
            period(&args(None, Some("2026-11-30")), today).unwrap(),
            (d("2026-11-01"), d("2026-11-30"))
        );
        let err = period(&args(Some("tomorrow"), Some("today")), today).unwrap_err();
        assert_eq!(crate::exit::code_for(&err), 2);
        let err = period(&args(Some("last week"), None), today).unwrap_err();
        assert_eq!(crate::exit::code_for(&err), 2);
        assert!(format!("{err}").starts_with("--from: "), "{err}");
    }

    #[test]
    fn the_file_is_replaced_whole_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Nothing left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
