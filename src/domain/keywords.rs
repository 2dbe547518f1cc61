//! What a patient's text reply means (docs/behaviour.md, "Replies and keywords"). The words of
//! each language are its pack's (`domain::languages`); Twilio's own words, which it acts on
//! whatever the packs say, live here.
//!
//! CANCEL is one of Twilio's standard opt-out words: a patient who texts it is unsubscribed by
//! Twilio's default handling whatever we do, so it is an opt-out here too, not a cancellation,
//! and no pack may give one of these words another meaning.
//!
//! A reply is a keyword only when it is the whole body: case, accents and the whitespace and
//! punctuation around it do not count ("Oui!" is OUI, " arrêt. " is ARRET, "c." is C), but a
//! sentence stays `Other` even when it starts with a keyword ("oui merci beaucoup", "no
//! problem, see you"): guessing at sentences would turn a question into a cancellation, and
//! staff read every `Other` reply (`status --check` lists them).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::domain::languages::code::Language;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    Confirm,
    Cancel,
    OptOut,
    OptIn,
    Help,
    Other,
}

/// Twilio's default opt-out words.
pub const OPT_OUT: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
];
/// Twilio's default opt-in words, less YES (a confirmation here; see `TWILIO_OPT_IN_TOO`).
pub const OPT_IN: &[&str] = &["START", "UNSTOP"];
/// Twilio's default help words.
pub const HELP: &[&str] = &["HELP", "INFO"];

/// Twilio's default handling also takes YES as an opt-in word (and answers it); here it is a
/// confirmation all the same.
const TWILIO_OPT_IN_TOO: &[&str] = &["YES"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classified {
    pub reply: Reply,
    /// The language of the word when it tells one (OUI: French, YES: English; C, 1, STOP, NO:
    /// none, several languages have them), so the answer can be in the language the patient
    /// wrote in.
    pub language: Option<Language>,
    /// The word is one of Twilio's default opt-out, opt-in or help words: with default handling
    /// Twilio answers it itself (and, for an opt-out, refuses further messages with 21610).
    /// False for the other languages' words: the listener records those and answers them.
    /// Whether Twilio did act on a given message is what its `OptOutType` parameter says.
    pub twilio_handles: bool,
}

pub const OTHER: Classified = Classified {
    reply: Reply::Other,
    language: None,
    twilio_handles: false,
};

/// The body as it compares with the words: surrounding whitespace and punctuation dropped,
/// accents folded (canonical decomposition, then the combining marks left out), upper case.
pub fn fold(body: &str) -> String {
    let word = body.trim_matches(|c: char| c.is_whitespace() || is_punctuation(c));
    word.nfd()
        .filter(|&c| !is_combining_mark(c))
        .collect::<String>()
        .to_uppercase()
}

/// ASCII punctuation and the marks French, Spanish and English texts put around a word.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || "¡¿«»‹›‘’‚“”„…–—·".contains(c)
}

/// Whether a folded word is one of Twilio's opt-out words, spaces aside ("STOP ALL").
pub fn is_twilio_opt_out(word: &str) -> bool {
    let joined: String = word.split_whitespace().collect();
    OPT_OUT.contains(&joined.as_str())
}

/// Whether Twilio's default handling acts on a folded word.
pub fn twilio_handles(word: &str) -> bool {
    [OPT_OUT, OPT_IN, HELP, TWILIO_OPT_IN_TOO]
        .iter()
        .any(|list| list.contains(&word))
}

/// A folded word no pack lists: Twilio's own words still mean what Twilio does with them.
pub fn interpret_twilio(word: &str) -> Classified {
    let reply = if OPT_OUT.contains(&word) {
        Reply::OptOut
    } else if OPT_IN.contains(&word) {
        Reply::OptIn
    } else if HELP.contains(&word) {
        Reply::Help
    } else {
        return OTHER;
    };
    Classified {
        reply,
        language: Some(Language::EN),
        twilio_handles: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_case_accents_and_the_punctuation_around() {
        for (body, want) in [
            ("Oui!", "OUI"),
            (" arrêt. ", "ARRET"),
            ("arre\u{302}t", "ARRET"),
            ("¡Sí!", "SI"),
            ("¿SÍ?", "SI"),
            ("« Oui »", "OUI"),
            ("oui merci", "OUI MERCI"),
        ] {
            assert_eq!(fold(body), want, "{body:?}");
        }
    }

    #[test]
    fn twilios_words_whatever_the_packs_say() {
        assert!(is_twilio_opt_out("STOP ALL"));
        assert!(is_twilio_opt_out("CANCEL"));
        assert!(!is_twilio_opt_out("ARRET"));
        assert_eq!(interpret_twilio("QUIT").reply, Reply::OptOut);
        assert_eq!(interpret_twilio("UNSTOP").reply, Reply::OptIn);
        assert_eq!(interpret_twilio("MERCI"), OTHER);
        assert!(twilio_handles("YES") && twilio_handles("INFO"));
        assert!(!twilio_handles("OUI"));
    }
}
