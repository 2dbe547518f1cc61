//! What Twilio's words mean for us: the order of call and message statuses (so a late callback
//! never moves an attempt backwards), which statuses are final and how they end an attempt, and
//! what an error code does to a run or an attempt, read from the one table of codes in
//! `twilio_errors` (Twilio's error and warning dictionary).

use crate::domain::channel::Channel;
pub use crate::domain::endings::{ApiAction, Ending};
use crate::domain::twilio_errors;

/// Position of a status in Twilio's lifecycle; a status only replaces one with a lower rank.
pub fn rank(channel: Channel, status: &str) -> u8 {
    match channel {
        Channel::Call => match status {
            "dispatching" => 0,
            "queued" => 1,
            "initiated" => 2,
            "ringing" => 3,
            "in-progress" => 4,
            "completed" | "busy" | "no-answer" | "failed" | "canceled" => 5,
            _ => 0,
        },
        _ => match status {
            "dispatching" => 0,
            "queued" | "accepted" | "scheduled" => 1,
            "sending" => 2,
            "sent" => 3,
            "delivered" | "undelivered" | "failed" | "canceled" => 4,
            "read" => 5,
            _ => 0,
        },
    }
}

pub fn is_final(channel: Channel, status: &str) -> bool {
    match channel {
        Channel::Call => rank(channel, status) == 5,
        _ => rank(channel, status) >= 4,
    }
}

/// Twilio's answering-machine verdicts that mean a voicemail got the message after the beep.
fn is_machine(answered_by: &str) -> bool {
    answered_by.starts_with("machine")
}

/// The ending of a call whose final status is `status`.
pub fn call_ending(status: &str, answered_by: Option<&str>, voicemail_counts: bool) -> Ending {
    match status {
        "completed" => match answered_by {
            Some("fax") => Ending::Retryable,
            Some(a) if is_machine(a) && !voicemail_counts => Ending::Retryable,
            _ => Ending::Reached,
        },
        _ => Ending::Retryable,
    }
}

/// The ending of a message whose final status is `status` (with the delivery error, if any).
pub fn sms_ending(status: &str, error_code: Option<i64>) -> Ending {
    match status {
        "delivered" | "read" => Ending::Reached,
        // Carriers that give no delivery receipt leave a delivered message at `sent`.
        "sent" => Ending::Reached,
        _ => error_code.map(delivery_error).unwrap_or(Ending::Retryable),
    }
}

/// Delivery errors from the message status callback. A code the table gives no ending (or does
/// not know: Twilio refines codes over time) may pass later, so it is retried within the limit.
pub fn delivery_error(code: i64) -> Ending {
    twilio_errors::info(code)
        .and_then(|c| c.in_delivery)
        .unwrap_or(Ending::Retryable)
}

pub fn api_error_action(http_status: u16, code: Option<i64>) -> ApiAction {
    match http_status {
        // Too many requests or Twilio trouble: the request was not processed, whatever the code.
        429 | 500..=599 => ApiAction::Backoff,
        // The account's credentials were refused: every request would be.
        401 => ApiAction::StopRun,
        _ => code
            .and_then(twilio_errors::info)
            .and_then(|c| c.at_create)
            .unwrap_or(ApiAction::Attempt(Ending::Retryable)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_only_move_forward() {
        let call = [
            "dispatching",
            "queued",
            "initiated",
            "ringing",
            "in-progress",
            "completed",
        ];
        for pair in call.windows(2) {
            assert!(
                rank(Channel::Call, pair[0]) < rank(Channel::Call, pair[1]),
                "{pair:?}"
            );
        }
        assert_eq!(
            rank(Channel::Call, "busy"),
            rank(Channel::Call, "completed")
        );
        let sms = ["dispatching", "queued", "sending", "sent", "delivered"];
        for pair in sms.windows(2) {
            assert!(
                rank(Channel::Sms, pair[0]) < rank(Channel::Sms, pair[1]),
                "{pair:?}"
            );
        }
        assert!(rank(Channel::Sms, "sent") < rank(Channel::Sms, "undelivered"));
        assert!(is_final(Channel::Call, "no-answer") && !is_final(Channel::Call, "ringing"));
        assert!(is_final(Channel::Sms, "failed") && !is_final(Channel::Sms, "sent"));
    }

    #[test]
    fn call_endings() {
        assert_eq!(
            call_ending("completed", Some("human"), true),
            Ending::Reached
        );
        assert_eq!(call_ending("completed", None, false), Ending::Reached);
        assert_eq!(
            call_ending("completed", Some("machine_end_beep"), true),
            Ending::Reached
        );
        assert_eq!(
            call_ending("completed", Some("machine_end_beep"), false),
            Ending::Retryable
        );
        assert_eq!(
            call_ending("completed", Some("fax"), true),
            Ending::Retryable
        );
        for s in ["busy", "no-answer", "failed", "canceled"] {
            assert_eq!(call_ending(s, None, true), Ending::Retryable, "{s}");
        }
    }

    #[test]
    fn sms_endings() {
        assert_eq!(sms_ending("delivered", None), Ending::Reached);
        assert_eq!(sms_ending("sent", None), Ending::Reached);
        assert_eq!(sms_ending("undelivered", Some(30006)), Ending::SwitchToCall);
        assert_eq!(sms_ending("undelivered", Some(30005)), Ending::Permanent);
        assert_eq!(sms_ending("undelivered", Some(30003)), Ending::Retryable);
        assert_eq!(sms_ending("failed", Some(39999)), Ending::Retryable);
        assert_eq!(sms_ending("failed", None), Ending::Retryable);
    }

    #[test]
    fn api_errors() {
        assert_eq!(api_error_action(429, Some(20429)), ApiAction::Backoff);
        assert_eq!(api_error_action(503, None), ApiAction::Backoff);
        assert_eq!(api_error_action(401, Some(20003)), ApiAction::StopRun);
        assert_eq!(
            api_error_action(400, Some(21610)),
            ApiAction::Attempt(Ending::OptedOut)
        );
        assert_eq!(
            api_error_action(400, Some(21614)),
            ApiAction::Attempt(Ending::SwitchToCall)
        );
        assert_eq!(
            api_error_action(400, Some(21635)),
            ApiAction::Attempt(Ending::SwitchToCall)
        );
        assert_eq!(
            api_error_action(400, Some(21211)),
            ApiAction::Attempt(Ending::Permanent)
        );
        assert_eq!(
            api_error_action(400, Some(21214)),
            ApiAction::Attempt(Ending::Retryable)
        );
        assert_eq!(
            api_error_action(400, Some(12345)),
            ApiAction::Attempt(Ending::Retryable)
        );
        assert_eq!(api_error_action(401, None), ApiAction::StopRun);
        assert_eq!(api_error_action(400, Some(21611)), ApiAction::Backoff);
        assert_eq!(api_error_action(400, Some(21606)), ApiAction::StopRun);
        assert_eq!(api_error_action(400, Some(13214)), ApiAction::StopRun);
        assert_eq!(
            api_error_action(400, Some(13224)),
            ApiAction::Attempt(Ending::Permanent)
        );
        assert_eq!(
            api_error_action(400, Some(21408)),
            ApiAction::Attempt(Ending::Permanent)
        );
        assert_eq!(api_error_action(400, Some(30034)), ApiAction::StopTexting);
        // An unregistered sender's text that Twilio accepted fails later, in the callback.
        assert_eq!(delivery_error(30034), Ending::Retryable);
    }
}
