//! What `reminders history` reads: every row, in every table, about one clinic appointment id
//! and patient, as `domain::history` events (unsorted). Numbers are masked here, as each is
//! read, so no event ever holds a full one.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use chrono_tz::Tz;
use rusqlite::{Connection, named_params};

use crate::clock::Stamp;
use crate::domain::contact_kind::ContactKind;
use crate::domain::history::{Attempt, Event, Kind, RowAction, error_words};
use crate::domain::results;
use crate::domain::schedule::Touches;
use crate::domain::slot_states::SlotState;
use crate::domain::slot_story;
use crate::mask;

/// The patients who have an appointment (in any state, ever) with this clinic id, of `patient`
/// only when given; sorted.
pub fn patients_with(
    conn: &Connection,
    appointment_id: &str,
    patient: Option<&str>,
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT patient_id FROM appointments
         WHERE appointment_id = ?1 AND (?2 IS NULL OR patient_id = ?2) AND deleted_at IS NULL
         UNION
         SELECT DISTINCT patient_id FROM import_events
         WHERE appointment_id = ?1 AND (?2 IS NULL OR patient_id = ?2)
         ORDER BY 1",
    )?;
    let rows = stmt.query_map(rusqlite::params![appointment_id, patient], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The site of the latest appointment stored for the pair: whose zone the story is told in.
pub fn site_of(conn: &Connection, appointment_id: &str, patient_id: &str) -> Result<String> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT site FROM appointments
             WHERE appointment_id = ?1 AND patient_id = ?2 AND deleted_at IS NULL
             ORDER BY id DESC LIMIT 1",
            [appointment_id, patient_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_default())
}

/// What the story needs besides the database: each site's zone (times of appointments are told
/// in it) and the rules the results file follows.
pub struct StoryContext<'a> {
    pub zone: &'a dyn Fn(&str) -> Tz,
    pub touches: &'a Touches,
    pub voicemail_counts_as_reached: bool,
}

struct Stored {
    id: i64,
    at: Stamp,
    site: String,
    phone: String,
    created_at: Stamp,
    import_id: i64,
    file: Option<String>,
    import_row: Option<i64>,
    moved_from: Option<Stamp>,
    withdrawn_reason: Option<String>,
    withdrawn_at: Option<Stamp>,
}

/// Every event of the appointment `appointment_id` of `patient_id`, in no particular order.
pub fn gather(
    conn: &Connection,
    appointment_id: &str,
    patient_id: &str,
    rules: &StoryContext<'_>,
) -> Result<Vec<Event>> {
    let stored = stored(conn, appointment_id, patient_id).context("reading the appointments")?;
    let mut events = Vec::new();
    for a in &stored {
        let tz = (rules.zone)(&a.site);
        events.push(Event {
            at: Some(a.created_at.instant()),
            appointment: Some(a.id),
            kind: Kind::Import {
                import_id: a.import_id,
                file: a.file.clone().unwrap_or_else(|| "?".to_string()),
                row: a.import_row.map(|r| r as u64),
                action: RowAction::Stored,
                appointment_at: Some(a.at.local(tz)),
                moved_from: a.moved_from.map(|m| m.local(tz)),
            },
        });
        if let (Some(reason), Some(at)) = (&a.withdrawn_reason, a.withdrawn_at) {
            events.push(Event {
                at: Some(at.instant()),
                appointment: Some(a.id),
                kind: Kind::Withdrawn {
                    reason: reason.clone(),
                },
            });
        }
    }
    import_events(conn, appointment_id, patient_id, &mut events)
        .context("reading what imports did")?;
    let ids: Vec<i64> = stored.iter().map(|a| a.id).collect();
    let sids = attempts(conn, &ids, rules, &mut events).context("reading the attempts")?;
    callbacks(conn, &sids, &mut events).context("reading the callbacks")?;
    replies(conn, &ids, &mut events).context("reading the replies")?;
    for a in &stored {
        slots(conn, a.id, (rules.zone)(&a.site), &mut events)
            .context("reading the freed slot and its offers")?;
    }
    for &id in &ids {
        for h in crate::db::holds::of_appointment(conn, id).context("reading the holds")? {
            events.push(Event {
                at: Some(h.at.instant()),
                appointment: Some(id),
                kind: Kind::Held {
                    rule: h.rule,
                    // The reason names the number: masked when it was written, and again here.
                    reason: mask::phones_in(&h.reason),
                },
            });
        }
    }
    let numbers: BTreeSet<&str> = stored.iter().map(|a| a.phone.as_str()).collect();
    for number in numbers {
        for o in crate::db::opt_outs::history(conn, number).context("reading opt-outs")? {
            events.push(Event {
                at: Some(o.created_at.instant()),
                appointment: None,
                kind: Kind::Consent {
                    opted_out: o.event == "opt_out",
                    number: mask::phone(number),
                    source: o.source,
                    words: o.words,
                },
            });
        }
    }
    for a in &stored {
        if let Some((row, tries)) = crate::db::results::of_appointment(conn, a.id)? {
            let r = results::ReachRules {
                touches: rules.touches,
                voicemail_counts_as_reached: rules.voicemail_counts_as_reached,
            };
            let cells = results::row(&row, &tries, r, (rules.zone)(&a.site));
            events.push(Event {
                at: None,
                appointment: Some(a.id),
                kind: Kind::Results {
                    cells: results::HEADER
                        .iter()
                        .zip(cells)
                        .map(|(h, c)| (h.to_string(), c.into_owned()))
                        .collect(),
                },
            });
        }
    }
    Ok(events)
}

fn stored(conn: &Connection, appointment_id: &str, patient_id: &str) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare(
        "SELECT a.id, a.appt_date_time, a.site, a.phone_number, a.created_at, a.import_id,
                i.file_name, a.import_row, a.moved_from, a.withdrawn_reason, a.withdrawn_at
         FROM appointments a LEFT JOIN imports i ON i.id = a.import_id
         WHERE a.appointment_id = ?1 AND a.patient_id = ?2 AND a.deleted_at IS NULL
         ORDER BY a.id",
    )?;
    let rows = stmt.query_map([appointment_id, patient_id], |r| {
        Ok(Stored {
            id: r.get(0)?,
            at: r.get(1)?,
            site: r.get(2)?,
            phone: r.get(3)?,
            created_at: r.get(4)?,
            import_id: r.get(5)?,
            file: r.get(6)?,
            import_row: r.get(7)?,
            moved_from: r.get(8)?,
            withdrawn_reason: r.get(9)?,
            withdrawn_at: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn import_events(
    conn: &Connection,
    appointment_id: &str,
    patient_id: &str,
    events: &mut Vec<Event>,
) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT e.import_id, i.file_name, e.appointment, e.row_number, e.action, e.at
         FROM import_events e LEFT JOIN imports i ON i.id = e.import_id
         WHERE e.appointment_id = ?1 AND e.patient_id = ?2
         ORDER BY e.id",
    )?;
    let mut rows = stmt.query([appointment_id, patient_id])?;
    while let Some(r) = rows.next()? {
        let action: String = r.get(4)?;
        let Some(action) = RowAction::parse(&action) else {
            continue;
        };
        events.push(Event {
            at: Some(r.get::<_, Stamp>(5)?.instant()),
            appointment: r.get(2)?,
            kind: Kind::Import {
                import_id: r.get(0)?,
                file: r
                    .get::<_, Option<String>>(1)?
                    .unwrap_or_else(|| "?".to_string()),
                row: r.get::<_, Option<i64>>(3)?.map(|n| n as u64),
                action,
                appointment_at: None,
                moved_from: None,
            },
        });
    }
    Ok(())
}

/// The attempts of `ids`, each touch's first one preceded by the touch; returns their SIDs.
fn attempts(
    conn: &Connection,
    ids: &[i64],
    rules: &StoryContext<'_>,
    events: &mut Vec<Event>,
) -> Result<Vec<String>> {
    let mut sids = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT attempt, channel, sid, \"to\", status, duration, answered_by, error_code,
                touch_days, price, price_unit, num_segments, created_at, kind
         FROM appointment_logs WHERE appointment_id = ?1 AND deleted_at IS NULL
         ORDER BY attempt, id",
    )?;
    for &id in ids {
        let mut touches_begun: BTreeSet<u32> = BTreeSet::new();
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            let at = Some(r.get::<_, Stamp>(12)?.instant());
            let a = Attempt {
                attempt: r.get(0)?,
                channel: r.get(1)?,
                sid: r.get(2)?,
                to: mask::phone(&r.get::<_, String>(3)?),
                status: r.get(4)?,
                outcome: String::new(),
                duration_seconds: r.get(5)?,
                answered_by: r.get(6)?,
                error_code: r.get(7)?,
                error: error_words(r.get(7)?),
                touch_days: r.get(8)?,
                price: r.get(9)?,
                price_unit: r.get(10)?,
                segments: r.get(11)?,
                contact: ContactKind::from_stored(r.get::<_, Option<String>>(13)?.as_deref())
                    .unwrap_or(ContactKind::VoicemailText),
            };
            if a.contact == ContactKind::Offer {
                // An offer of the slot this appointment freed, to a waiting patient: told as
                // the offer (`slots`), not as an attempt to reach this appointment's patient.
                continue;
            }
            let outcome = outcome(&a, rules.voicemail_counts_as_reached);
            if let Some(days) = a.touch_days
                && a.status != "not-sent"
                && a.contact == ContactKind::Reminder
                && touches_begun.insert(days)
            {
                events.push(Event {
                    at,
                    appointment: Some(id),
                    kind: Kind::Touch {
                        days_before: days,
                        of: rules
                            .touches
                            .ordinal(days)
                            .map(|(n, of)| format!("{n} of {of}")),
                    },
                });
            }
            if let Some(sid) = &a.sid {
                sids.push(sid.clone());
            }
            events.push(Event {
                at,
                appointment: Some(id),
                kind: Kind::Attempt(Attempt { outcome, ..a }),
            });
        }
    }
    Ok(sids)
}

/// The slots appointment `id` freed: each opening, offer, taking, booking and closing.
fn slots(conn: &Connection, id: i64, tz: Tz, events: &mut Vec<Event>) -> Result<()> {
    let mut offers = conn.prepare_cached(
        "SELECT o.patient_id, o.phone_number, o.wave, o.state, o.sent_at, o.answered_at,
                coalesce(l.status, ''), l.sid
         FROM offers o LEFT JOIN appointment_logs l ON l.id = o.log_id
         WHERE o.slot_id = ?1
         ORDER BY o.sent_at, o.id",
    )?;
    for s in crate::db::backfill::slots_freed_by(conn, id)? {
        let slot = slot_story::Slot {
            slot_at: s.starts_at.local(tz),
            site: s.site.clone(),
            provider: s.provider.clone(),
            visit_type: s.visit_type.clone(),
            offers_sent: s.offers_sent,
            taker_patient_id: s.taker_patient_id.clone(),
            taker_moves_from: s.taker_moves_from.clone(),
            closed_reason: s.closed_reason.clone(),
        };
        let mut step = |at: Option<Stamp>, step| {
            if let Some(at) = at {
                events.push(Event {
                    at: Some(at.instant()),
                    appointment: Some(id),
                    kind: Kind::Slot {
                        step,
                        slot: slot.clone(),
                    },
                });
            }
        };
        step(Some(s.opened_at), slot_story::Step::Opened);
        step(s.taken_at, slot_story::Step::Taken);
        step(s.booked_at, slot_story::Step::Booked);
        match s.state {
            SlotState::Closed => step(s.closed_at, slot_story::Step::Closed),
            SlotState::Expired => step(s.closed_at, slot_story::Step::Expired),
            SlotState::Open | SlotState::Taken => {}
        }
        let mut rows = offers.query([s.id])?;
        while let Some(r) = rows.next()? {
            let status: String = r.get(6)?;
            if status == "not-sent" {
                continue;
            }
            events.push(Event {
                at: Some(r.get::<_, Stamp>(4)?.instant()),
                appointment: Some(id),
                kind: Kind::Offer(slot_story::Offer {
                    patient_id: r.get(0)?,
                    to: mask::phone(&r.get::<_, String>(1)?),
                    wave: r.get(2)?,
                    state: r.get(3)?,
                    answered_at: r.get::<_, Option<Stamp>>(5)?.map(|t| t.local(tz)),
                    status,
                    sid: r.get(7)?,
                }),
            });
        }
    }
    Ok(())
}

/// What an attempt came to, in the results file's words.
fn outcome(a: &Attempt, voicemail_counts: bool) -> String {
    if a.status == "not-sent" {
        return "never reached Twilio".to_string();
    }
    let t = results::Attempt {
        channel: a.channel.clone(),
        status: a.status.clone(),
        answered_by: a.answered_by.clone(),
        error_code: a.error_code,
        error_message: None,
        touch_days: a.touch_days,
        kind: a.contact.stored().map(str::to_string),
    };
    if a.contact != ContactKind::Reminder {
        return a.status.clone();
    }
    results::failure(&t, voicemail_counts).unwrap_or_else(|| "reached".to_string())
}

fn callbacks(conn: &Connection, sids: &[String], events: &mut Vec<Event>) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT sid, kind,
                coalesce(json_extract(params, '$.MessageStatus'),
                         json_extract(params, '$.SmsStatus'),
                         json_extract(params, '$.CallStatus')),
                json_extract(params, '$.ErrorCode'),
                json_extract(params, '$.Digits'),
                received_at
         FROM webhook_events
         WHERE sid = :sid AND kind IN ('call-status', 'sms-status', 'voice-gather')
         ORDER BY id",
    )?;
    let unique: BTreeSet<&String> = sids.iter().collect();
    for sid in unique {
        let mut rows = stmt.query(named_params! {":sid": sid})?;
        while let Some(r) = rows.next()? {
            let code: Option<i64> = r
                .get::<_, Option<String>>(3)?
                .and_then(|c| c.trim().parse().ok());
            events.push(Event {
                at: Some(r.get::<_, Stamp>(5)?.instant()),
                appointment: None,
                kind: Kind::Callback {
                    sid: r.get(0)?,
                    route: r.get(1)?,
                    status: r.get(2)?,
                    error_code: code,
                    error: error_words(code),
                    digits: r.get(4)?,
                },
            });
        }
    }
    Ok(())
}

fn replies(conn: &Connection, ids: &[i64], events: &mut Vec<Event>) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT body, kind, phone_number, received_at, appointment FROM replies
         WHERE appointment = ?1 ORDER BY id",
    )?;
    for &id in ids {
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            events.push(Event {
                at: Some(r.get::<_, Stamp>(3)?.instant()),
                appointment: r.get(4)?,
                kind: Kind::Reply {
                    // A patient can type a number into a reply: it is masked like any other.
                    text: mask::phones_in(&r.get::<_, String>(0)?),
                    meaning: meaning(&r.get::<_, String>(1)?).to_string(),
                    from: mask::phone(&r.get::<_, String>(2)?),
                },
            });
        }
    }
    Ok(())
}

/// A reply's kind (`replies.kind`) in words.
fn meaning(kind: &str) -> &str {
    match kind {
        "confirm" => "confirmed",
        "cancel" => "asked to cancel",
        "opt_out" => "opted out",
        "opt_in" => "opted back in",
        "help" => "asked for help",
        "other" => "not a reply word: listed for staff",
        other => other,
    }
}
