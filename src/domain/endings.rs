//! What the end of an attempt, or Twilio's refusal of a request, means for the contact: the
//! words `outcome.rs` decides in and `twilio_errors.rs` files each error code under.

/// How an attempt ended, as far as the appointment is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    Reached,
    /// Failed; another attempt may help.
    Retryable,
    /// Failed in a way no further attempt will fix (invalid number).
    Permanent,
    /// The number cannot take texts: the remaining attempts are calls.
    SwitchToCall,
    /// The number is unsubscribed: never contact it again.
    OptedOut,
}

/// What a dispatching run does with an error answer to a create request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiAction {
    /// Too many requests or Twilio trouble: wait and try the same request again in this run.
    Backoff,
    /// The account or sender is misconfigured: every other request would fail the same way.
    StopRun,
    /// The sender may not text (US A2P 10DLC registration missing): no more texts this run;
    /// calls go on (docs/behaviour.md, "Twilio's errors").
    StopTexting,
    /// This attempt is over.
    Attempt(Ending),
}
