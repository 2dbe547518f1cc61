//! A text a patient sent us, as Twilio delivered it, and how much of it is kept: what the
//! reply to a reminder (`inbound.rs`) and the answer to an offer (`offer_reply.rs`) both read.

use std::borrow::Cow;

/// A text as Twilio delivered it.
pub struct Text<'a> {
    pub message_sid: &'a str,
    pub from: &'a str,
    /// Our number the patient wrote to, and its messaging service if it has one.
    pub to: &'a str,
    pub messaging_service: Option<&'a str>,
    pub body: &'a str,
    /// Set when Twilio's own opt-out handling matched the message (`STOP`, `START`, `HELP`).
    pub twilio_handled: Option<&'a str>,
}

/// The most of a reply that is kept, in characters: Twilio delivers no text longer than 1,600.
/// A longer body did not come from a phone the usual way, and the listener accepts bodies up to
/// 64 KiB: kept whole, it would fill `replies`, the results file and the report.
pub const MAX_REPLY_CHARS: usize = 1600;

/// `text` as it is stored: its first `MAX_REPLY_CHARS` characters, and a mark saying how long it
/// was when there was more.
pub fn kept(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(MAX_REPLY_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!(
            "{}… [cut: {} characters in all]",
            &text[..cut],
            text.chars().count()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_kept_to_twilios_longest_text() {
        assert_eq!(kept("C"), "C");
        let full = "é".repeat(MAX_REPLY_CHARS);
        assert_eq!(kept(&full), full);
        let long = format!("{full}xyz");
        assert_eq!(
            kept(&long),
            format!("{full}… [cut: {} characters in all]", MAX_REPLY_CHARS + 3)
        );
    }
}
