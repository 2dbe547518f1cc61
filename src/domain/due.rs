//! Who is due a contact now (SPEC §5.2). `send` makes first attempts, `retry` the later ones.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::domain::channel::Channel;
use crate::domain::contact_hours::QuietHours;
use crate::domain::state::State;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    Send,
    Retry,
}

/// The facts about one appointment that decide.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    pub state: State,
    pub at: DateTime<Utc>,
    pub channel: Channel,
    pub attempt_count: u32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub opted_out: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct Rules {
    pub max_attempts: u32,
    pub min_gap: Duration,
    pub quiet_hours: QuietHours,
    pub tz: Tz,
    pub force: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Contact,
    /// Not this run's business (another state, or nothing to do).
    NotDue,
    /// The appointment has passed before the patient was reached.
    Expire,
    /// The number is in `opt_outs`.
    OptedOut,
    /// The last attempt was less than the minimum gap ago.
    TooSoon,
    /// Outside the allowed hours and not forced.
    QuietHours,
}

pub fn verdict(kind: RunKind, f: &Facts, now: DateTime<Utc>, r: &Rules) -> Verdict {
    let wanted = match kind {
        RunKind::Send => State::Pending,
        RunKind::Retry => State::RetryWait,
    };
    if f.state != wanted || f.channel == Channel::None {
        return Verdict::NotDue;
    }
    if f.at <= now {
        return Verdict::Expire;
    }
    if f.opted_out {
        return Verdict::OptedOut;
    }
    if kind == RunKind::Retry {
        if f.attempt_count >= r.max_attempts {
            return Verdict::NotDue;
        }
        if let Some(last) = f.last_attempt_at
            && now - last < r.min_gap
        {
            return Verdict::TooSoon;
        }
    }
    if !r.force && !r.quiet_hours.allows(now.with_timezone(&r.tz).time()) {
        return Verdict::QuietHours;
    }
    Verdict::Contact
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_db_time;
    use crate::domain::contact_hours::parse_quiet_hours;

    fn t(s: &str) -> DateTime<Utc> {
        parse_db_time(s).unwrap()
    }

    fn rules(force: bool) -> Rules {
        Rules {
            max_attempts: 3,
            min_gap: Duration::minutes(30),
            quiet_hours: parse_quiet_hours("08:00-21:00").unwrap(),
            tz: chrono_tz::America::Toronto,
            force,
        }
    }

    fn facts(state: State) -> Facts {
        Facts {
            state,
            at: t("2026-11-25T14:30:00Z"),
            channel: Channel::Call,
            attempt_count: 0,
            last_attempt_at: None,
            opted_out: false,
        }
    }

    // 19:00, 19:45 and 09:00 in Toronto.
    const SEVEN_PM: &str = "2026-11-25T00:00:00Z";
    const QUARTER_TO_8: &str = "2026-11-25T00:45:00Z";
    const NINE_AM: &str = "2026-11-25T14:00:00Z";

    #[test]
    fn send_takes_pending_future_appointments() {
        let r = rules(false);
        assert_eq!(
            verdict(RunKind::Send, &facts(State::Pending), t(SEVEN_PM), &r),
            Verdict::Contact
        );
        assert_eq!(
            verdict(RunKind::Send, &facts(State::RetryWait), t(SEVEN_PM), &r),
            Verdict::NotDue
        );
        assert_eq!(
            verdict(RunKind::Send, &facts(State::Reached), t(SEVEN_PM), &r),
            Verdict::NotDue
        );
        let past = Facts {
            at: t("2026-11-24T23:00:00Z"),
            ..facts(State::Pending)
        };
        assert_eq!(
            verdict(RunKind::Send, &past, t(SEVEN_PM), &r),
            Verdict::Expire
        );
        let stop = Facts {
            opted_out: true,
            ..facts(State::Pending)
        };
        assert_eq!(
            verdict(RunKind::Send, &stop, t(SEVEN_PM), &r),
            Verdict::OptedOut
        );
        let nobody = Facts {
            channel: Channel::None,
            ..facts(State::Pending)
        };
        assert_eq!(
            verdict(RunKind::Send, &nobody, t(SEVEN_PM), &r),
            Verdict::NotDue
        );
    }

    #[test]
    fn retry_respects_gap_and_attempts() {
        let r = rules(false);
        let waiting = Facts {
            attempt_count: 1,
            last_attempt_at: Some(t(SEVEN_PM)),
            ..facts(State::RetryWait)
        };
        assert_eq!(
            verdict(RunKind::Retry, &waiting, t(QUARTER_TO_8), &r),
            Verdict::Contact
        );
        assert_eq!(
            verdict(RunKind::Retry, &waiting, t("2026-11-25T00:20:00Z"), &r),
            Verdict::TooSoon
        );
        let spent = Facts {
            attempt_count: 3,
            ..waiting
        };
        assert_eq!(
            verdict(RunKind::Retry, &spent, t(NINE_AM), &r),
            Verdict::NotDue
        );
        assert_eq!(
            verdict(RunKind::Retry, &waiting, t(NINE_AM), &r),
            Verdict::Contact
        );
    }

    #[test]
    fn quiet_hours_unless_forced() {
        let late = t("2026-11-25T02:30:00Z"); // 21:30 in Toronto
        assert_eq!(
            verdict(RunKind::Send, &facts(State::Pending), late, &rules(false)),
            Verdict::QuietHours
        );
        assert_eq!(
            verdict(RunKind::Send, &facts(State::Pending), late, &rules(true)),
            Verdict::Contact
        );
    }
}
