//! What a patient's text reply means (docs/behaviour.md, "Replies and keywords"). The one place the
//! keyword lists live.
//!
//! CANCEL is one of Twilio's standard opt-out words: a patient who texts it is unsubscribed by
//! Twilio's default handling whatever we do, so it is an opt-out here too, not a cancellation.
//!
//! A reply is a keyword only when it is the whole body: case, accents and the whitespace and
//! punctuation around it do not count ("Oui!" is OUI, " arrêt. " is ARRET, "c." is C), but a
//! sentence stays `Other` even when it starts with a keyword ("oui merci beaucoup", "no
//! problem, see you"): guessing at sentences would turn a question into a cancellation, and
//! staff read every `Other` reply (`status --check` lists them).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::domain::row::Language;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    Confirm,
    Cancel,
    OptOut,
    OptIn,
    Help,
    Other,
}

pub const CONFIRM: &[&str] = &["C", "CONFIRM", "YES", "1"];
pub const CANCEL: &[&str] = &["R", "N", "NO", "RESCHEDULE", "2"];
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

/// French words, written as they compare: accents folded away (ARRÊT and DÉSABONNER match).
pub const CONFIRM_FR: &[&str] = &["OUI", "O"];
pub const CANCEL_FR: &[&str] = &["NON"];
/// Twilio does not know these: the listener records the opt-out and answers it itself.
pub const OPT_OUT_FR: &[&str] = &["ARRET", "DESABONNER"];
pub const HELP_FR: &[&str] = &["AIDE"];

/// Words from the lists above that a French speaker uses as well: the French texts ask for C
/// and R, N and the digits are no one's language, STOP and INFO are French words too. They tell
/// no language, so the answer goes in the language of the patient's appointment.
pub const SHARED: &[&str] = &["C", "R", "N", "1", "2", "STOP", "INFO"];

/// Twilio's default handling also takes YES as an opt-in word (and answers it); here it is a
/// confirmation all the same.
const TWILIO_OPT_IN_TOO: &[&str] = &["YES"];

/// Each list with what its words mean, the language they belong to, and whether Twilio's
/// default opt-out handling knows them.
const LISTS: &[(&[&str], Reply, Language, bool)] = &[
    (OPT_OUT, Reply::OptOut, Language::En, true),
    (OPT_IN, Reply::OptIn, Language::En, true),
    (HELP, Reply::Help, Language::En, true),
    (CONFIRM, Reply::Confirm, Language::En, false),
    (CANCEL, Reply::Cancel, Language::En, false),
    (OPT_OUT_FR, Reply::OptOut, Language::Fr, false),
    (HELP_FR, Reply::Help, Language::Fr, false),
    (CONFIRM_FR, Reply::Confirm, Language::Fr, false),
    (CANCEL_FR, Reply::Cancel, Language::Fr, false),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classified {
    pub reply: Reply,
    /// The language of the word when it tells one (OUI: French, YES: English; C, 1, STOP:
    /// none), so the answer can be in the language the patient wrote in.
    pub language: Option<Language>,
    /// The word is one of Twilio's default opt-out, opt-in or help words: with default handling
    /// Twilio answers it itself (and, for an opt-out, refuses further messages with 21610).
    /// False for the French words: the listener records those and answers them. Whether Twilio
    /// did act on a given message is what its `OptOutType` parameter says.
    pub twilio_handles: bool,
}

const OTHER: Classified = Classified {
    reply: Reply::Other,
    language: None,
    twilio_handles: false,
};

/// The body as it compares with the lists: surrounding whitespace and punctuation dropped,
/// accents folded (canonical decomposition, then the combining marks left out), upper case.
fn fold(body: &str) -> String {
    let word = body.trim_matches(|c: char| c.is_whitespace() || is_punctuation(c));
    word.nfd()
        .filter(|&c| !is_combining_mark(c))
        .collect::<String>()
        .to_uppercase()
}

/// ASCII punctuation and the marks French and English texts put around a word.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || "¡¿«»‹›‘’‚“”„…–—·".contains(c)
}

pub fn interpret(body: &str) -> Classified {
    let word = fold(body);
    let Some(&(_, reply, language, twilio)) = LISTS
        .iter()
        .find(|(words, ..)| words.contains(&word.as_str()))
    else {
        return OTHER;
    };
    let word = word.as_str();
    Classified {
        reply,
        language: (!SHARED.contains(&word)).then_some(language),
        twilio_handles: twilio || TWILIO_OPT_IN_TOO.contains(&word),
    }
}

pub fn classify(body: &str) -> Reply {
    interpret(body).reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_in_its_class() {
        for (words, expected, ..) in LISTS {
            for w in *words {
                assert_eq!(classify(w), *expected, "{w}");
                assert_eq!(
                    classify(&format!("  {}\r\n", w.to_lowercase())),
                    *expected,
                    "{w}"
                );
            }
        }
    }

    #[test]
    fn cancel_is_an_opt_out_not_a_cancellation() {
        assert_eq!(classify("cancel"), Reply::OptOut);
        assert_eq!(classify("Reschedule"), Reply::Cancel);
    }

    #[test]
    fn variants_and_sentences() {
        use Reply::*;
        let table: &[(&str, Reply)] = &[
            ("Oui!", Confirm),
            ("oui", Confirm),
            ("OUI.", Confirm),
            ("« Oui »", Confirm),
            ("o", Confirm),
            ("c.", Confirm),
            ("C!!", Confirm),
            ("1.", Confirm),
            ("Yes!", Confirm),
            ("¿Oui?", Confirm),
            ("Oui :)", Confirm),
            ("Non", Cancel),
            ("non!", Cancel),
            ("N", Cancel),
            ("r", Cancel),
            ("no.", Cancel),
            (" arrêt. ", OptOut),
            ("ARRÊT", OptOut),
            ("Arret", OptOut),
            ("arrêt…", OptOut),
            ("Désabonner", OptOut),
            ("DÉSABONNER", OptOut),
            // As some phones send it: e and a combining circumflex.
            ("arre\u{302}t", OptOut),
            ("desabonner", OptOut),
            ("Stop!", OptOut),
            ("\"STOP\"", OptOut),
            ("Start", OptIn),
            ("aide?", Help),
            ("Aide", Help),
            ("help!", Help),
            ("Info", Help),
            // Sentences and near-misses stay for staff to read.
            ("", Other),
            ("   ", Other),
            ("...", Other),
            ("oui merci beaucoup", Other),
            ("Oui, merci", Other),
            ("yes please", Other),
            ("no problem", Other),
            ("non merci", Other),
            ("stop it", Other),
            ("arrêtez", Other),
            ("12", Other),
            ("c c", Other),
            ("👍", Other),
            ("Ouii", Other),
        ];
        for (body, expected) in table {
            assert_eq!(classify(body), *expected, "{body:?}");
        }
    }

    #[test]
    fn the_language_a_word_tells() {
        use Language::*;
        let table: &[(&str, Option<Language>)] = &[
            ("oui", Some(Fr)),
            ("O", Some(Fr)),
            ("non", Some(Fr)),
            ("arrêt", Some(Fr)),
            ("désabonner", Some(Fr)),
            ("aide", Some(Fr)),
            ("yes", Some(En)),
            ("confirm", Some(En)),
            ("no", Some(En)),
            ("reschedule", Some(En)),
            ("cancel", Some(En)),
            ("unsubscribe", Some(En)),
            ("help", Some(En)),
            ("start", Some(En)),
            ("C", None),
            ("R", None),
            ("N", None),
            ("1", None),
            ("2", None),
            ("stop", None),
            ("info", None),
            ("oui merci", None),
        ];
        for (body, expected) in table {
            assert_eq!(interpret(body).language, *expected, "{body:?}");
        }
    }

    #[test]
    fn twilio_answers_only_its_own_words() {
        for w in [OPT_OUT, OPT_IN, HELP].concat() {
            assert!(interpret(w).twilio_handles, "{w}");
        }
        assert!(
            interpret("yes").twilio_handles,
            "YES is a Twilio opt-in word"
        );
        for w in [
            "arrêt",
            "ARRET",
            "désabonner",
            "aide",
            "oui",
            "non",
            "C",
            "R",
            "1",
        ] {
            assert!(!interpret(w).twilio_handles, "{w}");
        }
        assert_eq!(interpret("arrêt").reply, Reply::OptOut);
        assert_eq!(interpret("merci"), OTHER);
    }

    #[test]
    fn the_lists_are_as_they_compare() {
        for (words, ..) in LISTS {
            for w in *words {
                assert_eq!(fold(w), *w, "a listed word would never match");
            }
        }
        for w in SHARED {
            assert!(LISTS.iter().any(|(words, ..)| words.contains(w)), "{w}");
        }
    }

    #[test]
    fn no_word_is_in_two_lists() {
        let all: Vec<&str> = LISTS
            .iter()
            .flat_map(|(words, ..)| words.iter().copied())
            .collect();
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len());
    }
}
