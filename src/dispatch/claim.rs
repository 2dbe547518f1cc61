//! What claiming a contact yields, shared by the claim of a reminder or follow-up
//! (`attempt.rs`), of an offer (`offer.rs`) and the record of a contact that could not be built
//! (`unsent.rs`): the recorded contact about to go out, or why nothing goes; the rule that no
//! new contact goes to a number whose last one is unsettled; and how an attempt is numbered.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::find::Fingerprint;
use super::message::Request;
use super::select::Job;
use crate::clock::Stamp;
use crate::db::appointments::{self, Stored};
use crate::db::attempts;
use crate::domain::channel::Channel;
use crate::domain::contact_kind::ContactKind;
use crate::domain::limits::Rule;
use crate::domain::templates::RenderError;
use crate::mask;

/// A contact that is recorded and about to go out: an attempt row per appointment.
pub(super) struct Claim {
    /// (attempt row, appointment's clinic id, attempt number)
    pub(super) members: Vec<(i64, String, i64)>,
    pub(super) to: String,
    pub(super) began: DateTime<Utc>,
    /// What was sent, to tell it apart in Twilio's list.
    pub(super) print: Fingerprint,
}

impl Claim {
    pub(super) fn log_ids(&self) -> Vec<i64> {
        self.members.iter().map(|m| m.0).collect()
    }
}

/// What claiming found.
pub(super) enum Claimed {
    Go(Claim, Request),
    /// Nothing to send (each appointment changed meanwhile, or the number opted out).
    Nothing,
    AfterHours,
    Unbuildable(RenderError),
    /// Held by a rule of contact, for this many appointments.
    Held(Rule, usize),
}

/// Whether an earlier contact to `to` on `channel` is still unsettled (said when it is).
pub(super) fn unsettled(tx: &Connection, to: &str, channel: Channel) -> Result<bool> {
    let open = attempts::unsettled_to(tx, to, channel)?;
    if open {
        log::warn!(
            "an earlier {} to {} is not settled yet: not contacted again until Twilio says what became of it",
            channel.as_str(),
            mask::phone(to)
        );
    }
    Ok(open)
}

/// The attempt number and touch of a contact being recorded for `appt`: a reminder starts an
/// attempt of its touch (through the transition table); a follow-up is a contact of its own,
/// not one of the touch's attempts.
pub(super) fn number(
    tx: &Connection,
    appt: &Stored,
    job: &Job,
    now: Stamp,
) -> Result<(i64, Option<u32>)> {
    Ok(match job.kind {
        ContactKind::Reminder => (
            appointments::transitions::start_attempt(tx, appt, job.touch, now)?,
            Some(job.touch),
        ),
        _ => (appt.attempt_count, appt.touch_days),
    })
}
