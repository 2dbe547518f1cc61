//! CSV records from a file's bytes, read one physical line at a time so that one damaged row
//! cannot take others with it.
//!
//! A quoted field may hold a line break, so a record may span lines. But a quote that is never
//! closed would otherwise swallow every line after it into one field — patients silently lost,
//! and their rows read aloud in someone else's call. So a record that spans lines is kept only
//! if, once closed, it has the header's number of fields and none of the lines it swallowed
//! would have been a whole row on its own; otherwise its first line is reported broken (naming
//! the field where the quote opened) and reading goes on from the next line.
//!
//! Parsing is `csv_core`'s (the state machine the `csv` crate is built on); fields stay bytes
//! here, and are decoded by the caller, so a byte that is not valid in the file's encoding
//! touches only its own row.

use std::collections::VecDeque;
use std::io::{self, BufRead};

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

/// A record may span at most this many lines (a note with line breaks in it) before its opening
/// quote is judged never closed.
const MAX_SPAN_LINES: usize = 50;

/// The most bytes a record holds, on one line or spanning several. A real export's row is a few
/// hundred bytes and a long note a few KiB, so this is hundreds of times more than any real row
/// needs, and small enough that what a row costs to read stays bounded: a longer line (a file
/// that lost its line ends, a gigantic field, something that is no export) is never held whole,
/// nor split into fields, which cost several times its size. It is skipped to its line end and
/// reported as one row too long to read ([`Read::TooLong`]).
pub const MAX_RECORD_BYTES: usize = 256 * 1024;

/// `MAX_RECORD_BYTES` in words, for the reasons a person reads.
pub fn max_record_shown() -> String {
    size_shown(MAX_RECORD_BYTES as u64)
}

/// A size as a person reads it (`300 KiB`, `8.0 MiB`, `1.5 GiB`), rounded up so that anything past
/// the cap reads as more than it. Never a long run of digits, which a reason's masking would take
/// for a phone number.
pub fn size_shown(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB * KIB {
        format!("{} KiB", (b / KIB).ceil())
    } else if b < KIB * KIB * KIB {
        format!("{:.1} MiB", (b / KIB / KIB * 10.0).ceil() / 10.0)
    } else {
        format!("{:.1} GiB", (b / KIB / KIB / KIB * 10.0).ceil() / 10.0)
    }
}

/// One record's fields, as bytes. Its buffers are scratch space kept between records (`buf`
/// and `ends` are as long as they have ever needed to be; `used` and `count` say how much of
/// them this record holds), so reading a file allocates once, not once per row.
#[derive(Clone, Debug, Default)]
pub struct RawRecord {
    /// The row a spreadsheet shows it on (every record counts, blank lines and title lines
    /// included; a record spanning lines is one row).
    pub row: u64,
    buf: Vec<u8>,
    used: usize,
    ends: Vec<usize>,
    count: usize,
}

impl RawRecord {
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn field(&self, i: usize) -> Option<&[u8]> {
        if i >= self.count {
            return None;
        }
        let end = self.ends[i];
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.buf[start..end])
    }

    /// Where field `i` sits in `bytes()`.
    pub fn span(&self, i: usize) -> Option<std::ops::Range<usize>> {
        if i >= self.count {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(start..self.ends[i])
    }

    /// Every field's bytes, one after the other (`span` says where each is).
    pub fn bytes(&self) -> &[u8] {
        let end = if self.count == 0 {
            0
        } else {
            self.ends[self.count - 1]
        };
        &self.buf[..end]
    }

    pub fn fields(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).filter_map(|i| self.field(i))
    }

    /// A line with nothing in it, or only delimiters and spaces (spreadsheets pad exports so).
    pub fn is_blank(&self) -> bool {
        self.fields().all(|f| f.iter().all(u8::is_ascii_whitespace))
    }

    fn clear(&mut self) {
        self.used = 0;
        self.count = 0;
    }
}

/// What the next line(s) of the file held.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// A record, now in the caller's `RawRecord`.
    Record,
    /// A line whose quote is never closed: `field` is where the quote opened (0-based). The
    /// caller's `RawRecord` holds the fields read before it, and its row.
    UnclosedQuote { field: usize },
    /// A line longer than `MAX_RECORD_BYTES` (`bytes` long, without its line end), skipped
    /// unread. The caller's `RawRecord` holds its row and no fields.
    TooLong { bytes: u64 },
}

/// How a line ended, as the file wrote it. A quoted field that spans lines gets back exactly
/// the line end it held (a note typed with Enter in Excel keeps its `\r\n` or lone `\r`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Lf,
    CrLf,
    /// A lone `\r`: old Mac files end their lines so.
    Cr,
    /// The end of the file, with no line end.
    Eof,
}

impl End {
    /// What the parser is given after the line.
    fn bytes(self) -> &'static [u8] {
        match self {
            End::Lf | End::Eof => b"\n",
            End::CrLf => b"\r\n",
            End::Cr => b"\r",
        }
    }
}

/// One physical line: `\n`, `\r\n` and a lone `\r` each end one.
enum Line {
    Text {
        bytes: Vec<u8>,
        end: End,
    },
    /// Longer than `MAX_RECORD_BYTES`: only its length was kept.
    TooLong(u64),
}

pub struct Records<R> {
    input: R,
    core: Reader,
    delimiter: u8,
    /// The header's number of fields, once known.
    expected: Option<usize>,
    /// Lines to read again before the input: those a broken record had swallowed.
    pending: VecDeque<Line>,
    row: u64,
}

impl<R: BufRead> Records<R> {
    pub fn new(input: R, delimiter: u8) -> Self {
        Records {
            input,
            core: ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
            expected: None,
            pending: VecDeque::new(),
            row: 0,
        }
    }

    /// From now on a record spanning lines must have `fields` fields to be kept.
    pub fn expect(&mut self, fields: usize) {
        self.expected = Some(fields);
    }

    /// The next physical line, and how it ended; `None` at the end of the file.
    fn next_line(&mut self) -> io::Result<Option<Line>> {
        if let Some(l) = self.pending.pop_front() {
            return Ok(Some(l));
        }
        let mut bytes = Vec::new();
        // The line's length so far; past the cap its bytes are dropped and only this counts.
        let mut len = 0u64;
        let end = loop {
            let (found, used) = {
                let buf = match self.input.fill_buf() {
                    Ok(b) => b,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if buf.is_empty() {
                    if len == 0 {
                        return Ok(None);
                    }
                    break End::Eof;
                }
                let (found, take) = match memchr::memchr2(b'\n', b'\r', buf) {
                    Some(i) => (Some(buf[i]), i),
                    None => (None, buf.len()),
                };
                len += take as u64;
                if len <= MAX_RECORD_BYTES as u64 {
                    bytes.extend_from_slice(&buf[..take]);
                } else if bytes.capacity() > 0 {
                    bytes = Vec::new();
                }
                (found, take + usize::from(found.is_some()))
            };
            self.input.consume(used);
            match found {
                None => continue,
                Some(b'\n') => break End::Lf,
                // A `\r` and the `\n` right after it are one line end.
                Some(_) if self.next_byte_is(b'\n')? => {
                    self.input.consume(1);
                    break End::CrLf;
                }
                Some(_) => break End::Cr,
            }
        };
        Ok(Some(if len > MAX_RECORD_BYTES as u64 {
            Line::TooLong(len)
        } else {
            Line::Text { bytes, end }
        }))
    }

    fn next_byte_is(&mut self, b: u8) -> io::Result<bool> {
        loop {
            match self.input.fill_buf() {
                Ok(buf) => return Ok(buf.first() == Some(&b)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the next record into `rec` (its buffers reused); `None` at the end of the file.
    pub fn read_into(&mut self, rec: &mut RawRecord) -> io::Result<Option<Read>> {
        let Some(first) = self.next_line()? else {
            return Ok(None);
        };
        self.row += 1;
        rec.row = self.row;
        rec.clear();
        self.core.reset();
        let (first, first_end) = match first {
            Line::TooLong(bytes) => return Ok(Some(Read::TooLong { bytes })),
            Line::Text { bytes, end } => (bytes, end),
        };
        // A blank line is a row of no fields (the parser itself would skip it, and take the
        // next line for the rest of this record).
        if first.is_empty() || feed(&mut self.core, &first, first_end.bytes(), rec) {
            return Ok(Some(Read::Record));
        }
        // The line ended inside a quoted field: the record goes on on the next lines.
        let opened_in = rec.count;
        let mut swallowed: Vec<Line> = Vec::new();
        let mut closed = false;
        while swallowed.len() < MAX_SPAN_LINES && rec.used < MAX_RECORD_BYTES {
            let line = match self.next_line()? {
                None => break,
                Some(Line::Text { bytes, end }) => (bytes, end),
                // A line too long to read is not part of a note: this quote is never closed.
                Some(too_long) => {
                    self.pending.push_front(too_long);
                    break;
                }
            };
            let done = feed(&mut self.core, &line.0, line.1.bytes(), rec);
            swallowed.push(Line::Text {
                bytes: line.0,
                end: line.1,
            });
            if done {
                closed = true;
                break;
            }
        }
        if closed && self.plausible(rec, &swallowed) {
            return Ok(Some(Read::Record));
        }
        // Never closed, or closed by a quote of another row: this line alone is broken; the
        // lines it took are rows of their own.
        for line in swallowed.into_iter().rev() {
            self.pending.push_front(line);
        }
        // What the caller may show of the broken row: the fields before the quote.
        self.core.reset();
        rec.clear();
        feed(&mut self.core, &first, b"", rec);
        rec.count = rec.count.min(opened_in);
        Ok(Some(Read::UnclosedQuote { field: opened_in }))
    }

    /// A record spanning lines is believable when it has the header's width and none of the
    /// lines it swallowed would have been a whole row by itself.
    fn plausible(&self, rec: &RawRecord, swallowed: &[Line]) -> bool {
        let Some(expected) = self.expected else {
            return true;
        };
        if rec.len() != expected {
            return false;
        }
        let mut alone = ReaderBuilder::new().delimiter(self.delimiter).build();
        swallowed.iter().all(|line| {
            let Line::Text { bytes, .. } = line else {
                return false;
            };
            alone.reset();
            let mut r = RawRecord::default();
            feed(&mut alone, bytes, b"", &mut r);
            // Finish whatever is open so its fields count.
            finish(&mut alone, &mut r);
            r.len() < expected
        })
    }
}

/// Feeds one line and then `end` (its line end, or nothing) to the parser; whether a record
/// ended with them. Empty input is never passed on: to the parser it means the end of the file,
/// which would close an open quoted field (a blank line inside a note would cut the note).
fn feed(core: &mut Reader, line: &[u8], end: &[u8], rec: &mut RawRecord) -> bool {
    for part in [line, end] {
        let mut input = part;
        while !input.is_empty() {
            if rec.buf.len() - rec.used < 64 {
                let grow = rec.buf.len().max(256);
                rec.buf.resize(rec.buf.len() + grow, 0);
            }
            if rec.ends.len() == rec.count {
                let grow = rec.ends.len().max(16);
                rec.ends.resize(rec.ends.len() + grow, 0);
            }
            let (res, nin, nout, nend) =
                core.read_record(input, &mut rec.buf[rec.used..], &mut rec.ends[rec.count..]);
            // csv_core numbers ends from the start of the whole record: they are ours as is.
            rec.used += nout;
            rec.count += nend;
            input = &input[nin..];
            match res {
                ReadRecordResult::Record | ReadRecordResult::End => return true,
                ReadRecordResult::InputEmpty => break,
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => continue,
            }
        }
    }
    false
}

/// Ends the record the parser is in (as at the end of the file).
fn finish(core: &mut Reader, rec: &mut RawRecord) {
    let mut ends = [0usize; 1];
    let (_, _, _, nend) = core.read_record(b"", &mut [], &mut ends);
    if nend == 1 {
        rec.count += 1;
    }
}

/// For tests and small reads: each record in its own `RawRecord`.
impl<R: BufRead> Iterator for Records<R> {
    type Item = io::Result<(RawRecord, Read)>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut rec = RawRecord::default();
        match self.read_into(&mut rec) {
            Ok(Some(read)) => Some(Ok((rec, read))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str, expected: Option<usize>) -> Vec<String> {
        let mut r = Records::new(text.as_bytes(), b',');
        if let Some(n) = expected {
            r.expect(n);
        }
        r.map(|i| match i.unwrap() {
            (rec, Read::Record) => format!(
                "{}:{}",
                rec.row,
                rec.fields()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect::<Vec<_>>()
                    .join("|")
            ),
            (rec, Read::UnclosedQuote { field }) => format!("{}:UNCLOSED@{field}", rec.row),
            (rec, Read::TooLong { bytes }) => format!("{}:TOO LONG {bytes}", rec.row),
        })
        .collect()
    }

    #[test]
    fn plain_lines_crlf_and_quotes() {
        assert_eq!(
            items("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n1,2", Some(2)),
            ["1:a|b", "2:x, y|say \"hi\"", "3:1|2"]
        );
    }

    #[test]
    fn a_quoted_line_break_is_one_record_and_one_row() {
        assert_eq!(
            items(
                "id,msg,lang\nA1,\"line one\nline two\",en\nA2,x,fr\n",
                Some(3)
            ),
            ["1:id|msg|lang", "2:A1|line one\nline two|en", "3:A2|x|fr"]
        );
    }

    #[test]
    fn an_unclosed_quote_fails_its_own_row_and_the_next_lines_are_rows() {
        let text = "id,pid,msg,lang\n\
                    A1,P1,\"Bring your card,en\n\
                    A2,P2,hello,fr\n\
                    A3,P3,\"Dr. Smith, room 2\",en\n\
                    A4,P4,bye,en\n";
        assert_eq!(
            items(text, Some(4)),
            [
                "1:id|pid|msg|lang",
                "2:UNCLOSED@2",
                "3:A2|P2|hello|fr",
                "4:A3|P3|Dr. Smith, room 2|en",
                "5:A4|P4|bye|en"
            ]
        );
        // To the end of the file, without a later quote to pair with.
        assert_eq!(
            items("id,pid,msg,lang\nA1,P1,\"oops,en\nA2,P2,x,fr\n", Some(4)),
            ["1:id|pid|msg|lang", "2:UNCLOSED@2", "3:A2|P2|x|fr"]
        );
    }

    #[test]
    fn line_ends_inside_quotes_stay_in_their_field_as_written() {
        assert_eq!(
            items(
                "id,msg,lang\r\nA1,\"one\rtwo\",en\r\nA2,\"one\r\ntwo\",fr\r\nA3,\"a\r\rb\",en\rA4,\"p\n\nq\",fr\nA5,x,en",
                Some(3)
            ),
            [
                "1:id|msg|lang",
                "2:A1|one\rtwo|en",
                "3:A2|one\r\ntwo|fr",
                "4:A3|a\r\rb|en",
                "5:A4|p\n\nq|fr",
                "6:A5|x|en"
            ]
        );
    }

    #[test]
    fn lone_carriage_returns_end_lines_and_blank_lines_count_as_rows() {
        let got = items("a,b\r1,2\r\r3,4\r", Some(2));
        assert_eq!(got, ["1:a|b", "2:1|2", "3:", "4:3|4"]);
    }

    #[test]
    fn long_fields_grow_the_buffers() {
        let long = "x".repeat(10_000);
        let many = vec!["f"; 300].join(",");
        let text = format!("{long},y\n{many}\n");
        let got = items(&text, None);
        assert_eq!(got[0], format!("1:{long}|y"));
        assert_eq!(got[1].matches('|').count(), 299);
    }

    #[test]
    fn a_line_past_the_cap_is_one_row_too_long_and_is_never_held() {
        let cap = MAX_RECORD_BYTES;
        let just = "x".repeat(cap);
        let over = "a,".repeat(cap / 2 + 1);
        let text = format!("id,msg\n{just}\r\n{over}\rA1,\"note\n{over}\nA2,ok\n{over}");
        assert_eq!(
            items(&text, Some(2)),
            [
                "1:id|msg".to_string(),
                format!("2:{just}"),
                format!("3:TOO LONG {}", cap + 2),
                // A quote left open before a line too long to read: never closed.
                "4:UNCLOSED@1".to_string(),
                format!("5:TOO LONG {}", cap + 2),
                "6:A2|ok".to_string(),
                format!("7:TOO LONG {}", cap + 2),
            ]
        );
        // Read through a small buffer: the line is counted across many reads, none kept.
        let long = "y".repeat(3 * cap);
        let mut r = Records::new(std::io::BufReader::with_capacity(7, long.as_bytes()), b',');
        let mut rec = RawRecord::default();
        assert_eq!(
            r.read_into(&mut rec).unwrap(),
            Some(Read::TooLong {
                bytes: 3 * cap as u64
            })
        );
        assert_eq!((rec.row, rec.len(), rec.buf.capacity()), (1, 0, 0));
        assert_eq!(r.read_into(&mut rec).unwrap(), None);
    }

    #[test]
    fn sizes_read_as_a_person_reads_them() {
        for (bytes, want) in [
            (0, "0 KiB"),
            (1, "1 KiB"),
            (262_144, "256 KiB"),
            (262_145, "257 KiB"),
            (8_388_608, "8.0 MiB"),
            (52_428_801, "50.1 MiB"),
            (3 << 30, "3.0 GiB"),
        ] {
            assert_eq!(size_shown(bytes), want, "{bytes}");
        }
    }

    #[test]
    fn spans_cut_the_bytes_into_the_fields() {
        let mut r = Records::new("a,\"b,c\",,d\u{e9}\n".as_bytes(), b',');
        let (rec, _) = r.next().unwrap().unwrap();
        let cut: Vec<&[u8]> = (0..rec.len())
            .map(|i| &rec.bytes()[rec.span(i).unwrap()])
            .collect();
        let fields: Vec<&[u8]> = rec.fields().collect();
        assert_eq!(cut, fields);
        assert_eq!(fields, [&b"a"[..], b"b,c", b"", "d\u{e9}".as_bytes()]);
        assert_eq!(rec.span(4), None);
    }
}
