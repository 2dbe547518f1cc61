//! The rules of contact in a run (docs/behaviour.md, "Holds"): the caps checked for a number
//! before each contact (at selection, and again in the claim just before the request), the
//! `us-health` lengths, and the hold that a contact over them becomes. A hold changes no state:
//! the appointment stays due, and a later window (a later local day for a cap) tries it again.
//!
//! Priority: within a run, reminders are selected and claimed before anything else, so when a
//! cap leaves room for one contact a reminder takes it (`ContactKind`); a voicemail's text, a
//! follow-up and an offer are checked with the more important contacts still due to the number
//! as `ahead`.

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use crate::clock::Stamp;
use crate::config::{Config, Templates, read_template};
use crate::db::appointments::Stored;
use crate::db::holds::{self, NewHold};
use crate::domain::dates::day_bounds;
use crate::domain::limits::{self, ContactKind, Profile, Rule, Used};
use crate::domain::templates::{self, MAX_COMBINED};
use crate::exit::usage;
use crate::mask;

/// Whether a contact of `kind` to `phone` (of site `site`) goes over a cap at `now`, counting
/// the contacts already made to it and `planned` more this run has not recorded (a dry run's),
/// and keeping room for the more important contacts `ahead` still due to it; when it does, the
/// rule and the reason in words.
#[allow(clippy::too_many_arguments)]
pub fn over_cap(
    cfg: &Config,
    conn: &Connection,
    site: &str,
    phone: &str,
    kind: ContactKind,
    now: DateTime<Utc>,
    planned: u32,
    ahead: &[ContactKind],
) -> Result<Option<(Rule, String)>> {
    let view = cfg.site(site);
    let caps = view.caps;
    if !caps.any() {
        return Ok(None);
    }
    // The site's local day, and the 6 before it.
    let today = now.with_timezone(&view.tz).date_naive();
    let (day_from, until) = day_bounds(today, view.tz);
    let week_from = day_bounds(today - Duration::days(6), view.tz).0;
    let count = |from: DateTime<Utc>| {
        holds::contacts_to(conn, phone, from.into(), until.into())
            .context("counting the contacts made to a number")
    };
    let used = Used {
        day: count(day_from)? + planned,
        week: if caps.per_week > 0 {
            count(week_from)? + planned
        } else {
            0
        },
    };
    Ok(limits::decide(kind, used, caps, ahead)
        .map(|rule| (rule, limits::cap_reason(rule, caps, &mask::phone(phone)))))
}

/// Records a hold for each appointment of a contact that was not made.
pub fn hold(
    conn: &Connection,
    group: &[Stored],
    rule: Rule,
    reason: &str,
    at: Stamp,
    run_id: Option<i64>,
) -> Result<()> {
    for appt in group {
        holds::insert(
            conn,
            &NewHold {
                appointment: appt.id,
                rule,
                reason,
                at,
                run_id,
            },
        )?;
        log::info!("appointment {} {reason}", appt.appointment_id);
    }
    Ok(())
}

/// With a profile that limits lengths: a template whose fixed words alone are over the limit
/// could never be sent, so it is a configuration error before anyone is contacted, naming the
/// template's key and file (or the built-in text).
pub fn check_templates(cfg: &Config) -> Result<()> {
    let profile = cfg.limits.profile;
    if profile.lengths().is_none() {
        return Ok(());
    }
    check_set(cfg, profile, "templates", &cfg.templates)?;
    for s in &cfg.sites {
        check_set(
            cfg,
            profile,
            &format!("sites.{}.templates", s.key),
            &s.templates,
        )?;
    }
    Ok(())
}

fn check_set(cfg: &Config, profile: Profile, prefix: &str, t: &Templates) -> Result<()> {
    // Every kind in every loaded language: the clinic's file, else the pack's own words.
    let mut slots = Vec::new();
    for pack in cfg.languages.all() {
        let code = pack.code.code();
        for (kind, sms, count) in [
            ("sms", true, 1),
            ("voice", false, 1),
            ("sms_combined", true, MAX_COMBINED),
            ("voice_combined", false, MAX_COMBINED),
        ] {
            slots.push((
                format!("{kind}_{code}"),
                t.get(kind, code).cloned(),
                sms,
                count,
                pack,
            ));
        }
    }
    for (name, path, sms, count, pack) in slots {
        let text = read_template(&path)?;
        let fixed = if sms {
            templates::fixed_sms(text.as_deref(), pack, count)
        } else {
            templates::fixed_voice(text.as_deref(), pack, count)
        };
        if let Some((_, why)) = limits::too_long(profile, sms, &fixed) {
            let file = match path {
                Some(p) => format!(" ({})", p.display()),
                None => " (the built-in text)".to_string(),
            };
            let why = why.trim_start_matches("held: ");
            return Err(usage(format!(
                "template {prefix}.{name}{file} can never be sent under limits.profile = \"{}\": its fixed words alone — {why}; shorten it",
                profile.name()
            )));
        }
    }
    Ok(())
}
