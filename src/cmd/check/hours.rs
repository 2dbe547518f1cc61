//! Contact hours: each day's hours look like daytime, and the send and retry windows fall inside
//! them — every day (a failure otherwise), or only on some (a warning naming the days).

use super::Report;
use super::setup::label;
use crate::config::Config;
use crate::domain::contact_hours::{Hours, WEEK, day_name};
use crate::domain::readiness::{self, Finding};

pub(super) fn contact_hours(r: &mut Report, cfg: &Config) {
    for key in cfg.site_keys() {
        let site = cfg.site(key);
        let every_day = site.hours.default_hours();
        let own = site.hours.own_days();
        let (setting, by_day) = if key.is_empty() {
            (
                "sending.quiet_hours".to_string(),
                "[sending.hours_by_day]".to_string(),
            )
        } else {
            (
                format!("sites.{key}.quiet_hours (or sending.quiet_hours)"),
                format!("[sites.{key}.hours_by_day] (or [sending.hours_by_day])"),
            )
        };
        let mut questioned = false;
        let mut question = |hours: Hours, day: Option<&str>, setting: &str| {
            if let Some(why) = readiness::contact_hours(hours) {
                questioned = true;
                let on = day.map(|d| format!(" on {d}")).unwrap_or_default();
                r.add(Finding::warn(
                    format!("{}contact hours{on} {why}", label(key)),
                    format!("set {setting} to daytime hours, e.g. \"08:00-21:00\""),
                ));
            }
        };
        question(every_day, None, &setting);
        for (day, hours) in &own {
            question(*hours, Some(day_name(*day)), &by_day);
        }
        if !questioned {
            let days: Vec<String> = own
                .iter()
                .map(|(d, h)| format!(", {} {}", day_name(*d), h.label()))
                .collect();
            r.add(Finding::ok(format!(
                "{}contact hours {}{} ({})",
                label(key),
                every_day.label(),
                days.concat(),
                site.tz.name()
            )));
        }
    }
}

/// Each site's send and retry windows fall inside its contact hours. A window outside them every
/// day would run and contact nobody, ever: a failure. Outside them on some days only (a
/// Saturday that ends at 18:00), the run contacts nobody on those days: a warning naming them.
pub(super) fn windows_within_contact_hours(r: &mut Report, cfg: &Config) {
    let windows = cfg.schedule.day.windows();
    let listed: Vec<String> = windows.iter().map(|w| w.label()).collect();
    for key in cfg.site_keys() {
        let site = cfg.site(key);
        let mut always = Vec::new();
        // The windows outside on some days, grouped by those days.
        let mut sometimes: Vec<(Vec<chrono::Weekday>, Vec<String>)> = Vec::new();
        for w in windows {
            let days = site.hours.days_outside(w.at);
            if days.len() == WEEK.len() {
                always.push(w.label());
            } else if !days.is_empty() {
                match sometimes.iter_mut().find(|(d, _)| *d == days) {
                    Some((_, labels)) => labels.push(w.label()),
                    None => sometimes.push((days, vec![w.label()])),
                }
            }
        }
        let hours = site.hours.default_hours().label();
        if always.is_empty() && sometimes.is_empty() {
            r.add(Finding::ok(format!(
                "{}windows {} inside the contact hours ({hours}{})",
                label(key),
                listed.join(", "),
                if site.hours.own_days().is_empty() {
                    ""
                } else {
                    " and each day's own"
                }
            )));
        }
        if !always.is_empty() {
            r.add(Finding::fail(
                format!(
                    "{}window {} outside the contact hours ({hours}): it would contact nobody",
                    label(key),
                    always.join(", ")
                ),
                "move it in [schedule] send / retry, or widen the contact hours",
            ));
        }
        for (days, labels) in sometimes {
            let named: Vec<String> = days
                .iter()
                .map(|d| format!("{} ({})", day_name(*d), site.hours.on(*d).label()))
                .collect();
            r.add(Finding::warn(
                format!(
                    "{}window {} outside the contact hours on {}: nobody is contacted at it that day",
                    label(key),
                    labels.join(", "),
                    named.join(", ")
                ),
                "if that is not meant, move the window in [schedule] send / retry, or widen [sending.hours_by_day] for that day",
            ));
        }
    }
}
