//! The hand-call list: the coming day's patients whose reminder failed or who
//! asked to cancel, each with why in words. Pure: `db::report::to_call` reads them.

use chrono_tz::Tz;

use super::model::HandCall;
use crate::clock::local_display;
use crate::db::report::{PastAttempt, ToCall};
use crate::domain::reasons::{self, Outcome};
use crate::domain::state::State;

/// A reply longer than this is cut on the page (a text can be 1,600 characters).
const REPLY_CHARS: usize = 160;

/// A line of the list. `phone` is the number as the page shows it (masked or not: the caller
/// decides).
pub fn hand_call(c: &ToCall, tz: Tz, voicemail_counts: bool, phone: String) -> HandCall {
    HandCall {
        appointment_id: c.appointment_id.clone(),
        patient_id: c.patient_id.clone(),
        site: (!c.site.is_empty()).then(|| c.site.clone()),
        at_local: local_display(&c.at, tz),
        state: c.status.as_str().to_string(),
        phone,
        why: why(c, voicemail_counts),
    }
}

/// Why the patient needs a call, in words: what the last touch's attempts ran into, or how
/// they asked to cancel; and what they last texted, if anything.
pub fn why(c: &ToCall, voicemail_counts: bool) -> String {
    let reply = c
        .last_reply
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let quoted = reply.map(|r| format!("replied \"{}\"", cut(r, REPLY_CHARS)));
    if c.status == State::CancelRequested {
        // The reply is how they asked, or came after; without one, it was the keypress.
        return quoted.unwrap_or_else(|| "pressed 2 on the call (cancel or reschedule)".into());
    }
    let last_touch: Vec<String> = c
        .attempts
        .iter()
        .filter(|a| c.touch_days.is_none() || a.touch_days == c.touch_days)
        .filter_map(|a| reasons::failure(&outcome(a), voicemail_counts))
        .collect();
    let tried = if last_touch.is_empty() {
        "not reached".to_string()
    } else {
        reasons::summary(&last_touch)
    };
    match quoted {
        Some(q) => format!("{tried}; {q}"),
        None => tried,
    }
}

fn outcome(a: &PastAttempt) -> Outcome<'_> {
    Outcome {
        channel: a.channel,
        status: &a.status,
        answered_by: a.answered_by.as_deref(),
        error_code: a.error_code,
    }
}

fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::channel::Channel;

    fn attempt(touch: i64, status: &str) -> PastAttempt {
        PastAttempt {
            touch_days: Some(touch),
            channel: Channel::Call,
            status: status.into(),
            answered_by: None,
            error_code: None,
        }
    }

    fn to_call(status: &str, reply: Option<&str>, attempts: Vec<PastAttempt>) -> ToCall {
        ToCall {
            id: 1,
            appointment_id: "A1".into(),
            patient_id: "P1".into(),
            phone_number: "+14165550101".into(),
            site: String::new(),
            at: "2026-11-25T16:30:00Z".into(),
            status: State::parse(status).unwrap(),
            channel: Channel::Call,
            touch_days: Some(1),
            last_reply: reply.map(String::from),
            attempts,
        }
    }

    #[test]
    fn why_a_patient_needs_a_call() {
        // The touch three days before is over: only the last touch's attempts say why.
        let unanswered = vec![
            attempt(3, "busy"),
            attempt(1, "no-answer"),
            attempt(1, "no-answer"),
            attempt(1, "busy"),
        ];
        assert_eq!(
            why(&to_call("failed", None, unanswered.clone()), true),
            "no answer ×2, busy"
        );
        assert_eq!(
            why(&to_call("failed", Some(" who is this? "), unanswered), true),
            "no answer ×2, busy; replied \"who is this?\""
        );
        let refused = PastAttempt {
            error_code: Some(21211),
            ..attempt(1, "failed")
        };
        assert_eq!(
            why(&to_call("failed", None, vec![refused]), true),
            "21211 not a valid phone number"
        );
        assert_eq!(why(&to_call("failed", None, vec![]), true), "not reached");
        assert_eq!(
            why(&to_call("cancel_requested", Some("R"), vec![]), true),
            "replied \"R\""
        );
        assert_eq!(
            why(&to_call("cancel_requested", None, vec![]), true),
            "pressed 2 on the call (cancel or reschedule)"
        );
        let long = "é".repeat(500);
        let w = why(&to_call("cancel_requested", Some(&long), vec![]), true);
        assert_eq!(w.chars().count(), "replied \"\"".len() + REPLY_CHARS + 1);
        assert!(w.ends_with("…\""), "{w}");
    }

    #[test]
    fn hand_calls_read_in_the_clinics_zone() {
        let c = to_call("failed", None, vec![]);
        let h = hand_call(&c, chrono_tz::America::Toronto, true, "+1416***0101".into());
        assert_eq!(h.at_local, "2026-11-25 11:30");
        assert_eq!(h.site, None);
        assert_eq!(h.phone, "+1416***0101");
        assert_eq!(h.state, "failed");
    }
}
