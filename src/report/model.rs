//! The figures of the manager's report (docs/report.md). This struct is the `report --json` output
//! as it stands, so its field names are part of the interface: snake_case, stable, and only
//! added to. The HTML page is drawn from the same value, so the page and the JSON never
//! disagree.

use chrono::NaiveDate;
use serde::Serialize;

#[derive(Serialize, Clone, Debug)]
pub struct Report {
    /// The page's title: the clinic's name, or "All sites".
    pub clinic: String,
    /// The site the report was limited to (`--site`), if any.
    pub site: Option<String>,
    /// The zone that `from`, `to`, the daily rows and the hand-call times are read in.
    pub timezone: String,
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    /// When the report was made, as local time text.
    pub generated_at: String,
    pub funnel: Funnel,
    /// Phone numbers that opted out during the period (by the time of the opt-out).
    pub opt_outs: OptOuts,
    pub follow_ups: FollowUps,
    /// Contacts the rules of contact held during the period, by rule (by the hold's time).
    pub holds: Vec<HoldCount>,
    /// The slots of the period given back and offered to the waitlist (by the slot's time).
    pub waitlist: super::waitlist::Waitlist,
    pub by_channel: Vec<Rate>,
    pub by_touch: Vec<Rate>,
    pub by_site: Vec<Rate>,
    /// One row per local date, in date order; days without appointments may be left out.
    pub daily: Vec<Day>,
    /// Most frequent first.
    pub failure_reasons: Vec<Reason>,
    pub usage: Usage,
    /// The patients to phone by hand for the coming day, in appointment order.
    pub to_call: Vec<HandCall>,
    /// The coming day `to_call` is for: the local date of the next appointment when the
    /// report was made.
    pub to_call_date: NaiveDate,
}

/// Counts of the period's appointments. `imported`, `contacted` and `reached` are a chain
/// (each a part of the one before); the other counts are how appointments ended, by state.
#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Funnel {
    pub imported: u64,
    /// At least one attempt went out.
    pub contacted: u64,
    /// The patient got a reminder (`success_at` set), whatever came after.
    pub reached: u64,
    pub confirmed: u64,
    pub cancel_requested: u64,
    pub failed: u64,
    pub expired: u64,
    pub withdrawn: u64,
    /// Appointments whose reminders an opt-out stopped before they were reached.
    pub opted_out: u64,
    /// A later export said the patient did not come.
    pub no_show: u64,
}

/// The messages that followed reminders, sent in the period (by when they were sent).
#[derive(Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FollowUps {
    /// Texts after a call an answering machine took.
    pub voicemail_texts: u64,
    /// Messages after a missed visit.
    pub no_show_messages: u64,
    /// Notices that the clinic cancelled.
    pub clinic_notices: u64,
}

/// Numbers, not appointments: a patient who asks for no more reminders does so for their
/// number, often after a reminder reached them (and so after their appointment ended
/// "reached"); the funnel's `opted_out` counts only appointments an opt-out stopped.
#[derive(Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptOuts {
    /// Numbers with an opt-out in the period, each once.
    pub numbers: u64,
    /// Of those, the ones a reminder had reached before they opted out.
    pub after_reached: u64,
}

/// Holds of one rule of contact: a contact over a cap per number, or too long for the profile,
/// was not made (each appointment of a held message counts).
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct HoldCount {
    /// `per_day`, `per_week`, `text_length`, `call_length`.
    pub rule: String,
    pub count: u64,
}

/// Appointments of one channel, touch or site and how far they got.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Rate {
    pub label: String,
    pub appointments: u64,
    pub contacted: u64,
    pub reached: u64,
    pub confirmed: u64,
}

impl Rate {
    /// Reached out of contacted, not out of appointments: an appointment nobody tried yet
    /// (a later touch, a withdrawn one) says nothing about how well a channel reaches people.
    /// `None` when nobody was contacted.
    pub fn reach_rate(&self) -> Option<f64> {
        ratio(self.reached, self.contacted)
    }

    /// Confirmed out of reached: a patient who never got the reminder could not answer it, so
    /// this measures the answer to the message, apart from its delivery. `None` when nobody
    /// was reached.
    pub fn confirm_rate(&self) -> Option<f64> {
        ratio(self.confirmed, self.reached)
    }
}

/// `part / whole`, or `None` when there is no whole to speak of.
pub fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The period's appointments on one local date.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub appointments: u64,
    pub reached: u64,
    pub confirmed: u64,
    pub failed: u64,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// Already in words, e.g. "no answer" or "30006 landline or unreachable carrier".
    pub reason: String,
    pub count: u64,
}

#[derive(Serialize, Clone, Debug, Default, PartialEq)]
pub struct Usage {
    pub sms_sent: u64,
    /// Billed SMS segments (Twilio's `num_segments`), the figure SMS is charged by.
    pub sms_segments: u64,
    pub calls: u64,
    /// Total duration of the calls. The page shows it as `call_minutes()`, the plain total:
    /// Twilio bills each call rounded up to its minute, which a total cannot show, so the
    /// billed figure is the price below when Twilio reported one.
    pub call_seconds: u64,
    /// Twilio-reported prices summed per currency, as costs (positive; Twilio reports charges
    /// as negative numbers, the query turns them round). Empty when Twilio reported none.
    pub prices: Vec<Price>,
}

impl Usage {
    /// Total call time in minutes, to one decimal.
    pub fn call_minutes(&self) -> f64 {
        (self.call_seconds as f64 / 6.0).round() / 10.0
    }
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Price {
    /// Twilio's `price_unit`, e.g. "USD".
    pub unit: String,
    pub amount: f64,
}

/// A patient to phone by hand: the reminder failed, or they asked to cancel.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct HandCall {
    pub appointment_id: String,
    pub patient_id: String,
    pub site: Option<String>,
    /// The appointment's local date and time, as text.
    pub at_local: String,
    /// `failed` or `cancel_requested` (the state's name).
    pub state: String,
    /// Masked unless `--show-phone`: the caller decides.
    pub phone: String,
    /// Why, in words: "no answer ×3", "asked to reschedule: 'can we do Friday'".
    pub why: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(contacted: u64, reached: u64, confirmed: u64) -> Rate {
        Rate {
            label: "sms".into(),
            appointments: 10,
            contacted,
            reached,
            confirmed,
        }
    }

    #[test]
    fn rates_are_out_of_the_step_before_and_none_without_one() {
        let r = rate(8, 6, 3);
        assert_eq!(r.reach_rate(), Some(0.75));
        assert_eq!(r.confirm_rate(), Some(0.5));
        assert_eq!(rate(0, 0, 0).reach_rate(), None);
        assert_eq!(rate(4, 0, 0).confirm_rate(), None);
        assert_eq!(rate(4, 0, 0).reach_rate(), Some(0.0));
    }

    #[test]
    fn call_minutes_are_total_seconds_to_one_decimal() {
        let usage = |call_seconds| Usage {
            call_seconds,
            ..Usage::default()
        };
        assert_eq!(usage(0).call_minutes(), 0.0);
        assert_eq!(usage(90).call_minutes(), 1.5);
        assert_eq!(usage(100).call_minutes(), 1.7);
        assert_eq!(usage(3600).call_minutes(), 60.0);
    }
}
