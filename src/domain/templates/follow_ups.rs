//! The messages that follow a reminder, in the patient's language pack: the text after a
//! voicemail (`texts.sms_voicemail`), the message after a missed visit (`texts.no_show`) and the
//! notice of a cancellation by the clinic (`texts.clinic_cancelled`), each with a `_clinic`
//! variant that names the clinic, and `texts.book_again` / `texts.book_again_callback` for how
//! to book again. Parts with no value (no clinic name, no call-back number) are left out rather
//! than said empty. Texts end with the opt-out instruction (`render_sms` adds it); calls say the
//! same words once, the date in full and the number digit by digit, and hang up.

use crate::domain::contact_kind::ContactKind;
use crate::domain::languages::Pack;

use super::{Identity, spoken_number, xml_escape};

/// The text of `kind`, with `{when}` and `{clinic_name}` to fill.
pub fn sms(kind: ContactKind, pack: &Pack, who: &Identity<'_>) -> String {
    sentence(kind, pack, who, false)
}

/// The call's TwiML of `kind` (a missed visit, a clinic cancellation, for patients who are
/// called).
pub fn voice(kind: ContactKind, pack: &Pack, who: &Identity<'_>) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>\n  <Pause length=\"1\"/>\n  <Say{{say_attrs}}>{}</Say>\n  <Hangup/>\n</Response>\n",
        xml_escape(&sentence(kind, pack, who, true))
    )
}

/// The pack key of `kind`'s sentence, with or without the clinic's name.
pub fn key(kind: ContactKind, clinic: bool) -> &'static str {
    match (kind, clinic) {
        (ContactKind::VoicemailText, false) => "texts.sms_voicemail",
        (ContactKind::VoicemailText, true) => "texts.sms_voicemail_clinic",
        (ContactKind::NoShow, false) => "texts.no_show",
        (ContactKind::NoShow, true) => "texts.no_show_clinic",
        (ContactKind::ClinicCancelled, false) => "texts.clinic_cancelled",
        (ContactKind::ClinicCancelled, true) => "texts.clinic_cancelled_clinic",
        (ContactKind::Offer, false) => "texts.offer",
        (ContactKind::Offer, true) => "texts.offer_clinic",
        // A reminder's words are `builtin`'s.
        (ContactKind::Reminder, false) => "texts.sms_reminder",
        (ContactKind::Reminder, true) => "texts.sms_reminder_clinic",
    }
}

fn sentence(kind: ContactKind, pack: &Pack, who: &Identity<'_>, speech: bool) -> String {
    let book = match who.callback_number {
        Some(n) => {
            let said = if speech {
                spoken_number(n)
            } else {
                n.to_string()
            };
            pack.text("texts.book_again_callback")
                .replace("{callback_number}", &said)
        }
        None => pack.text("texts.book_again").to_string(),
    };
    pack.text(key(kind, who.clinic_name.is_some()))
        .replace("{book_again}", &book)
}
