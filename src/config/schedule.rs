//! `[schedule]`: the reminder touches, one message per number, and the days an export is due.

use anyhow::Result;

use super::layers::Layers;
use super::values::boolean;
use crate::domain::schedule::MAX_DAYS_BEFORE;
use crate::exit::usage;

/// `[schedule]` (SPEC 10.1, 12.2).
#[derive(Clone, Debug)]
pub struct Schedule {
    pub touches: crate::domain::schedule::Touches,
    /// One message per number per run (SPEC 11.1).
    pub combine: bool,
    /// The days an export is expected (`status --check` flags a missing one).
    pub expect_files: Vec<chrono::Weekday>,
}

pub(super) fn schedule(l: &Layers<'_>) -> Result<Schedule> {
    let source = |key: &str| {
        l.value(key)
            .map_or_else(|| "the defaults".to_string(), |(_, s)| s.to_string())
    };
    let days_before = match l.value("schedule.days_before") {
        None => vec![1],
        Some((v, _)) => v
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .map(|i| i.as_integer().and_then(|n| u32::try_from(n).ok()).filter(|n| *n <= MAX_DAYS_BEFORE))
                    .collect::<Option<Vec<u32>>>()
            })
            .ok_or_else(|| {
                usage(format!(
                    "configuration key `schedule.days_before` from {}: must be a list of whole numbers of days from 0 to {MAX_DAYS_BEFORE}, e.g. [3, 1]",
                    source("schedule.days_before")
                ))
            })?,
    };
    let touches = crate::domain::schedule::Touches::new(&days_before).ok_or_else(|| {
        usage(format!(
            "configuration key `schedule.days_before` from {}: needs at least one entry, e.g. [1]",
            source("schedule.days_before")
        ))
    })?;
    let expect_files = match l.words("schedule.expect_files")? {
        None => all_days(),
        Some(days) => days
            .iter()
            .map(|d| {
                d.trim().parse::<chrono::Weekday>().map_err(|_| {
                    usage(format!(
                        "configuration key `schedule.expect_files`: {d:?} is not a day (mon, tue, wed, thu, fri, sat, sun)"
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?,
    };
    Ok(Schedule {
        touches,
        combine: l.get("schedule.combine", true, boolean)?,
        expect_files,
    })
}

fn all_days() -> Vec<chrono::Weekday> {
    use chrono::Weekday::*;
    vec![Mon, Tue, Wed, Thu, Fri, Sat, Sun]
}
