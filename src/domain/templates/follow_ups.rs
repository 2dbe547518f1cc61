//! The built-in words of the messages that follow a reminder: the text after a voicemail, the
//! message after a missed visit, the notice of a cancellation by the clinic. Parts with no
//! value (no clinic name, no call-back number) are left out rather than said empty. Texts end
//! with the opt-out instruction (`render_sms` adds it); calls say the same words and hang up.

use crate::domain::contact_kind::ContactKind;
use crate::domain::row::Language;

use super::Identity;

/// The text of `kind` in `lang`, with `{date}`, `{time}`, `{clinic_name}` and
/// `{callback_number}` to fill.
pub fn sms(kind: ContactKind, lang: Language, who: &Identity<'_>) -> String {
    sentence(kind, lang, who)
}

/// The call's TwiML of `kind` (a missed visit, a clinic cancellation, for patients who are
/// called): the same words, said once.
pub fn voice(kind: ContactKind, lang: Language, who: &Identity<'_>) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>\n  <Pause length=\"1\"/>\n  <Say{{say_attrs}}>{}</Say>\n  <Hangup/>\n</Response>\n",
        sentence(kind, lang, who)
    )
}

fn sentence(kind: ContactKind, lang: Language, who: &Identity<'_>) -> String {
    let clinic = who.clinic_name.is_some();
    let callback = who.callback_number.is_some();
    let s = match (lang, kind) {
        (Language::En, ContactKind::VoicemailText) => format!(
            "{}We left you a voicemail about your appointment on {{date}} at {{time}}. Reply C to confirm or R to reschedule.",
            if clinic { "{clinic_name}: " } else { "" }
        ),
        (Language::Fr, ContactKind::VoicemailText) => format!(
            "{}Nous vous avons laissé un message vocal au sujet de votre rendez-vous du {{date}} à {{time}}. C pour confirmer, R pour reporter.",
            if clinic { "{clinic_name} : " } else { "" }
        ),
        (Language::En, ContactKind::NoShow) => format!(
            "{} on {{date}} at {{time}}. {}",
            if clinic {
                "{clinic_name}: we missed you"
            } else {
                "We missed you"
            },
            if callback {
                "Please call {callback_number} to book again."
            } else {
                "Please call the clinic to book again."
            }
        ),
        (Language::Fr, ContactKind::NoShow) => format!(
            "{} le {{date}} à {{time}}. {}",
            if clinic {
                "{clinic_name} : nous ne vous avons pas vu"
            } else {
                "Nous ne vous avons pas vu"
            },
            if callback {
                "Appelez le {callback_number} pour reprendre rendez-vous."
            } else {
                "Appelez la clinique pour reprendre rendez-vous."
            }
        ),
        (Language::En, ContactKind::ClinicCancelled) => format!(
            "{}your appointment on {{date}} at {{time}} is cancelled. {}",
            if clinic { "{clinic_name}: " } else { "" },
            if callback {
                "Please call {callback_number} to book again."
            } else {
                "Please call the clinic to book again."
            }
        ),
        (Language::Fr, ContactKind::ClinicCancelled) => format!(
            "{}votre rendez-vous du {{date}} à {{time}} est annulé. {}",
            if clinic { "{clinic_name} : " } else { "" },
            if callback {
                "Appelez le {callback_number} pour reprendre rendez-vous."
            } else {
                "Appelez la clinique pour reprendre rendez-vous."
            }
        ),
        // A reminder is never made here (`builtin` holds its words).
        (_, ContactKind::Reminder) => String::new(),
    };
    // Without a clinic name the sentence starts with what followed it.
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => s,
    }
}
