//! The shape of an export (docs/exports.md): its delimiter (comma, semicolon or tab, from the
//! header line), its header (the first line, among the first 20, that holds every required field
//! after mapping — report titles and blank lines above it are skipped), where each field sits, and
//! the order its slash dates read in.

use std::io::BufRead;

use anyhow::Result;

use super::decode;
use super::records::{RawRecord, Read, Records};
use super::survey::Encoding;
use crate::config::csv::{Csv, Dates};
use crate::domain::columns::{self, Columns};
use crate::domain::datetime::{OrderTally, SlashOrder, slash_evidence};

/// The header is looked for among this many first lines.
const HEADER_SEARCH: usize = 20;
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

#[derive(Clone, Debug)]
pub struct Layout {
    pub delimiter: u8,
    /// The spreadsheet row of the header (1 when it is the first line).
    pub header_row: u64,
    pub columns: Columns,
}

pub fn delimiter_name(d: u8) -> String {
    match d {
        b',' => "comma".into(),
        b';' => "semicolon".into(),
        b'\t' => "tab".into(),
        other => format!("'{}'", other as char),
    }
}

/// Finds the header, or says in words why the file cannot be read as an appointment list.
/// `open` gives a fresh byte stream of the file (UTF-8 or Windows-1252 bytes, no BOM).
pub fn find(
    open: &dyn Fn() -> Result<Box<dyn BufRead + Send>>,
    encoding: Encoding,
    csv: &Csv,
) -> Result<std::result::Result<Layout, String>> {
    let candidates: Vec<u8> = match csv.delimiter {
        Some(d) => vec![d],
        None => DELIMITERS.to_vec(),
    };
    // (row, delimiter, columns) of the earliest header any delimiter finds.
    let mut best: Option<Layout> = None;
    // For the error: the first non-blank line, split the way that gives it the most cells.
    let mut first_line: Option<(u8, Vec<String>, columns::Missing)> = None;
    for &delimiter in &candidates {
        let mut records = Records::new(open()?, delimiter);
        let mut rec = RawRecord::default();
        let mut first_of_this = true;
        for _ in 0..HEADER_SEARCH {
            let Some(read) = records.read_into(&mut rec)? else {
                break;
            };
            if read != Read::Record || rec.is_blank() {
                continue;
            }
            let cells: Vec<String> = rec
                .fields()
                .map(|f| decode::lossy(f, encoding).trim().to_string())
                .collect();
            match columns::resolve(&cells, &csv.mapping) {
                Ok(columns) => {
                    let better = match &best {
                        None => true,
                        Some(b) => {
                            rec.row < b.header_row
                                || (rec.row == b.header_row && columns.width() > b.columns.width())
                        }
                    };
                    if better {
                        best = Some(Layout {
                            delimiter,
                            header_row: rec.row,
                            columns,
                        });
                    }
                    break;
                }
                Err(missing) => {
                    let more_cells = first_line
                        .as_ref()
                        .is_none_or(|(_, c, _)| cells.len() > c.len());
                    if first_of_this && more_cells {
                        first_line = Some((delimiter, cells, missing));
                    }
                }
            }
            first_of_this = false;
        }
    }
    if let Some(layout) = best {
        return Ok(Ok(layout));
    }
    Ok(Err(match first_line {
        None => "the file is empty: no header row".to_string(),
        Some((delimiter, cells, missing)) => format!(
            "no header row: none of the first {HEADER_SEARCH} lines holds the columns needed ({missing}). The first line, read {}-separated, has: {}",
            delimiter_name(delimiter),
            shown_cells(&cells)
        ),
    }))
}

/// Header cells as they may be shown: what looks like a secret (a long run of letters and
/// digits, a `KEY=value`) or a phone number is hidden. A file that is not an export at all (an
/// env file dropped by mistake) must not be printed into cron mail.
pub fn shown_cells(cells: &[String]) -> String {
    let shown: Vec<String> = cells
        .iter()
        .take(30)
        .map(|c| {
            let longest_run = c
                .split(|ch: char| !ch.is_ascii_alphanumeric())
                .map(str::len)
                .max()
                .unwrap_or(0);
            if c.chars().count() > 40 || c.contains('=') || longest_run >= 20 {
                "[hidden]".to_string()
            } else {
                crate::mask::phones_in(c)
            }
        })
        .collect();
    let more = cells.len().saturating_sub(30);
    let mut text = shown.join(", ");
    if more > 0 {
        text.push_str(&format!(" … and {more} more"));
    }
    text
}

/// How the file's slash dates read, and the sentence the summary gives for it.
pub fn slash_order(
    open: &dyn Fn() -> Result<Box<dyn BufRead + Send>>,
    layout: &Layout,
    csv: &Csv,
    fallback: SlashOrder,
    file_has_slash: bool,
) -> Result<(SlashOrder, String)> {
    let order = match csv.dates {
        Dates::Fixed(order) => {
            return Ok((
                order,
                format!("{} (configured: [csv] dates)", order.describe()),
            ));
        }
        Dates::Auto => order_from_file(open, layout, file_has_slash)?,
    };
    let decision = order.decide(fallback);
    Ok((decision.order, decision.reason))
}

fn order_from_file(
    open: &dyn Fn() -> Result<Box<dyn BufRead + Send>>,
    layout: &Layout,
    file_has_slash: bool,
) -> Result<OrderTally> {
    let mut tally = OrderTally::default();
    let date_columns = layout.columns.date_columns();
    if !file_has_slash || date_columns.is_empty() {
        return Ok(tally);
    }
    let mut records = Records::new(open()?, layout.delimiter);
    let mut rec = RawRecord::default();
    while let Some(read) = records.read_into(&mut rec)? {
        if read != Read::Record || rec.row <= layout.header_row {
            continue;
        }
        for &i in &date_columns {
            if let Some(f) = rec.field(i)
                && f.contains(&b'/')
                && let Ok(text) = std::str::from_utf8(f)
            {
                tally.add(slash_evidence(text));
            }
        }
    }
    Ok(tally)
}

/// For tests: a mapping-free `Csv` with auto delimiter and dates.
#[cfg(test)]
pub fn default_csv() -> Csv {
    Csv {
        delimiter: None,
        dates: Dates::Auto,
        snapshot: false,
        mapping: crate::domain::columns::Mapping::default(),
        words: crate::domain::values::Words::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(text: &'static str, csv: &Csv) -> std::result::Result<Layout, String> {
        let open = move || -> Result<Box<dyn BufRead + Send>> { Ok(Box::new(text.as_bytes())) };
        find(&open, Encoding::Utf8, csv).unwrap()
    }

    #[test]
    fn the_header_is_found_below_titles_with_its_delimiter() {
        let csv = default_csv();
        let l = layout(
            "Rendez-vous du 25/11/2026;;;\n;;;\npatient_id;phone_number;appt_date;appt_time\nP1;416-555-0101;25/11/2026;9:30\n",
            &csv,
        )
        .unwrap();
        assert_eq!((l.delimiter, l.header_row), (b';', 3));
        let l = layout("patient_id\tphone_number\tappt_date_time\n", &csv).unwrap();
        assert_eq!(l.delimiter, b'\t');
        let l = layout("patient_id,phone_number,appt_date_time,msg\n", &csv).unwrap();
        assert_eq!((l.delimiter, l.columns.width()), (b',', 4));
    }

    #[test]
    fn a_file_that_is_no_export_says_why_without_printing_secrets() {
        let csv = default_csv();
        let why = layout(
            "TWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef\nTWILIO_ACCOUNT_SID=ACxx\n",
            &csv,
        )
        .unwrap_err();
        assert!(why.contains("no header row"), "{why}");
        assert!(!why.contains("0123456789abcdef"), "{why}");
        assert!(why.contains("[hidden]"), "{why}");
        assert_eq!(
            layout("", &csv).unwrap_err(),
            "the file is empty: no header row"
        );
    }

    #[test]
    fn one_garbage_date_does_not_decide_the_order() {
        let text = "patient_id,phone_number,appt_date_time\n\
                    P1,416-555-0101,13/45/2026 9:30\n\
                    P2,416-555-0102,25/11/2026 9:30\n\
                    P3,416-555-0103,01/12/2026 9:30\n";
        let csv = default_csv();
        let open = move || -> Result<Box<dyn BufRead + Send>> { Ok(Box::new(text.as_bytes())) };
        let l = find(&open, Encoding::Utf8, &csv).unwrap().unwrap();
        let (order, why) = slash_order(&open, &l, &csv, SlashOrder::MonthFirst, true).unwrap();
        assert_eq!(order, SlashOrder::DayFirst, "{why}");
        assert!(why.contains("1 slash date"), "{why}");
    }
}
