//! The reminder schedule (docs/behaviour.md, "The schedule and its touches"): which touch an
//! appointment is due, whether it is due a contact now, and where it goes when an attempt fails.
//!
//! Touches are `days_before` entries (`[3, 1]`: three days before the appointment's local date,
//! and the day before). With `d` = the appointment's local date minus today's (in its site's
//! zone, at the run's start), the touch due is the smallest entry ≥ `d` not made yet; an
//! appointment further away than the largest entry is not due yet. Touches are made in falling
//! order, so "made" is remembered as the last touch begun: entry `e` is made when that is ≤ `e`.
//! Within a touch, attempts and retries are as without touches: at most `max_attempts`, never
//! two closer than the minimum gap.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::channel::Channel;
use crate::domain::contact_hours::ContactHours;
use crate::domain::state::State;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// First attempts of due touches.
    Send,
    /// Retries of touches under way, and first attempts that are due and were not made.
    Retry,
}

/// The most days ahead a touch may be (the configuration refuses more): no attempt is made
/// further ahead of its appointment than this, which bounds where the report looks for them.
pub const MAX_DAYS_BEFORE: u32 = 60;

/// The `days_before` entries, largest first, without repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Touches(Vec<u32>);

impl Touches {
    pub fn new(days_before: &[u32]) -> Option<Touches> {
        let mut d = days_before.to_vec();
        d.sort_unstable_by(|a, b| b.cmp(a));
        d.dedup();
        (!d.is_empty()).then_some(Touches(d))
    }

    pub fn entries(&self) -> &[u32] {
        &self.0
    }

    pub fn largest(&self) -> u32 {
        self.0[0]
    }

    /// The touch due for an appointment `d` days away whose last touch begun is `made`:
    /// `None` when it is further away than every touch, or the due touch was made.
    pub fn due(&self, d: i64, made: Option<u32>) -> Option<u32> {
        if d < 0 {
            return None;
        }
        let e = self.0.iter().rev().copied().find(|&e| i64::from(e) >= d)?;
        match made {
            Some(m) if m <= e => None,
            _ => Some(e),
        }
    }

    /// Whether a touch remains after `e` for an appointment `d` days away (its attempts used
    /// up, the appointment waits for it).
    pub fn another_after(&self, e: u32, d: i64) -> bool {
        d >= 0 && self.0.iter().any(|&later| later < e)
    }

    /// For each touch, the local dates of the appointments it is due for today (first and last,
    /// inclusive): entry `e` serves the dates after the next smaller entry's, up to `e` days out.
    pub fn windows(&self, today: NaiveDate) -> Vec<Window> {
        self.0
            .iter()
            .enumerate()
            .map(|(i, &e)| {
                let next_smaller = self.0.get(i + 1).map_or(-1, |&n| i64::from(n));
                Window {
                    touch: e,
                    first: today + Duration::days(next_smaller + 1),
                    last: today + Duration::days(i64::from(e)),
                }
            })
            .collect()
    }

    /// "2 of 2": the touch's place in the schedule, for people.
    pub fn ordinal(&self, e: u32) -> Option<(usize, usize)> {
        self.0
            .iter()
            .position(|&x| x == e)
            .map(|i| (i + 1, self.0.len()))
    }
}

/// The local dates one touch is due for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub touch: u32,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// The facts about one appointment that decide.
#[derive(Clone, Copy, Debug)]
pub struct AppointmentFacts {
    pub state: State,
    pub at: DateTime<Utc>,
    /// Its local date, and today's, in its site's zone.
    pub local_date: NaiveDate,
    pub today: NaiveDate,
    pub channel: Channel,
    /// `days_before` of the last touch begun, and the attempts made in it.
    pub touch: Option<u32>,
    pub touch_attempts: u32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub opted_out: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct DueRules<'a> {
    pub touches: &'a Touches,
    pub max_attempts: u32,
    pub min_gap: Duration,
    /// Contact hours of the appointment's site; the day is its local day at the instant.
    pub hours: ContactHours,
    pub tz: chrono_tz::Tz,
    pub force: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Contact now: an attempt of touch `touch` (a first one when `first`).
    Contact { touch: u32, first: bool },
    /// Not this run's business (another state, not due yet, or nothing to do).
    NotDue,
    /// The appointment has passed before the patient was reached.
    Expire,
    /// The number is opted out.
    OptedOut,
    /// The last attempt was less than the minimum gap ago.
    TooSoon,
    /// Outside the contact hours and not forced.
    OutsideHours,
}

pub fn verdict(
    kind: RunKind,
    f: &AppointmentFacts,
    now: DateTime<Utc>,
    r: &DueRules<'_>,
) -> Verdict {
    if !matches!(f.state, State::Pending | State::Reached | State::RetryWait)
        || f.channel == Channel::None
    {
        return Verdict::NotDue;
    }
    if f.at <= now {
        // Reached is kept: the reminder arrived; only the unreached expire.
        return if f.state == State::Reached {
            Verdict::NotDue
        } else {
            Verdict::Expire
        };
    }
    let d = (f.local_date - f.today).num_days();
    let new_touch = r.touches.due(d, f.touch);
    let contact = match (f.state, new_touch) {
        // A touch not made yet is due: its first attempt (a late import, a window missed, the
        // next touch of a patient already reached or whose earlier touch ended).
        (_, Some(touch)) => Verdict::Contact { touch, first: true },
        // A touch under way: its next attempt, when attempts are left and the gap has passed.
        (State::RetryWait, None) if kind == RunKind::Retry => match f.touch {
            Some(touch) if f.touch_attempts < r.max_attempts => {
                if f.last_attempt_at.is_some_and(|last| now - last < r.min_gap) {
                    Verdict::TooSoon
                } else {
                    Verdict::Contact {
                        touch,
                        first: false,
                    }
                }
            }
            _ => Verdict::NotDue,
        },
        _ => Verdict::NotDue,
    };
    if !matches!(contact, Verdict::Contact { .. }) {
        return contact;
    }
    // `send` makes first attempts; what it would not do waits for `retry`.
    if kind == RunKind::Send && f.state == State::RetryWait && new_touch.is_none() {
        return Verdict::NotDue;
    }
    if f.opted_out {
        return Verdict::OptedOut;
    }
    if !r.force && !r.hours.allows(r.tz, now) {
        return Verdict::OutsideHours;
    }
    contact
}

/// Where an appointment goes when an attempt of touch `touch` failed and may be retried.
pub fn after_failure(
    touches: &Touches,
    touch: Option<u32>,
    touch_attempts: u32,
    max_attempts: u32,
    d: i64,
    reached_before: bool,
) -> State {
    if touch_attempts < max_attempts {
        State::RetryWait
    } else if touch.is_some_and(|e| touches.another_after(e, d)) {
        // This touch is over; the next one comes.
        if reached_before {
            State::Reached
        } else {
            State::Pending
        }
    } else if reached_before {
        // Reached at an earlier touch: the reminder arrived, nobody needs to phone by hand.
        State::Reached
    } else {
        State::Failed
    }
}

/// Where an appointment goes back to when an attempt turned out not to have happened (or contact
/// resumes after an opt-in), with `touch_attempts` real attempts left in its touch.
pub fn resume_state(touch_attempts: u32, max_attempts: u32, reached_before: bool) -> State {
    if touch_attempts == 0 {
        if reached_before {
            State::Reached
        } else {
            State::Pending
        }
    } else if touch_attempts < max_attempts {
        State::RetryWait
    } else if reached_before {
        State::Reached
    } else {
        State::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_db_time;
    use crate::domain::contact_hours::{ContactHours, parse_hours};

    fn t(s: &str) -> DateTime<Utc> {
        parse_db_time(s).unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_touch_due_is_the_smallest_entry_at_least_d_not_made() {
        let t31 = Touches::new(&[1, 3]).unwrap();
        assert_eq!(t31.entries(), [3, 1]);
        // (d, made, due)
        let table = [
            (5, None, None),
            (4, None, None),
            (3, None, Some(3)),
            (2, None, Some(3)),
            (2, Some(3), None),
            (1, Some(3), Some(1)),
            (1, None, Some(1)),
            (1, Some(1), None),
            (0, Some(3), Some(1)),
            (0, Some(1), None),
            (-1, None, None),
        ];
        for (d, made, due) in table {
            assert_eq!(t31.due(d, made), due, "d={d} made={made:?}");
        }
        assert!(t31.another_after(3, 2) && !t31.another_after(1, 0));
        let w = t31.windows(date("2026-11-24"));
        assert_eq!(
            w.iter()
                .map(|w| (w.touch, w.first.to_string(), w.last.to_string()))
                .collect::<Vec<_>>(),
            [
                (3, "2026-11-26".to_string(), "2026-11-27".to_string()),
                (1, "2026-11-24".to_string(), "2026-11-25".to_string())
            ]
        );
        assert_eq!(t31.ordinal(1), Some((2, 2)));
        assert_eq!(Touches::new(&[]), None);
    }

    fn rules(touches: &Touches, force: bool) -> DueRules<'_> {
        DueRules {
            touches,
            max_attempts: 3,
            min_gap: Duration::minutes(30),
            hours: ContactHours::every_day(parse_hours("08:00-21:00").unwrap()),
            tz: chrono_tz::America::Toronto,
            force,
        }
    }

    fn facts(state: State, touch: Option<u32>, touch_attempts: u32) -> AppointmentFacts {
        AppointmentFacts {
            state,
            at: t("2026-11-25T14:30:00Z"),
            local_date: date("2026-11-25"),
            today: date("2026-11-24"),
            channel: Channel::Call,
            touch,
            touch_attempts,
            last_attempt_at: touch.map(|_| t("2026-11-25T00:00:00Z")),
            opted_out: false,
        }
    }

    // 19:00, 19:45 and 21:30 in Toronto on the 24th.
    const SEVEN_PM: &str = "2026-11-25T00:00:00Z";
    const QUARTER_TO_8: &str = "2026-11-25T00:45:00Z";
    const HALF_PAST_9: &str = "2026-11-25T02:30:00Z";

    #[test]
    fn send_makes_first_attempts_and_retry_the_rest() {
        let one = Touches::new(&[1]).unwrap();
        let r = rules(&one, false);
        use RunKind::{Retry, Send};
        let first = Verdict::Contact {
            touch: 1,
            first: true,
        };
        let again = Verdict::Contact {
            touch: 1,
            first: false,
        };
        let table = [
            (Send, facts(State::Pending, None, 0), SEVEN_PM, first),
            (Retry, facts(State::Pending, None, 0), SEVEN_PM, first),
            (
                Send,
                facts(State::RetryWait, Some(1), 1),
                QUARTER_TO_8,
                Verdict::NotDue,
            ),
            (
                Retry,
                facts(State::RetryWait, Some(1), 1),
                QUARTER_TO_8,
                again,
            ),
            (
                Retry,
                facts(State::RetryWait, Some(1), 1),
                "2026-11-25T00:20:00Z",
                Verdict::TooSoon,
            ),
            (
                Retry,
                facts(State::RetryWait, Some(1), 3),
                QUARTER_TO_8,
                Verdict::NotDue,
            ),
            (
                Send,
                facts(State::Reached, Some(1), 1),
                SEVEN_PM,
                Verdict::NotDue,
            ),
            (
                Send,
                facts(State::Confirmed, None, 0),
                SEVEN_PM,
                Verdict::NotDue,
            ),
            (
                Send,
                facts(State::Withdrawn, None, 0),
                SEVEN_PM,
                Verdict::NotDue,
            ),
            (
                Send,
                facts(State::Pending, None, 0),
                HALF_PAST_9,
                Verdict::OutsideHours,
            ),
            (
                Send,
                facts(State::Pending, None, 0),
                "2026-11-25T15:00:00Z",
                Verdict::Expire,
            ),
            (
                Retry,
                facts(State::RetryWait, Some(1), 1),
                "2026-11-25T15:00:00Z",
                Verdict::Expire,
            ),
            (
                Retry,
                facts(State::Reached, Some(1), 1),
                "2026-11-25T15:00:00Z",
                Verdict::NotDue,
            ),
        ];
        for (kind, f, now, want) in table {
            assert_eq!(
                verdict(kind, &f, t(now), &r),
                want,
                "{kind:?} {f:?} at {now}"
            );
        }
        let forced = rules(&one, true);
        assert_eq!(
            verdict(
                Send,
                &facts(State::Pending, None, 0),
                t(HALF_PAST_9),
                &forced
            ),
            first
        );
        let stop = AppointmentFacts {
            opted_out: true,
            ..facts(State::Pending, None, 0)
        };
        assert_eq!(verdict(Send, &stop, t(SEVEN_PM), &r), Verdict::OptedOut);
        let nobody = AppointmentFacts {
            channel: Channel::None,
            ..facts(State::Pending, None, 0)
        };
        assert_eq!(verdict(Send, &nobody, t(SEVEN_PM), &r), Verdict::NotDue);
    }

    #[test]
    fn a_later_touch_comes_to_the_reached_and_to_those_whose_touch_ended() {
        let t31 = Touches::new(&[3, 1]).unwrap();
        let r = rules(&t31, false);
        let three_days_out = |state, touch, attempts| AppointmentFacts {
            local_date: date("2026-11-27"),
            at: t("2026-11-27T14:30:00Z"),
            ..facts(state, touch, attempts)
        };
        // Three days out: touch 3.
        assert_eq!(
            verdict(
                RunKind::Send,
                &three_days_out(State::Pending, None, 0),
                t(SEVEN_PM),
                &r
            ),
            Verdict::Contact {
                touch: 3,
                first: true
            }
        );
        // The day before, reached at touch 3: touch 1 all the same.
        assert_eq!(
            verdict(
                RunKind::Send,
                &facts(State::Reached, Some(3), 1),
                t(SEVEN_PM),
                &r
            ),
            Verdict::Contact {
                touch: 1,
                first: true
            }
        );
        // Retrying touch 3 when touch 1 has come: touch 1 starts instead.
        assert_eq!(
            verdict(
                RunKind::Retry,
                &facts(State::RetryWait, Some(3), 1),
                t(QUARTER_TO_8),
                &r
            ),
            Verdict::Contact {
                touch: 1,
                first: true
            }
        );
    }

    #[test]
    fn after_a_failure_the_touch_retries_then_gives_way() {
        let t31 = Touches::new(&[3, 1]).unwrap();
        // (touch, attempts in it, d, reached before) -> state
        let table = [
            (Some(3), 1, 3, false, State::RetryWait),
            (Some(3), 3, 3, false, State::Pending),
            (Some(3), 3, 3, true, State::Reached),
            (Some(1), 3, 1, false, State::Failed),
            (Some(1), 3, 1, true, State::Reached),
            (Some(1), 2, 1, false, State::RetryWait),
        ];
        for (touch, attempts, d, reached, want) in table {
            assert_eq!(after_failure(&t31, touch, attempts, 3, d, reached), want);
        }
        assert_eq!(resume_state(0, 3, false), State::Pending);
        assert_eq!(resume_state(0, 3, true), State::Reached);
        assert_eq!(resume_state(2, 3, false), State::RetryWait);
        assert_eq!(resume_state(3, 3, false), State::Failed);
    }
}
