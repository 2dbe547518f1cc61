//! A freed slot's part in one appointment's story (`reminders history`): the slot the
//! appointment gave back opening, each offer of it to a waiting patient, its taker, the
//! clinic's booking, or its closing unfilled. `domain::history` holds them as events and sorts
//! them with the rest; this module words them.

use serde::Serialize;

use super::slot_states::OfferState;

/// What happened to the slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Opened,
    Taken,
    /// Closed unfilled (offers ran out, or the appointment came back).
    Closed,
    /// Too close to its time with no taker.
    Expired,
    /// A later export listed the taker at the slot's time.
    Booked,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Slot {
    /// The slot's local date and time (`2026-11-25 09:30`).
    pub slot_at: String,
    pub site: String,
    pub provider: Option<String>,
    pub visit_type: Option<String>,
    pub offers_sent: i64,
    pub taker_patient_id: Option<String>,
    pub taker_moves_from: Option<String>,
    pub closed_reason: Option<String>,
}

/// One offer of the slot, to one waiting patient.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub patient_id: String,
    /// Masked.
    pub to: String,
    pub wave: i64,
    /// open, taken, lost, declined, closed.
    pub state: OfferState,
    /// Twilio's word on the text.
    pub status: String,
    pub sid: Option<String>,
    /// When the patient answered, local.
    pub answered_at: Option<String>,
}

/// "2026-11-25 09:30 (bloor, Dr Lee, check-up)": the slot as the clinic names it.
fn named(s: &Slot) -> String {
    let about: Vec<&str> = [
        Some(s.site.as_str()),
        s.provider.as_deref(),
        s.visit_type.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .filter(|v| !v.is_empty())
    .collect();
    if about.is_empty() {
        s.slot_at.clone()
    } else {
        format!("{} ({})", s.slot_at, about.join(", "))
    }
}

/// A short word for the step, and the rest in words.
pub fn describe_slot(step: Step, s: &Slot) -> (String, String) {
    let taker = s.taker_patient_id.as_deref().unwrap_or("?");
    let detail = match step {
        Step::Opened => format!("the slot of {} opened for the waitlist", named(s)),
        Step::Taken => {
            let from = match s
                .taker_moves_from
                .as_deref()
                .filter(|m| !m.trim().is_empty())
            {
                Some(m) => format!(", moving from {m}"),
                None => String::new(),
            };
            format!(
                "{taker} took the slot of {} after {} offer(s){from}",
                named(s),
                s.offers_sent
            )
        }
        Step::Closed => format!(
            "the slot of {} closed unfilled: {}",
            named(s),
            s.closed_reason.as_deref().unwrap_or("no taker")
        ),
        Step::Expired => format!(
            "the slot of {} expired with no taker after {} offer(s)",
            named(s),
            s.offers_sent
        ),
        Step::Booked => format!("an export listed {taker} at {}: booked", named(s)),
    };
    let word = match step {
        Step::Opened => "slot opened",
        Step::Taken => "slot taken",
        Step::Closed => "slot closed",
        Step::Expired => "slot expired",
        Step::Booked => "slot booked",
    };
    (word.to_string(), detail)
}

pub fn describe_offer(o: &Offer) -> (String, String) {
    let answered = match &o.answered_at {
        Some(at) => format!(" ({at})"),
        None => String::new(),
    };
    let state = match o.state {
        OfferState::Taken => "said yes first: took it",
        OfferState::Lost => "said yes after someone else",
        OfferState::Declined => "declined",
        OfferState::Closed => "no answer before the slot closed",
        OfferState::Open => "no answer yet",
    };
    let sid = o.sid.as_deref().unwrap_or("no SID");
    (
        "offer".to_string(),
        format!(
            "wave {} to {} at {}: {state}{answered}; text {}, {sid}",
            o.wave, o.patient_id, o.to, o.status
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_and_its_offers_in_words() {
        let s = Slot {
            slot_at: "2026-11-25 09:30".into(),
            site: String::new(),
            provider: Some("Dr Lee".into()),
            offers_sent: 3,
            taker_patient_id: Some("P77".into()),
            taker_moves_from: Some("A2044".into()),
            ..Slot::default()
        };
        assert_eq!(
            describe_slot(Step::Taken, &s),
            (
                "slot taken".to_string(),
                "P77 took the slot of 2026-11-25 09:30 (Dr Lee) after 3 offer(s), moving from A2044"
                    .to_string()
            )
        );
        assert_eq!(
            describe_slot(Step::Opened, &s).1,
            "the slot of 2026-11-25 09:30 (Dr Lee) opened for the waitlist"
        );
        let o = Offer {
            patient_id: "P78".into(),
            to: "+1416***0178".into(),
            wave: 1,
            state: OfferState::Lost,
            status: "delivered".into(),
            sid: Some("SM1".into()),
            answered_at: Some("2026-11-24 18:12:30".into()),
        };
        assert_eq!(
            describe_offer(&o).1,
            "wave 1 to P78 at +1416***0178: said yes after someone else (2026-11-24 18:12:30); text delivered, SM1"
        );
    }
}
