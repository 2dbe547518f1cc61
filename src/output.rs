//! Status views for people (tables) and for scripts (JSON, CSV). A view is a header and rows of
//! text for the first and last, and a serde value for JSON, so every format shows the same data.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use tabled::builder::Builder;
use tabled::settings::Style;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

pub struct View<'a, T: Serialize> {
    pub title: &'a str,
    pub header: &'a [&'a str],
    pub rows: Vec<Vec<String>>,
    /// The records behind the rows, for `--json`.
    pub records: &'a [T],
}

pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut b = Builder::default();
    b.push_record(header.iter().map(|h| h.to_string()));
    for row in rows {
        b.push_record(row.clone());
    }
    let mut t = b.build();
    t.with(Style::sharp());
    t.to_string()
}

pub fn write<T: Serialize>(out: &mut impl Write, format: Format, view: &View<'_, T>) -> Result<()> {
    match format {
        Format::Table => {
            if !view.title.is_empty() {
                writeln!(out, "{}", view.title)?;
            }
            if view.rows.is_empty() {
                writeln!(out, "(none)")?;
            } else {
                writeln!(out, "{}", table(view.header, &view.rows))?;
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, view.records)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            w.write_record(view.header)?;
            for row in &view.rows {
                w.write_record(row.iter().map(|c| spreadsheet_safe(c).into_owned()))?;
            }
            w.flush()?;
        }
    }
    Ok(())
}

/// A CSV cell a spreadsheet will not run as a formula: patients' words and export values reach
/// these files, so a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'` (OWASP's advice for CSV injection).
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{cell}")),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

pub fn opt(v: &Option<impl ToString>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_that_a_spreadsheet_would_run_are_defused() {
        for (cell, want) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+14165550101", "'+14165550101"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Oui", "Oui"),
            ("", ""),
        ] {
            assert_eq!(super::spreadsheet_safe(cell), want, "{cell:?}");
        }
    }
}
