//! The TwiML the listener answers with, in the patient's language. Every text and attribute goes
//! through `escape`, so nothing from a request or the database can break out of the XML.

/// The patient's language, as the sender uses it.
pub use crate::domain::row::Language as Lang;
use crate::domain::templates::language_tag;

/// Texts, English then French. Short: Twilio reads them on the phone or sends them as one SMS.
pub struct Text(pub &'static str, pub &'static str);

impl Text {
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.0,
            Lang::Fr => self.1,
        }
    }
}

/// An answer about one appointment, and about several (a reply to a message that listed
/// several answers for all of them).
pub struct Counted(pub Text, pub Text);

impl Counted {
    pub fn get(&self, lang: Lang, appointments: usize) -> &'static str {
        if appointments > 1 {
            self.1.get(lang)
        } else {
            self.0.get(lang)
        }
    }
}

// The words for an answer are the reminders' own, by phone as by text: confirm, or cancel or
// reschedule (`annuler ou reporter`).

pub const CALL_CONFIRMED: Counted = Counted(
    Text(
        "Thank you. Your appointment is confirmed. Goodbye.",
        "Merci. Votre rendez-vous est confirmé. Au revoir.",
    ),
    Text(
        "Thank you. Your appointments are confirmed. Goodbye.",
        "Merci. Vos rendez-vous sont confirmés. Au revoir.",
    ),
);
pub const CALL_CANCEL: Counted = Counted(
    Text(
        "Thank you. The clinic will contact you to cancel or reschedule your appointment. Goodbye.",
        "Merci. La clinique vous contactera pour annuler ou reporter votre rendez-vous. Au revoir.",
    ),
    Text(
        "Thank you. The clinic will contact you to cancel or reschedule your appointments. Goodbye.",
        "Merci. La clinique vous contactera pour annuler ou reporter vos rendez-vous. Au revoir.",
    ),
);
pub const CALL_ASK_AGAIN: Counted = Counted(
    Text(
        "Sorry, we did not get that. Press 1 to confirm your appointment, or 2 to cancel or reschedule it.",
        "Désolé, nous n'avons pas compris. Appuyez sur 1 pour confirmer votre rendez-vous, ou sur 2 pour l'annuler ou le reporter.",
    ),
    Text(
        "Sorry, we did not get that. Press 1 to confirm them all, or 2 to cancel or reschedule them.",
        "Désolé, nous n'avons pas compris. Appuyez sur 1 pour tous les confirmer, ou sur 2 pour les annuler ou les reporter.",
    ),
);
pub const CALL_GOODBYE: Text = Text(
    "We did not get an answer. Please call the clinic if needed. Goodbye.",
    "Nous n'avons pas reçu de réponse. Appelez la clinique au besoin. Au revoir.",
);
pub const CALL_UNKNOWN: Text = Text(
    "Sorry, we could not record your answer. Please call the clinic. Goodbye.",
    "Désolé, nous n'avons pas pu enregistrer votre réponse. Veuillez appeler la clinique. Au revoir.",
);
pub const SMS_CONFIRMED: Counted = Counted(
    Text(
        "Thank you, your appointment is confirmed.",
        "Merci, votre rendez-vous est confirmé.",
    ),
    Text(
        "Thank you, your appointments are confirmed.",
        "Merci, vos rendez-vous sont confirmés.",
    ),
);
pub const SMS_CANCEL: Counted = Counted(
    Text(
        "Thank you. The clinic will contact you to cancel or reschedule your appointment.",
        "Merci. La clinique vous contactera pour annuler ou reporter votre rendez-vous.",
    ),
    Text(
        "Thank you. The clinic will contact you to cancel or reschedule your appointments.",
        "Merci. La clinique vous contactera pour annuler ou reporter vos rendez-vous.",
    ),
);
pub const SMS_NO_APPOINTMENT: Text = Text(
    "We found no upcoming appointment to update for this number. Please call the clinic.",
    "Nous n'avons trouvé aucun rendez-vous à venir à modifier pour ce numéro. Veuillez appeler la clinique.",
);
pub const SMS_HELP: Text = Text(
    "Appointment reminders: reply C to confirm, R to cancel or reschedule, STOP to opt out.",
    "Rappels de rendez-vous : répondez C pour confirmer, R pour annuler ou reporter, ARRET pour vous désabonner.",
);
pub const SMS_OPTED_OUT: Text = Text(
    "You will not receive appointment reminders any more. Reply START to receive them again.",
    "Vous ne recevrez plus de rappels de rendez-vous. Répondez START pour les recevoir de nouveau.",
);
/// The one answer to a text no word matched: it is not an error, a person will read it.
pub const SMS_SEEN: Text = Text(
    "Thank you. Your message has been passed on to the clinic.",
    "Merci. Votre message a été transmis à la clinique.",
);
pub const SMS_OPTED_IN: Text = Text(
    "You will receive appointment reminders again.",
    "Vous recevrez de nouveau les rappels de rendez-vous.",
);

/// TwiML is XML: one escaping for everything the listener and the sender put into it.
pub use crate::domain::templates::xml_escape as escape;

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// `<Say>` in `lang`, with the configured voice if there is one.
fn say(lang: Lang, voice: Option<&str>, text: &str) -> String {
    let voice = voice
        .map(|v| format!(r#" voice="{}""#, escape(v)))
        .unwrap_or_default();
    format!(
        r#"<Say{voice} language="{}">{}</Say>"#,
        language_tag(lang),
        escape(text)
    )
}

/// Speaks `text`, then hangs up.
pub fn say_and_hang_up(lang: Lang, voice: Option<&str>, text: &str) -> String {
    format!(
        "{HEAD}<Response>{}<Hangup/></Response>",
        say(lang, voice, text)
    )
}

/// Asks once more for a digit about the call's `appointments`; the answer goes to `action`
/// (absolute: inline TwiML has no base).
pub fn gather_again(lang: Lang, voice: Option<&str>, action: &str, appointments: usize) -> String {
    format!(
        r#"{HEAD}<Response><Gather input="dtmf" numDigits="1" timeout="5" action="{}">{}</Gather>{}<Hangup/></Response>"#,
        escape(action),
        say(lang, voice, CALL_ASK_AGAIN.get(lang, appointments)),
        say(lang, voice, CALL_GOODBYE.get(lang)),
    )
}

/// "You have reached Bloor Street Clinic." — who answers a call to our number.
fn reached(lang: Lang, clinic: Option<&str>) -> String {
    match (lang, clinic) {
        (Lang::En, Some(c)) => format!("You have reached {c}."),
        (Lang::En, None) => "You have reached the clinic.".to_string(),
        (Lang::Fr, Some(c)) => format!("Vous êtes bien chez {c}."),
        (Lang::Fr, None) => "Vous êtes bien à la clinique.".to_string(),
    }
}

const PUTTING_THROUGH: Text = Text(
    "Please hold while we put you through.",
    "Veuillez patienter, nous transférons votre appel.",
);
const NO_CALLS_HERE: Text = Text(
    "This number only sends appointment reminders and cannot take your call. Please contact the clinic directly.",
    "Ce numéro sert uniquement aux rappels de rendez-vous et ne peut pas prendre votre appel. Veuillez communiquer directement avec la clinique.",
);
const GOODBYE: Text = Text("Goodbye.", "Au revoir.");

/// A caller hears which clinic this is, then is put through to `number` (the call-back number).
pub fn put_through(lang: Lang, voice: Option<&str>, clinic: Option<&str>, number: &str) -> String {
    let words = format!("{} {}", reached(lang, clinic), PUTTING_THROUGH.get(lang));
    format!(
        "{HEAD}<Response>{}<Dial>{}</Dial></Response>",
        say(lang, voice, &words),
        escape(number)
    )
}

/// With no call-back number to put them through to: which clinic this is, how to reach it (its
/// address when there is one), goodbye.
pub fn no_one_to_put_through(
    lang: Lang,
    voice: Option<&str>,
    clinic: Option<&str>,
    address: Option<&str>,
) -> String {
    let address = address.map(str::trim).filter(|a| !a.is_empty());
    let at = match (lang, address) {
        (_, None) => String::new(),
        (Lang::En, Some(a)) => format!(" The clinic's address is {a}."),
        (Lang::Fr, Some(a)) => format!(" L'adresse de la clinique est {a}."),
    };
    let words = format!(
        "{} {}{at} {}",
        reached(lang, clinic),
        NO_CALLS_HERE.get(lang),
        GOODBYE.get(lang)
    );
    say_and_hang_up(lang, voice, &words)
}

pub fn message(text: &str) -> String {
    format!(
        "{HEAD}<Response><Message>{}</Message></Response>",
        escape(text)
    )
}

/// No reply: Twilio sends nothing (or its own opt-out/help answer).
pub fn empty() -> String {
    format!("{HEAD}<Response/>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        let xml = gather_again(
            Lang::Fr,
            Some("Polly.\"x\""),
            "https://h/t?appointment=1&repeat=1",
            1,
        );
        assert!(
            xml.contains(r#"action="https://h/t?appointment=1&amp;repeat=1""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"voice="Polly.&quot;x&quot;" language="fr-CA""#),
            "{xml}"
        );
        assert!(xml.contains("n&apos;avons"), "{xml}");
    }

    #[test]
    fn message_and_language() {
        assert_eq!(Lang::from_code("FR"), Lang::Fr);
        assert_eq!(Lang::from_code(""), Lang::En);
        assert!(message("a < b").ends_with("<Response><Message>a &lt; b</Message></Response>"));
    }
}
