//! The words patients hear and read: the texts and TwiML of the patient's language pack, or the
//! clinic's own template files, filled from the appointment. Every value put into TwiML is
//! XML-escaped, so a hostile `appointment_msg` cannot change what the call does.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::languages::Pack;

mod builtin;
pub mod follow_ups;

pub use builtin::{elides, opt_out};

/// Twilio's limits: longer requests are refused, so they are never sent.
pub const MAX_TWIML_CHARS: usize = 4000;
pub const MAX_SMS_CHARS: usize = 1600;

/// The most appointments one message lists (docs/behaviour.md, "Combining").
pub const MAX_COMBINED: usize = 5;

/// Placeholders every template may use; the export's own columns come on top.
pub const PLACEHOLDERS: [&str; 15] = [
    "appointment_msg",
    "date",
    "time",
    "appointment_id",
    "patient_id",
    "moved_from",
    "clinic_name",
    "callback_number",
    "address",
    "appointments",
    "count",
    "intro",
    "callback_sentence",
    "opt_out",
    "gather_url",
];

/// One appointment of a message.
#[derive(Clone, Debug)]
pub struct Item<'a> {
    pub appointment_msg: &'a str,
    pub appointment_id: &'a str,
    pub patient_id: &'a str,
    pub at: DateTime<Utc>,
    pub moved_from: Option<DateTime<Utc>>,
    /// The export's other columns, by normalised header.
    pub data: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

/// Who the message comes from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity<'a> {
    pub clinic_name: Option<&'a str>,
    pub callback_number: Option<&'a str>,
    pub address: Option<&'a str>,
}

/// The facts a message is made from: one appointment, or up to `MAX_COMBINED` on one number.
pub struct MessageFacts<'a> {
    pub items: &'a [Item<'a>],
    pub tz: Tz,
    /// The patient's language; its `<Say>` language and voice go on every `<Say>`.
    pub pack: &'a Pack,
    pub gather_url: &'a str,
    pub identity: Identity<'a>,
}

/// Why a message cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenderError {
    /// The template names a placeholder that is neither built in nor a column of the export.
    Unknown(String),
    /// Over Twilio's limit.
    TooLong(String),
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::Unknown(name) => write!(
                f,
                "unknown placeholder {{{name}}}: neither a built-in placeholder nor a column of this appointment's export"
            ),
            RenderError::TooLong(why) => f.write_str(why),
        }
    }
}

/// The appointment's local date and time as the patient says them.
pub fn date_and_time(at: DateTime<Utc>, tz: Tz, pack: &Pack) -> (String, String) {
    let local = at.with_timezone(&tz);
    (pack.date(local), pack.time(local))
}

/// The appointment's local date and time as a text gives them, short: `Wed Nov 25` and `9:30
/// AM`, `mer. 25 nov.` and `9 h 30`. A pack's short names keep to the GSM-7 alphabet where they
/// can (French August is `aout`): one letter outside it would send the whole text as UCS-2,
/// which holds 70 characters a segment instead of 160.
pub fn date_and_time_brief(at: DateTime<Utc>, tz: Tz, pack: &Pack) -> (String, String) {
    let local = at.with_timezone(&tz);
    (pack.date_short(local), pack.time(local))
}

/// ` voice="…" language="…"`: what every `<Say>` in the pack's language carries (no language
/// for a text-only pack, whose calls never go out).
pub fn say_attrs(pack: &Pack) -> String {
    let voice = pack
        .voice()
        .map(|v| format!(" voice=\"{}\"", xml_escape(v)))
        .unwrap_or_default();
    let language = pack
        .say_language()
        .map(|l| format!(" language=\"{}\"", xml_escape(l)))
        .unwrap_or_default();
    format!("{voice}{language}")
}

/// Whether XML 1.0 can carry `c` at all, escaped or not: not the C0 controls other than tab,
/// line feed and carriage return, and not U+FFFE/U+FFFF. A call whose TwiML holds one is
/// refused by Twilio, so every attempt for that patient would fail.
fn xml_can_carry(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// A value from an export or a patient, made fit to send: control characters (FileMaker's
/// in-cell line break is a vertical tab; Excel leaves NULs and escapes) become spaces, in texts
/// as in calls, so what the patient reads is what the call says.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            _ if !xml_can_carry(c) => out.push(' '),
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
/// template is caught rather than sent.
pub fn fill(
    template: &str,
    mut value: impl FnMut(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                let name = &after[..close];
                let v = value(name).ok_or_else(|| name.to_string())?;
                out.push_str(&v);
                rest = &after[close + 1..];
                // A sentence ends with one period, also when its last value ends with an
                // abbreviation's ("nov.", "a. m.").
                if v.ends_with('.') && rest.starts_with('.') && !rest.starts_with("..") {
                    rest = &rest[1..];
                }
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

/// A placeholder name: lower-case letters, digits and `_`, as normalised headers are.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c == '_' || (c.is_alphanumeric() && !c.is_uppercase()))
}

/// A number as a voice should read it: digit by digit, in groups (`+14165550001` → "4 1 6, 5 5
/// 5, 0 0 0 1"), because digits written together are read as one big number.
pub fn spoken_number(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.as_slice() {
        ['1', rest @ ..] if rest.len() == 10 => rest.to_vec(),
        _ => digits,
    };
    let groups: Vec<String> = if digits.len() == 10 {
        vec![&digits[..3], &digits[3..6], &digits[6..]]
            .into_iter()
            .map(|g| g.iter().map(char::to_string).collect::<Vec<_>>().join(" "))
            .collect()
    } else {
        vec![
            digits
                .iter()
                .map(char::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        ]
    };
    groups.join(", ")
}

/// What a placeholder stands for: text (escaped in TwiML), or markup built here.
enum Piece {
    Text(String),
    Markup(String),
}

/// The value of each placeholder for `f`; `speech`: for a call (numbers read digit by digit,
/// dates in full), else for a text (the built-in sentences brief enough for one segment).
fn values(f: &MessageFacts<'_>, speech: bool) -> impl Fn(&str) -> Option<Piece> {
    let pack = f.pack;
    let first = f.items.first();
    let brief = !speech;
    let in_full = |at: DateTime<Utc>| {
        let (d, t) = date_and_time(at, f.tz, pack);
        builtin::when(pack, &d, &t, false)
    };
    // The built-in sentence and list: short in a text. `{date}`, `{time}` and `{moved_from}`
    // stay in full for a clinic's own words.
    let moment = |at: DateTime<Utc>| {
        if brief {
            let (d, t) = date_and_time_brief(at, f.tz, pack);
            builtin::when(pack, &d, &t, true)
        } else {
            in_full(at)
        }
    };
    let (date, time) = first
        .map(|i| date_and_time(i.at, f.tz, pack))
        .unwrap_or_default();
    let moved_from = first.and_then(|i| i.moved_from).map(in_full);
    let message = first.map_or_else(String::new, |i| {
        let own = i.appointment_msg.trim();
        if own.is_empty() {
            builtin::default_sentence(
                pack,
                f.identity.clinic_name,
                &moment(i.at),
                moved_from.as_deref(),
                brief,
            )
        } else {
            own.to_string()
        }
    });
    let list: Vec<String> = f.items.iter().map(|i| moment(i.at)).collect();
    // The first appointment's moment as the built-in sentences say it (a follow-up's words).
    let when = first.map(|i| moment(i.at)).unwrap_or_default();
    let callback = f.identity.callback_number.map(|n| {
        if speech {
            spoken_number(n)
        } else {
            n.to_string()
        }
    });
    let callback_sentence = builtin::callback_sentence(pack, callback.as_deref(), brief);
    let intro = builtin::intro(pack, f.identity.clinic_name, f.items.len(), brief);
    let identity = (
        f.identity.clinic_name.map(str::to_string),
        f.identity.callback_number.map(str::to_string),
        f.identity.address.map(str::to_string),
    );
    let fixed = (
        first
            .map(|i| i.appointment_id.to_string())
            .unwrap_or_default(),
        first.map(|i| i.patient_id.to_string()).unwrap_or_default(),
        f.gather_url.to_string(),
        f.items.len().to_string(),
    );
    let data = first.and_then(|i| i.data).cloned();
    let say_attrs = say_attrs(pack);
    move |name| {
        Some(Piece::Text(match name {
            "appointment_msg" => message.clone(),
            "when" => when.clone(),
            "date" => date.clone(),
            "time" => time.clone(),
            "appointment_id" => fixed.0.clone(),
            "patient_id" => fixed.1.clone(),
            "moved_from" => moved_from.clone().unwrap_or_default(),
            "clinic_name" => identity.0.clone().unwrap_or_default(),
            "callback_number" => identity.1.clone().unwrap_or_default(),
            "address" => identity.2.clone().unwrap_or_default(),
            "appointments" => builtin::list(pack, &list),
            "count" => fixed.3.clone(),
            "intro" => intro.clone(),
            "callback_sentence" => callback_sentence.clone(),
            "opt_out" => builtin::opt_out(pack).to_string(),
            "gather_url" => fixed.2.clone(),
            "say_attrs" => return Some(Piece::Markup(say_attrs.clone())),
            column => data
                .as_ref()
                .and_then(|d| d.get(column))
                .and_then(|v| v.as_str())
                .map(str::to_string)?,
        }))
    }
}

/// An SMS for `f`: from `template`, or the built-in text; every text ends with the opt-out
/// instruction (appended when a clinic's template leaves it out).
pub fn render_sms(template: Option<&str>, f: &MessageFacts<'_>) -> Result<String, RenderError> {
    let template = template.unwrap_or_else(|| builtin::sms(f.pack, f.items.len()));
    let value = values(f, false);
    let body = fill(template, |name| {
        value(name).map(|p| match p {
            Piece::Text(t) => printable(&t),
            Piece::Markup(t) => t,
        })
    })
    .map_err(RenderError::Unknown)?;
    ending_with_opt_out(body, f.pack)
}

/// A text's words as sent: the opt-out instruction added unless it says it already, and no
/// longer than Twilio takes.
pub fn ending_with_opt_out(mut body: String, pack: &Pack) -> Result<String, RenderError> {
    let stop = builtin::opt_out(pack);
    let told = builtin::opt_out_endings(pack)
        .iter()
        .any(|end| body.trim_end().ends_with(end));
    if !told {
        body = format!("{} {stop}", body.trim_end());
    }
    let body = body.trim().to_string();
    let chars = body.chars().count();
    if chars > MAX_SMS_CHARS {
        return Err(RenderError::TooLong(format!(
            "the text is {chars} characters, over Twilio's {MAX_SMS_CHARS}"
        )));
    }
    Ok(body)
}

/// What a text template says whatever fills it: every placeholder empty, the opt-out line
/// added as `render_sms` adds it. A text can never be shorter than this.
pub fn fixed_sms(template: Option<&str>, pack: &Pack, count: usize) -> String {
    let template = template.unwrap_or_else(|| builtin::sms(pack, count));
    let body = fill(template, |_| Some(String::new())).unwrap_or_default();
    let told = builtin::opt_out_endings(pack)
        .iter()
        .any(|end| body.trim_end().ends_with(end.as_str()));
    let body = if told {
        body
    } else {
        format!("{} {}", body.trim_end(), builtin::opt_out(pack))
    };
    body.trim().to_string()
}

/// What a call template says whatever fills it (every placeholder empty).
pub fn fixed_voice(template: Option<&str>, pack: &Pack, count: usize) -> String {
    let template = template.unwrap_or_else(|| builtin::voice(pack, count));
    fill(template, |_| Some(String::new())).unwrap_or_default()
}

/// A call's TwiML for `f`: every value XML-escaped.
pub fn render_voice(template: Option<&str>, f: &MessageFacts<'_>) -> Result<String, RenderError> {
    let template = template.unwrap_or_else(|| builtin::voice(f.pack, f.items.len()));
    let value = values(f, true);
    let twiml = fill(template, |name| {
        value(name).map(|p| match p {
            Piece::Text(t) => xml_escape(&printable(&t)),
            Piece::Markup(m) => m,
        })
    })
    .map_err(RenderError::Unknown)?;
    let chars = twiml.chars().count();
    if chars > MAX_TWIML_CHARS {
        return Err(RenderError::TooLong(format!(
            "the call's TwiML is {chars} characters, over Twilio's {MAX_TWIML_CHARS}"
        )));
    }
    Ok(twiml)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_db_time;

    const GATHER: &str = "https://rem.example.ca/twilio/voice-gather?appointment=7&x=1";

    #[test]
    fn characters_xml_cannot_carry_become_spaces() {
        assert_eq!(
            xml_escape("a\u{b}b\u{1}c\u{1b}d\u{0}e\u{ffff}"),
            "a b c d e "
        );
        assert_eq!(xml_escape("tab\tline\nend\r"), "tab\tline\nend\r");
        assert_eq!(printable("Bring\u{b}your card\u{1}"), "Bring your card ");
        assert_eq!(printable("two\nlines"), "two\nlines");
    }

    fn item(msg: &str) -> Item<'_> {
        Item {
            appointment_msg: msg,
            appointment_id: "A1",
            patient_id: "P1",
            at: parse_db_time("2026-11-25T14:30:00Z").unwrap(),
            moved_from: None,
            data: None,
        }
    }

    fn pack(code: &str) -> &'static Pack {
        static ALL: std::sync::OnceLock<crate::domain::languages::Languages> =
            std::sync::OnceLock::new();
        ALL.get_or_init(crate::domain::languages::Languages::built_in)
            .get(code)
    }

    fn facts<'a>(items: &'a [Item<'a>], code: &str) -> MessageFacts<'a> {
        MessageFacts {
            items,
            tz: chrono_tz::America::Toronto,
            pack: pack(code),
            gather_url: GATHER,
            identity: Identity::default(),
        }
    }

    #[test]
    fn the_built_in_texts_name_the_clinic_and_end_with_the_opt_out() {
        let one = [item("")];
        assert_eq!(
            render_sms(None, &facts(&one, "en")).unwrap(),
            "Appointment reminder: Wed Nov 25, 9:30 AM. Reply C to confirm, R to cancel or reschedule, STOP to opt out."
        );
        let mut f = facts(&one, "fr");
        f.identity = Identity {
            clinic_name: Some("Clinique Bloor"),
            callback_number: Some("+14165550001"),
            address: None,
        };
        assert_eq!(
            render_sms(None, &f).unwrap(),
            "Rappel de Clinique Bloor : mer. 25 nov., 9 h 30. Tél. +14165550001. C pour confirmer, R pour annuler ou reporter, ARRET pour vous désabonner."
        );
        // A call says the date in full, and reads the call-back number digit by digit.
        let twiml = render_voice(None, &f).unwrap();
        assert!(
            twiml.contains("Ceci est un rappel de Clinique Bloor pour votre rendez-vous le mercredi 25 novembre à 9 h 30.")
                && twiml.contains("ou sur 2 pour l'annuler ou le reporter. Des questions? Appelez le 4 1 6, 5 5 5, 0 0 0 1."),
            "{twiml}"
        );
        // Before a vowel or an h, `de` is elided.
        f.identity.clinic_name = Some("Hôpital Ottawa");
        let body = render_sms(None, &f).unwrap();
        assert!(body.starts_with("Rappel d'Hôpital Ottawa : mer."), "{body}");
        let twiml = render_voice(None, &f).unwrap();
        assert!(
            twiml.contains("un rappel d&apos;Hôpital Ottawa pour"),
            "{twiml}"
        );
        // A clinic's text that already says how to stop, in the words texts used before, gets no
        // second opt-out line.
        let old = "Clinique Bloor : {date}. Répondez ARRET pour ne plus recevoir de rappels.";
        assert_eq!(
            render_sms(Some(old), &f).unwrap(),
            "Clinique Bloor : mercredi 25 novembre. Répondez ARRET pour ne plus recevoir de rappels."
        );
        assert_eq!(
            render_sms(Some("Clinique Bloor : {date}."), &f).unwrap(),
            "Clinique Bloor : mercredi 25 novembre. Répondez ARRET pour vous désabonner."
        );
    }

    #[test]
    fn a_clinics_template_gets_every_placeholder_and_the_opt_out_line() {
        let data: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"provider":"Dr. Li","location":"Bloor"}"#).unwrap();
        let mut it = item("See you soon");
        it.data = Some(&data);
        it.moved_from = Some(parse_db_time("2026-11-24T14:30:00Z").unwrap());
        let items = [it];
        let mut f = facts(&items, "en");
        f.identity.clinic_name = Some("Bloor Street Clinic");
        let body = render_sms(
            Some("{clinic_name}: {date} {time} with {provider} at {location} (was {moved_from}). {appointment_msg}"),
            &f,
        )
        .unwrap();
        assert_eq!(
            body,
            "Bloor Street Clinic: Wednesday, November 25 9:30 AM with Dr. Li at Bloor (was Tuesday, November 24 at 9:30 AM). See you soon Reply STOP to opt out."
        );
        assert_eq!(
            render_sms(Some("Hi {provdier}"), &f).unwrap_err(),
            RenderError::Unknown("provdier".into())
        );
    }

    #[test]
    fn combined_messages_list_every_appointment() {
        let at = |h: &str| parse_db_time(&format!("2026-11-25T{h}:00Z")).unwrap();
        let make = |n: usize| -> Vec<Item<'static>> {
            (0..n)
                .map(|i| Item {
                    at: at(["14:30", "15:00", "15:30", "16:00", "16:30", "17:00"][i]),
                    ..item("")
                })
                .collect()
        };
        let expected = [
            (1, "Appointment reminder: Wed Nov 25, 9:30 AM."),
            (
                2,
                "Reminder, 2 appointments: Wed Nov 25, 9:30 AM; and Wed Nov 25, 10:00 AM. Reply C to confirm all",
            ),
            (5, "Wed Nov 25, 11:00 AM; and Wed Nov 25, 11:30 AM. Reply C"),
        ];
        for (n, want) in expected {
            let items = make(n);
            let body = render_sms(None, &facts(&items, "en")).unwrap();
            assert!(body.contains(want), "{n}: {body}");
            assert_eq!(body.matches("Nov 25,").count(), n, "{body}");
        }
        // Six never go in one message: the caller splits at MAX_COMBINED.
        assert_eq!(MAX_COMBINED, 5);
        let items = make(2);
        let fr = render_voice(None, &facts(&items, "fr")).unwrap();
        assert!(fr.contains("Rappel : vous avez 2 rendez-vous : mercredi 25 novembre à 9 h 30; et mercredi 25 novembre à 10 h."), "{fr}");
        assert!(
            fr.contains(
                "Appuyez sur 1 pour tous les confirmer, ou sur 2 pour les annuler ou les reporter."
            ),
            "{fr}"
        );
    }

    #[test]
    fn hostile_messages_cannot_escape_say() {
        let hostile = r#"</Say><Dial>+19005550000</Dial><Say>"'&"#;
        let items = [item(hostile)];
        let twiml = render_voice(None, &facts(&items, "en")).unwrap();
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
        let items = [item("")];
        let mut fr = pack("fr").clone();
        fr.set_voice("Polly.Gabrielle-Neural");
        let mut f = facts(&items, "fr");
        f.pack = &fr;
        let twiml = render_voice(None, &f).unwrap();
        assert!(
            twiml.contains(
                r#"<Say voice="Polly.Gabrielle-Neural" language="fr-CA">Ceci est un rappel"#
            ),
            "{twiml}"
        );
        assert!(twiml.contains("Appuyez sur 1"));
    }

    #[test]
    fn limits() {
        let long = "x".repeat(1700);
        let items = [item(&long)];
        assert!(matches!(
            render_sms(None, &facts(&items, "en")),
            Err(RenderError::TooLong(why)) if why.contains("over Twilio's 1600")
        ));
        let long = "x".repeat(3900);
        let items = [item(&long)];
        assert!(matches!(
            render_voice(None, &facts(&items, "en")),
            Err(RenderError::TooLong(why)) if why.contains("over Twilio's 4000")
        ));
        assert_eq!(spoken_number("+14165550001"), "4 1 6, 5 5 5, 0 0 0 1");
    }
}
