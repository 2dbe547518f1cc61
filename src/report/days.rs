//! Which local day of the report's period a stored time falls on: the days' UTC bounds, kept
//! as text and, when they are in the stored form, as integer keys, so that a million stored
//! times are placed without comparing text.

use std::borrow::Borrow;

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;

use crate::clock::db_time;
use crate::domain::dates::day_bounds;

pub struct PeriodDays {
    /// The UTC start of each local day of the period, and the end of the last.
    starts: Vec<String>,
    /// The same as `time_key`s (`None`: one is not in the stored form, and the text is
    /// compared).
    keys: Option<Vec<u64>>,
    /// The day the last time fell on: rows stored together are mostly of one day.
    last: usize,
}

impl PeriodDays {
    /// The local days `from` to `to` (inclusive) in `tz`, and their dates in order.
    pub fn new(from: NaiveDate, to: NaiveDate, tz: Tz) -> (PeriodDays, Vec<NaiveDate>) {
        let mut starts = Vec::new();
        let mut dates = Vec::new();
        let mut date = from;
        while date <= to {
            starts.push(db_time(day_bounds(date, tz).0));
            dates.push(date);
            match date.checked_add_days(Days::new(1)) {
                Some(next) => date = next,
                None => break,
            }
        }
        starts.push(db_time(day_bounds(to, tz).1));
        let keys = starts.iter().map(|t| time_key(t)).collect();
        (
            PeriodDays {
                starts,
                keys,
                last: 0,
            },
            dates,
        )
    }

    /// The day (its place in the dates `new` gave) whose UTC bounds hold stored time `at`;
    /// `None` outside the period.
    pub fn place(&mut self, at: &str) -> Option<usize> {
        let i = match (&self.keys, time_key(at)) {
            (Some(keys), Some(at)) => day_of(keys, &at, self.last),
            _ => day_of(&self.starts, at, self.last),
        }
        .filter(|&i| i + 1 < self.starts.len())?;
        self.last = i;
        Some(i)
    }
}

/// The day `i` whose bounds `[starts[i], starts[i + 1])` hold `at`, `last` tried first: rows
/// stored together are mostly of one day. `None` before the first start; the last start (the
/// period's end) and after it give `starts.len() - 1`, which is no day.
pub(super) fn day_of<S: Borrow<T>, T: PartialOrd + ?Sized>(
    starts: &[S],
    at: &T,
    last: usize,
) -> Option<usize> {
    let holds = |i: usize| {
        starts[i].borrow() <= at && starts.get(i + 1).is_some_and(|end| at < end.borrow())
    };
    if last + 1 < starts.len() && holds(last) {
        return Some(last);
    }
    starts
        .partition_point(|start| start.borrow() <= at)
        .checked_sub(1)
}

/// A stored time `YYYY-MM-DDTHH:MM:SSZ` (`clock::db_time`) as the number its 14 digits make:
/// of two times in that form, the earlier has the smaller key, as it has the smaller text.
/// `None` for any other text, which is then compared as text.
pub(super) fn time_key(t: &str) -> Option<u64> {
    let [y, mo, d, h, mi, s] = crate::clock::stored_fields(t)?.map(u64::from);
    Some(((((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi) * 100 + s)
}
