//! "Now": the real clock, or the instant in `REMINDERS_NOW` (tests, the demo, catch-up runs).

use chrono::{DateTime, SecondsFormat, Utc};

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
}

impl Clock {
    pub fn real() -> Self {
        Clock { fixed: None }
    }

    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock { fixed: Some(at) }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now)
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
