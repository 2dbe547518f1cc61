//! From the database's rows to the period's figures: the appointments of the period
//! (`db::report::appointments`), then the attempts made since the first of them was imported
//! (`db::report::attempts_made`), which meet here by appointment id. Pure: the rows come in as
//! arguments, the figures go out as the model's types, so every rule is tested without a
//! database.
//!
//! Memory stays a few bytes per appointment id in the period's range (which appointments are
//! the period's, which are confirmed, and a bit per touch for "contacted" and "reached"),
//! however many rows stream through.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::days::{PeriodDays, time_key};
use super::model::{Day, Funnel, Price, Rate, Reason, Usage};
use crate::db::report::{AppointmentRow, AttemptRow, Span};
use crate::domain::channel::Channel;
use crate::domain::contact_kind::ContactKind;
use crate::domain::reasons::{self, Outcome};
use crate::domain::state::State;

const IN_PERIOD: u8 = 1;
const CONFIRMED: u8 = 2;

/// Everything the tally needs besides the rows.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub tz: Tz,
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub voicemail_counts: bool,
}

#[derive(Default)]
struct Steps {
    appointments: u64,
    contacted: u64,
    reached: u64,
    confirmed: u64,
}

impl Steps {
    fn count(&mut self, a: &AppointmentRow<'_>, confirmed: bool) {
        self.appointments += 1;
        self.contacted += u64::from(a.contacted);
        self.reached += u64::from(a.reached);
        self.confirmed += u64::from(confirmed);
    }

    fn rate(&self, label: String) -> Rate {
        Rate {
            label,
            appointments: self.appointments,
            contacted: self.contacted,
            reached: self.reached,
            confirmed: self.confirmed,
        }
    }
}

/// One touch (its `days_before`), and which of the period's appointments it contacted and
/// reached: a bit per appointment, so an appointment counts once however many attempts (or
/// combined messages) its touch took.
struct Touch {
    days: Option<i64>,
    contacted: Vec<u64>,
    reached: Vec<u64>,
}

impl Touch {
    /// Later touches are closer to the appointment; attempts from before touches were
    /// recorded come first.
    fn lateness(&self) -> (bool, i64) {
        (self.days.is_some(), -self.days.unwrap_or(0))
    }
}

fn set(bits: &mut [u64], i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

fn get(bits: &[u64], i: usize) -> bool {
    bits[i / 64] & (1 << (i % 64)) != 0
}

/// What decides an attempt's reason, and the reason (`None`: it did not fail).
struct Kind {
    channel: String,
    status: String,
    answered_by: Option<String>,
    error_code: Option<i64>,
    reason: Option<String>,
    count: u64,
}

pub struct Tally {
    s: Settings,
    /// Which of `days` a stored time falls on.
    period: PeriodDays,
    days: Vec<Day>,
    funnel: Funnel,
    /// By `channel_order`; a channel no appointment had counts none.
    channels: [Steps; 3],
    /// By key, in order.
    sites: Vec<(String, Steps)>,
    /// The site of the last appointment: rows of a site are mostly stored together.
    last_site: usize,
    first_id: i64,
    /// Per appointment id from `first_id`: `IN_PERIOD`, `CONFIRMED`.
    flags: Vec<u8>,
    touches: Vec<Touch>,
    /// Few kinds, the common ones first (each found moves up one place).
    kinds: Vec<Kind>,
    usage: Usage,
    prices: BTreeMap<String, f64>,
    /// The SID of the last call or text counted: a combined message's attempts were recorded
    /// together, so they come one after another.
    last_sid: String,
    /// The earliest `created_at` so far, and its `time_key`.
    first_import: Option<(String, Option<u64>)>,
}

impl Tally {
    /// A tally for the appointments of `span` (ids outside it are not the period's).
    pub fn new(s: Settings, span: &Span) -> Tally {
        let (period, dates) = PeriodDays::new(s.from, s.to, s.tz);
        let days = dates
            .into_iter()
            .map(|date| Day {
                date,
                appointments: 0,
                reached: 0,
                confirmed: 0,
                failed: 0,
            })
            .collect();
        let ids = usize::try_from(span.last - span.first + 1).unwrap_or(0);
        Tally {
            s,
            period,
            days,
            funnel: Funnel::default(),
            channels: Default::default(),
            sites: Vec::new(),
            last_site: 0,
            first_id: span.first,
            flags: vec![0; ids],
            touches: Vec::new(),
            kinds: Vec::new(),
            usage: Usage::default(),
            prices: BTreeMap::new(),
            last_sid: String::new(),
            first_import: None,
        }
    }

    fn slot(&self, id: i64) -> Option<usize> {
        usize::try_from(id - self.first_id)
            .ok()
            .filter(|&i| i < self.flags.len())
    }

    /// One appointment of the period.
    pub fn add_appointment(&mut self, a: &AppointmentRow<'_>) {
        let f = &mut self.funnel;
        f.imported += 1;
        f.contacted += u64::from(a.contacted);
        f.reached += u64::from(a.reached);
        let (mut confirmed, mut failed) = (false, false);
        match a.status {
            State::Confirmed => {
                f.confirmed += 1;
                confirmed = true;
            }
            State::CancelRequested => f.cancel_requested += 1,
            State::Failed => {
                f.failed += 1;
                failed = true;
            }
            State::Expired => f.expired += 1,
            State::Withdrawn => f.withdrawn += 1,
            State::NoShow => f.no_show += 1,
            State::OptedOut => f.opted_out += 1,
            State::Pending | State::InFlight | State::Reached | State::RetryWait => {}
        }
        self.channels[usize::from(channel_order(a.channel))].count(a, confirmed);
        self.site(a.site).count(a, confirmed);
        if let Some(day) = self.period.place(a.at).and_then(|i| self.days.get_mut(i)) {
            day.appointments += 1;
            day.reached += u64::from(a.reached);
            day.confirmed += u64::from(confirmed);
            day.failed += u64::from(failed);
        }
        if let Some(i) = self.slot(a.id) {
            self.flags[i] = IN_PERIOD | if confirmed { CONFIRMED } else { 0 };
        }
        let key = time_key(a.created_at);
        let earlier = match &self.first_import {
            None => true,
            Some((first, first_key)) => match (key, first_key) {
                (Some(key), Some(first)) => key < *first,
                _ => a.created_at < first.as_str(),
            },
        };
        if earlier {
            self.first_import = Some((a.created_at.to_string(), key));
        }
    }

    fn site(&mut self, key: &str) -> &mut Steps {
        // Most clinics have one site, keyed "": `text::same` does not compare "" with "".
        if !self
            .sites
            .get(self.last_site)
            .is_some_and(|(k, _)| crate::text::same(k, key))
        {
            self.last_site = match self.sites.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
                Ok(i) => i,
                Err(i) => {
                    self.sites.insert(i, (key.to_string(), Steps::default()));
                    i
                }
            };
        }
        &mut self.sites[self.last_site].1
    }

    /// When the first of the period's appointments was imported: none of their attempts is
    /// older. `None` when the period has none.
    pub fn first_import(&self) -> Option<&str> {
        self.first_import.as_ref().map(|(t, _)| t.as_str())
    }

    /// One attempt; those for appointments outside the period are passed over.
    pub fn add_attempt(&mut self, a: &AttemptRow<'_>) {
        let Some(i) = self.slot(a.appointment) else {
            return;
        };
        if self.flags[i] & IN_PERIOD == 0 || a.status == "not-sent" {
            // Not the period's; or it never left (a not-sent attempt did not happen).
            return;
        }
        if ContactKind::from_stored(a.kind) == Some(ContactKind::Offer) {
            // An offer of the freed slot went to a waiting patient, not to this appointment's:
            // it is a text we paid for, but no touch of this appointment and no reason it was
            // not reached (the waitlist section counts offers).
            if let Some(sid) = a.sid {
                self.count_sent(sid, a);
            }
            return;
        }
        let outcome = Outcome {
            channel: a.channel,
            status: a.status,
            answered_by: a.answered_by,
            error_code: a.error_code,
        };
        let vm = self.s.voicemail_counts;
        let failed = self.count_kind(&outcome);
        let bits = self.flags.len().div_ceil(64);
        let touch = match self.touches.iter().position(|t| t.days == a.touch_days) {
            Some(t) => t,
            None => {
                self.touches.push(Touch {
                    days: a.touch_days,
                    contacted: vec![0; bits],
                    reached: vec![0; bits],
                });
                self.touches.len() - 1
            }
        };
        let touch = &mut self.touches[touch];
        set(&mut touch.contacted, i);
        if !failed && reasons::reached(&outcome, vm) {
            set(&mut touch.reached, i);
        }
        if let Some(sid) = a.sid {
            self.count_sent(sid, a);
        }
    }

    /// Counts the attempt under its kind; whether it failed.
    fn count_kind(&mut self, o: &Outcome<'_>) -> bool {
        let found = self.kinds.iter().position(|k| {
            k.error_code == o.error_code
                && k.status == o.status
                && k.answered_by.as_deref() == o.answered_by
                && k.channel == o.channel.as_str()
        });
        let i = match found {
            Some(0) => 0,
            Some(i) => {
                self.kinds.swap(i, i - 1);
                i - 1
            }
            None => {
                self.kinds.push(Kind {
                    channel: o.channel.as_str().to_string(),
                    status: o.status.to_string(),
                    answered_by: o.answered_by.map(String::from),
                    error_code: o.error_code,
                    reason: reasons::failure(o, self.s.voicemail_counts),
                    count: 0,
                });
                self.kinds.len() - 1
            }
        };
        self.kinds[i].count += 1;
        self.kinds[i].reason.is_some()
    }

    /// A call or text Twilio accepted: counted once, however many appointments it was about.
    fn count_sent(&mut self, sid: &str, a: &AttemptRow<'_>) {
        if self.last_sid == sid {
            return;
        }
        self.last_sid.clear();
        self.last_sid.push_str(sid);
        let u = &mut self.usage;
        if a.channel == Channel::Call {
            u.calls += 1;
            u.call_seconds += a.duration.unwrap_or(0).max(0) as u64;
        } else {
            u.sms_sent += 1;
            // A text Twilio accepted is at least one segment.
            u.sms_segments += a.num_segments.unwrap_or(1).max(1) as u64;
        }
        if let (Some(price), Some(unit)) = (a.price, a.price_unit)
            && price.is_finite()
        {
            // Twilio reports a charge as a negative amount; the page shows costs.
            match self.prices.get_mut(unit) {
                Some(sum) => *sum += price.abs(),
                None => {
                    self.prices.insert(unit.to_string(), price.abs());
                }
            }
        }
    }

    /// The figures; `site_label` names a site's key for the page.
    ///
    /// A touch counts the appointments it contacted and reached. A confirmation counts for the
    /// last touch that reached the patient (a confirmation ends the schedule, so no touch
    /// comes after the one answered), else the last one made (a reply proves the reminder
    /// arrived even when no status said so, and that touch then counts as reached too): a
    /// touch never confirms more patients than it reached.
    pub fn finish(mut self, site_label: impl Fn(&str) -> String) -> Figures {
        self.touches.sort_by_key(Touch::lateness);
        let mut steps: Vec<Steps> = self.touches.iter().map(|_| Steps::default()).collect();
        for (i, flags) in self.flags.iter().enumerate() {
            if flags & IN_PERIOD == 0 {
                continue;
            }
            let mut last_reached = None;
            let mut last_made = None;
            for (t, touch) in self.touches.iter().enumerate() {
                if !get(&touch.contacted, i) {
                    continue;
                }
                steps[t].appointments += 1;
                steps[t].contacted += 1;
                last_made = Some(t);
                if get(&touch.reached, i) {
                    steps[t].reached += 1;
                    last_reached = Some(t);
                }
            }
            if flags & CONFIRMED != 0 {
                if let Some(t) = last_reached {
                    steps[t].confirmed += 1;
                } else if let Some(t) = last_made {
                    steps[t].reached += 1;
                    steps[t].confirmed += 1;
                }
            }
        }
        // First touch first; attempts without a recorded touch last.
        let (known, unknown): (Vec<_>, Vec<_>) = self
            .touches
            .iter()
            .zip(&steps)
            .partition(|(touch, _)| touch.days.is_some());
        let by_touch = known
            .into_iter()
            .chain(unknown)
            .map(|(touch, steps)| steps.rate(touch_label(touch.days)))
            .collect();

        let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
        for k in self.kinds {
            if let Some(reason) = k.reason {
                *reasons.entry(reason).or_default() += k.count;
            }
        }
        let mut failure_reasons: Vec<Reason> = reasons
            .into_iter()
            .map(|(reason, count)| Reason { reason, count })
            .collect();
        failure_reasons.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));

        let mut by_site: Vec<Rate> = self
            .sites
            .iter()
            .map(|(key, steps)| steps.rate(site_label(key)))
            .collect();
        by_site.sort_by(|a, b| a.label.cmp(&b.label));
        let mut usage = self.usage;
        usage.prices = self
            .prices
            .into_iter()
            .map(|(unit, amount)| Price { unit, amount })
            .collect();
        Figures {
            funnel: self.funnel,
            by_channel: (0..)
                .zip(&self.channels)
                .filter(|(_, steps)| steps.appointments > 0)
                .map(|(order, steps)| steps.rate(channel_label(order)))
                .collect(),
            by_touch,
            by_site,
            daily: self.days,
            failure_reasons,
            usage,
        }
    }
}

/// The parts of the report the period's rows make.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    pub funnel: Funnel,
    pub by_channel: Vec<Rate>,
    pub by_touch: Vec<Rate>,
    pub by_site: Vec<Rate>,
    pub daily: Vec<Day>,
    pub failure_reasons: Vec<Reason>,
    pub usage: Usage,
}

/// The page's order for a channel.
fn channel_order(channel: Channel) -> u8 {
    match channel {
        Channel::Sms => 0,
        Channel::Call => 1,
        Channel::None => 2,
    }
}

fn channel_label(order: u8) -> String {
    match order {
        0 => "SMS",
        1 => "Call",
        _ => "No channel (not contacted)",
    }
    .to_string()
}

/// "3 days before", "1 day before", "On the day"; attempts from before touches were recorded
/// have none.
pub fn touch_label(days: Option<i64>) -> String {
    match days {
        Some(0) => "On the day".to_string(),
        Some(1) => "1 day before".to_string(),
        Some(n) => format!("{n} days before"),
        None => "Touch not recorded".to_string(),
    }
}

#[cfg(test)]
#[path = "tally_tests.rs"]
mod tests;
