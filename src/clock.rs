//! "Now": the real clock, or the instant in `REMINDERS_NOW` (tests, the demo, catch-up runs).
//! `REMINDERS_NOW` sets the instant the process starts at; time then moves on with the real
//! clock, so a run started at 20:59:55 sees 21:00 come, as a real one would.

use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Option<(DateTime<Utc>, Instant)>,
}

impl Clock {
    pub fn real() -> Self {
        Clock { start: None }
    }

    /// A clock that reads `at` now and moves on in real time from here.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Clock {
            start: Some((at, Instant::now())),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self.start {
            Some((at, since)) => {
                at + chrono::Duration::from_std(since.elapsed()).unwrap_or_default()
            }
            None => Utc::now(),
        }
    }
}

/// The one timestamp format stored in the database: UTC, whole seconds, `Z`.
pub fn db_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn parse_db_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A stored UTC timestamp as the clinic reads it: `2026-11-24 19:00` in its own zone.
pub fn local_display(stored: &str, tz: chrono_tz::Tz) -> String {
    match parse_db_time(stored) {
        Some(t) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        None => stored.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_start_moves_on_in_real_time() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T20:59:59-05:00")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::starting_at(at);
        let first = clock.now();
        assert!(first >= at && first - at < chrono::Duration::seconds(1));
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now() > first);
    }

    #[test]
    fn db_time_round_trips_in_utc_seconds() {
        let t = DateTime::parse_from_rfc3339("2026-11-24T19:00:00.750-05:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(db_time(t), "2026-11-25T00:00:00Z");
        assert_eq!(
            parse_db_time("2026-11-25T00:00:00Z").unwrap(),
            t - chrono::Duration::milliseconds(750)
        );
    }
}
