//! The reading side of an import: records from the file, in its encoding, against the row
//! rules, into batches of rows to store, to withdraw or to reject. Runs on its own thread while
//! the storing side writes the previous batch.

use std::borrow::Cow;

use super::decode;
use super::layout::Layout;
use super::records::{RawRecord, Read};
use super::site_days::SiteDays;
use super::survey::Encoding;
use crate::db::appointments::NewAppointment;
use crate::domain::row::{RowContext, SpokenFallback, Verdict};
use crate::domain::values::StatusWord;

/// A row the rules refused, with what a person needs to fix it.
#[derive(Debug)]
pub struct Rejected {
    pub row: u64,
    /// The row as JSON, every column under its header (phone numbers are masked when shown).
    pub data: String,
    pub reason: String,
}

/// One data row, in file order. Nearly every row is a `Keep`: boxing it to shrink the rare
/// variants would allocate once more per row of a million-row import.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Item {
    Keep(NewAppointment),
    /// A status value that changes what is stored (cancelled, cancelled by the clinic, missed).
    Cancel {
        appointment_id: String,
        patient_id: String,
        news: StatusWord,
        row: u64,
    },
    Reject(Rejected),
    /// A row the storing side has taken out for a moment (to insert it without a copy).
    Lent,
}

/// What the rows told the import beyond the rows themselves.
#[derive(Debug, Default)]
pub struct Seen {
    /// Local dates (with their site) of every valid row, stored or not: a snapshot file speaks
    /// for these days.
    pub days: SiteDays,
    /// Language values that named no language we speak, with how often.
    pub unknown_languages: Vec<(String, u64)>,
    /// Rows in a text-only language that asked for a call: the language, what was done
    /// instead ("texted", "called in en"), how often.
    pub spoken_fallbacks: Vec<(String, String, u64)>,
}

impl Item {
    /// About how much memory the item holds beyond itself: batches are cut by it as well as by
    /// their number of rows, so a file of huge rows keeps as little in flight as one of small.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Item::Keep(new) => {
                let a = &new.appt;
                new.at.len()
                    + a.appointment_id.len()
                    + a.patient_id.len()
                    + a.phone_number.len()
                    + a.message.len()
                    + a.site.len()
                    + a.data.as_ref().map_or(0, String::len)
                    + a.provider.as_ref().map_or(0, String::len)
                    + a.visit_type.as_ref().map_or(0, String::len)
                    + a.unknown_language.as_ref().map_or(0, String::len)
            }
            Item::Cancel {
                appointment_id,
                patient_id,
                ..
            } => appointment_id.len() + patient_id.len(),
            Item::Reject(r) => r.data.len() + r.reason.len(),
            Item::Lent => 0,
        }
    }
}

impl Seen {
    fn spoken_fallback(&mut self, language: &str, done: &str) {
        match self
            .spoken_fallbacks
            .iter_mut()
            .find(|(l, d, _)| l == language && d == done)
        {
            Some((_, _, n)) => *n += 1,
            None => self
                .spoken_fallbacks
                .push((language.to_string(), done.to_string(), 1)),
        }
    }

    fn language(&mut self, value: &str) {
        match self.unknown_languages.iter_mut().find(|(v, _)| v == value) {
            Some((_, n)) => *n += 1,
            None => self.unknown_languages.push((value.to_string(), 1)),
        }
    }
}

/// Turns records into items; holds the decoded fields of the current row between calls.
pub struct Checker<'a> {
    pub rules: &'a RowContext<'a>,
    pub layout: &'a Layout,
    pub encoding: Encoding,
    pub seen: Seen,
}

impl Checker<'_> {
    /// The item for one record, or `None` for the header, the lines above it and blank lines.
    pub fn item(&mut self, rec: &RawRecord, read: Read) -> Option<Item> {
        let cols = &self.layout.columns;
        let shape = Shape {
            header_row: self.layout.header_row,
            names: &cols.names,
            not_read: &cols.extra,
            delimiter: self.layout.delimiter,
            encoding: self.encoding,
            what: "no appointment",
        };
        let texts = match row_texts(rec, read, &shape)? {
            Ok(texts) => texts,
            Err(reason) => return Some(self.reject(rec, reason)),
        };
        match self.rules.check(|i| texts.get(i).map(|t| t.as_ref())) {
            Verdict::Keep(appt) => {
                if let Some(value) = &appt.unknown_language {
                    self.seen.language(value);
                }
                match appt.spoken_fallback {
                    Some(SpokenFallback::Texted) => {
                        self.seen.spoken_fallback(appt.language.code(), "texted");
                    }
                    Some(SpokenFallback::CalledInDefault(asked)) => {
                        let done = format!("called in {}", appt.language);
                        self.seen.spoken_fallback(asked.code(), &done);
                    }
                    None => {}
                }
                self.seen.days.add(&appt.site, appt.local_date);
                Some(Item::Keep(NewAppointment {
                    at: crate::clock::db_time(appt.at),
                    appt: *appt,
                    moved_from: None,
                    row: rec.row as i64,
                }))
            }
            Verdict::Cancel {
                appointment_id,
                patient_id,
                news,
            } => Some(Item::Cancel {
                appointment_id,
                patient_id,
                news,
                row: rec.row,
            }),
            Verdict::Fail(reason) => Some(self.reject(rec, reason)),
        }
    }

    fn reject(&self, rec: &RawRecord, reason: String) -> Item {
        Item::Reject(Rejected {
            row: rec.row,
            data: row_json(&self.layout.columns.names, rec, self.encoding),
            reason: crate::mask::phones_in(&reason),
        })
    }
}

/// What reading a row needs to know of its file.
pub struct Shape<'a> {
    pub header_row: u64,
    /// The header as written.
    pub names: &'a [String],
    /// Columns no field reads: bytes there that are not valid text do not fail the row.
    pub not_read: &'a [usize],
    pub delimiter: u8,
    pub encoding: Encoding,
    /// What a row too long to read may be instead ("no appointment").
    pub what: &'a str,
}

/// A data row's fields as text, or why the row cannot be read (too long, a quote never
/// closed, more fields than the header, bytes not valid in the file's encoding); `None` for
/// the header, the lines above it and blank lines. The rules every file read like an export
/// shares.
pub fn row_texts<'r>(
    rec: &'r RawRecord,
    read: Read,
    shape: &Shape<'_>,
) -> Option<Result<Vec<Cow<'r, str>>, String>> {
    if rec.row <= shape.header_row {
        return None;
    }
    let width = shape.names.len();
    if let Read::TooLong { bytes } = read {
        return Some(Err(format!(
            "the row is {} long, more than the {} a row may have: it was not read (did the export lose its line ends, or hold something that is {}?)",
            super::records::size_shown(bytes),
            super::records::max_record_shown(),
            shape.what
        )));
    }
    if let Read::UnclosedQuote { field } = read {
        let name = shape.names.get(field).map_or("a field", String::as_str);
        return Some(Err(format!(
            "a quote opened in {name} (field {}) is never closed on this line: the row cannot be read (a stray \" in a value?); the lines after it were read as rows of their own",
            field + 1
        )));
    }
    if rec.is_blank() {
        return None;
    }
    if rec.len() > width {
        return Some(Err(format!(
            "{} fields where the header has {}: is there an unquoted {} in a value? Nothing of the row was stored, so no value lands in the wrong column",
            rec.len(),
            width,
            super::layout::delimiter_name(shape.delimiter)
        )));
    }
    let mut texts: Vec<Cow<'r, str>> = Vec::with_capacity(rec.len());
    let mut damaged = Vec::new();
    // The whole record checked at once, when its bytes are their own text (valid UTF-8,
    // or ASCII in a Windows-1252 file): one check instead of one per field. A field the
    // whole cannot be cut at (a character split between two fields) is checked alone.
    let whole = match shape.encoding {
        Encoding::Windows1252 if !rec.bytes().is_ascii() => None,
        _ => std::str::from_utf8(rec.bytes()).ok(),
    };
    for (i, bytes) in rec.fields().enumerate() {
        if let Some(text) = whole.and_then(|w| w.get(rec.span(i)?)) {
            texts.push(Cow::Borrowed(text));
            continue;
        }
        match decode::text(bytes, shape.encoding) {
            Some(t) => texts.push(t),
            None => {
                if !shape.not_read.contains(&i) {
                    damaged.push(shape.names.get(i).cloned().unwrap_or_default());
                }
                texts.push(decode::lossy(bytes, shape.encoding));
            }
        }
    }
    if !damaged.is_empty() {
        return Some(Err(format!(
            "{} {} bytes that are not valid {} (the encoding of the rest of the file): the export is damaged at this row",
            damaged.join(", "),
            if damaged.len() == 1 { "has" } else { "have" },
            shape.encoding.name()
        )));
    }
    Some(Ok(texts))
}

/// Fields past the header's kept with a row that has too many (enough to see where the values
/// shifted; a row can hold a hundred thousand).
const EXTRA_FIELDS_KEPT: usize = 10;

/// The row as stored for a person to fix: every column under its header name, and up to
/// `EXTRA_FIELDS_KEPT` fields past them, with how many more were left out.
pub fn row_json(header: &[String], rec: &RawRecord, encoding: Encoding) -> String {
    let mut map = serde_json::Map::new();
    let keep = header.len() + EXTRA_FIELDS_KEPT;
    if rec.len() > keep {
        map.insert(
            "more_fields".to_string(),
            serde_json::Value::String(format!("{} more fields not kept", rec.len() - keep)),
        );
    }
    for (i, bytes) in rec.fields().take(keep).enumerate() {
        let mut key = header
            .get(i)
            .map(|h| h.trim())
            .filter(|h| !h.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("column_{}", i + 1));
        if map.contains_key(&key) {
            key = format!("{key}_{}", i + 1);
        }
        map.insert(
            key,
            serde_json::Value::String(decode::lossy(bytes, encoding).into_owned()),
        );
    }
    serde_json::Value::Object(map).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::records::Records;

    #[test]
    fn a_rejected_row_keeps_its_columns_and_a_few_fields_more() {
        let header: Vec<String> = ["id", "pid", "phone"].map(String::from).to_vec();
        let line = (1..=40)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let mut records = Records::new(line.as_bytes(), b',');
        let (rec, _) = records.next().unwrap().unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&row_json(&header, &rec, Encoding::Utf8)).unwrap();
        let map = json.as_object().unwrap();
        assert_eq!(map.len(), 3 + EXTRA_FIELDS_KEPT + 1, "{json}");
        assert_eq!(map["id"], "1");
        assert_eq!(map["column_13"], "13");
        assert!(!map.contains_key("column_14"), "{json}");
        assert_eq!(map["more_fields"], "27 more fields not kept");
    }
}
