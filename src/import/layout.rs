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
/// The most columns an export may have. Real ones have 10 to 60, the widest a few hundred; every
/// column is kept with every row and offered to the templates, so a file of 10,000 columns (a
/// transposed sheet, or no export at all) would cost every row and every message for nothing.
pub const MAX_COLUMNS: usize = 1000;
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
    let found = find_header(
        open,
        encoding,
        csv.delimiter,
        &|cells| columns::resolve(cells, &csv.mapping),
        &Columns::width,
        "the appointment list",
    )?;
    Ok(found.map(|h| Layout {
        delimiter: h.delimiter,
        header_row: h.row,
        columns: h.columns,
    }))
}

/// A header found: its delimiter, its row, and where each field sits (`C`: an export's
/// columns or a waitlist's).
pub struct Header<C> {
    pub delimiter: u8,
    pub row: u64,
    pub columns: C,
}

/// Finds the header of any file read like an export: the first line among the first
/// `HEADER_SEARCH` that `resolve` accepts, under the delimiter given or each one tried.
/// `what` names the list the file should be, in the reasons.
pub fn find_header<C>(
    open: &dyn Fn() -> Result<Box<dyn BufRead + Send>>,
    encoding: Encoding,
    delimiter: Option<u8>,
    resolve: &dyn Fn(&[String]) -> std::result::Result<C, columns::Missing>,
    width: &dyn Fn(&C) -> usize,
    what: &str,
) -> Result<std::result::Result<Header<C>, String>> {
    let candidates: Vec<u8> = match delimiter {
        Some(d) => vec![d],
        None => DELIMITERS.to_vec(),
    };
    // (row, delimiter, columns) of the earliest header any delimiter finds.
    let mut best: Option<Header<C>> = None;
    // For the error: the first non-blank line, split the way that gives it the most cells.
    let mut first_line: Option<(u8, Vec<String>, columns::Missing)> = None;
    // And the first line too long to read, with its length.
    let mut too_long: Option<(u64, u64)> = None;
    for &delimiter in &candidates {
        let mut records = Records::new(open()?, delimiter);
        let mut rec = RawRecord::default();
        let mut first_of_this = true;
        for _ in 0..HEADER_SEARCH {
            let Some(read) = records.read_into(&mut rec)? else {
                break;
            };
            if let Read::TooLong { bytes } = read {
                too_long.get_or_insert((rec.row, bytes));
            }
            if read != Read::Record || rec.is_blank() {
                continue;
            }
            let cells: Vec<String> = rec
                .fields()
                .map(|f| decode::lossy(f, encoding).trim().to_string())
                .collect();
            match resolve(&cells) {
                Ok(columns) => {
                    let better = match &best {
                        None => true,
                        Some(b) => {
                            rec.row < b.row
                                || (rec.row == b.row && width(&columns) > width(&b.columns))
                        }
                    };
                    if better {
                        best = Some(Header {
                            delimiter,
                            row: rec.row,
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
    if let Some(header) = best {
        if width(&header.columns) > MAX_COLUMNS {
            return Ok(Err(format!(
                "the header (row {}) has {} columns, more than the {MAX_COLUMNS} an export may have: is this {what} (a sheet turned on its side?)",
                header.row,
                width(&header.columns)
            )));
        }
        return Ok(Ok(header));
    }
    let unread = too_long.map(|(row, bytes)| {
        format!(
            "line {row} is {} long, more than the {} a line may have, and was not read (a file that lost its line ends, or no export at all?)",
            super::records::size_shown(bytes),
            super::records::max_record_shown()
        )
    });
    Ok(Err(match (first_line, unread) {
        (None, None) => "the file is empty: no header row".to_string(),
        (None, Some(unread)) => format!(
            "no header row: {unread}; no other line among the first {HEADER_SEARCH} holds the columns needed"
        ),
        (Some((delimiter, cells, missing)), unread) => format!(
            "no header row: none of the first {HEADER_SEARCH} lines holds the columns needed ({missing}). The first line, read {}-separated, has: {}{}",
            delimiter_name(delimiter),
            shown_cells(&cells),
            unread.map(|u| format!(". And {u}")).unwrap_or_default()
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
    let date_columns = layout.columns.date_columns();
    slash_order_of(
        open,
        layout.delimiter,
        layout.header_row,
        &date_columns,
        csv,
        fallback,
        file_has_slash,
    )
}

/// [`slash_order`] for any file read like an export: its slash dates in `date_columns`, in the
/// rows below `header_row`.
pub fn slash_order_of(
    open: &dyn Fn() -> Result<Box<dyn BufRead + Send>>,
    delimiter: u8,
    header_row: u64,
    date_columns: &[usize],
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
        Dates::Auto => order_from_file(open, delimiter, header_row, date_columns, file_has_slash)?,
    };
    let decision = order.decide(fallback);
    Ok((decision.order, decision.reason))
}

fn order_from_file(
    open: &dyn Fn() -> Result<Box<dyn BufRead + Send>>,
    delimiter: u8,
    header_row: u64,
    date_columns: &[usize],
    file_has_slash: bool,
) -> Result<OrderTally> {
    let mut tally = OrderTally::default();
    if !file_has_slash || date_columns.is_empty() {
        return Ok(tally);
    }
    let mut records = Records::new(open()?, delimiter);
    let mut rec = RawRecord::default();
    while let Some(read) = records.read_into(&mut rec)? {
        if read != Read::Record || rec.row <= header_row {
            continue;
        }
        for &i in date_columns {
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
    fn a_header_of_more_columns_than_the_cap_is_refused() {
        let csv = default_csv();
        let header = |extra: usize| -> &'static str {
            let names: Vec<String> = (0..extra).map(|i| format!("x{i}")).collect();
            format!(
                "patient_id,phone_number,appt_date_time,{}\n",
                names.join(",")
            )
            .leak()
        };
        assert_eq!(
            layout(header(MAX_COLUMNS - 3), &csv)
                .unwrap()
                .columns
                .width(),
            MAX_COLUMNS
        );
        assert_eq!(
            layout(header(MAX_COLUMNS - 2), &csv).unwrap_err(),
            "the header (row 1) has 1001 columns, more than the 1000 an export may have: is this the appointment list (a sheet turned on its side?)"
        );
    }

    #[test]
    fn a_line_too_long_to_read_is_named_when_no_header_is_found() {
        let csv = default_csv();
        let long: &'static str = "a,".repeat(super::super::records::MAX_RECORD_BYTES).leak();
        let why = layout(long, &csv).unwrap_err();
        assert!(
            why.starts_with("no header row: line 1 is 512 KiB long, more than the 256 KiB a line may have, and was not read"),
            "{why}"
        );
        // Above the header it is skipped like a title line: the header is still found.
        let text: &'static str =
            format!("Report\n{long}\npatient_id,phone_number,appt_date_time\n").leak();
        assert_eq!(layout(text, &csv).unwrap().header_row, 3);
        let text: &'static str = format!("Report,x\n{long}\n").leak();
        let why = layout(text, &csv).unwrap_err();
        assert!(
            why.contains("has: Report, x. And line 2 is 512 KiB long"),
            "{why}"
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
