//! Finding, in Twilio's list of calls or messages to a number, the one a contact made: after an
//! answer that did not say what happened, or for an attempt a dead run left without a SID. A
//! contact is known by its sender and, for a text, by its words, so two contacts to one number
//! (six appointments on a care home's desk go out as two texts) are never taken for each other.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::message;
use crate::db::attempts;
use crate::domain::channel::Channel;
use crate::twilio::client::{Client, Resource};

/// Twilio stamps `date_created` to the second with its own clock: look this far before the
/// attempt began so a slightly different clock cannot hide a call we made.
pub const CLOCK_SLACK_SECONDS: i64 = 60;

/// What a contact sent, as Twilio's list of calls or messages to a number shows it: the sender
/// and, for a text, a digest of its words. A care home's six appointments go out as two texts
/// to one number within a second; an unclear answer or a kill must not let one text's attempts
/// adopt the other's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fingerprint {
    /// The `From` we sent with (not a messaging service: Twilio reports the number it chose).
    pub from: Option<String>,
    /// SHA-256 (hex) of a text's body.
    pub body_sha256: Option<String>,
}

impl Fingerprint {
    pub fn new(from: &str, body_sha256: Option<&str>) -> Fingerprint {
        Fingerprint {
            from: (!from.is_empty() && !from.starts_with("MG")).then(|| from.to_string()),
            body_sha256: body_sha256.map(str::to_string),
        }
    }

    fn sender_matches(&self, r: &Resource) -> bool {
        match (&self.from, &r.from) {
            (Some(ours), Some(theirs)) => ours == theirs,
            _ => true,
        }
    }

    fn body_matches(&self, r: &Resource) -> Option<bool> {
        match (&self.body_sha256, &r.body) {
            (Some(ours), Some(body)) => Some(*ours == message::digest(body)),
            _ => None,
        }
    }
}

/// The call or message to `to`, created since `since`, that no attempt of ours has claimed and
/// that is this contact's: from the same sender and, for a text, with the same words. When the
/// contact is the number's only unsettled one on its channel (`unique`), a text whose words
/// Twilio changed (a messaging service's smart encoding) is still taken as ours, the oldest
/// first: that and a second reminder are the alternatives. When several are unsettled (a run
/// of an older version died with two out), a text is only ever matched by its words.
pub fn find_created(
    conn: &Connection,
    client: &Client,
    channel: Channel,
    to: &str,
    since: DateTime<Utc>,
    print: &Fingerprint,
    unique: bool,
) -> Result<Option<Resource>> {
    let known = attempts::known_sids_to(conn, to)?;
    // Newest first from Twilio; reversed, the oldest unclaimed one comes first.
    let found: Vec<Resource> = client
        .list_to(channel, to, since)?
        .into_iter()
        .rev()
        .filter(|r| !known.contains(&r.sid) && print.sender_matches(r))
        .collect();
    Ok(pick(found, print, unique))
}

/// Which of the unclaimed resources (oldest first) is the contact's.
fn pick(found: Vec<Resource>, print: &Fingerprint, unique: bool) -> Option<Resource> {
    if found.iter().any(|r| print.body_matches(r) == Some(true)) {
        return found
            .into_iter()
            .find(|r| print.body_matches(r) == Some(true));
    }
    if !unique && found.iter().any(|r| print.body_matches(r) == Some(false)) {
        return None;
    }
    found.into_iter().next()
}
