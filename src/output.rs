//! Status views for people (tables) and for scripts (JSON, CSV). A view is a header and rows of
//! text for the first and last, and a serde value for JSON, so every format shows the same data.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use std::io::IsTerminal;

use tabled::builder::Builder;
use tabled::grid::util::string::get_text_width;
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
    /// Columns a narrow terminal may leave out, least needed first.
    pub hide: &'a [&'a str],
}

/// A table for people, as wide as the terminal allows when stdout is one; written to a file or a
/// pipe, nothing is cut. `--json` and `--csv` always carry the full values.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    table_fit(header, rows, &[], terminal_width())
}

/// [`table`], where a narrow terminal may leave out the columns named in `hide` (least needed
/// first) rather than break ids and times over several lines; a note under the table says which.
pub fn table_hiding(header: &[&str], rows: &[Vec<String>], hide: &[&str]) -> String {
    table_fit(header, rows, hide, terminal_width())
}

pub fn table_fit(
    header: &[&str],
    rows: &[Vec<String>],
    hide: &[&str],
    width: Option<usize>,
) -> String {
    let natural: Vec<usize> = (0..header.len())
        .map(|c| {
            std::iter::once(header[c])
                .chain(rows.iter().filter_map(|r| r.get(c).map(String::as_str)))
                .map(get_text_width)
                .max()
                .unwrap_or(0)
        })
        .collect();
    let shown = match width {
        Some(w) => columns_shown(header, &natural, hide, w),
        None => vec![true; header.len()],
    };
    let pick = |cells: &mut dyn Iterator<Item = String>| -> Vec<String> {
        cells
            .zip(&shown)
            .filter(|(_, keep)| **keep)
            .map(|(c, _)| c)
            .collect()
    };
    // Each shown column's width: what it needs, or its share of the terminal. Cells are wrapped
    // here, between words (a word is cut only when it is longer than its column: a SID, a
    // path), before the table is drawn.
    let widths: Option<Vec<usize>> = width.map(|w| {
        let natural: Vec<usize> = natural
            .iter()
            .zip(&shown)
            .filter(|(_, keep)| **keep)
            .map(|(n, _)| *n)
            .collect();
        column_widths(&natural, w.saturating_sub(frame(natural.len())))
            .into_iter()
            .zip(natural)
            .map(|(want, has)| want.min(has))
            .collect()
    });
    let fit = |cells: Vec<String>| -> Vec<String> {
        match &widths {
            None => cells,
            Some(widths) => cells
                .into_iter()
                .zip(widths)
                .map(|(cell, &w)| {
                    if get_text_width(&cell) <= w {
                        cell
                    } else {
                        cell.lines()
                            .map(|line| wrap_cut(line, w.max(1)))
                            .collect::<Vec<_>>()
                            .join("\n")
                    }
                })
                .collect(),
        }
    };
    let mut b = Builder::default();
    b.push_record(fit(pick(&mut header.iter().map(|h| h.to_string()))));
    for row in rows {
        b.push_record(fit(pick(&mut row.iter().cloned())));
    }
    let mut t = b.build();
    t.with(Style::sharp());
    let Some(width) = width else {
        return t.to_string();
    };
    let hidden: Vec<&str> = header
        .iter()
        .zip(&shown)
        .filter(|(_, keep)| !**keep)
        .map(|(h, _)| *h)
        .collect();
    if hidden.is_empty() {
        t.to_string()
    } else {
        let note = format!(
            "(hidden at this width: {}; --json or --csv show them)",
            hidden.join(", ")
        );
        format!("{t}\n{}", wrap_words(&note, width))
    }
}

/// Prose for a mail or a pipe: broken between words into lines of at most `width` characters,
/// each after `indent`. Only a word longer than a whole line (a long path) is cut.
pub fn paragraph(text: &str, width: usize, indent: &str) -> String {
    let room = width.saturating_sub(get_text_width(indent)).max(20);
    wrap_cut(text, room)
        .lines()
        .map(|l| format!("{indent}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` broken between words into lines of at most `width` characters; a word longer than
/// `width` is cut.
fn wrap_cut(text: &str, width: usize) -> String {
    let mut words: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let mut rest: Vec<char> = word.chars().collect();
        while rest.len() > width {
            words.push(rest.drain(..width).collect());
        }
        words.push(rest.into_iter().collect());
    }
    wrap_words(&words.join(" "), width)
}

/// Prose broken between words so no line is wider than `width`.
pub fn wrap_words(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split(' ') {
        let w = get_text_width(word);
        if line > 0 && line + 1 + w > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += w;
    }
    out
}

/// Short columns (ids, times, states, kinds) are kept whole; longer ones may wrap down to this.
const SHORT: usize = 24;
const NARROWEST: usize = 12;

/// A column costs its content, a space either side and one border; plus the last border.
fn frame(columns: usize) -> usize {
    3 * columns + 1
}

/// Which columns a table of `width` characters shows: all of them when short columns can stay
/// whole and long ones keep a usable width, else without the `hide` columns, least needed first,
/// until they can.
fn columns_shown(header: &[&str], natural: &[usize], hide: &[&str], width: usize) -> Vec<bool> {
    let mut shown = vec![true; header.len()];
    let fits = |shown: &[bool]| {
        let cols = shown.iter().filter(|s| **s).count();
        let need: usize = natural
            .iter()
            .zip(shown)
            .filter(|(_, s)| **s)
            .map(|(n, _)| if *n <= SHORT { *n } else { NARROWEST })
            .sum();
        need + frame(cols) <= width
    };
    for name in hide {
        if fits(&shown) {
            break;
        }
        if let Some(c) = header.iter().position(|h| h == name) {
            shown[c] = false;
        }
    }
    shown
}

/// How wide each column may be when the table must fit `room` characters of content. Short
/// columns stay whole so they can be read at a glance; the room left is shared evenly among the
/// long ones, none wider than it needs to be.
pub fn column_widths(natural: &[usize], room: usize) -> Vec<usize> {
    if natural.iter().sum::<usize>() <= room {
        return natural.to_vec();
    }
    let long = natural.iter().filter(|&&n| n > SHORT).count();
    let short: usize = natural.iter().filter(|&&n| n <= SHORT).sum();
    // Short columns stay whole only while each long one keeps a usable width.
    let keep_short = long > 0 && short + long * NARROWEST <= room;
    let mut widths = vec![0; natural.len()];
    let mut order: Vec<usize> = (0..natural.len()).collect();
    order.sort_by_key(|&c| natural[c]);
    let mut left = room;
    if keep_short {
        for &c in order.iter().filter(|&&c| natural[c] <= SHORT) {
            widths[c] = natural[c];
            left -= natural[c];
        }
        order.retain(|&c| natural[c] > SHORT);
    }
    // Water-filling: narrow columns take what they need, wide ones share the rest.
    let mut pending = order.len();
    for c in order {
        let share = left / pending;
        widths[c] = natural[c].min(share).max(1);
        left = left.saturating_sub(widths[c]);
        pending -= 1;
    }
    widths
}

/// The terminal's width when stdout is a terminal: `COLUMNS` when set (shells export it, and a
/// test can), else what the terminal reports. `None` for a file or a pipe.
pub fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c >= 20)
    {
        return Some(c);
    }
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ on stdout fills a `winsize` we own; nothing else is touched.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col >= 20).then_some(usize::from(size.ws_col))
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
                writeln!(out, "{}", table_hiding(view.header, &view.rows, view.hide))?;
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
    use super::*;

    #[test]
    fn tables_fit_the_width_they_are_given_and_keep_short_cells_whole() {
        let rows = vec![vec![
            "A1001".to_string(),
            "2026-11-25 09:30".to_string(),
            "not reached after 3 attempt(s) by call: tell the patient another way".to_string(),
        ]];
        let t = super::table_fit(&["appointment", "at", "detail"], &rows, &[], Some(60));
        assert!(t.lines().all(|l| l.chars().count() <= 60), "{t}");
        assert!(t.contains("2026-11-25 09:30") && t.contains("A1001"), "{t}");
        let wide = super::table_fit(&["appointment", "at", "detail"], &rows, &[], None);
        assert!(wide.contains("tell the patient another way"), "{wide}");
    }

    #[test]
    fn a_narrow_terminal_hides_the_least_needed_columns_and_says_so() {
        let header = [
            "appointment",
            "time",
            "state",
            "last attempt",
            "reached",
            "import",
        ];
        let rows = vec![vec![
            "A1001".to_string(),
            "2026-11-25 09:30".to_string(),
            "cancel_requested".to_string(),
            "2026-11-24 19:00".to_string(),
            "2026-11-24 19:45".to_string(),
            "12".to_string(),
        ]];
        let hide = ["import", "reached", "last attempt"];
        let t = super::table_fit(&header, &rows, &hide, Some(75));
        assert!(t.lines().all(|l| l.chars().count() <= 75), "{t}");
        // Times and states stay whole; the table says what it left out.
        assert!(
            t.contains("2026-11-25 09:30") && t.contains("cancel_requested"),
            "{t}"
        );
        assert!(
            t.ends_with("(hidden at this width: reached, import; --json or --csv show them)"),
            "{t}"
        );
        assert!(t.contains("last attempt"), "{t}");
        // Wide enough: everything.
        let t = super::table_fit(&header, &rows, &hide, Some(120));
        assert!(t.contains("import") && !t.contains("hidden at"), "{t}");
    }

    #[test]
    fn short_columns_stay_whole_and_long_ones_share_the_rest() {
        // kind, subject, at, detail on an 80-column terminal (67 of content).
        assert_eq!(
            super::column_widths(&[20, 32, 16, 100], 67),
            vec![20, 15, 16, 16]
        );
        // Room for all but one long column: the short one keeps its width.
        assert_eq!(super::column_widths(&[10, 40, 30], 70), vec![10, 30, 30]);
        assert_eq!(super::column_widths(&[10, 80, 30], 70), vec![10, 30, 30]);
        // Everything fits: nothing changes.
        assert_eq!(super::column_widths(&[10, 20], 40), vec![10, 20]);
        // Too many short columns for the room: all share it.
        let w = super::column_widths(&[20, 20, 20, 40], 50);
        assert!(w.iter().sum::<usize>() <= 50, "{w:?}");
    }

    #[test]
    fn paragraphs_fit_their_width_and_cut_only_words_longer_than_a_line() {
        let p = paragraph(
            "the 19:00 send did not run: check that cron runs `reminders run` every 5 minutes as the data folder's owner",
            40,
            "  ",
        );
        assert!(p.lines().all(|l| l.chars().count() <= 40), "{p}");
        assert!(
            p.contains("`reminders run`") || p.contains("`reminders\n"),
            "{p}"
        );
        let long = "x".repeat(100);
        let p = paragraph(&long, 40, "  ");
        assert!(p.lines().all(|l| l.chars().count() <= 40), "{p}");
        assert_eq!(p.replace(['\n', ' '], ""), long);
    }

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
