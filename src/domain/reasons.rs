//! Why an attempt did not reach the patient, in words a front desk understands (the report's
//! failure reasons, the results file's "no answer ×2, busy", every view): from Twilio's status
//! word, the answering-machine verdict and the error code, which `twilio_errors` puts in words.

use crate::domain::channel::Channel;
use crate::domain::outcome::{self, Ending};
use crate::domain::twilio_errors;

/// An attempt as far as its outcome goes.
#[derive(Clone, Copy, Debug)]
pub struct Outcome<'a> {
    pub channel: Channel,
    /// Twilio's word (`no-answer`, `undelivered`…), or ours before Twilio answered
    /// (`dispatching`, `not-sent`).
    pub status: &'a str,
    pub answered_by: Option<&'a str>,
    pub error_code: Option<i64>,
}

/// Whether the attempt reached the patient (the same rule the state machine applies).
pub fn reached(o: &Outcome<'_>, voicemail_counts: bool) -> bool {
    ending(o, voicemail_counts) == Some(Ending::Reached)
}

/// How the attempt ended; `None` while it has no final outcome, or when it never left (a
/// `not-sent` attempt did not happen).
fn ending(o: &Outcome<'_>, voicemail_counts: bool) -> Option<Ending> {
    match (o.channel, o.status) {
        (_, "dispatching" | "not-sent") => None,
        // Refused when created: no status from Twilio, only its error.
        (_, "failed") if o.error_code.is_some() => Some(Ending::Retryable),
        (Channel::Call, s) if outcome::is_final(Channel::Call, s) => {
            Some(outcome::call_ending(s, o.answered_by, voicemail_counts))
        }
        // Carriers that give no receipt leave a delivered text at `sent`.
        (Channel::Sms, s) if outcome::is_final(Channel::Sms, s) || s == "sent" => {
            Some(outcome::sms_ending(s, o.error_code))
        }
        _ => None,
    }
}

/// Why the attempt failed, in words; `None` when it did not fail (reached, still under way,
/// or never sent).
pub fn failure(o: &Outcome<'_>, voicemail_counts: bool) -> Option<String> {
    if matches!(ending(o, voicemail_counts), None | Some(Ending::Reached)) {
        return None;
    }
    if let Some(code) = o.error_code {
        return Some(twilio_errors::describe(code));
    }
    let words = match (o.channel, o.status, o.answered_by) {
        (Channel::Call, "completed", Some("fax")) => "answered by a fax machine",
        (Channel::Call, "completed", _) => "voicemail (not counted as reached)",
        (Channel::Call, "no-answer", _) => "no answer",
        (Channel::Call, "busy", _) => "busy",
        (Channel::Call, "canceled", _) => "call canceled",
        (Channel::Call, _, _) => "call failed",
        (_, "undelivered", _) => "text not delivered",
        (_, "canceled", _) => "text canceled",
        _ => "text failed",
    };
    Some(words.to_string())
}

/// Reasons in the order they first happened, each once with how often: "no answer ×2, busy".
pub fn summary<S: AsRef<str>>(reasons: &[S]) -> String {
    let mut counted: Vec<(&str, usize)> = Vec::new();
    for r in reasons {
        let r = r.as_ref();
        match counted.iter_mut().find(|(seen, _)| *seen == r) {
            Some((_, n)) => *n += 1,
            None => counted.push((r, 1)),
        }
    }
    counted
        .iter()
        .map(|(r, n)| match n {
            1 => r.to_string(),
            n => format!("{r} ×{n}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<'a>(status: &'a str, answered_by: Option<&'a str>) -> Outcome<'a> {
        Outcome {
            channel: Channel::Call,
            status,
            answered_by,
            error_code: None,
        }
    }

    fn sms(status: &str, error_code: Option<i64>) -> Outcome<'_> {
        Outcome {
            channel: Channel::Sms,
            status,
            answered_by: None,
            error_code,
        }
    }

    #[test]
    fn failed_attempts_in_words() {
        let cases = [
            (call("no-answer", None), "no answer"),
            (call("busy", None), "busy"),
            (call("failed", None), "call failed"),
            (call("canceled", None), "call canceled"),
            (call("completed", Some("fax")), "answered by a fax machine"),
            (
                sms("undelivered", Some(30006)),
                "30006 landline or unreachable carrier",
            ),
            (sms("undelivered", None), "text not delivered"),
            (sms("failed", None), "text failed"),
            (
                sms("failed", Some(21610)),
                "21610 the patient replied STOP: unsubscribed",
            ),
            (
                Outcome {
                    error_code: Some(21211),
                    ..call("failed", None)
                },
                "21211 not a valid phone number",
            ),
            (sms("failed", Some(99999)), "99999 (unknown Twilio error)"),
        ];
        for (o, want) in cases {
            assert_eq!(failure(&o, true).as_deref(), Some(want), "{o:?}");
            assert!(!reached(&o, true), "{o:?}");
        }
    }

    #[test]
    fn a_voicemail_fails_only_when_it_does_not_count() {
        let vm = call("completed", Some("machine_end_beep"));
        assert_eq!(failure(&vm, true), None);
        assert!(reached(&vm, true));
        assert_eq!(
            failure(&vm, false).as_deref(),
            Some("voicemail (not counted as reached)")
        );
        assert!(!reached(&vm, false));
    }

    #[test]
    fn reached_pending_and_unsent_attempts_give_no_reason() {
        for o in [
            call("completed", Some("human")),
            call("completed", None),
            call("ringing", None),
            call("dispatching", None),
            call("not-sent", None),
            sms("delivered", None),
            sms("read", None),
            sms("sent", None),
            sms("queued", None),
            sms("not-sent", Some(21606)),
        ] {
            assert_eq!(failure(&o, true), None, "{o:?}");
        }
        assert!(reached(&sms("sent", None), true));
        assert!(!reached(&sms("queued", None), true));
        assert!(!reached(&call("not-sent", None), true));
    }

    #[test]
    fn summaries_count_repeats_in_first_seen_order() {
        assert_eq!(summary::<&str>(&[]), "");
        assert_eq!(summary(&["no answer"]), "no answer");
        assert_eq!(
            summary(&["no answer", "busy", "no answer"]),
            "no answer ×2, busy"
        );
    }
}
