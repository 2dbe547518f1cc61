//! What a patient's text reply means (SPEC §6). The one place the keyword lists live.
//!
//! CANCEL is one of Twilio's standard opt-out words: a patient who texts it is unsubscribed by
//! Twilio's default handling whatever we do, so it is an opt-out here too, not a cancellation.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    Confirm,
    Cancel,
    OptOut,
    OptIn,
    Help,
    Other,
}

pub const CONFIRM: &[&str] = &["C", "CONFIRM", "YES", "1"];
pub const CANCEL: &[&str] = &["R", "N", "NO", "RESCHEDULE", "2"];
/// Twilio's default opt-out words.
pub const OPT_OUT: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
];
pub const OPT_IN: &[&str] = &["START", "UNSTOP"];
pub const HELP: &[&str] = &["HELP", "INFO"];

/// Classifies a reply: the whole body, trimmed, case-insensitive. Anything longer than a
/// keyword (a sentence) is `Other`, so "no problem, see you" is not a cancellation.
pub fn classify(body: &str) -> Reply {
    let word = body.trim().to_uppercase();
    let is = |list: &[&str]| list.contains(&word.as_str());
    if is(OPT_OUT) {
        Reply::OptOut
    } else if is(OPT_IN) {
        Reply::OptIn
    } else if is(HELP) {
        Reply::Help
    } else if is(CONFIRM) {
        Reply::Confirm
    } else if is(CANCEL) {
        Reply::Cancel
    } else {
        Reply::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_in_its_class() {
        let table: &[(&[&str], Reply)] = &[
            (CONFIRM, Reply::Confirm),
            (CANCEL, Reply::Cancel),
            (OPT_OUT, Reply::OptOut),
            (OPT_IN, Reply::OptIn),
            (HELP, Reply::Help),
        ];
        for (words, expected) in table {
            for w in *words {
                assert_eq!(classify(w), *expected, "{w}");
                assert_eq!(
                    classify(&format!("  {}\r\n", w.to_lowercase())),
                    *expected,
                    "{w}"
                );
            }
        }
    }

    #[test]
    fn cancel_is_an_opt_out_not_a_cancellation() {
        assert_eq!(classify("cancel"), Reply::OptOut);
        assert_eq!(classify("Reschedule"), Reply::Cancel);
    }

    #[test]
    fn sentences_and_empty_are_other() {
        for body in ["", "   ", "yes please", "no problem", "C.", "12", "stop it"] {
            assert_eq!(classify(body), Reply::Other, "{body:?}");
        }
    }

    #[test]
    fn no_word_is_in_two_lists() {
        let all = [CONFIRM, CANCEL, OPT_OUT, OPT_IN, HELP].concat();
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len());
    }
}
