//! Settling what earlier runs left open, before anything new goes out:
//! - attempts a dead run recorded but never completed (no SID): Twilio is asked whether it got
//!   the request; if it did, the attempt adopts what Twilio has, if not the attempt is undone
//!   and the patient is due again — so a kill at any moment neither doubles nor drops a contact;
//! - attempts with a SID but no final status (lost callbacks): fetched and applied exactly as a
//!   callback would be (SPEC §5.4).

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use crate::clock::{db_time, parse_db_time};
use crate::db::{appointments, attempts};
use crate::domain::channel::Channel;
use crate::domain::state;
use crate::mask;
use crate::track::{self, Applied, Rules};
use crate::twilio::client::{Client, Resource};

/// Twilio stamps `date_created` to the second with its own clock: look this far before the
/// attempt began so a slightly different clock cannot hide a call we made.
pub const CLOCK_SLACK_SECONDS: i64 = 60;

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

/// A call or message to `to` created since `since` that no attempt of ours has claimed yet.
pub fn find_created(
    conn: &Connection,
    client: &Client,
    channel: Channel,
    to: &str,
    since: DateTime<Utc>,
) -> Result<Option<Resource>> {
    let known = attempts::known_sids_to(conn, to)?;
    let mut found: Vec<Resource> = client
        .list_to(channel, to, since)?
        .into_iter()
        .filter(|r| !known.contains(&r.sid))
        .collect();
    // Newest first from Twilio; the oldest unclaimed one is the earliest unfinished attempt's.
    Ok(found.pop())
}

pub fn unfinished(
    conn: &mut Connection,
    client: &Client,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<Settled> {
    let mut settled = Settled::default();
    for attempt in attempts::unfinished_without_sid(conn)? {
        let began = parse_db_time(&attempt.created_at).unwrap_or(now);
        let since = began - Duration::seconds(CLOCK_SLACK_SECONDS);
        let found = match find_created(conn, client, attempt.channel, &attempt.to, since) {
            Ok(f) => f,
            Err(e) => {
                log::warn!(
                    "cannot ask Twilio about an unfinished {} to {}: {e:#}; it stays open and the patient is not contacted again until it is settled",
                    attempt.channel.as_str(),
                    mask::phone(&attempt.to)
                );
                settled.unresolved += 1;
                continue;
            }
        };
        let stamp = db_time(now);
        let tx = crate::db::begin(conn)?;
        match found {
            Some(resource) => {
                attempts::set_sid(&tx, attempt.id, &resource.sid, "dispatching", &stamp)?;
                track::apply_status(&tx, rules, &resource.report(), false, &stamp)?;
                settled.adopted += 1;
                log::info!(
                    "an interrupted run's {} to {} did reach Twilio ({}): not sent again",
                    attempt.channel.as_str(),
                    mask::phone(&attempt.to),
                    resource.sid
                );
            }
            None => {
                attempts::set_unsent(
                    &tx,
                    attempt.id,
                    "not-sent",
                    None,
                    Some("the run stopped before Twilio received the request"),
                    &stamp,
                )?;
                if let Some(appt) = appointments::get(&tx, attempt.appointment)?
                    && appt.attempt_count == attempt.attempt
                {
                    let resume =
                        state::resume_state(attempt.attempt as u32 - 1, rules.max_attempts);
                    if let Some(to) = state::next(appt.state, state::Event::NotSent { resume }) {
                        appointments::forget_attempt(&tx, appt.id, to, &stamp)?;
                    }
                }
                settled.undone += 1;
            }
        }
        tx.commit()?;
    }
    Ok(settled)
}

pub fn awaiting(
    conn: &mut Connection,
    client: &Client,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<Settled> {
    let mut settled = Settled::default();
    for attempt in attempts::awaiting_outcome(conn)? {
        let Some(sid) = attempt.sid.as_deref() else {
            continue;
        };
        let resource = match client.fetch(attempt.channel, sid) {
            Ok(r) => r,
            Err(e) => {
                log::warn!("cannot fetch {sid} from Twilio: {e}");
                settled.unresolved += 1;
                continue;
            }
        };
        let began = parse_db_time(&attempt.created_at).unwrap_or(now);
        let sent_is_final = now - began >= Duration::minutes(SENT_IS_FINAL_AFTER_MINUTES);
        let tx = crate::db::begin(conn)?;
        if let Applied::Recorded { .. } =
            track::apply_status(&tx, rules, &resource.report(), sent_is_final, &db_time(now))?
        {
            settled.updated += 1;
        }
        tx.commit()?;
    }
    Ok(settled)
}
