//! The day's windows: the local times at which `reminders run` sends (after importing the drop
//! folder) and retries, in each site's own zone. Cron only has to wake `run` every few minutes;
//! which window is due is decided here, from the clock, so the server's zone, a cron that
//! ignores `CRON_TZ`, a late or stopped cron, or a DST change cannot move a reminder.
//!
//! - Each window runs at most once per site and local date (the caller knows what ran).
//! - A window whose time has passed is due until `catch_up` after it, and never once the next
//!   window has begun (the next window then does its work: a retry makes the first attempts
//!   that were not made).
//! - A local time in the spring-forward gap is the first instant after the gap; one in the
//!   repeated autumn hour is the earlier of the two (so it runs once).

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::run_job::RunJob;
use super::schedule::RunKind;

/// A start later than this after its window is reported as late.
pub const LATE_AFTER_MINUTES: i64 = 10;

/// One window of the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub kind: RunKind,
    pub at: NaiveTime,
}

impl Window {
    /// How it is recorded and named: `send 19:00`, `retry 09:00`.
    pub fn label(&self) -> String {
        format!("{} {}", RunJob::from(self.kind), self.at.format("%H:%M"))
    }

    /// The instant it opens on `date` in `tz`.
    pub fn opens(&self, date: NaiveDate, tz: Tz) -> DateTime<Utc> {
        local_instant(date, self.at, tz)
    }
}

/// `date` at `time` in `tz`: the earlier instant of a repeated hour, the first instant after a
/// skipped one.
pub fn local_instant(date: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let mut local = date.and_time(time);
    // DST gaps are at most an hour (30 minutes in a few zones); a minute at a time finds the end.
    for _ in 0..=180 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += Duration::minutes(1);
    }
    // No zone skips three hours; fall back to reading the time as UTC rather than failing.
    Utc.from_utc_datetime(&date.and_time(time))
}

/// The windows of a day, in the order of their local times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Day {
    windows: Vec<Window>,
}

impl Day {
    /// Sorted by time; `None` when two windows share a time (which one would run?).
    pub fn new(mut windows: Vec<Window>) -> Option<Day> {
        windows.sort_by_key(|w| w.at);
        if windows.windows(2).any(|p| p[0].at == p[1].at) || windows.is_empty() {
            return None;
        }
        Some(Day { windows })
    }

    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// The windows that opened in the 48 hours up to `now` in `tz` (and the next one to open),
    /// each with its local date, in time order.
    fn around(&self, tz: Tz, now: DateTime<Utc>) -> Vec<Occurrence> {
        let today = now.with_timezone(&tz).date_naive();
        let mut out = Vec::new();
        for date in [
            today - Duration::days(2),
            today - Duration::days(1),
            today,
            today + Duration::days(1),
        ] {
            for w in &self.windows {
                out.push(Occurrence {
                    window: *w,
                    date,
                    opens: w.opens(date, tz),
                });
            }
        }
        out.sort_by_key(|o| o.opens);
        out
    }
}

/// A window on a given local date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    #[serde(skip)]
    pub window: Window,
    pub date: NaiveDate,
    pub opens: DateTime<Utc>,
}

impl Occurrence {
    pub fn label(&self) -> String {
        self.window.label()
    }
}

/// How a person names a window: `the 19:00 send`, or with several sites `the 19:00 send at
/// bloor`.
pub fn name(site: &str, label: &str) -> String {
    let (kind, time) = label.split_once(' ').unwrap_or((label, ""));
    if site.is_empty() {
        format!("the {time} {kind}")
    } else {
        format!("the {time} {kind} at {site}")
    }
}

/// What `run` should do now for one site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    pub occurrence: Occurrence,
    /// Started past `LATE_AFTER_MINUTES` after the window opened.
    pub late: bool,
}

/// The window due now at a site, if any: the latest window that has opened, when it has not
/// run (`ran(label, date)`), is within `catch_up` of opening, and the next has not opened.
pub fn due(
    day: &Day,
    tz: Tz,
    now: DateTime<Utc>,
    catch_up: Duration,
    mut ran: impl FnMut(&Occurrence) -> bool,
) -> Option<Due> {
    let all = day.around(tz, now);
    let latest = all.iter().rposition(|o| o.opens <= now)?;
    let o = all[latest];
    let next_open = all.get(latest + 1).is_some_and(|n| n.opens <= now);
    if next_open || now - o.opens > catch_up || ran(&o) {
        return None;
    }
    Some(Due {
        occurrence: o,
        late: now - o.opens > Duration::minutes(LATE_AFTER_MINUTES),
    })
}

/// Windows that opened in the last 24 hours, more than `grace` ago, and did not run: what
/// `status --check` lists as missed. `since`: nothing before it is expected (before the first
/// import, nothing was there to send).
pub fn missed(
    day: &Day,
    tz: Tz,
    now: DateTime<Utc>,
    grace: Duration,
    since: DateTime<Utc>,
    mut ran: impl FnMut(&Occurrence) -> bool,
) -> Vec<Occurrence> {
    day.around(tz, now)
        .into_iter()
        .filter(|o| {
            o.opens >= since
                && o.opens + grace < now
                && now - o.opens <= Duration::hours(24)
                && !ran(o)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::{Toronto, Vancouver};

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn day() -> Day {
        Day::new(vec![
            Window {
                kind: RunKind::Retry,
                at: t(9, 0),
            },
            Window {
                kind: RunKind::Send,
                at: t(19, 0),
            },
            Window {
                kind: RunKind::Retry,
                at: t(19, 45),
            },
        ])
        .unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn label_at(rfc3339: &str, tz: Tz) -> Option<(String, bool)> {
        due(&day(), tz, at(rfc3339), Duration::minutes(60), |_| false)
            .map(|d| (d.occurrence.label(), d.late))
    }

    #[test]
    fn the_window_due_follows_the_sites_own_clock() {
        // 19:00 in Toronto is 00:00 UTC; in Vancouver it is 16:00 local, nothing due.
        assert_eq!(
            label_at("2026-11-25T00:00:00Z", Toronto),
            Some(("send 19:00".into(), false))
        );
        assert_eq!(label_at("2026-11-25T00:00:00Z", Vancouver), None);
        assert_eq!(
            label_at("2026-11-25T03:00:00Z", Vancouver),
            Some(("send 19:00".into(), false))
        );
        // Before the window: nothing; 19:20: the send, late; 19:45 begins: the retry, and the
        // send is never run after it.
        assert_eq!(label_at("2026-11-24T23:55:00Z", Toronto), None);
        assert_eq!(
            label_at("2026-11-25T00:20:00Z", Toronto),
            Some(("send 19:00".into(), true))
        );
        assert_eq!(
            label_at("2026-11-25T00:45:00Z", Toronto),
            Some(("retry 19:45".into(), false))
        );
        // 21:00: past the retry's catch-up; 09:05 the next morning: the 09:00 retry.
        assert_eq!(label_at("2026-11-25T02:00:00Z", Toronto), None);
        assert_eq!(
            label_at("2026-11-25T14:05:00Z", Toronto),
            Some(("retry 09:00".into(), false))
        );
    }

    #[test]
    fn a_window_runs_once_per_local_date() {
        let now = at("2026-11-25T00:05:00Z");
        let done = |o: &Occurrence| {
            o.label() == "send 19:00" && o.date == NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
        };
        assert_eq!(due(&day(), Toronto, now, Duration::minutes(60), done), None);
    }

    #[test]
    fn dst_gaps_and_repeats() {
        // 2027-03-14 02:30 does not exist in Toronto: a window there opens at 03:00 (07:00 UTC).
        let gap = local_instant(
            NaiveDate::from_ymd_opt(2027, 3, 14).unwrap(),
            t(2, 30),
            Toronto,
        );
        assert_eq!(gap, at("2027-03-14T07:00:00Z"));
        // 2026-11-01 01:30 happens twice: the first (05:30 UTC).
        let twice = local_instant(
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            t(1, 30),
            Toronto,
        );
        assert_eq!(twice, at("2026-11-01T05:30:00Z"));
        // The day after spring-forward, 19:00 is 23:00 UTC.
        assert_eq!(
            label_at("2027-03-14T23:00:00Z", Toronto),
            Some(("send 19:00".into(), false))
        );
    }

    #[test]
    fn missed_windows_of_the_last_day() {
        let now = at("2026-11-25T01:30:00Z"); // 20:30 in Toronto
        let since = at("2026-11-24T12:00:00Z");
        let ran = |o: &Occurrence| o.label() == "retry 09:00";
        let m = missed(&day(), Toronto, now, Duration::minutes(10), since, ran);
        let labels: Vec<String> = m.iter().map(Occurrence::label).collect();
        assert_eq!(labels, ["send 19:00", "retry 19:45"]);
        // Before the first import nothing is expected.
        let m = missed(&day(), Toronto, now, Duration::minutes(10), now, |_| false);
        assert!(m.is_empty());
    }

    #[test]
    fn two_windows_at_one_time_are_refused() {
        let w = Window {
            kind: RunKind::Send,
            at: t(19, 0),
        };
        assert_eq!(Day::new(vec![w, w]), None);
        assert_eq!(Day::new(vec![]), None);
    }
}
