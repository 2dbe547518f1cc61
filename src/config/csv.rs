//! `[csv]`, `[csv.columns]` and `[csv.values]` (docs/exports.md): how the clinic's export is read.

use anyhow::Result;

use super::layers::Layers;
use crate::domain::columns::{FIELDS, Field, Mapping};
use crate::domain::datetime::SlashOrder;
use crate::domain::values::{Contradiction, Meaning, NO, Words, YES};
use crate::exit::usage;

/// How slash dates read: decided per file from its own dates, or fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dates {
    Auto,
    Fixed(SlashOrder),
}

#[derive(Clone, Debug)]
pub struct Csv {
    /// `None`: comma, semicolon or tab, decided from the header line.
    pub delimiter: Option<u8>,
    pub dates: Dates,
    /// Each file lists every appointment of every date it holds: a stored one it no longer
    /// lists is withdrawn (docs/exports.md, "Moved, cancelled and withdrawn").
    pub snapshot: bool,
    pub mapping: Mapping,
    pub words: Words,
}

/// `[csv] delimiter`, as written (a tab is a tab, not a space to trim): `None` for "auto". Only a
/// tab or a punctuation character can separate fields: a line end would make every field a row,
/// the quote is what encloses a field holding the delimiter, and a letter or digit would cut ids,
/// dates and phone numbers apart.
fn delimiter(raw: &str) -> std::result::Result<Option<u8>, String> {
    const CHOICES: &str =
        "use \"auto\", \"tab\" or one punctuation character such as \",\", \";\" or \"|\"";
    if raw == "\t" {
        return Ok(Some(b'\t'));
    }
    if raw.contains(['\n', '\r']) {
        return Err(format!(
            "a line end cannot separate fields (it ends a row): {CHOICES}"
        ));
    }
    let s = raw.trim();
    match s.as_bytes() {
        b"auto" => Ok(None),
        b"" if raw.is_empty() => Ok(None),
        b"tab" | b"\\t" => Ok(Some(b'\t')),
        [] => Err(format!(
            "a space cannot separate fields (headers such as \"Appt Date\" hold spaces): {CHOICES}"
        )),
        [b'"'] => Err(format!(
            "the quote \" cannot separate fields (it encloses a field that holds the delimiter): {CHOICES}"
        )),
        [one] if one.is_ascii_alphanumeric() => Err(format!(
            "a letter or digit cannot separate fields (it would cut ids, dates and phone numbers apart): {CHOICES}"
        )),
        [one] if one.is_ascii_punctuation() => Ok(Some(*one)),
        _ => Err(format!("is not a delimiter this program reads: {CHOICES}")),
    }
}

/// Why a clinic's consent word is refused, naming its key and the word it clashes with.
fn contradiction(l: &Layers<'_>, c: &Contradiction) -> String {
    let (key, other_key, meaning, other) = match c.added_as {
        Meaning::Yes => ("csv.values.yes", "csv.values.no", "yes", "no"),
        Meaning::No => ("csv.values.no", "csv.values.yes", "no", "yes"),
    };
    let source = l
        .value(key)
        .map(|(_, s)| format!(" from {s}"))
        .unwrap_or_default();
    let word = if c.word.trim().is_empty() {
        format!("{:?} (empty)", c.word)
    } else {
        format!("{:?}", c.word)
    };
    let clash = match &c.clinic_other {
        None => {
            let built_in = match c.added_as {
                Meaning::Yes => &NO[..],
                Meaning::No => &YES[..],
            };
            let shown: Vec<&str> = built_in
                .iter()
                .map(|w| if w.is_empty() { "empty" } else { w })
                .collect();
            format!(
                "is a built-in {other} word (built in as {other}: {})",
                shown.join(", ")
            )
        }
        Some(as_written) => format!("is also in `{other_key}` (as {as_written:?})"),
    };
    format!(
        "configuration key `{key}`{source}: {word} {clash}, and a value cannot mean both {meaning} and {other}: which it means decides whether patients are called or texted, so remove it from one list (or have the export write another word)"
    )
}

/// A `[… .columns]` table: each field's header, or list of headers (the first valid value
/// wins), refusing empty names and two fields read from one column.
pub(super) fn mapping(l: &Layers<'_>, section: &str, fields: &[Field]) -> Result<Mapping> {
    let mut mapping = Mapping::default();
    for &field in fields {
        let key = format!("{section}.{}", field.name());
        if let Some(headers) = l.words(&key)? {
            if headers.is_empty() || headers.iter().any(|h| h.trim().is_empty()) {
                return Err(usage(format!(
                    "configuration key `{key}`: a header name must not be empty"
                )));
            }
            mapping.map(field, &headers);
        }
    }
    if let Some(shared) = mapping.shared_column() {
        let ((first, as_first), (second, as_second)) = (shared.first, shared.second);
        let written = if as_first == as_second {
            format!("\"{as_first}\"")
        } else {
            format!(
                "\"{as_first}\" and \"{as_second}\", one column (headers match whatever their case and punctuation)"
            )
        };
        return Err(usage(format!(
            "[{section}]: {first} and {second} are both mapped to {written}: a column holds one field, or each row's value there would be read as both; map each field to its own column"
        )));
    }
    Ok(mapping)
}

pub fn load(l: &Layers<'_>) -> Result<Csv> {
    let delimiter = l.get_exact("csv.delimiter", None, delimiter)?;
    let dates = l.get("csv.dates", Dates::Auto, |s| {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Dates::Auto);
        }
        SlashOrder::from_word(s)
            .map(Dates::Fixed)
            .ok_or_else(|| "must be \"auto\", \"mdy\", \"dmy\" or \"ymd\"".into())
    })?;
    let snapshot = l.get("csv.snapshot", false, super::values::boolean)?;
    let mut mapping = mapping(l, "csv.columns", &FIELDS)?;
    if mapping.is_mapped(Field::ApptDateTime)
        && (mapping.is_mapped(Field::ApptDate) || mapping.is_mapped(Field::ApptTime))
    {
        return Err(usage(
            "[csv.columns]: map either appt_date_time, or appt_date and appt_time, not both",
        ));
    }
    if let Some(call_only) = l.words("csv.call_only")? {
        // A header that is no phone column would silently text a landline: say so instead.
        let phones = mapping.phone_headers();
        if let Some(stray) = call_only
            .iter()
            .find(|h| !phones.contains(&crate::domain::columns::normalise_header(h)))
        {
            return Err(usage(format!(
                "configuration key `csv.call_only`: \"{stray}\" is not one of the phone_number columns ([csv.columns] phone_number)"
            )));
        }
        mapping.set_call_only(&call_only);
    }
    let list = |key: &str| -> Result<Vec<String>> { Ok(l.words(key)?.unwrap_or_default()) };
    let words = Words::with(
        &list("csv.values.yes")?,
        &list("csv.values.no")?,
        &list("csv.values.cancelled")?,
    )
    .map_err(|c| usage(contradiction(l, &c)))?
    .with_status_words(
        &list("csv.values.clinic_cancelled")?,
        &list("csv.values.no_show")?,
    );
    Ok(Csv {
        delimiter,
        dates,
        snapshot,
        mapping,
        words,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_that_can_separate_fields() {
        for (raw, want) in [
            ("auto", None),
            (" auto ", None),
            ("", None),
            ("tab", Some(b'\t')),
            ("\\t", Some(b'\t')),
            ("\t", Some(b'\t')),
            (",", Some(b',')),
            (" ; ", Some(b';')),
            ("|", Some(b'|')),
        ] {
            assert_eq!(delimiter(raw), Ok(want), "{raw:?}");
        }
        for (raw, why) in [
            ("\n", "a line end"),
            ("\r", "a line end"),
            ("\r\n", "a line end"),
            ("\"", "the quote"),
            ("a", "a letter or digit"),
            ("Z", "a letter or digit"),
            ("1", "a letter or digit"),
            (" ", "a space"),
            ("\u{1f}", "is not a delimiter"),
            ("é", "is not a delimiter"),
            (",;", "is not a delimiter"),
        ] {
            let err = delimiter(raw).unwrap_err();
            assert!(err.starts_with(why), "{raw:?}: {err}");
        }
    }
}
