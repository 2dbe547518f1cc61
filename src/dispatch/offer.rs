//! One offer of a freed slot to one waiting patient, claimed the way every contact is
//! (`attempt.rs`, step 1): checked again just before it goes out — the slot still open and its
//! appointment still given back, the patient not opted out, holding no other open offer, not
//! offered this slot already, inside the site's contact hours and the caps — then its attempt
//! row (kind `offer`, on the freed appointment, to the patient's number) and its `offers` row
//! committed together before the request. Sending and settling are `attempt.rs`'s, and a crash
//! in between is recovered as for a reminder: no offer is ever sent twice.

use anyhow::Result;
use rusqlite::Connection;

use super::claim::{Claim, Claimed, unsettled};
use super::context::RunCtx;
use super::find::Fingerprint;
use super::limits;
use super::message::{self, Request};
use super::select::Job;
use crate::clock::Stamp;
use crate::config::Config;
use crate::db::attempts::{self, NewAttempt};
use crate::db::candidates::Candidate;
use crate::db::slots::Slot;
use crate::db::{appointments, offers, opt_outs, slots};
use crate::domain::channel::Channel;
use crate::domain::contact_kind::ContactKind;
use crate::domain::dates::day_bounds;
use crate::domain::languages::code::Language;
use crate::domain::limits::too_long;
use crate::domain::slot_states::SlotState;
use crate::domain::templates::RenderError;
use crate::domain::waitlist::{self, Offered};
use crate::mask;

/// Whom an offer job is for.
#[derive(Clone, Debug)]
pub struct Target {
    pub slot: i64,
    pub wave: u32,
    pub candidate: Candidate,
}

/// The offer's text for `slot`, in `language`, from its site.
pub fn build(
    cfg: &Config,
    texts: &message::Texts,
    public_url: &str,
    slot: &Slot,
    to: &str,
    language: Language,
) -> Result<std::result::Result<Request, RenderError>> {
    let site = cfg.site(&slot.site);
    let pack = cfg.languages.pack(language);
    let offered = Offered {
        starts_at: slot.starts_at.instant(),
        tz: site.tz,
        provider: slot.provider.as_deref(),
        clinic_name: site.identity.clinic_name.as_deref(),
        callback_number: site.identity.callback_number.as_deref(),
    };
    let template = texts.follow_up(site.key, ContactKind::Offer, Channel::Sms, pack.code.code());
    Ok(waitlist::offer_sms(pack, template, &offered)
        .map(|body| message::text(cfg, &site, to, body, public_url)))
}

/// A slot to render offers for before any is sent: tomorrow's `starts_at`, with a provider.
pub fn sample_slot(site: &str, starts_at: Stamp) -> Slot {
    Slot {
        id: 0,
        appointment: 0,
        site: site.to_string(),
        starts_at,
        local_date: String::new(),
        provider: Some("Dr. Singh".into()),
        visit_type: None,
        duration_minutes: None,
        freed_by_patient: String::new(),
        state: SlotState::Open,
        waves: 0,
        last_wave_at: None,
        sent: 0,
        still_freed: true,
    }
}

/// An offer template naming a placeholder an offer does not have is a configuration error,
/// found before anyone is contacted (exit 2), not one offer at a time.
pub fn check_templates(cfg: &Config, texts: &message::Texts) -> Result<()> {
    let at = Stamp::from(cfg.now() + chrono::Duration::days(1));
    for site in cfg.site_keys() {
        for pack in cfg.languages.all() {
            let slot = sample_slot(site, at);
            let to = "+14165550123";
            if let Err(why) = build(cfg, texts, "https://rem.example.ca", &slot, to, pack.code)? {
                return Err(crate::exit::usage(format!(
                    "the waitlist's offer in {} cannot be sent: {why} (see `reminders check`); no offer was sent",
                    pack.code.code()
                )));
            }
        }
    }
    Ok(())
}

pub(super) fn claim(
    conn: &mut Connection,
    ctx: &RunCtx<'_>,
    job: &Job,
    target: &Target,
) -> Result<Claimed> {
    let freed = &job.group[0];
    if ctx.site_closed(&freed.site) {
        return Ok(Claimed::AfterHours);
    }
    let began = ctx.now();
    let now = Stamp::from(began);
    let w = &ctx.cfg.waitlist;
    let c = &target.candidate;
    let tx = crate::db::begin(conn)?;
    let Some(slot) = slots::get(&tx, target.slot)? else {
        return Ok(Claimed::Nothing);
    };
    let starts_at = slot.starts_at.instant();
    let still_offered = slot.state == SlotState::Open
        && slot.still_freed
        && starts_at - w.min_notice > began
        && slot.sent < w.max_offers;
    let site = ctx.cfg.site(&slot.site);
    if !still_offered
        || opt_outs::contains(&tx, &c.phone_number)?
        || offers::open_elsewhere(&tx, &c.phone_number, slot.id)?
        || offers::offered(&tx, slot.id, &c.patient_id, &c.phone_number)?
    {
        return Ok(Claimed::Nothing);
    }
    if !ctx.opts.force && !site.hours.allows(site.tz, began) {
        return Ok(Claimed::AfterHours);
    }
    if unsettled(&tx, &c.phone_number, Channel::Sms)? {
        return Ok(Claimed::Nothing);
    }
    let held = |rule, reason: String| {
        log::info!(
            "offer of slot {} to {} held: {reason}",
            slot.id,
            mask::phone(&c.phone_number)
        );
        Ok(Claimed::Held(rule, 1))
    };
    // A reminder still to come to this number keeps its room under the caps: an offer is the
    // least important contact.
    // (Due today: on a local date no further than the largest touch.)
    let last_day = began.with_timezone(&site.tz).date_naive()
        + chrono::Duration::days(i64::from(ctx.rules.touches.largest()));
    let reminder_due = appointments::awaiting_reminder(
        &tx,
        &c.phone_number,
        now,
        Stamp::from(day_bounds(last_day, site.tz).1),
    )?;
    let ahead: &[ContactKind] = if reminder_due {
        &[ContactKind::Reminder]
    } else {
        &[]
    };
    let cap = limits::over_cap(
        ctx.cfg,
        &tx,
        &slot.site,
        &c.phone_number,
        ContactKind::Offer,
        began,
        0,
        ahead,
    )?;
    if let Some((rule, reason)) = cap {
        return held(rule, reason);
    }
    let req = match build(
        ctx.cfg,
        ctx.texts,
        ctx.public_url,
        &slot,
        &c.phone_number,
        c.language,
    )? {
        Ok(req) => req,
        Err(why) => {
            log::warn!("the offer of slot {} cannot be sent: {why}", slot.id);
            return Ok(Claimed::Nothing);
        }
    };
    if let Some((rule, reason)) = too_long(ctx.cfg.limits.profile, true, &req.content) {
        return held(rule, reason);
    }
    let Some(appt) = appointments::get(&tx, freed.id)? else {
        return Ok(Claimed::Nothing);
    };
    let sent = req.sent_digest();
    let log_id = attempts::insert(
        &tx,
        &NewAttempt {
            appointment: appt.id,
            attempt: appt.attempt_count,
            channel: Channel::Sms,
            to: &c.phone_number,
            from: req.sender(),
            run_id: Some(ctx.run_id),
            touch: None,
            segments: req.shape.map(|s| s.segments as u32),
            sent: sent.as_deref(),
            kind: ContactKind::Offer,
            now,
        },
    )?;
    attempts::set_contact(&tx, &[log_id])?;
    offers::insert(
        &tx,
        &offers::NewOffer {
            slot: slot.id,
            log_id,
            patient_id: &c.patient_id,
            phone_number: &c.phone_number,
            language: c.language,
            moves_from: c.moves_from.as_deref(),
            wave: target.wave,
            now,
        },
    )?;
    slots::mark_wave(&tx, slot.id, target.wave, now)?;
    tx.commit()?;
    Ok(Claimed::Go(
        Claim {
            members: vec![(
                log_id,
                format!("{} (slot {} offered)", appt.appointment_id, slot.id),
                appt.attempt_count,
            )],
            to: c.phone_number.clone(),
            began,
            print: Fingerprint::new(req.sender(), sent.as_deref()),
        },
        req,
    ))
}
