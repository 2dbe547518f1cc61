//! A reply to an offer of a freed slot (docs/waitlist.md, "Answers"): YES takes it if it is
//! still open — the first taker wins, decided by a compare-and-set on the slot inside the
//! writer's transaction, so two replies arriving together make one winner —, NO declines it (the
//! patient stays on the list). Each gets its answer in the patient's language: the slot is
//! theirs, someone else took it first, thanks, or the offer has closed.

use anyhow::Result;

use super::handlers::{Answer, Settings, xml};
use super::reply_text::{Text, kept};
use super::twiml;
use crate::clock::Stamp;
use crate::db::{offers, replies, slots};
use crate::domain::languages::Language;
use crate::domain::slot_states::{OfferState, SlotState};
use crate::domain::waitlist::{self, Answer as Said, RETURNED};
use crate::mask;

pub fn reply(
    conn: &rusqlite::Connection,
    s: &Settings,
    t: &Text<'_>,
    fresh: bool,
    now: Stamp,
    offer: &offers::Offer,
    (said, told): (Said, Option<Language>),
) -> Result<(Answer, String)> {
    let pack = s.languages.pack(told.unwrap_or(offer.language));
    let who = mask::phone(t.from);
    let Some(slot) = slots::get(conn, offer.slot)? else {
        return Ok((
            xml(twiml::message(pack.text("texts.offer_closed"))),
            String::new(),
        ));
    };
    if fresh {
        replies::insert(
            conn,
            &replies::NewReply {
                message_sid: t.message_sid,
                phone_number: t.from,
                body: &kept(t.body),
                kind: match said {
                    Said::Take => "offer_take",
                    Said::Decline => "offer_decline",
                },
                appointment: None,
                site: &slot.site,
                now,
            },
        )?;
    }
    let too_late = now.instant() >= slot.starts_at.instant() - s.waitlist.min_notice;
    // A slot whose appointment came back, or whose time is too close, is closed now, whatever
    // the next run would have found.
    if slot.state == SlotState::Open && (!slot.still_freed || too_late) {
        let (state, why) = if slot.still_freed {
            (SlotState::Expired, "too close to its time")
        } else {
            (SlotState::Closed, RETURNED)
        };
        slots::end(conn, slot.id, state, why, now)?;
    }
    let open_now = slot.state == SlotState::Open && slot.still_freed && !too_late;
    let (key, note) = match said {
        Said::Decline => {
            offers::answer(conn, offer.id, OfferState::Declined, now)?;
            ("texts.offer_declined", "declined")
        }
        Said::Take if offer.state == OfferState::Taken => ("texts.offer_taken", "took it (again)"),
        Said::Take if open_now && slots::take(conn, slot.id, offer, now)? => {
            offers::answer(conn, offer.id, OfferState::Taken, now)?;
            ("texts.offer_taken", "took it first")
        }
        Said::Take if slot.state == SlotState::Taken || slots_taken(conn, slot.id)? => {
            offers::answer(conn, offer.id, OfferState::Lost, now)?;
            ("texts.offer_gone", "said yes after it was taken")
        }
        Said::Take => {
            offers::answer(conn, offer.id, OfferState::Closed, now)?;
            ("texts.offer_closed", "said yes after the offer closed")
        }
    };
    let text = if key == "texts.offer_taken" {
        let tz = s.rules.sites.zone(&slot.site);
        waitlist::taken_text(pack, slot.starts_at.instant(), tz)
    } else {
        pack.text(key).to_string()
    };
    let note = format!("{who} answered the offer of slot {}: {note}", slot.id);
    Ok((xml(twiml::message(&text)), note))
}

/// Whether the slot is taken as it stands now (another reply of this group may have won it).
fn slots_taken(conn: &rusqlite::Connection, id: i64) -> Result<bool> {
    Ok(slots::get(conn, id)?.is_some_and(|slot| slot.state == SlotState::Taken))
}
