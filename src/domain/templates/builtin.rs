//! The built-in words, in English and French: what a clinic gets without template files. They
//! name the clinic and its call-back number when those are set, and every text ends with the
//! opt-out instruction Canadian and US rules require.
//!
//! A text is written for one GSM-7 segment (160 characters): with a clinic name of about 20
//! characters and a call-back number, one appointment's text fits in both languages whatever
//! the date (`docs/messages.md` has the lengths; a test renders every text and fails when one
//! grows past a segment). That is why texts give the date short (`Wed Sep 30, 10:30 AM`,
//! `mer. 30 sept., 10 h 30`) and put the three reply words in one sentence, while a call, which
//! has no such limit, says the date in full. The words for an answer are the same by phone and
//! by text: confirm, or cancel or reschedule (`annuler ou reporter`).

use crate::domain::row::Language;

/// A single appointment's text. `{appointment_msg}` is the export's message, else the sentence
/// of `default_sentence`.
pub const SMS_EN: &str = "{appointment_msg}{callback_sentence} Reply C to confirm, R to cancel or reschedule, STOP to opt out.";
pub const SMS_FR: &str = "{appointment_msg}{callback_sentence} C pour confirmer, R pour annuler ou reporter, ARRET pour vous désabonner.";

/// A text for several appointments on one number (a family, two visits).
pub const SMS_COMBINED_EN: &str = "{intro} {appointments}.{callback_sentence} Reply C to confirm all, R to cancel or reschedule, STOP to opt out.";
pub const SMS_COMBINED_FR: &str = "{intro} {appointments}.{callback_sentence} C pour tous les confirmer, R pour annuler ou reporter, ARRET pour vous désabonner.";

pub const VOICE_EN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Pause length="1"/>
  <Gather input="dtmf" numDigits="1" timeout="5" action="{gather_url}">
    <Say{say_attrs}>{appointment_msg}</Say>
    <Pause length="1"/>
    <Say{say_attrs}>Press 1 to confirm your appointment, or 2 to cancel or reschedule it.{callback_sentence}</Say>
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
    <Say{say_attrs}>Appuyez sur 1 pour confirmer votre rendez-vous, ou sur 2 pour l'annuler ou le reporter.{callback_sentence}</Say>
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
    <Say{say_attrs}>Press 1 to confirm them all, or 2 to cancel or reschedule them.{callback_sentence}</Say>
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
    <Say{say_attrs}>Appuyez sur 1 pour tous les confirmer, ou sur 2 pour les annuler ou les reporter.{callback_sentence}</Say>
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

/// How to stop reminders, as a sentence of its own: what `{opt_out}` stands for, and what is
/// added to a clinic's text that leaves it out.
pub fn opt_out(lang: Language) -> &'static str {
    match lang {
        Language::En => "Reply STOP to opt out.",
        Language::Fr => "Répondez ARRET pour vous désabonner.",
    }
}

/// How a text that already tells how to stop ends: the built-in texts end their sentence of
/// reply words with it, `opt_out` ends with it too. Also the French sentence texts ended with
/// before, so a clinic's template written with it does not get a second one.
pub fn opt_out_endings(lang: Language) -> &'static [&'static str] {
    match lang {
        Language::En => &["STOP to opt out."],
        Language::Fr => &[
            "ARRET pour vous désabonner.",
            "ARRET pour ne plus recevoir de rappels.",
        ],
    }
}

/// "de Bloor" / "d'Ottawa": French elides `de` before a vowel or a mute h (a clinic's name
/// starting with `h` is taken as mute, as most are: "d'Hôpital Général").
pub fn de(name: &str) -> String {
    let elides = name.trim_start().chars().next().is_some_and(|c| {
        c.to_lowercase()
            .next()
            .is_some_and(|c| "aeiouhàâäéèêëîïôöùûü".contains(c))
    });
    if elides {
        format!("d'{}", name.trim_start())
    } else {
        format!("de {name}")
    }
}

/// The sentence a single reminder says when the export gave no message. `brief`: for a text
/// (one segment), else for a call.
pub fn default_sentence(
    lang: Language,
    clinic: Option<&str>,
    when: &str,
    moved_from: Option<&str>,
    brief: bool,
) -> String {
    match (brief, lang, clinic, moved_from) {
        (true, Language::En, None, None) => format!("Appointment reminder: {when}."),
        (true, Language::En, Some(c), None) => format!("Reminder from {c}: {when}."),
        (true, Language::En, None, Some(_)) => format!("Your appointment moved to {when}."),
        (true, Language::En, Some(c), Some(_)) => format!("{c}: appointment moved to {when}."),
        (true, Language::Fr, None, None) => format!("Rappel de rendez-vous : {when}."),
        (true, Language::Fr, Some(c), None) => format!("Rappel {} : {when}.", de(c)),
        (true, Language::Fr, None, Some(_)) => format!("Rendez-vous déplacé au {when}."),
        (true, Language::Fr, Some(c), Some(_)) => format!("{c} : nouvelle date, {when}."),
        (false, Language::En, None, None) => {
            format!("This is a reminder of your appointment on {when}.")
        }
        (false, Language::En, Some(c), None) => {
            format!("This is a reminder from {c} of your appointment on {when}.")
        }
        (false, Language::En, c, Some(was)) => format!(
            "Your appointment{} has moved to {when} (it was {was}).",
            c.map(|c| format!(" at {c}")).unwrap_or_default()
        ),
        (false, Language::Fr, None, None) => {
            format!("Ceci est un rappel de votre rendez-vous le {when}.")
        }
        (false, Language::Fr, Some(c), None) => {
            format!(
                "Ceci est un rappel {} pour votre rendez-vous le {when}.",
                de(c)
            )
        }
        (false, Language::Fr, c, Some(was)) => format!(
            "Votre rendez-vous{} a été déplacé au {when} (il était prévu le {was}).",
            c.map(|c| format!(" chez {c}")).unwrap_or_default()
        ),
    }
}

/// "Reminder from Bloor Street Clinic, 3 appointments:" (a text) / "Reminder from Bloor Street
/// Clinic: you have 3 appointments:" (a call).
pub fn intro(lang: Language, clinic: Option<&str>, count: usize, brief: bool) -> String {
    match (brief, lang, clinic) {
        (true, Language::En, Some(c)) => format!("Reminder from {c}, {count} appointments:"),
        (true, Language::En, None) => format!("Reminder, {count} appointments:"),
        (true, Language::Fr, Some(c)) => format!("Rappel {}, {count} rendez-vous :", de(c)),
        (true, Language::Fr, None) => format!("Rappel, {count} rendez-vous :"),
        (false, Language::En, Some(c)) => {
            format!("Reminder from {c}: you have {count} appointments:")
        }
        (false, Language::En, None) => format!("Reminder: you have {count} appointments:"),
        (false, Language::Fr, Some(c)) => {
            format!("Rappel {} : vous avez {count} rendez-vous :", de(c))
        }
        (false, Language::Fr, None) => format!("Rappel : vous avez {count} rendez-vous :"),
    }
}

/// " Questions? Call 416-555-0001." (a leading space, to follow a sentence), or nothing.
/// `brief`: the shorter French words a one-segment text needs.
pub fn callback_sentence(lang: Language, number: Option<&str>, brief: bool) -> String {
    match (lang, number, brief) {
        (_, None, _) => String::new(),
        (Language::En, Some(n), _) => format!(" Questions? Call {n}."),
        (Language::Fr, Some(n), true) => format!(" Tél. {n}."),
        (Language::Fr, Some(n), false) => format!(" Des questions? Appelez le {n}."),
    }
}

/// "Wednesday, November 25 at 9:30 AM" / "mercredi 25 novembre à 9 h 30".
pub fn when(lang: Language, date: &str, time: &str) -> String {
    match lang {
        Language::En => format!("{date} at {time}"),
        Language::Fr => format!("{date} à {time}"),
    }
}

/// "Wed Nov 25, 9:30 AM" / "mer. 25 nov., 9 h 30": a text's date and time.
pub fn when_brief(date: &str, time: &str) -> String {
    format!("{date}, {time}")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn de_elides_before_a_vowel_or_an_h() {
        assert_eq!(de("Bloor Street Clinic"), "de Bloor Street Clinic");
        assert_eq!(de("Ottawa Family Clinic"), "d'Ottawa Family Clinic");
        assert_eq!(de("Hôpital Général"), "d'Hôpital Général");
        assert_eq!(de("hull"), "d'hull");
        assert_eq!(de("Élan Santé"), "d'Élan Santé");
        assert_eq!(de("Île-des-Sœurs"), "d'Île-des-Sœurs");
        assert_eq!(de("Université"), "d'Université");
        assert_eq!(de("Yorkville"), "de Yorkville");
        assert_eq!(de("123 Clinic"), "de 123 Clinic");
        assert_eq!(
            default_sentence(Language::Fr, Some("Ottawa"), "lun. 2 nov., 9 h", None, true),
            "Rappel d'Ottawa : lun. 2 nov., 9 h."
        );
    }
}
