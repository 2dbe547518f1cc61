//! `[csv]`, `[csv.columns]` and `[csv.values]` (docs/exports.md): how the clinic's export is read.

use anyhow::Result;

use super::layers::Layers;
use crate::domain::columns::{FIELDS, Field, Mapping};
use crate::domain::datetime::SlashOrder;
use crate::domain::values::Words;
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

pub fn load(l: &Layers<'_>) -> Result<Csv> {
    let delimiter = l.get("csv.delimiter", None, |s| match s {
        "auto" | "" => Ok(None),
        "tab" | "\\t" | "\t" => Ok(Some(b'\t')),
        one if one.len() == 1 && one.is_ascii() && one != "\"" => Ok(Some(one.as_bytes()[0])),
        _ => Err("must be \"auto\", \"tab\" or one character such as \",\" or \";\"".into()),
    })?;
    let dates = l.get("csv.dates", Dates::Auto, |s| {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Dates::Auto);
        }
        SlashOrder::from_word(s)
            .map(Dates::Fixed)
            .ok_or_else(|| "must be \"auto\", \"mdy\", \"dmy\" or \"ymd\"".into())
    })?;
    let snapshot = l.get("csv.snapshot", false, super::values::boolean)?;
    let mut mapping = Mapping::default();
    for field in FIELDS {
        let key = format!("csv.columns.{}", field.name());
        if let Some(headers) = l.words(&key)? {
            if headers.is_empty() || headers.iter().any(|h| h.trim().is_empty()) {
                return Err(usage(format!(
                    "configuration key `{key}`: a header name must not be empty"
                )));
            }
            mapping.map(field, &headers);
        }
    }
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
    );
    Ok(Csv {
        delimiter,
        dates,
        snapshot,
        mapping,
        words,
    })
}
