//! The words exports use for yes and no, languages, and what became of an appointment
//! (cancelled, cancelled by the clinic, missed) (docs/exports.md), built in and added to by the
//! clinic (`[csv.values]`).

pub const YES: [&str; 9] = ["yes", "y", "true", "t", "1", "x", "oui", "o", "vrai"];
pub const NO: [&str; 9] = ["no", "n", "false", "f", "0", "non", "faux", "unknown", ""];
pub const CANCELLED: [&str; 7] = [
    "cancelled",
    "canceled",
    "cancel",
    "annulé",
    "annule",
    "deleted",
    "void",
];

/// A status value meaning the patient did not come.
pub const NO_SHOW: [&str; 9] = [
    "no show",
    "no-show",
    "noshow",
    "missed",
    "absent",
    "dna",
    "did not attend",
    "fta",
    "failed to attend",
];

/// What a row's status value says became of the appointment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusWord {
    /// Cancelled (by the patient, or nobody says by whom): withdrawn without a word to them.
    Cancelled,
    /// Cancelled by the clinic: withdrawn, and the patient is told.
    ClinicCancelled,
    /// The patient did not come.
    NoShow,
}

/// The words of one export, built-in ones and the clinic's, lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Words {
    yes: Vec<String>,
    no: Vec<String>,
    cancelled: Vec<String>,
    /// None built in: a clinic names the words its system uses.
    clinic_cancelled: Vec<String>,
    no_show: Vec<String>,
}

impl Default for Words {
    fn default() -> Self {
        let built_in = |list: &[&str]| list.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        Words {
            yes: built_in(&YES),
            no: built_in(&NO),
            cancelled: built_in(&CANCELLED),
            clinic_cancelled: Vec::new(),
            no_show: built_in(&NO_SHOW),
        }
    }
}

fn lower(word: &str) -> String {
    word.trim().to_lowercase()
}

/// Which list a clinic's word was added to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meaning {
    Yes,
    No,
}

/// A clinic's word that already means the opposite: a yes word of the clinic's that is a
/// built-in no word, or the reverse, or a word the clinic added to both lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contradiction {
    /// The word as the clinic wrote it, and the list it was added to.
    pub word: String,
    pub added_as: Meaning,
    /// The clinic's own word of the other meaning (as written) it matches; `None` when it is a
    /// built-in word of the other meaning.
    pub clinic_other: Option<String>,
}

impl Words {
    /// The built-in words plus the clinic's own, or the first of the clinic's words that already
    /// means the opposite. Yes is looked up before no, so such a word would silently keep one
    /// meaning (a clinic's `no = ["O"]` stays the built-in French "o", yes, and those patients
    /// are texted); whichever meaning it was meant to have, someone must decide.
    pub fn with(
        yes: &[String],
        no: &[String],
        cancelled: &[String],
    ) -> Result<Words, Contradiction> {
        let mut w = Words::default();
        let opposite = |added_as, word: &String, built_in: &[String], clinic: &[String]| {
            let l = lower(word);
            if built_in.contains(&l) {
                return Some(Contradiction {
                    word: word.clone(),
                    added_as,
                    clinic_other: None,
                });
            }
            clinic
                .iter()
                .find(|c| lower(c) == l)
                .map(|c| Contradiction {
                    word: word.clone(),
                    added_as,
                    clinic_other: Some(c.clone()),
                })
        };
        for word in yes {
            if let Some(c) = opposite(Meaning::Yes, word, &w.no, &[]) {
                return Err(c);
            }
        }
        for word in no {
            if let Some(c) = opposite(Meaning::No, word, &w.yes, yes) {
                return Err(c);
            }
        }
        w.yes.extend(yes.iter().map(|x| lower(x)));
        w.no.extend(no.iter().map(|x| lower(x)));
        w.cancelled.extend(cancelled.iter().map(|x| lower(x)));
        Ok(w)
    }

    /// `Some(true)` for a yes word, `Some(false)` for a no word (empty is no), else `None`.
    pub fn yes_no(&self, raw: &str) -> Option<bool> {
        let w = raw.trim();
        if is_one_of(w, &self.yes) {
            Some(true)
        } else if is_one_of(w, &self.no) {
            Some(false)
        } else {
            None
        }
    }

    /// The clinic's words for an appointment its system cancelled and one the patient missed
    /// (`[csv.values] clinic_cancelled`, `no_show`), added to the built-in ones.
    pub fn with_status_words(mut self, clinic_cancelled: &[String], no_show: &[String]) -> Words {
        self.clinic_cancelled
            .extend(clinic_cancelled.iter().map(|x| lower(x)));
        self.no_show.extend(no_show.iter().map(|x| lower(x)));
        self
    }

    pub fn is_cancelled(&self, raw: &str) -> bool {
        self.status_word(raw) == Some(StatusWord::Cancelled)
    }

    /// What a status value says, if it is one of the words that change an appointment. The
    /// clinic's own words come first: "Cancelled by clinic" listed as clinic_cancelled is not
    /// taken for a plain cancellation.
    pub fn status_word(&self, raw: &str) -> Option<StatusWord> {
        let w = raw.trim();
        if w.is_empty() {
            None
        } else if is_one_of(w, &self.clinic_cancelled) {
            Some(StatusWord::ClinicCancelled)
        } else if is_one_of(w, &self.no_show) {
            Some(StatusWord::NoShow)
        } else if is_one_of(w, &self.cancelled) {
            Some(StatusWord::Cancelled)
        } else {
            None
        }
    }

    /// What a person reads after "is not yes or no": the words that are.
    pub fn accepted(&self) -> String {
        let shown = |list: &[String]| {
            list.iter()
                .filter(|w| !w.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join("/")
        };
        format!(
            "yes: {}; no: {}, or empty",
            shown(&self.yes),
            shown(&self.no)
        )
    }
}

/// Whether `w` (trimmed) is one of `words` (lower-case), in any case. These run several times
/// on every row of an import: an ASCII value (nearly all) is compared without being lowered
/// into a new string.
fn is_one_of<S: AsRef<str>>(w: &str, words: &[S]) -> bool {
    if w.is_ascii() {
        words.iter().any(|x| x.as_ref().eq_ignore_ascii_case(w))
    } else {
        let lower = w.to_lowercase();
        words.iter().any(|x| x.as_ref() == lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_and_no_words() {
        let w = Words::with(&["X ".into(), "Sí".into()], &["Unknown".into()], &[]).unwrap();
        for (raw, want) in [
            ("Yes", Some(true)),
            ("TRUE", Some(true)),
            (" y ", Some(true)),
            ("1", Some(true)),
            ("x", Some(true)),
            ("Oui", Some(true)),
            ("O", Some(true)),
            ("vrai", Some(true)),
            ("sí", Some(true)),
            ("SÍ", Some(true)),
            ("No", Some(false)),
            ("f", Some(false)),
            ("0", Some(false)),
            ("Non", Some(false)),
            ("FAUX", Some(false)),
            ("Unknown", Some(false)),
            ("", Some(false)),
            ("  ", Some(false)),
            ("maybe", None),
            ("2", None),
        ] {
            assert_eq!(w.yes_no(raw), want, "{raw:?}");
        }
        assert!(w.accepted().starts_with("yes: yes/y/true"));
    }

    #[test]
    fn a_word_that_already_means_the_opposite_is_refused() {
        let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let refused = |yes: &[&str], no: &[&str]| Words::with(&words(yes), &words(no), &[]);
        let built_in = |word: &str, added_as| {
            Err(Contradiction {
                word: word.into(),
                added_as,
                clinic_other: None,
            })
        };
        assert_eq!(refused(&[], &["O"]), built_in("O", Meaning::No));
        assert_eq!(refused(&[], &[" Vrai "]), built_in(" Vrai ", Meaning::No));
        assert_eq!(refused(&["n"], &[]), built_in("n", Meaning::Yes));
        assert_eq!(refused(&["FAUX"], &[]), built_in("FAUX", Meaning::Yes));
        // Empty is a built-in no.
        assert_eq!(refused(&[""], &[]), built_in("", Meaning::Yes));
        assert_eq!(
            refused(&["Sí"], &["maybe", "SÍ"]),
            Err(Contradiction {
                word: "SÍ".into(),
                added_as: Meaning::No,
                clinic_other: Some("Sí".into()),
            })
        );
        // Repeating a built-in word with its own meaning is harmless.
        assert!(refused(&["Y", "oui"], &["N", "unknown", "N/A"]).is_ok());
    }

    #[test]
    fn cancelled_words() {
        let w = Words::with(&[], &[], &["Annulé par patient".into()]).unwrap();
        for raw in [
            "Cancelled",
            "CANCELED",
            "annulé",
            "Annule",
            "void",
            "annulé par patient",
            "ANNULÉ PAR PATIENT",
            "ANNULÉ",
        ] {
            assert!(w.is_cancelled(raw), "{raw}");
        }
        for raw in ["", "Booked", "Confirmed", "cancelled?"] {
            assert!(!w.is_cancelled(raw), "{raw}");
        }
    }
}
