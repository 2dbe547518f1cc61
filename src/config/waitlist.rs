//! `[waitlist]` (docs/waitlist.md): which files of the drop folder are the waitlist, and how a
//! freed slot is offered to it.

use anyhow::Result;

use super::layers::Layers;
use super::values::whole;
use crate::domain::columns::{Mapping, WAITLIST_FIELDS};
use crate::exit::usage;

/// What frees a slot: the patient asked to cancel or reschedule, or a later export cancelled
/// the appointment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenFrom {
    CancelRequested,
    Cancelled,
}

impl OpenFrom {
    fn parse(word: &str) -> Option<OpenFrom> {
        match word.trim() {
            "cancel_requested" => Some(OpenFrom::CancelRequested),
            "cancelled" => Some(OpenFrom::Cancelled),
            _ => None,
        }
    }
}

/// A field a slot and a waiting patient must agree on where both have a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchField {
    Provider,
    VisitType,
}

impl MatchField {
    fn parse(word: &str) -> Option<MatchField> {
        match word.trim() {
            "provider" => Some(MatchField::Provider),
            "visit_type" => Some(MatchField::VisitType),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Waitlist {
    /// The drop folder's waitlist files: a name pattern where `*` is any run of characters.
    pub files: String,
    /// No offer for a slot that starts sooner than this; an open slot closes when it comes.
    pub min_notice: chrono::Duration,
    pub wave_size: u32,
    pub wave_minutes: i64,
    pub max_offers: u32,
    pub open_from: Vec<OpenFrom>,
    pub match_fields: Vec<MatchField>,
    /// `[waitlist.columns]`: which column of a waitlist file holds which field.
    pub columns: Mapping,
}

impl Default for Waitlist {
    fn default() -> Waitlist {
        Waitlist {
            files: "waitlist*.csv".into(),
            min_notice: chrono::Duration::hours(2),
            wave_size: 3,
            wave_minutes: 10,
            max_offers: 15,
            open_from: vec![OpenFrom::CancelRequested],
            match_fields: vec![MatchField::Provider, MatchField::VisitType],
            columns: Mapping::default(),
        }
    }
}

impl Waitlist {
    pub fn opens_from(&self, o: OpenFrom) -> bool {
        self.open_from.contains(&o)
    }

    pub fn matches_on(&self, f: MatchField) -> bool {
        self.match_fields.contains(&f)
    }

    /// Whether `name` (a file name, no folder) is a waitlist file.
    pub fn is_waitlist_file(&self, name: &str) -> bool {
        glob_matches(&self.files.to_ascii_lowercase(), &name.to_ascii_lowercase())
    }
}

/// `pattern` against `name`, `*` standing for any run of characters (none included).
fn glob_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

fn list<T>(
    l: &Layers<'_>,
    key: &str,
    default: Vec<T>,
    parse: impl Fn(&str) -> Option<T>,
    accepted: &str,
) -> Result<Vec<T>> {
    let Some(words) = l.words(key)? else {
        return Ok(default);
    };
    words
        .iter()
        .map(|w| {
            parse(w).ok_or_else(|| {
                usage(format!(
                    "configuration key `{key}`: {w:?} is not one of {accepted}"
                ))
            })
        })
        .collect()
}

pub(super) fn load(l: &Layers<'_>) -> Result<Waitlist> {
    let files = l.get("waitlist.files", "waitlist*.csv".to_string(), |s| {
        if s.is_empty() || s.contains('/') || s.contains('\\') {
            Err("must be a file name pattern in the drop folder, e.g. \"waitlist*.csv\"".into())
        } else {
            Ok(s.to_string())
        }
    })?;
    Ok(Waitlist {
        files,
        min_notice: chrono::Duration::hours(l.get(
            "waitlist.min_notice_hours",
            2,
            whole(0i64, 24 * 30),
        )?),
        wave_size: l.get("waitlist.wave_size", 3, whole(1u32, 100))?,
        wave_minutes: l.get("waitlist.wave_minutes", 10, whole(1i64, 24 * 60))?,
        max_offers: l.get("waitlist.max_offers", 15, whole(1u32, 1000))?,
        open_from: list(
            l,
            "waitlist.open_from",
            vec![OpenFrom::CancelRequested],
            OpenFrom::parse,
            "\"cancel_requested\", \"cancelled\"",
        )?,
        match_fields: list(
            l,
            "waitlist.match",
            vec![MatchField::Provider, MatchField::VisitType],
            MatchField::parse,
            "\"provider\", \"visit_type\"",
        )?,
        columns: super::csv::mapping(l, "waitlist.columns", &WAITLIST_FIELDS)?,
    })
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn a_pattern_takes_any_run_of_characters_for_its_star() {
        assert!(glob_matches("waitlist*.csv", "waitlist.csv"));
        assert!(glob_matches(
            "waitlist*.csv",
            "waitlist-bloor-2026-11-24.csv"
        ));
        assert!(!glob_matches("waitlist*.csv", "appointments.csv"));
        assert!(!glob_matches("waitlist*.csv", "waitlist.csv.bak"));
        assert!(glob_matches("asap.csv", "asap.csv"));
        assert!(glob_matches("*wait*list*", "my-waiting-list.txt"));
        assert!(!glob_matches("a*a", "a"));
    }
}
