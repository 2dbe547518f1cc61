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
    /// The clinic's system says the patient did not come (final).
    NoShow,
}

pub const ALL: [State; 11] = [
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
    State::NoShow,
];

/// Shown as the word it is stored as (`"cancel_requested"`), in `--json` and `--csv` views.
impl serde::Serialize for State {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

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
            State::NoShow => "no_show",
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

/// Something that happens to an appointment. The payloads are what the write needs besides the
/// new state (which touch an attempt belongs to, why it was withdrawn); the table reads only
/// `then` and `resume`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A call or SMS of reminder touch `touch` (days before) is about to go out.
    AttemptStarted { touch: u32 },
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
    /// The clinic moved or cancelled it, a snapshot export no longer lists it, or an operator
    /// took it out; `reason` says which, in words shown to staff.
    Withdrawn { reason: &'a str },
    /// A withdrawn appointment listed again by import `import`: it is due as if new.
    Reinstated { import: i64 },
    /// A later export says the patient did not come to this past appointment.
    NoShow,
}

/// What an event does to an appointment in a given state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The appointment moves to this state.
    To(State),
    /// News that leaves this state as it is: a repeat, or late news about an appointment that
    /// has moved on (a delivery receipt after the patient confirmed, a reply after a withdrawal).
    Unchanged,
}

/// An event the table does not allow in this state. News from outside (callbacks, replies,
/// exports) is never forbidden, only ignored; these are the events this program itself decides
/// on after reading the state, so one arriving where it is not allowed is a bug to stop on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forbidden {
    pub state: State,
    pub event: &'static str,
}

impl std::fmt::Display for Forbidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "an appointment in state {} cannot take the event {}",
            self.state.as_str(),
            self.event
        )
    }
}

impl std::error::Error for Forbidden {}

impl Event<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Event::AttemptStarted { .. } => "attempt started",
            Event::Reached => "reached",
            Event::AttemptFailed { .. } => "attempt failed",
            Event::Confirmed => "confirmed",
            Event::CancelRequested => "cancel requested",
            Event::OptedOut => "opted out",
            Event::OptedIn { .. } => "opted in",
            Event::NotSent { .. } => "not sent",
            Event::Expired => "expired",
            Event::Withdrawn { .. } => "withdrawn",
            Event::Reinstated { .. } => "reinstated",
            Event::NoShow => "no show",
        }
    }
}

/// Where a failed attempt may send an appointment, and where one may resume.
const AFTER_ATTEMPT: [State; 4] = [
    State::RetryWait,
    State::Pending,
    State::Reached,
    State::Failed,
];

/// What `event` does to an appointment in `state`: the transition table.
pub fn next(state: State, event: Event<'_>) -> Result<Step, Forbidden> {
    use Event as E;
    use State as S;
    let forbidden = Err(Forbidden {
        state,
        event: event.name(),
    });
    let to = match (state, event) {
        // Only an appointment due a contact is contacted; reached patients get the later
        // touches too.
        (S::Pending | S::RetryWait | S::Reached, E::AttemptStarted { .. }) => S::InFlight,
        (_, E::AttemptStarted { .. }) => return forbidden,

        (
            _,
            E::AttemptFailed { then } | E::NotSent { resume: then } | E::OptedIn { resume: then },
        ) if !AFTER_ATTEMPT.contains(&then) => {
            return forbidden;
        }

        (S::InFlight | S::RetryWait | S::Failed, E::Reached) => S::Reached,
        (S::InFlight, E::AttemptFailed { then }) => then,
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

        // Final: what the clinic's system says happened at the visit is the last word.
        (S::NoShow, E::Withdrawn { .. } | E::NoShow) => return Ok(Step::Unchanged),
        // An appointment taken out of the schedule was not missed.
        (S::Withdrawn, E::NoShow) => return Ok(Step::Unchanged),
        (_, E::NoShow) => S::NoShow,

        (S::Withdrawn, E::Withdrawn { .. }) => return Ok(Step::Unchanged),
        (_, E::Withdrawn { .. }) => S::Withdrawn,
        (S::Withdrawn, E::Reinstated { .. }) => S::Pending,
        // Only a withdrawn appointment is brought back.
        (_, E::Reinstated { .. }) => return forbidden,
        _ => return Ok(Step::Unchanged),
    };
    Ok(if to == state {
        Step::Unchanged
    } else {
        Step::To(to)
    })
}

/// `event` moves an appointment in `state` somewhere else.
pub fn changes(state: State, event: Event<'_>) -> bool {
    matches!(next(state, event), Ok(Step::To(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Event as E;
    use State as S;

    const EVENTS: [Event<'static>; 15] = [
        E::AttemptStarted { touch: 1 },
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
        E::Withdrawn { reason: "moved" },
        E::Reinstated { import: 2 },
        // Where a failed attempt can never lead.
        E::AttemptFailed { then: S::Confirmed },
        E::NoShow,
    ];

    /// Every (state, event) pair, written out: `-` means the event leaves that state as it is,
    /// `!` that it is forbidden there. Columns follow EVENTS.
    const TABLE: [(State, [&str; 15]); 11] = [
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
                "!",
                "!",
                "no_show",
            ],
        ),
        (
            S::InFlight,
            [
                "!",
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
                "!",
                "!",
                "no_show",
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
                "!",
                "!",
                "no_show",
            ],
        ),
        (
            S::Confirmed,
            [
                "!",
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
                "!",
                "!",
                "no_show",
            ],
        ),
        (
            S::CancelRequested,
            [
                "!",
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
                "!",
                "!",
                "no_show",
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
                "!",
                "!",
                "no_show",
            ],
        ),
        (
            S::Failed,
            [
                "!",
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
                "!",
                "!",
                "no_show",
            ],
        ),
        (
            S::OptedOut,
            [
                "!",
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
                "!",
                "!",
                "no_show",
            ],
        ),
        (
            S::Expired,
            [
                "!",
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
                "!",
                "!",
                "no_show",
            ],
        ),
        (
            S::Withdrawn,
            [
                "!", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "pending", "!", "-",
            ],
        ),
        (
            S::NoShow,
            [
                "!", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "!", "!", "-",
            ],
        ),
    ];

    #[test]
    fn every_state_and_event() {
        assert_eq!(TABLE.len(), ALL.len());
        for (state, row) in TABLE {
            for (event, want) in EVENTS.iter().zip(row) {
                let got = match next(state, *event) {
                    Ok(Step::To(to)) => to.as_str(),
                    Ok(Step::Unchanged) => "-",
                    Err(_) => "!",
                };
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
