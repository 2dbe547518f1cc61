//! A freed slot and its offers (docs/waitlist.md): when a slot opens, what each run does with an
//! open one (a wave, nothing yet, or close it), what an answer to an offer means, and the
//! offer's text in the patient's language. No I/O: the dispatcher and the listener bring the
//! facts.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::keywords;
use super::languages::{Language, Languages, Pack};
use super::templates::{RenderError, date_and_time_brief, ending_with_opt_out, fill, printable};

/// How a freed slot is offered: `[waitlist]` as plain values. (A slot opens only more than
/// `min_notice` ahead: `db::slots::freed_without_slot` reads the appointments that far ahead.)
#[derive(Clone, Copy, Debug)]
pub struct Waves {
    pub min_notice: Duration,
    pub wave_size: u32,
    pub wave_minutes: i64,
    pub max_offers: u32,
}

/// An open slot as the run finds it.
#[derive(Clone, Copy, Debug)]
pub struct Open {
    pub starts_at: DateTime<Utc>,
    /// The appointment that freed it is still given back (not confirmed again, not listed
    /// again by an export).
    pub still_freed: bool,
    /// Offers sent so far, and the waves they went in.
    pub sent: u32,
    pub waves: u32,
    pub last_wave_at: Option<DateTime<Utc>>,
}

/// What a run does with an open slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Send wave `number` of at most `size` offers.
    Wave { number: u32, size: u32 },
    /// Its next wave is not due yet.
    Wait,
    /// Too close to its time: no taker now can come.
    Expire,
    /// Closed unfilled, with the reason in words.
    Close(String),
}

/// Why a slot closes when its appointment comes back.
pub const RETURNED: &str = "the appointment was kept after all";

/// How early a tick may come and still send a wave due at its time: cron starts a run within
/// seconds of the minute, and a wave begun a few seconds into one tick is due again at the tick
/// `wave_minutes` later, not the one after.
const TICK_SLACK_SECONDS: i64 = 60;

pub fn verdict(s: &Open, r: &Waves, now: DateTime<Utc>) -> Verdict {
    if !s.still_freed {
        return Verdict::Close(RETURNED.to_string());
    }
    if now >= s.starts_at - r.min_notice {
        return Verdict::Expire;
    }
    let wave_due = s.last_wave_at.is_none_or(|at| {
        now + Duration::seconds(TICK_SLACK_SECONDS) >= at + Duration::minutes(r.wave_minutes)
    });
    if s.sent >= r.max_offers {
        // The last wave had its time to answer.
        return if wave_due {
            Verdict::Close(format!("{} offers, no taker", s.sent))
        } else {
            Verdict::Wait
        };
    }
    if !wave_due {
        return Verdict::Wait;
    }
    Verdict::Wave {
        number: s.waves + 1,
        size: r.wave_size.min(r.max_offers - s.sent),
    }
}

/// What a reply to an offer says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Take,
    Decline,
}

/// `body` read as an answer to an offer, in every pack's `take` and `decline` words, and the
/// language the word tells when only one pack has it.
pub fn answer(languages: &Languages, body: &str) -> Option<(Answer, Option<Language>)> {
    let word = keywords::fold(body);
    for (meaning, key) in [
        (Answer::Take, "words.take"),
        (Answer::Decline, "words.decline"),
    ] {
        let packs: Vec<Language> = languages
            .all()
            .iter()
            .filter(|p| p.list(key).iter().any(|w| keywords::fold(w) == word))
            .map(|p| p.code)
            .collect();
        if !packs.is_empty() {
            let told = match packs.as_slice() {
                [one] => Some(*one),
                _ => None,
            };
            return Some((meaning, told));
        }
    }
    None
}

/// What an offer's text says about its slot.
pub struct Offered<'a> {
    pub starts_at: DateTime<Utc>,
    pub tz: Tz,
    pub provider: Option<&'a str>,
    pub clinic_name: Option<&'a str>,
    pub callback_number: Option<&'a str>,
}

/// The offer as sent: the clinic's template (`templates.sms_offer_CODE`) or the pack's words,
/// ending with the opt-out instruction.
pub fn offer_sms(
    pack: &Pack,
    template: Option<&str>,
    o: &Offered<'_>,
) -> Result<String, RenderError> {
    let body = match template {
        None => offer_text(pack, o),
        Some(t) => {
            let (date, time) = date_and_time_brief(o.starts_at, o.tz, pack);
            let provider = o.provider.map(printable).unwrap_or_default();
            let with_provider = if provider.trim().is_empty() {
                String::new()
            } else {
                pack.say("texts.offer_with_provider", |_| Some(provider.clone()))
            };
            fill(t, |name| match name {
                "date" => Some(date.clone()),
                "time" => Some(time.clone()),
                "provider" => Some(provider.clone()),
                "with_provider" => Some(with_provider.clone()),
                "clinic_name" => Some(o.clinic_name.map(printable).unwrap_or_default()),
                "callback_number" => Some(o.callback_number.unwrap_or_default().to_string()),
                _ => None,
            })
            .map_err(RenderError::Unknown)?
        }
    };
    ending_with_opt_out(body, pack)
}

/// The pack's offer, without the opt-out instruction.
pub fn offer_text(pack: &Pack, o: &Offered<'_>) -> String {
    let (date, time) = date_and_time_brief(o.starts_at, o.tz, pack);
    let with_provider = match o.provider.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => pack.say("texts.offer_with_provider", |name| {
            (name == "provider").then(|| printable(p))
        }),
        None => String::new(),
    };
    let key = if o.clinic_name.is_some() {
        "texts.offer_clinic"
    } else {
        "texts.offer"
    };
    let filled = fill(pack.text(key), |name| match name {
        "date" => Some(date.clone()),
        "time" => Some(time.clone()),
        "with_provider" => Some(with_provider.clone()),
        "clinic_name" => o.clinic_name.map(printable),
        _ => None,
    });
    filled.unwrap_or_default()
}

/// The winner's answer: the slot's date and time.
pub fn taken_text(pack: &Pack, starts_at: DateTime<Utc>, tz: Tz) -> String {
    let (date, time) = date_and_time_brief(starts_at, tz, pack);
    pack.say("texts.offer_taken", |name| match name {
        "date" => Some(date.clone()),
        "time" => Some(time.clone()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rules() -> Waves {
        Waves {
            min_notice: Duration::hours(2),
            wave_size: 3,
            wave_minutes: 10,
            max_offers: 15,
        }
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap()
    }

    fn open(sent: u32, waves: u32, last: Option<DateTime<Utc>>) -> Open {
        Open {
            starts_at: at(18, 0),
            still_freed: true,
            sent,
            waves,
            last_wave_at: last,
        }
    }

    #[test]
    fn waves_come_every_wave_minutes_until_max_offers_then_the_slot_closes() {
        let r = rules();
        assert_eq!(
            verdict(&open(0, 0, None), &r, at(12, 0)),
            Verdict::Wave { number: 1, size: 3 }
        );
        assert_eq!(
            verdict(&open(3, 1, Some(at(12, 0))), &r, at(12, 8)),
            Verdict::Wait
        );
        // A tick a few seconds before the wave's minutes are up sends it all the same.
        assert_eq!(
            verdict(
                &open(3, 1, Some(at(12, 0) + Duration::seconds(5))),
                &r,
                at(12, 10)
            ),
            Verdict::Wave { number: 2, size: 3 }
        );
        assert_eq!(
            verdict(&open(3, 1, Some(at(12, 0))), &r, at(12, 10)),
            Verdict::Wave { number: 2, size: 3 }
        );
        // The last wave is cut to what max_offers leaves.
        assert_eq!(
            verdict(&open(14, 5, Some(at(12, 0))), &r, at(12, 10)),
            Verdict::Wave { number: 6, size: 1 }
        );
        // All sent: the last wave gets its minutes to answer, then the slot closes.
        assert_eq!(
            verdict(&open(15, 5, Some(at(12, 0))), &r, at(12, 5)),
            Verdict::Wait
        );
        assert_eq!(
            verdict(&open(15, 5, Some(at(12, 0))), &r, at(12, 10)),
            Verdict::Close("15 offers, no taker".into())
        );
    }

    #[test]
    fn a_slot_expires_at_the_minimum_notice_and_closes_when_its_appointment_returns() {
        let r = rules();
        assert_eq!(
            verdict(&open(3, 1, Some(at(15, 0))), &r, at(16, 0)),
            Verdict::Expire
        );
        let kept = Open {
            still_freed: false,
            ..open(3, 1, None)
        };
        assert_eq!(
            verdict(&kept, &r, at(12, 0)),
            Verdict::Close(RETURNED.into())
        );
    }

    #[test]
    fn yes_and_no_in_every_language_answer_an_offer() {
        let l = Languages::built_in();
        for w in ["YES", "y", "Oui!", "o", "C", "1", "sí"] {
            assert_eq!(answer(&l, w).map(|a| a.0), Some(Answer::Take), "{w}");
        }
        for w in ["NO", "n", "non"] {
            assert_eq!(answer(&l, w).map(|a| a.0), Some(Answer::Decline), "{w}");
        }
        assert_eq!(answer(&l, "maybe later"), None);
        assert_eq!(answer(&l, "STOP"), None);
        assert_eq!(
            answer(&l, "oui")
                .and_then(|a| a.1)
                .map(|c| c.code().to_string()),
            Some("fr".into())
        );
    }

    #[test]
    fn the_offer_leaves_out_the_parts_that_have_no_value() {
        let l = Languages::built_in();
        let tz: Tz = "America/Toronto".parse().unwrap();
        let mut o = Offered {
            starts_at: at(14, 30),
            tz,
            provider: Some("Dr. Singh"),
            clinic_name: Some("Bloor Street Clinic"),
            callback_number: None,
        };
        let en = offer_text(l.get("en"), &o);
        assert_eq!(
            en,
            "Bloor Street Clinic: an appointment opened on Wed Nov 25 at 9:30 AM with Dr. Singh. Reply YES to take it; the first reply gets it."
        );
        o.provider = None;
        o.clinic_name = None;
        assert_eq!(
            offer_text(l.get("en"), &o),
            "An appointment opened on Wed Nov 25 at 9:30 AM. Reply YES to take it; the first reply gets it."
        );
        assert!(offer_text(l.get("fr"), &o).contains("OUI"));
        assert_eq!(
            offer_sms(l.get("en"), None, &o).unwrap(),
            "An appointment opened on Wed Nov 25 at 9:30 AM. Reply YES to take it; the first reply gets it. Reply STOP to opt out."
        );
        let clinics = offer_sms(l.get("en"), Some("{date} {time}{with_provider}: YES?"), &o);
        assert_eq!(
            clinics.unwrap(),
            "Wed Nov 25 9:30 AM: YES? Reply STOP to opt out."
        );
        assert!(matches!(
            offer_sms(l.get("en"), Some("{nope}"), &o),
            Err(RenderError::Unknown(_))
        ));
        assert_eq!(
            taken_text(l.get("en"), at(14, 30), tz),
            "It's yours: Wed Nov 25 at 9:30 AM. The clinic will confirm your booking."
        );
    }
}
