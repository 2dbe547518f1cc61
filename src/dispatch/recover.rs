//! Settling what earlier runs left open, before anything new goes out (with the same question
//! to Twilio and the same undo as `attempt`, which a run uses for its own unclear answers):
//! - attempts a dead run recorded but never completed (no SID): Twilio is asked whether it got
//!   the request; if it did, the attempt adopts what Twilio has, if not the attempt is undone
//!   and the patient is due again — so a kill at any moment neither doubles nor drops a contact;
//! - attempts with a SID but no final status (lost callbacks): fetched and applied exactly as a
//!   callback would be (docs/behaviour.md, "Recovery").

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use super::find::{CLOCK_SLACK_SECONDS, Fingerprint, find_created};
use super::unsent;
use crate::clock::Stamp;
use crate::db::attempts;
use crate::mask;
use crate::news::{self, Applied, OutcomeRules};
use crate::twilio::client::Client;

/// A message still `sent` this long after it went out will get no delivery receipt: its
/// carrier does not send them, so it counts as delivered.
pub const SENT_IS_FINAL_AFTER_MINUTES: i64 = 10;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    pub adopted: usize,
    pub undone: usize,
    pub updated: usize,
    pub unresolved: usize,
}

pub fn unfinished(
    conn: &mut Connection,
    client: &Client,
    rules: &OutcomeRules,
    now: DateTime<Utc>,
) -> Result<Settled> {
    let mut settled = Settled::default();
    let open = attempts::unfinished_without_sid(conn)?;
    let contacts = contacts(&open);
    let mut settled_here = vec![false; contacts.len()];
    for (i, contact) in contacts.iter().enumerate() {
        let first = contact[0];
        let began = first.created_at.instant();
        let since = began - Duration::seconds(CLOCK_SLACK_SECONDS);
        let print = Fingerprint::new(
            first.from.as_deref().unwrap_or(""),
            first.sent_sha256.as_deref(),
        );
        // Is this the number's only unsettled contact on its channel?
        let unique = !contacts.iter().enumerate().any(|(j, c)| {
            j != i && !settled_here[j] && c[0].to == first.to && c[0].channel == first.channel
        });
        let found = match find_created(
            conn,
            client,
            first.channel,
            &first.to,
            since,
            &print,
            unique,
        ) {
            Ok(f) => f,
            Err(e) => {
                log::warn!(
                    "cannot ask Twilio about an unfinished {} to {}: {e:#}; it stays open and the patient is not contacted again until it is settled",
                    first.channel.as_str(),
                    mask::phone(&first.to)
                );
                settled.unresolved += contact.len();
                continue;
            }
        };
        let stamp = Stamp::from(now);
        let tx = crate::db::begin(conn)?;
        match found {
            Some(resource) => {
                for open in contact {
                    attempts::set_sid(&tx, open.id, &resource.sid, "dispatching", stamp)?;
                }
                news::apply_status(&tx, rules, &resource.report(), false, stamp)?;
                settled.adopted += contact.len();
                log::info!(
                    "an interrupted run's {} to {} did reach Twilio ({}): not sent again",
                    first.channel.as_str(),
                    mask::phone(&first.to),
                    resource.sid
                );
            }
            None => {
                for open in contact {
                    unsent::undo(
                        &tx,
                        rules,
                        open.id,
                        None,
                        "the run stopped before Twilio received the request",
                        stamp,
                    )?;
                }
                settled.undone += contact.len();
            }
        }
        tx.commit()?;
        settled_here[i] = true;
    }
    Ok(settled)
}

/// The unfinished attempts put back together into the contacts they were part of, in the order
/// they were made: by the contact they name, or — recorded before contacts were named — by
/// number, channel and moment, as they were then grouped.
fn contacts(open: &[attempts::Attempt]) -> Vec<Vec<&attempts::Attempt>> {
    let mut contacts: Vec<Vec<&attempts::Attempt>> = Vec::new();
    for a in open {
        let joins = |c: &Vec<&attempts::Attempt>| match (c[0].contact, a.contact) {
            (Some(x), Some(y)) => x == y,
            (None, None) => {
                c[0].to == a.to && c[0].channel == a.channel && c[0].created_at == a.created_at
            }
            _ => false,
        };
        match contacts.iter_mut().find(|c| joins(c)) {
            Some(c) => c.push(a),
            None => contacts.push(vec![a]),
        }
    }
    contacts
}

pub fn awaiting(
    conn: &mut Connection,
    client: &Client,
    rules: &OutcomeRules,
    now: DateTime<Utc>,
    progress: &dyn Fn(usize, usize),
) -> Result<Settled> {
    let mut settled = Settled::default();
    let mut asked = std::collections::HashSet::new();
    let open = attempts::awaiting_outcome(conn)?;
    let total = open.len();
    for (done, attempt) in open.into_iter().enumerate() {
        progress(done, total);
        let Some(sid) = attempt.sid.as_deref() else {
            continue;
        };
        // A combined message's attempts share its SID: one fetch settles them all.
        if !asked.insert(sid.to_string()) {
            continue;
        }
        let resource = match client.fetch(attempt.channel, sid) {
            Ok(r) => r,
            Err(e) => {
                log::warn!("cannot fetch {sid} from Twilio: {e}");
                settled.unresolved += 1;
                continue;
            }
        };
        let began = attempt.created_at.instant();
        let sent_is_final = now - began >= Duration::minutes(SENT_IS_FINAL_AFTER_MINUTES);
        let tx = crate::db::begin(conn)?;
        if let Applied::Recorded { .. } = news::apply_status(
            &tx,
            rules,
            &resource.report(),
            sent_is_final,
            Stamp::from(now),
        )? {
            settled.updated += 1;
        }
        tx.commit()?;
    }
    Ok(settled)
}
