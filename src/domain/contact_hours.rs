//! The hours of the day a patient may be contacted (`sending.quiet_hours`, clinic time).

use chrono::NaiveTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    /// Contact is allowed from `start` (inclusive) to `end` (exclusive), local time.
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    pub fn allows(&self, local: NaiveTime) -> bool {
        if self.start <= self.end {
            local >= self.start && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }
}

/// `08:00-21:00`: contact allowed from 08:00 up to (not including) 21:00; `22:00-02:00` spans
/// midnight.
pub fn parse_quiet_hours(s: &str) -> Result<QuietHours, String> {
    let bad = || "must look like 08:00-21:00 (local time)".to_string();
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let start = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| bad())?;
    let end = NaiveTime::parse_from_str(b.trim(), "%H:%M").map_err(|_| bad())?;
    if start == end {
        return Err("start and end are equal: no time would be allowed".into());
    }
    Ok(QuietHours { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_window() {
        let q = parse_quiet_hours("08:00-21:00").unwrap();
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert!(q.allows(t(8, 0)) && q.allows(t(20, 59)));
        assert!(!q.allows(t(21, 0)) && !q.allows(t(7, 59)));
        let night = parse_quiet_hours("22:00-02:00").unwrap();
        assert!(night.allows(t(23, 0)) && night.allows(t(1, 0)) && !night.allows(t(3, 0)));
        assert!(parse_quiet_hours("8-21").is_err());
    }
}
