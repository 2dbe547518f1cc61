//! The windows `reminders run` keeps, as `status --check` sees them: those of the last day
//! that did not run (by `run` or by hand), and those that ran late.

use anyhow::Result;
use rusqlite::Connection;

use crate::clock::Stamp;
use crate::config::Config;
use crate::domain::attention;

/// The windows of the last day that did not run, or ran late, at every site.
pub(super) fn notes(
    cfg: &Config,
    conn: &Connection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<attention::WindowNote>> {
    use crate::db::runs;
    use crate::domain::windows::{self, LATE_AFTER_MINUTES};
    let Some(since) = runs::first_activity(conn)?.map(|at| at.instant()) else {
        return Ok(Vec::new());
    };
    let grace = chrono::Duration::minutes(LATE_AFTER_MINUTES);
    let mut notes = Vec::new();
    for key in cfg.site_keys() {
        let tz = cfg.site(key).tz;
        let mut failure = None;
        let missed = windows::missed(&cfg.schedule.day, tz, now, grace, since, |o| {
            let kind = o.window.kind.into();
            let to = o.opens + cfg.schedule.catch_up.max(chrono::Duration::hours(1));
            runs::covered(conn, key, kind, o.opens.into(), to.into()).unwrap_or_else(|e| {
                failure.get_or_insert(e);
                true
            })
        });
        if let Some(e) = failure {
            return Err(e);
        }
        for o in missed {
            notes.push(attention::WindowNote {
                name: windows::name(key, &o.label()),
                opens: o.opens.into(),
                late: None,
            });
        }
    }
    let day_ago = Stamp::from(now - chrono::Duration::hours(24));
    for late in runs::late_since(conn, day_ago, LATE_AFTER_MINUTES)? {
        let (opens, started) = (late.opens.instant(), late.started_at.instant());
        let tz = cfg.site(&late.sites).tz;
        notes.push(attention::WindowNote {
            name: windows::name(&late.sites, &late.window),
            opens: late.opens,
            late: Some((
                started.with_timezone(&tz).format("%H:%M").to_string(),
                (started - opens).num_minutes(),
            )),
        });
    }
    notes.sort_by_key(|n| n.opens);
    Ok(notes)
}
