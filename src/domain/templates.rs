//! The words patients hear and read: built-in English and French texts and TwiML, or the
//! clinic's own template files, filled from the appointment. Every value put into TwiML is
//! XML-escaped, so a hostile `appointment_msg` cannot change what the call does.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;

use crate::domain::row::Language;

pub const SMS_EN: &str = "{appointment_msg} Reply C to confirm or R to reschedule.";
pub const SMS_FR: &str =
    "{appointment_msg} Répondez C pour confirmer ou R pour changer le rendez-vous.";

pub const VOICE_EN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Pause length="1"/>
  <Gather input="dtmf" numDigits="1" timeout="5" action="{gather_url}">
    <Say{say_attrs}>{appointment_msg}</Say>
    <Pause length="1"/>
    <Say{say_attrs}>Press 1 to confirm your appointment, or 2 to cancel it.</Say>
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
    <Say{say_attrs}>Appuyez sur 1 pour confirmer votre rendez-vous, ou sur 2 pour l'annuler.</Say>
  </Gather>
  <Say{say_attrs}>Nous n'avons pas reçu de réponse. Au revoir.</Say>
  <Hangup/>
</Response>
"#;

/// Twilio's limits: longer requests are refused, so they are never sent.
pub const MAX_TWIML_CHARS: usize = 4000;
pub const MAX_SMS_CHARS: usize = 1600;

pub const PLACEHOLDERS: [&str; 7] = [
    "appointment_msg",
    "date",
    "time",
    "appointment_id",
    "patient_id",
    "gather_url",
    "say_attrs",
];

/// The facts a message is made from.
pub struct Facts<'a> {
    pub appointment_msg: &'a str,
    pub appointment_id: &'a str,
    pub patient_id: &'a str,
    pub at: DateTime<Utc>,
    pub tz: Tz,
    pub language: Language,
    pub gather_url: &'a str,
    pub voice: Option<&'a str>,
}

pub fn language_tag(lang: Language) -> &'static str {
    match lang {
        Language::En => "en-CA",
        Language::Fr => "fr-CA",
    }
}

/// The appointment's local date and time as the patient says them.
pub fn date_and_time(at: DateTime<Utc>, tz: Tz, lang: Language) -> (String, String) {
    let local = at.with_timezone(&tz);
    match lang {
        Language::En => (
            local.format("%A, %B %-d").to_string(),
            local.format("%-I:%M %p").to_string(),
        ),
        Language::Fr => {
            const DAYS: [&str; 7] = [
                "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
            ];
            const MONTHS: [&str; 12] = [
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre",
            ];
            let day = DAYS[local.weekday().num_days_from_monday() as usize];
            let month = MONTHS[local.month0() as usize];
            let date = format!("{day} {} {month}", local.day());
            let time = match local.minute() {
                0 => format!("{} h", local.hour()),
                m => format!("{} h {m:02}", local.hour()),
            };
            (date, time)
        }
    }
}

/// `appointment_msg`, or a default sentence with the local date and time when it is empty.
pub fn message_text(f: &Facts<'_>) -> String {
    if !f.appointment_msg.trim().is_empty() {
        return f.appointment_msg.trim().to_string();
    }
    let (date, time) = date_and_time(f.at, f.tz, f.language);
    match f.language {
        Language::En => format!("This is a reminder of your appointment on {date} at {time}."),
        Language::Fr => format!("Ceci est un rappel de votre rendez-vous le {date} à {time}."),
    }
}

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// Fills `{placeholders}`; an unknown one is an error naming it, so a typo in a clinic's
/// template is caught before anyone is contacted.
pub fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                let name = &after[..close];
                out.push_str(
                    &value(name).ok_or_else(|| format!("unknown placeholder {{{name}}}"))?,
                );
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

fn values(f: &Facts<'_>, escape: bool) -> impl Fn(&str) -> Option<String> {
    let (date, time) = date_and_time(f.at, f.tz, f.language);
    let msg = message_text(f);
    let say_attrs = match f.voice {
        Some(v) => format!(
            " voice=\"{}\" language=\"{}\"",
            xml_escape(v),
            language_tag(f.language)
        ),
        None => format!(" language=\"{}\"", language_tag(f.language)),
    };
    let (aid, pid, gather) = (
        f.appointment_id.to_string(),
        f.patient_id.to_string(),
        f.gather_url.to_string(),
    );
    move |name| {
        let raw = match name {
            "appointment_msg" => msg.clone(),
            "date" => date.clone(),
            "time" => time.clone(),
            "appointment_id" => aid.clone(),
            "patient_id" => pid.clone(),
            "gather_url" => gather.clone(),
            "say_attrs" => return Some(say_attrs.clone()),
            _ => return None,
        };
        Some(if escape { xml_escape(&raw) } else { raw })
    }
}

pub fn render_sms(template: &str, f: &Facts<'_>) -> Result<String, String> {
    let body = fill(template, values(f, false))?;
    let chars = body.chars().count();
    if chars > MAX_SMS_CHARS {
        return Err(format!(
            "the text is {chars} characters, over Twilio's {MAX_SMS_CHARS}"
        ));
    }
    Ok(body)
}

pub fn render_voice(template: &str, f: &Facts<'_>) -> Result<String, String> {
    let twiml = fill(template, values(f, true))?;
    let chars = twiml.chars().count();
    if chars > MAX_TWIML_CHARS {
        return Err(format!(
            "the call's TwiML is {chars} characters, over Twilio's {MAX_TWIML_CHARS}"
        ));
    }
    Ok(twiml)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_db_time;

    fn facts<'a>(msg: &'a str, lang: Language) -> Facts<'a> {
        Facts {
            appointment_msg: msg,
            appointment_id: "A1",
            patient_id: "P1",
            at: parse_db_time("2026-11-25T14:30:00Z").unwrap(),
            tz: chrono_tz::America::Toronto,
            language: lang,
            gather_url: "https://rem.example.ca/twilio/voice-gather?appointment=7&x=1",
            voice: None,
        }
    }

    #[test]
    fn default_sentence_in_each_language() {
        assert_eq!(
            message_text(&facts("", Language::En)),
            "This is a reminder of your appointment on Wednesday, November 25 at 9:30 AM."
        );
        assert_eq!(
            message_text(&facts(" ", Language::Fr)),
            "Ceci est un rappel de votre rendez-vous le mercredi 25 novembre à 9 h 30."
        );
    }

    #[test]
    fn sms_uses_the_message() {
        let body = render_sms(
            SMS_EN,
            &facts("See Dr. Who at 9:30 & bring ID.", Language::En),
        )
        .unwrap();
        assert_eq!(
            body,
            "See Dr. Who at 9:30 & bring ID. Reply C to confirm or R to reschedule."
        );
    }

    #[test]
    fn hostile_messages_cannot_escape_say() {
        let hostile = r#"</Say><Dial>+19005550000</Dial><Say>"'&"#;
        let twiml = render_voice(VOICE_EN, &facts(hostile, Language::En)).unwrap();
        assert!(!twiml.contains("<Dial>"), "{twiml}");
        assert!(twiml.contains("&lt;/Say&gt;&lt;Dial&gt;"));
        assert!(twiml.contains(
            "action=\"https://rem.example.ca/twilio/voice-gather?appointment=7&amp;x=1\""
        ));
        let mut reader = quick_xml::Reader::from_str(&twiml);
        let mut says = 0;
        loop {
            match reader.read_event().expect("well-formed TwiML") {
                quick_xml::events::Event::Eof => break,
                quick_xml::events::Event::Start(e) if e.name().0 == "Say" => says += 1,
                quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                    assert!(
                        ["Response", "Pause", "Gather", "Say", "Hangup"].contains(&e.name().0),
                        "unexpected element in {twiml}"
                    );
                }
                _ => {}
            }
        }
        assert_eq!(says, 3);
    }

    #[test]
    fn french_voice_and_configured_voice_name() {
        let mut f = facts("", Language::Fr);
        f.voice = Some("Polly.Gabrielle-Neural");
        let twiml = render_voice(VOICE_FR, &f).unwrap();
        assert!(
            twiml.contains(
                r#"<Say voice="Polly.Gabrielle-Neural" language="fr-CA">Ceci est un rappel"#
            ),
            "{twiml}"
        );
        assert!(twiml.contains("Appuyez sur 1"));
    }

    #[test]
    fn placeholders_and_limits() {
        assert_eq!(
            fill(
                "{date}|{time}|{appointment_id}|{patient_id}|{ not }|{}",
                values(&facts("", Language::En), false)
            )
            .unwrap(),
            "Wednesday, November 25|9:30 AM|A1|P1|{ not }|{}"
        );
        assert_eq!(
            fill("Hi {nmae}", |_| None).unwrap_err(),
            "unknown placeholder {nmae}"
        );
        let long = "x".repeat(1700);
        assert!(
            render_sms(SMS_EN, &facts(&long, Language::En))
                .unwrap_err()
                .contains("over Twilio's 1600")
        );
        let long = "x".repeat(3900);
        assert!(
            render_voice(VOICE_EN, &facts(&long, Language::En))
                .unwrap_err()
                .contains("over Twilio's 4000")
        );
    }
}
