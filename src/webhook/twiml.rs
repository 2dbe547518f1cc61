//! The TwiML the listener answers with, in the patient's language (its pack's words). Every
//! text and attribute goes through `escape`, so nothing from a request or the database can break
//! out of the XML.

use crate::domain::languages::Pack;
use crate::domain::templates::say_attrs;

/// An answer about one appointment, or about several (a reply to a message that listed
/// several answers for all of them): the pack's key, and its `_many` form.
pub fn counted(pack: &Pack, key: &str, appointments: usize) -> String {
    if appointments > 1 {
        pack.text(&format!("{key}_many")).to_string()
    } else {
        pack.text(key).to_string()
    }
}

/// TwiML is XML: one escaping for everything the listener and the sender put into it.
pub use crate::domain::templates::xml_escape as escape;

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// `<Say>` in the pack's language, with its voice if it has one.
fn say(pack: &Pack, text: &str) -> String {
    format!("<Say{}>{}</Say>", say_attrs(pack), escape(text))
}

/// Speaks `text`, then hangs up.
pub fn say_and_hang_up(pack: &Pack, text: &str) -> String {
    format!("{HEAD}<Response>{}<Hangup/></Response>", say(pack, text))
}

/// Asks once more for a digit about the call's `appointments`; the answer goes to `action`
/// (absolute: inline TwiML has no base).
pub fn gather_again(pack: &Pack, action: &str, appointments: usize) -> String {
    format!(
        r#"{HEAD}<Response><Gather input="dtmf" numDigits="1" timeout="5" action="{}">{}</Gather>{}<Hangup/></Response>"#,
        escape(action),
        say(pack, &counted(pack, "texts.call_ask_again", appointments)),
        say(pack, pack.text("texts.call_goodbye")),
    )
}

/// "You have reached Bloor Street Clinic." — who answers a call to our number.
fn reached(pack: &Pack, clinic: Option<&str>) -> String {
    match clinic {
        Some(c) => pack.say("texts.inbound_reached_clinic", |p| {
            (p == "clinic_name").then(|| c.to_string())
        }),
        None => pack.text("texts.inbound_reached").to_string(),
    }
}

/// A caller hears which clinic this is, then is put through to `number` (the call-back number).
pub fn put_through(pack: &Pack, clinic: Option<&str>, number: &str) -> String {
    let words = format!(
        "{} {}",
        reached(pack, clinic),
        pack.text("texts.inbound_putting_through")
    );
    format!(
        "{HEAD}<Response>{}<Dial>{}</Dial></Response>",
        say(pack, &words),
        escape(number)
    )
}

/// With no call-back number to put them through to: which clinic this is, how to reach it (its
/// address when there is one), goodbye.
pub fn no_one_to_put_through(pack: &Pack, clinic: Option<&str>, address: Option<&str>) -> String {
    let address = address.map(str::trim).filter(|a| !a.is_empty());
    let at = address.map_or(String::new(), |a| {
        let sentence = pack.say("texts.inbound_address", |p| {
            (p == "address").then(|| a.to_string())
        });
        format!(" {sentence}")
    });
    let words = format!(
        "{} {}{at} {}",
        reached(pack, clinic),
        pack.text("texts.inbound_no_calls"),
        pack.text("texts.inbound_goodbye")
    );
    say_and_hang_up(pack, &words)
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

    use crate::domain::languages::Languages;

    #[test]
    fn escapes_text_and_attributes() {
        let all = Languages::built_in();
        let mut fr = all.get("fr").clone();
        fr.set_voice("Polly.\"x\"");
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        let xml = gather_again(&fr, "https://h/t?appointment=1&repeat=1", 1);
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
        let all = Languages::built_in();
        assert_eq!(all.get("FR").code.code(), "fr");
        assert_eq!(all.get("").code.code(), "en");
        assert!(
            say_and_hang_up(all.get("es"), "Adiós.")
                .contains(r#"<Say language="es-MX">Adiós.</Say>"#)
        );
        assert!(message("a < b").ends_with("<Response><Message>a &lt; b</Message></Response>"));
    }
}
