//! The report's waitlist section: the freed slots of the period (by the slot's time, as the
//! appointments are counted), what their offers came to, and how long a slot waited for its
//! taker. Pure: the rows come from `db::backfill::period_slots`.

use maud::{Markup, html};
use serde::Serialize;

use super::html::count;
use crate::db::backfill::PeriodSlot;
use crate::domain::slot_states::SlotState;

/// The period's freed slots. All zero when none was freed.
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
pub struct Waitlist {
    pub slots_opened: u64,
    /// Offer texts that went out.
    pub offers_sent: u64,
    /// Offers answered yes: the first yes took the slot, a later one came too late.
    pub takers: u64,
    /// Slots a waiting patient took.
    pub filled: u64,
    /// Slots closed without a taker (offers ran out, or the freed appointment came back).
    pub closed_unfilled: u64,
    /// Slots whose time came too close with no taker.
    pub expired: u64,
    /// Slots still offered when the report was made.
    pub still_open: u64,
    /// The median minutes from a slot's opening to its taking, over the filled slots.
    pub median_minutes_to_taken: Option<f64>,
}

/// The median of `v` (the mean of the middle two for an even count); `None` when empty.
pub fn median(v: &mut [i64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid] as f64
    } else {
        (v[mid - 1] as f64 + v[mid] as f64) / 2.0
    })
}

pub fn tally(slots: &[PeriodSlot]) -> Waitlist {
    let mut w = Waitlist::default();
    let mut waits = Vec::new();
    for s in slots {
        w.slots_opened += 1;
        w.offers_sent += s.offers_sent.max(0) as u64;
        w.takers += s.said_yes.max(0) as u64;
        match s.state {
            SlotState::Taken => {
                w.filled += 1;
                if let Some(taken) = s.taken_at {
                    let wait = taken.instant() - s.opened_at.instant();
                    waits.push(wait.num_minutes().max(0));
                }
            }
            SlotState::Closed => w.closed_unfilled += 1,
            SlotState::Expired => w.expired += 1,
            SlotState::Open => w.still_open += 1,
        }
    }
    w.median_minutes_to_taken = median(&mut waits);
    w
}

/// "42 min", "1 h 5 min", "17.5 min".
fn minutes(m: f64) -> String {
    if m < 60.0 {
        let shown = format!("{m:.1}");
        format!("{} min", shown.trim_end_matches(".0"))
    } else {
        let whole = m.round() as u64;
        format!("{} h {} min", whole / 60, whole % 60)
    }
}

/// The page's section: one line when no slot was freed.
pub fn section(w: &Waitlist) -> Markup {
    html! {
        section.waitlist {
            h2 { "Waitlist" }
            @if w.slots_opened == 0 {
                p.empty { "No slot was freed and offered to the waitlist in this period." }
            } @else {
                p.note {
                    "Appointments given back in this period, offered by text to patients waiting "
                    "for an earlier one; the first to answer yes took the slot."
                }
                dl.usage {
                    div { dt { "Slots opened" } dd { (count(w.slots_opened)) } }
                    div { dt { "Offers sent" } dd { (count(w.offers_sent)) } }
                    div { dt { "Said yes" } dd { (count(w.takers)) } }
                    div { dt { "Slots filled" } dd { (count(w.filled)) } }
                    div { dt { "Closed unfilled" } dd { (count(w.closed_unfilled)) } }
                    div { dt { "Expired" } dd { (count(w.expired)) } }
                    @if w.still_open > 0 {
                        div { dt { "Still offered" } dd { (count(w.still_open)) } }
                    }
                    div {
                        dt { "Median time to taken" }
                        @match w.median_minutes_to_taken {
                            Some(m) => dd { (minutes(m)) },
                            None => dd.muted { "none taken" },
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::stored_at;

    fn slot(state: &str, opened: &str, taken: Option<&str>, sent: i64, yes: i64) -> PeriodSlot {
        PeriodSlot {
            state: SlotState::parse(state).unwrap(),
            opened_at: stored_at(opened),
            taken_at: taken.map(stored_at),
            offers_sent: sent,
            said_yes: yes,
        }
    }

    #[test]
    fn the_median_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [7]), Some(7.0));
        assert_eq!(median(&mut [9, 1, 5]), Some(5.0));
        assert_eq!(median(&mut [20, 1, 10, 4]), Some(7.0));
        assert_eq!(median(&mut [1, 2]), Some(1.5));
    }

    #[test]
    fn slots_are_counted_by_how_they_ended_and_waits_only_for_the_taken() {
        let w = tally(&[
            slot(
                "taken",
                "2026-11-24T19:00:00Z",
                Some("2026-11-24T19:12:00Z"),
                3,
                2,
            ),
            slot(
                "taken",
                "2026-11-24T20:00:00Z",
                Some("2026-11-24T20:30:00Z"),
                6,
                1,
            ),
            slot("closed", "2026-11-24T20:00:00Z", None, 15, 0),
            slot("expired", "2026-11-24T20:00:00Z", None, 4, 0),
            slot("open", "2026-11-24T21:00:00Z", None, 3, 0),
        ]);
        assert_eq!(
            w,
            Waitlist {
                slots_opened: 5,
                offers_sent: 31,
                takers: 3,
                filled: 2,
                closed_unfilled: 1,
                expired: 1,
                still_open: 1,
                median_minutes_to_taken: Some(21.0),
            }
        );
        assert_eq!(tally(&[]), Waitlist::default());
    }

    #[test]
    fn the_section_shows_the_figures_or_one_line() {
        let none = section(&Waitlist::default()).into_string();
        assert!(none.contains("No slot was freed"), "{none}");
        assert!(!none.contains("Offers sent"), "{none}");
        let w = Waitlist {
            slots_opened: 12,
            offers_sent: 1_234,
            takers: 9,
            filled: 8,
            closed_unfilled: 3,
            expired: 1,
            still_open: 0,
            median_minutes_to_taken: Some(17.5),
        };
        let page = section(&w).into_string();
        for shown in ["Slots opened", "1,234", "Slots filled", "17.5 min"] {
            assert!(page.contains(shown), "{shown}: {page}");
        }
        assert!(!page.contains("Still offered"), "{page}");
        assert_eq!(minutes(65.0), "1 h 5 min");
        assert_eq!(minutes(42.0), "42 min");
    }
}
