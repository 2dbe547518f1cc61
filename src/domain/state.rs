//! The appointment state machine (docs/behaviour.md, "Appointment states"). `send`, `retry`,
//! `reconcile` and the webhook listener all move appointments through `next`, so a state changes
//! the same way whichever path brought the news.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    Pending,
    InFlight,
    Reached,
    Confirmed,
    CancelRequested,
    RetryWait,
    Failed,
    OptedOut,
    Expired,
    /// Taken out of the schedule: moved, cancelled, no longer in the export, or by hand.
    Withdrawn,
}

pub const ALL: [State; 10] = [
    State::Pending,
    State::InFlight,
    State::Reached,
    State::Confirmed,
    State::CancelRequested,
    State::RetryWait,
    State::Failed,
    State::OptedOut,
    State::Expired,
    State::Withdrawn,
];

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::InFlight => "in_flight",
            State::Reached => "reached",
            State::Confirmed => "confirmed",
            State::CancelRequested => "cancel_requested",
            State::RetryWait => "retry_wait",
            State::Failed => "failed",
            State::OptedOut => "opted_out",
            State::Expired => "expired",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The patient got the reminder (and may have answered it).
    pub fn is_reached(self) -> bool {
        matches!(
            self,
            State::Reached | State::Confirmed | State::CancelRequested
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A call or SMS is about to go out.
    AttemptStarted,
    /// The attempt's final outcome: delivered, answered, or a voicemail that counts.
    Reached,
    /// The attempt's final outcome was a failure; `then` is where the schedule sends the
    /// appointment (`schedule::after_failure`): retry_wait, pending (the next touch), reached
    /// (reached at an earlier touch) or failed.
    AttemptFailed { then: State },
    /// The patient confirmed (SMS reply or keypress 1).
    Confirmed,
    /// The patient asked to cancel or reschedule (SMS reply or keypress 2).
    CancelRequested,
    /// The number opted out (STOP, or Twilio's 21610).
    OptedOut,
    /// The opt-out was lifted (START); contact resumes where it stopped.
    OptedIn { resume: State },
    /// A dead run's attempt turned out never to have reached Twilio: it did not happen.
    NotSent { resume: State },
    /// The appointment's time came before the patient was reached.
    Expired,
    /// The clinic moved or cancelled it, or an operator took it out.
    Withdrawn,
    /// A withdrawn appointment listed again: it is due as if new.
    Reinstated,
}

/// The state after `event`, or `None` when the event does not change this state (repeats,
/// late news about a finished appointment, or events that make no sense here).
pub fn next(state: State, event: Event) -> Option<State> {
    use Event as E;
    use State as S;
    let to = match (state, event) {
        // Reached patients get the later touches too.
        (S::Pending | S::RetryWait | S::Reached, E::AttemptStarted) => S::InFlight,

        (S::InFlight | S::RetryWait | S::Failed, E::Reached) => S::Reached,
        (
            S::InFlight,
            E::AttemptFailed {
                then: then @ (S::RetryWait | S::Pending | S::Reached | S::Failed),
            },
        ) => then,
        (S::InFlight, E::NotSent { resume }) => resume,

        // A reply proves the reminder arrived, whatever the status callbacks said.
        (
            S::InFlight | S::Reached | S::RetryWait | S::Failed | S::CancelRequested,
            E::Confirmed,
        ) => S::Confirmed,
        (
            S::InFlight | S::Reached | S::RetryWait | S::Failed | S::Confirmed,
            E::CancelRequested,
        ) => S::CancelRequested,

        // Once reached, the appointment keeps what the patient told us; the opt-out itself is
        // kept in `opt_outs` and stops every later contact.
        (S::Pending | S::InFlight | S::RetryWait | S::Failed, E::OptedOut) => S::OptedOut,
        (S::OptedOut, E::OptedIn { resume }) => resume,

        (S::Pending | S::RetryWait, E::Expired) => S::Expired,

        (S::Withdrawn, E::Withdrawn) => return None,
        (_, E::Withdrawn) => S::Withdrawn,
        (S::Withdrawn, E::Reinstated) => S::Pending,
        _ => return None,
    };
    (to != state).then_some(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Event as E;
    use State as S;

    const EVENTS: [Event; 13] = [
        E::AttemptStarted,
        E::Reached,
        E::AttemptFailed { then: S::RetryWait },
        E::AttemptFailed { then: S::Failed },
        E::Confirmed,
        E::CancelRequested,
        E::OptedOut,
        E::OptedIn {
            resume: S::RetryWait,
        },
        E::NotSent { resume: S::Pending },
        E::Expired,
        E::NotSent {
            resume: S::RetryWait,
        },
        E::Withdrawn,
        E::Reinstated,
    ];

    /// Every (state, event) pair, written out: `-` means the event is ignored in that state.
    /// Columns follow EVENTS.
    const TABLE: [(State, [&str; 13]); 10] = [
        (
            S::Pending,
            [
                "in_flight",
                "-",
                "-",
                "-",
                "-",
                "-",
                "opted_out",
                "-",
                "-",
                "expired",
                "-",
                "withdrawn",
                "-",
            ],
        ),
        (
            S::InFlight,
            [
                "-",
                "reached",
                "retry_wait",
                "failed",
                "confirmed",
                "cancel_requested",
                "opted_out",
                "-",
                "pending",
                "-",
                "retry_wait",
                "withdrawn",
                "-",
            ],
        ),
        (
            S::Reached,
            [
                "in_flight",
                "-",
                "-",
                "-",
                "confirmed",
                "cancel_requested",
                "-",
                "-",
                "-",
                "-",
                "-",
                "withdrawn",
                "-",
            ],
        ),
        (
            S::Confirmed,
            [
                "-",
                "-",
                "-",
                "-",
                "-",
                "cancel_requested",
                "-",
                "-",
                "-",
                "-",
                "-",
                "withdrawn",
                "-",
            ],
        ),
        (
            S::CancelRequested,
            [
                "-",
                "-",
                "-",
                "-",
                "confirmed",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "withdrawn",
                "-",
            ],
        ),
        (
            S::RetryWait,
            [
                "in_flight",
                "reached",
                "-",
                "-",
                "confirmed",
                "cancel_requested",
                "opted_out",
                "-",
                "-",
                "expired",
                "-",
                "withdrawn",
                "-",
            ],
        ),
        (
            S::Failed,
            [
                "-",
                "reached",
                "-",
                "-",
                "confirmed",
                "cancel_requested",
                "opted_out",
                "-",
                "-",
                "-",
                "-",
                "withdrawn",
                "-",
            ],
        ),
        (
            S::OptedOut,
            [
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "retry_wait",
                "-",
                "-",
                "-",
                "withdrawn",
                "-",
            ],
        ),
        (
            S::Expired,
            [
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "withdrawn",
                "-",
            ],
        ),
        (
            S::Withdrawn,
            [
                "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "pending",
            ],
        ),
    ];

    #[test]
    fn every_state_and_event() {
        assert_eq!(TABLE.len(), ALL.len());
        for (state, row) in TABLE {
            for (event, want) in EVENTS.iter().zip(row) {
                let got = next(state, *event).map(State::as_str).unwrap_or("-");
                assert_eq!(got, want, "{state:?} + {event:?}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(State::parse("scheduled"), None);
    }
}
