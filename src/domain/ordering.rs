//! Callbacks come twice and out of order (Twilio retries them): a later status never goes
//! backwards. This is the one rule that decides whether a report about an attempt replaces what
//! is stored.

use crate::domain::channel::Channel;
use crate::domain::outcome::rank;

/// What is known about an attempt, or what a report says about it.
#[derive(Clone, Copy, Debug)]
pub struct Status<'a> {
    /// Twilio's word (`ringing`, `completed`, …), or ours before Twilio answered (`dispatching`).
    pub word: &'a str,
    /// The call callback's `SequenceNumber`, when there is one.
    pub sequence: Option<i64>,
}

/// Whether `incoming` replaces `stored`: only a status further along Twilio's lifecycle does,
/// and never one Twilio generated before the stored one (a lower `SequenceNumber`). A message
/// still `sent` is news once more when reconciliation decides its receipt will never come
/// (`sent_is_final`).
pub fn supersedes(
    channel: Channel,
    stored: Status<'_>,
    incoming: Status<'_>,
    sent_is_final: bool,
) -> bool {
    let (old, new) = (rank(channel, stored.word), rank(channel, incoming.word));
    let generated_earlier = matches!(
        (incoming.sequence, stored.sequence),
        (Some(i), Some(s)) if i <= s
    );
    let newly_final_sent = sent_is_final && incoming.word == "sent";
    !(new < old || generated_earlier || (new == old && !newly_final_sent))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(word: &str, sequence: Option<i64>) -> Status<'_> {
        Status { word, sequence }
    }

    #[test]
    fn only_news_further_along_replaces_what_is_stored() {
        use Channel::{Call, Sms};
        // (channel, stored, incoming, sent_is_final, replaces)
        let table = [
            (Call, s("dispatching", None), s("queued", None), false, true),
            (Call, s("queued", None), s("ringing", Some(1)), false, true),
            (
                Call,
                s("ringing", Some(1)),
                s("completed", Some(3)),
                false,
                true,
            ),
            // A late `ringing` does not undo `completed`.
            (
                Call,
                s("completed", Some(3)),
                s("ringing", Some(1)),
                false,
                false,
            ),
            // The same event twice is recorded once.
            (
                Call,
                s("completed", Some(3)),
                s("completed", Some(3)),
                false,
                false,
            ),
            // Generated earlier, even if its word ranks higher (a reordered retry).
            (
                Call,
                s("in-progress", Some(4)),
                s("completed", Some(2)),
                false,
                false,
            ),
            // Without sequence numbers (a fetch), the rank alone decides.
            (
                Call,
                s("ringing", Some(1)),
                s("completed", None),
                false,
                true,
            ),
            (Sms, s("queued", None), s("sent", None), false, true),
            (Sms, s("sent", None), s("delivered", None), false, true),
            (Sms, s("delivered", None), s("sent", None), false, false),
            (Sms, s("sent", None), s("sent", None), false, false),
            (Sms, s("sent", None), s("sent", None), true, true),
            (
                Sms,
                s("undelivered", None),
                s("delivered", None),
                false,
                false,
            ),
            (Sms, s("delivered", None), s("read", None), false, true),
        ];
        for (channel, stored, incoming, final_sent, want) in table {
            assert_eq!(
                supersedes(channel, stored, incoming, final_sent),
                want,
                "{channel:?} {stored:?} <- {incoming:?} (sent final: {final_sent})"
            );
        }
    }
}
