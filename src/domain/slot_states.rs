//! Where a freed slot and each of its offers stand (docs/waitlist.md). Stored and shown as their
//! words; a word the program does not know is an error when read (`db::types`).

use super::words::words;

words! {
    /// A freed slot, in the order it may reach its states.
    SlotState {
        /// Offered in waves until one of the endings below.
        Open = "open",
        /// A waiting patient's YES won it.
        Taken = "taken",
        /// Ended unfilled: its offers ran out, or its appointment came back.
        Closed = "closed",
        /// Too close to its time to offer any more.
        Expired = "expired",
    }
}

words! {
    /// One offer of a slot to one waiting patient.
    OfferState {
        /// Sent, not answered, the slot still open.
        Open = "open",
        /// The patient's YES won the slot.
        Taken = "taken",
        /// The patient said YES after someone else had taken it.
        Lost = "lost",
        /// The patient said NO (they stay on the list for other slots).
        Declined = "declined",
        /// The slot ended (taken by another, closed or expired) before this one was answered,
        /// or the answer came after.
        Closed = "closed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_word_and_nothing_else_does() {
        for s in SlotState::ALL {
            assert_eq!(SlotState::parse(s.as_str()), Some(*s));
        }
        for s in OfferState::ALL {
            assert_eq!(OfferState::parse(s.as_str()), Some(*s));
        }
        assert_eq!(SlotState::parse("declined"), None);
        assert_eq!(OfferState::parse("expired"), None);
        assert_eq!(
            serde_json::to_string(&[SlotState::Taken]).unwrap(),
            r#"["taken"]"#
        );
    }
}
