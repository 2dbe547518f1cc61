//! The built-in words, in English and French: what a clinic gets without template files. They
//! name the clinic and its call-back number when those are set, and every text ends with the
//! opt-out instruction Canadian and US rules require.

use crate::domain::row::Language;

/// A single appointment's text.
pub const SMS_EN: &str =
    "{appointment_msg} Reply C to confirm or R to reschedule.{callback_sentence} {opt_out}";
pub const SMS_FR: &str = "{appointment_msg} Répondez C pour confirmer ou R pour changer le rendez-vous.{callback_sentence} {opt_out}";

/// A text for several appointments on one number (a family, two visits).
pub const SMS_COMBINED_EN: &str = "{intro} {appointments}. Reply C to confirm them all or R to reschedule.{callback_sentence} {opt_out}";
pub const SMS_COMBINED_FR: &str = "{intro} {appointments}. Répondez C pour tous les confirmer ou R pour les changer.{callback_sentence} {opt_out}";

pub const VOICE_EN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Pause length="1"/>
  <Gather input="dtmf" numDigits="1" timeout="5" action="{gather_url}">
    <Say{say_attrs}>{appointment_msg}</Say>
    <Pause length="1"/>
    <Say{say_attrs}>Press 1 to confirm your appointment, or 2 to cancel it.{callback_sentence}</Say>
  </Gather>
  <Say{say_attrs}>We did not receive an answer. Goodbye.</Say>
  <Hangup/>
</Response>
"#;

pub const VOICE_FR: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Pause length="1"/>
  <Gather input="dtmf" numDigits="1" timeout="5" action="{gather_url}">
    <Say{say_attrs}>{appointment_msg}</Say>
    <Pause length="1"/>
    <Say{say_attrs}>Appuyez sur 1 pour confirmer votre rendez-vous, ou sur 2 pour l'annuler.{callback_sentence}</Say>
  </Gather>
  <Say{say_attrs}>Nous n'avons pas reçu de réponse. Au revoir.</Say>
  <Hangup/>
</Response>
"#;

pub const VOICE_COMBINED_EN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Pause length="1"/>
  <Gather input="dtmf" numDigits="1" timeout="5" action="{gather_url}">
    <Say{say_attrs}>{intro} {appointments}.</Say>
    <Pause length="1"/>
    <Say{say_attrs}>Press 1 to confirm them all, or 2 to cancel them.{callback_sentence}</Say>
  </Gather>
  <Say{say_attrs}>We did not receive an answer. Goodbye.</Say>
  <Hangup/>
</Response>
"#;

pub const VOICE_COMBINED_FR: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Pause length="1"/>
  <Gather input="dtmf" numDigits="1" timeout="5" action="{gather_url}">
    <Say{say_attrs}>{intro} {appointments}.</Say>
    <Pause length="1"/>
    <Say{say_attrs}>Appuyez sur 1 pour tous les confirmer, ou sur 2 pour les annuler.{callback_sentence}</Say>
  </Gather>
  <Say{say_attrs}>Nous n'avons pas reçu de réponse. Au revoir.</Say>
  <Hangup/>
</Response>
"#;

/// The built-in template for a message of `count` appointments.
pub fn sms(lang: Language, count: usize) -> &'static str {
    match (lang, count > 1) {
        (Language::En, false) => SMS_EN,
        (Language::Fr, false) => SMS_FR,
        (Language::En, true) => SMS_COMBINED_EN,
        (Language::Fr, true) => SMS_COMBINED_FR,
    }
}

pub fn voice(lang: Language, count: usize) -> &'static str {
    match (lang, count > 1) {
        (Language::En, false) => VOICE_EN,
        (Language::Fr, false) => VOICE_FR,
        (Language::En, true) => VOICE_COMBINED_EN,
        (Language::Fr, true) => VOICE_COMBINED_FR,
    }
}

/// How to stop reminders, at the end of every text.
pub fn opt_out(lang: Language) -> &'static str {
    match lang {
        Language::En => "Reply STOP to opt out.",
        Language::Fr => "Répondez ARRET pour ne plus recevoir de rappels.",
    }
}

/// The sentence a single reminder says when the export gave no message.
pub fn default_sentence(
    lang: Language,
    clinic: Option<&str>,
    when: &str,
    moved_from: Option<&str>,
) -> String {
    match (lang, clinic, moved_from) {
        (Language::En, None, None) => format!("This is a reminder of your appointment on {when}."),
        (Language::En, Some(c), None) => {
            format!("This is a reminder from {c} of your appointment on {when}.")
        }
        (Language::En, c, Some(was)) => format!(
            "Your appointment{} has moved to {when} (it was {was}).",
            c.map(|c| format!(" at {c}")).unwrap_or_default()
        ),
        (Language::Fr, None, None) => {
            format!("Ceci est un rappel de votre rendez-vous le {when}.")
        }
        (Language::Fr, Some(c), None) => {
            format!("Ceci est un rappel de {c} pour votre rendez-vous le {when}.")
        }
        (Language::Fr, c, Some(was)) => format!(
            "Votre rendez-vous{} a été déplacé au {when} (il était prévu le {was}).",
            c.map(|c| format!(" chez {c}")).unwrap_or_default()
        ),
    }
}

/// "Reminder from Bloor Street Clinic: you have 3 appointments:"
pub fn intro(lang: Language, clinic: Option<&str>, count: usize) -> String {
    match (lang, clinic) {
        (Language::En, Some(c)) => format!("Reminder from {c}: you have {count} appointments:"),
        (Language::En, None) => format!("Reminder: you have {count} appointments:"),
        (Language::Fr, Some(c)) => format!("Rappel de {c} : vous avez {count} rendez-vous :"),
        (Language::Fr, None) => format!("Rappel : vous avez {count} rendez-vous :"),
    }
}

/// " Questions? Call 416-555-0001." (a leading space, to follow a sentence), or nothing.
pub fn callback_sentence(lang: Language, number: Option<&str>) -> String {
    match (lang, number) {
        (_, None) => String::new(),
        (Language::En, Some(n)) => format!(" Questions? Call {n}."),
        (Language::Fr, Some(n)) => format!(" Des questions? Appelez le {n}."),
    }
}

/// "Wednesday, November 25 at 9:30 AM" / "mercredi 25 novembre à 9 h 30".
pub fn when(lang: Language, date: &str, time: &str) -> String {
    match lang {
        Language::En => format!("{date} at {time}"),
        Language::Fr => format!("{date} à {time}"),
    }
}

/// The list of a combined message: "…; …; and …" / "…; … et …".
pub fn list(lang: Language, items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => {
            let and = match lang {
                Language::En => "and",
                Language::Fr => "et",
            };
            format!("{}; {and} {last}", init.join("; "))
        }
    }
}
