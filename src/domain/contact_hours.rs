//! When a patient may be contacted (docs/behaviour.md, "Contact hours"): `sending.quiet_hours`
//! every day, replaced on the days `[sending.hours_by_day]` names, each in the site's zone.
//!
//! This is the one place that decides. Selection, each contact's check just before its request
//! goes out, the fit check and `reminders check` all ask `ContactHours` with the site's zone and
//! the instant, so they cannot disagree about a Saturday.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// One day's hours: contact is allowed from `start` (inclusive) to `end` (exclusive), local
/// time. `22:00-02:00` spans midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Hours {
    pub fn allows(&self, local: NaiveTime) -> bool {
        if self.start <= self.end {
            local >= self.start && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }

    /// `08:00-21:00`, as the configuration writes it.
    pub fn label(&self) -> String {
        format!(
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

/// `08:00-21:00`: contact allowed from 08:00 up to (not including) 21:00; `22:00-02:00` spans
/// midnight.
pub fn parse_hours(s: &str) -> Result<Hours, String> {
    let bad = || "must look like 08:00-21:00 (local time)".to_string();
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let start = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| bad())?;
    let end = NaiveTime::parse_from_str(b.trim(), "%H:%M").map_err(|_| bad())?;
    if start == end {
        return Err("start and end are equal: no time would be allowed".into());
    }
    Ok(Hours { start, end })
}

/// The configuration's names for the days, Monday first (`[sending.hours_by_day] sat = ...`).
pub const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub fn day_key(day: Weekday) -> &'static str {
    DAY_KEYS[day.num_days_from_monday() as usize]
}

/// "Saturday", for people.
pub fn day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Monday first, as `DAY_KEYS`.
pub const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// A site's contact hours for every day of the week.
///
/// The day is the site's local date at the moment asked about: with `sat = "22:00-02:00"`,
/// 01:00 on Sunday morning follows Sunday's hours, not Saturday's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContactHours {
    every_day: Hours,
    by_day: [Option<Hours>; 7],
}

impl ContactHours {
    /// The same hours every day.
    pub fn every_day(hours: Hours) -> ContactHours {
        ContactHours {
            every_day: hours,
            by_day: [None; 7],
        }
    }

    /// These hours on `day` instead of the every-day ones.
    pub fn with_day(mut self, day: Weekday, hours: Hours) -> ContactHours {
        self.by_day[day.num_days_from_monday() as usize] = Some(hours);
        self
    }

    /// The hours on `day`.
    pub fn on(&self, day: Weekday) -> Hours {
        self.by_day[day.num_days_from_monday() as usize].unwrap_or(self.every_day)
    }

    /// The hours `day` has of its own, if any.
    pub fn own(&self, day: Weekday) -> Option<Hours> {
        self.by_day[day.num_days_from_monday() as usize]
    }

    /// The hours of the days that have no hours of their own (`quiet_hours`).
    pub fn default_hours(&self) -> Hours {
        self.every_day
    }

    /// The days with hours of their own, Monday first.
    pub fn own_days(&self) -> Vec<(Weekday, Hours)> {
        WEEK.iter()
            .filter_map(|&d| self.by_day[d.num_days_from_monday() as usize].map(|h| (d, h)))
            .collect()
    }

    /// The hours in force at `now` in `tz`, and the local day they are for.
    pub fn at(&self, tz: Tz, now: DateTime<Utc>) -> (Weekday, Hours) {
        let day = now.with_timezone(&tz).weekday();
        (day, self.on(day))
    }

    /// Whether a patient of a site in `tz` may be contacted at `now`.
    pub fn allows(&self, tz: Tz, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&tz);
        self.on(local.weekday()).allows(local.time())
    }

    /// When the contact hours in force at `now` end (the fit check's deadline); `None` when
    /// `now` is outside them.
    pub fn end(&self, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&tz);
        let (date, time) = (local.date_naive(), local.time());
        let today = self.on(local.weekday());
        if !today.allows(time) {
            return None;
        }
        if today.start < today.end || time < today.end {
            return Some(instant(tz, date, today.end));
        }
        // Open past midnight: the next day's hours take over at 00:00.
        let next = date.succ_opt()?;
        let tomorrow = self.on(next.weekday());
        if tomorrow.allows(NaiveTime::MIN) {
            Some(instant(tz, next, tomorrow.end))
        } else {
            Some(instant(tz, next, NaiveTime::MIN))
        }
    }

    /// The days on which the local time `t` is outside the contact hours, Monday first.
    pub fn days_outside(&self, t: NaiveTime) -> Vec<Weekday> {
        WEEK.iter()
            .copied()
            .filter(|&d| !self.on(d).allows(t))
            .collect()
    }
}

/// A local date and time as an instant; a time in a spring-forward gap is the first instant
/// after it.
fn instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    (0..=2)
        .find_map(|h| {
            tz.from_local_datetime(&(local + Duration::hours(h)))
                .earliest()
        })
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    /// `local` ("2026-11-28T19:00") in Toronto as an instant.
    fn toronto(local: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M").unwrap();
        chrono_tz::America::Toronto
            .from_local_datetime(&naive)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn weekend() -> ContactHours {
        ContactHours::every_day(parse_hours("08:00-21:00").unwrap())
            .with_day(Weekday::Sat, parse_hours("10:00-18:00").unwrap())
            .with_day(Weekday::Sun, parse_hours("12:00-16:00").unwrap())
    }

    #[test]
    fn one_days_hours() {
        let q = parse_hours("08:00-21:00").unwrap();
        assert!(q.allows(t(8, 0)) && q.allows(t(20, 59)));
        assert!(!q.allows(t(21, 0)) && !q.allows(t(7, 59)));
        let night = parse_hours("22:00-02:00").unwrap();
        assert!(night.allows(t(23, 0)) && night.allows(t(1, 0)) && !night.allows(t(3, 0)));
        assert!(parse_hours("8-21").is_err());
        assert!(parse_hours("10:00-10:00").is_err());
        assert_eq!(night.label(), "22:00-02:00");
    }

    #[test]
    fn each_weekday_follows_its_own_hours() {
        let tz = chrono_tz::America::Toronto;
        let h = weekend();
        // 2026-11-27 is a Friday, the 28th a Saturday, the 29th a Sunday.
        for (local, allowed) in [
            ("2026-11-27T19:00", true),
            ("2026-11-27T20:59", true),
            ("2026-11-27T21:00", false),
            ("2026-11-28T09:59", false),
            ("2026-11-28T10:00", true),
            ("2026-11-28T17:59", true),
            ("2026-11-28T18:00", false),
            ("2026-11-28T19:00", false),
            ("2026-11-29T11:00", false),
            ("2026-11-29T15:00", true),
            ("2026-11-30T08:00", true),
        ] {
            assert_eq!(h.allows(tz, toronto(local)), allowed, "{local}");
        }
        assert_eq!(h.at(tz, toronto("2026-11-28T19:00")).0, Weekday::Sat);
        assert_eq!(h.on(Weekday::Wed), h.default_hours());
        assert_eq!(
            h.own_days().iter().map(|(d, _)| *d).collect::<Vec<_>>(),
            [Weekday::Sat, Weekday::Sun]
        );
    }

    #[test]
    fn the_day_is_the_sites_local_day() {
        // 2026-11-29 03:00 UTC is Saturday 19:00 in Vancouver but Sunday in UTC.
        let h = weekend();
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 3, 0, 0).unwrap();
        let vancouver = chrono_tz::America::Vancouver;
        assert_eq!(h.at(vancouver, now).0, Weekday::Sat);
        assert!(!h.allows(vancouver, now), "Saturday ends at 18:00");
        // 2026-11-28 17:00 UTC: Saturday 09:00 in Vancouver (closed), 12:00 in Toronto (open).
        let noon = Utc.with_ymd_and_hms(2026, 11, 28, 17, 0, 0).unwrap();
        assert!(!h.allows(vancouver, noon));
        assert!(h.allows(chrono_tz::America::Toronto, noon));
    }

    #[test]
    fn the_end_is_the_end_of_that_days_hours() {
        let tz = chrono_tz::America::Toronto;
        let h = weekend();
        assert_eq!(
            h.end(tz, toronto("2026-11-27T19:00")),
            Some(toronto("2026-11-27T21:00"))
        );
        assert_eq!(
            h.end(tz, toronto("2026-11-28T17:00")),
            Some(toronto("2026-11-28T18:00"))
        );
        assert_eq!(h.end(tz, toronto("2026-11-28T19:00")), None);
        // Past midnight into a day whose hours do not begin at midnight: it ends at 00:00.
        let late = ContactHours::every_day(parse_hours("20:00-02:00").unwrap())
            .with_day(Weekday::Sat, parse_hours("10:00-18:00").unwrap());
        assert_eq!(
            late.end(tz, toronto("2026-11-27T23:00")),
            Some(toronto("2026-11-28T00:00"))
        );
        assert_eq!(
            late.end(tz, toronto("2026-11-26T23:00")),
            Some(toronto("2026-11-27T02:00"))
        );
    }

    #[test]
    fn a_window_outside_some_days_names_them() {
        let h = weekend();
        assert_eq!(h.days_outside(t(19, 0)), [Weekday::Sat, Weekday::Sun]);
        assert_eq!(h.days_outside(t(13, 0)), []);
        assert_eq!(h.days_outside(t(22, 0)).len(), 7);
        assert_eq!(day_name(Weekday::Sat), "Saturday");
        assert_eq!(day_key(Weekday::Sun), "sun");
    }
}
