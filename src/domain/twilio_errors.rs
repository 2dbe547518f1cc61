//! The one table of Twilio error codes (Twilio's error and warning dictionary): for each code,
//! what it means in words a front desk understands (status views, `status --check`, the results
//! file, the report) and what it does to a run and to an attempt (`outcome`).
//!
//! Only codes whose meaning Twilio's own error pages state are here. Twilio refines
//! codes over time, so a code missing from the table is no fault: it reads "unknown Twilio
//! error" and its attempt counts as retryable.

use crate::domain::endings::{ApiAction, Ending};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    pub code: i64,
    /// Short, for people: it follows the code ("30006 landline or unreachable carrier").
    pub meaning: &'static str,
    /// What an error answer to a create request with this code does; `None`: the attempt is
    /// over and another may help (`Attempt(Retryable)`), unless the HTTP status says otherwise.
    pub at_create: Option<ApiAction>,
    /// How an attempt ends when its message's status callback carries this code; `None`:
    /// retryable.
    pub in_delivery: Option<Ending>,
}

const fn code(code: i64, meaning: &'static str) -> CodeInfo {
    CodeInfo {
        code,
        meaning,
        at_create: None,
        in_delivery: None,
    }
}

const fn at_create(code: i64, meaning: &'static str, action: ApiAction) -> CodeInfo {
    CodeInfo {
        at_create: Some(action),
        ..self::code(code, meaning)
    }
}

const fn in_delivery(code: i64, meaning: &'static str, ending: Ending) -> CodeInfo {
    CodeInfo {
        in_delivery: Some(ending),
        ..self::code(code, meaning)
    }
}

use ApiAction::{Attempt, Backoff, StopRun, StopTexting};
use Ending::{OptedOut, Permanent, SwitchToCall};

/// In code order.
pub const CODES: &[CodeInfo] = &[
    // Calls.
    // Our `From` is not a caller ID the account may use: every call would fail the same way.
    at_create(13214, "our caller ID is not valid (Twilio setup)", StopRun),
    at_create(
        13224,
        "not a valid number, or one Twilio cannot call",
        Attempt(Permanent),
    ),
    // The account.
    at_create(
        20003,
        "Twilio refused the account's SID or auth token",
        StopRun,
    ),
    // Too many requests at once: never processed, safe to send again after a pause.
    at_create(20429, "too many requests to Twilio at once", Backoff),
    // Creating a call or a message.
    at_create(21211, "not a valid phone number", Attempt(Permanent)),
    code(21214, "the number cannot be reached"),
    code(21217, "not a valid phone number to call"),
    // No permission to reach that region: retrying will not help until an admin acts.
    at_create(
        21408,
        "the Twilio account may not text that country or region",
        Attempt(Permanent),
    ),
    at_create(
        21606,
        "our number cannot send texts (Twilio setup)",
        StopRun,
    ),
    code(
        21608,
        "the Twilio account may text only numbers verified with it (trial account)",
    ),
    at_create(
        21610,
        "the patient replied STOP: unsubscribed",
        Attempt(OptedOut),
    ),
    // More than 10 hours of messages queued on the sender: the rate is set too high.
    at_create(
        21611,
        "too many texts waiting at Twilio: the sending rate is set too high",
        Backoff,
    ),
    code(21612, "Twilio cannot text that number from our number"),
    at_create(
        21614,
        "not a mobile number: cannot take texts",
        Attempt(SwitchToCall),
    ),
    at_create(
        21635,
        "a landline: cannot take texts",
        Attempt(SwitchToCall),
    ),
    // Delivery, in the message status callback. Twilio says 30003 and 30008 may pass later.
    code(30001, "waited too long in Twilio's queue and was dropped"),
    code(
        30002,
        "the Twilio account was suspended before the text went out",
    ),
    code(30003, "phone off or out of reach"),
    code(30004, "blocked by the recipient or the carrier"),
    // Neither texts nor calls will reach an unknown or inactive number.
    in_delivery(30005, "unknown or inactive number", Permanent),
    // A landline, or a carrier that cannot take texts: a call will work.
    in_delivery(30006, "landline or unreachable carrier", SwitchToCall),
    code(30007, "filtered by the carrier as spam"),
    code(30008, "unknown error from the carrier"),
    // Every text from that sender will be refused until the clinic registers it; calls are
    // unaffected. The attempt itself failed through no fault of the number.
    at_create(
        30034,
        "sent from a US number not registered for A2P 10DLC: registration needed",
        StopTexting,
    ),
];

pub fn info(code: i64) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code == code)
}

pub fn meaning(code: i64) -> Option<&'static str> {
    info(code).map(|c| c.meaning)
}

/// "30006 landline or unreachable carrier", "12345 (unknown Twilio error)".
pub fn describe(code: i64) -> String {
    match meaning(code) {
        Some(meaning) => format!("{code} {meaning}"),
        None => format!("{code} (unknown Twilio error)"),
    }
}

/// Whether this code means no text can go out from the sender, whenever it arrives (an answer
/// to a create request or a delivery callback): the run stops texting.
pub fn stops_texting(code: i64) -> bool {
    info(code).is_some_and(|c| c.at_create == Some(StopTexting))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_says_what_it_means() {
        for c in CODES {
            assert!(!c.meaning.trim().is_empty(), "{}", c.code);
        }
    }

    #[test]
    fn one_row_per_code_in_order() {
        for pair in CODES.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} {}",
                pair[0].code,
                pair[1].code
            );
        }
    }

    #[test]
    fn every_code_twilio_md_names() {
        let named = [
            20003, 20429, 21211, 21214, 21408, 21610, 21611, 21612, 21606, 21614, 21635, 13224,
            13214, 30001, 30002, 30003, 30004, 30005, 30006, 30007, 30008, 30034,
        ];
        for code in named {
            assert!(meaning(code).is_some(), "{code}");
        }
    }

    #[test]
    fn descriptions() {
        assert_eq!(describe(30006), "30006 landline or unreachable carrier");
        assert_eq!(describe(12345), "12345 (unknown Twilio error)");
        assert_eq!(meaning(12345), None);
    }

    #[test]
    fn unregistered_sender_stops_texting() {
        assert!(stops_texting(30034));
        assert_eq!(info(30034).and_then(|c| c.at_create), Some(StopTexting));
        assert!(!stops_texting(30006) && !stops_texting(20003) && !stops_texting(12345));
    }
}
