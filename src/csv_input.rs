//! Reading a clinic's CSV export from disk: its SHA-256, its encoding (UTF-8 with or without a
//! BOM, else Windows-1252 as Excel writes it), its delimiter (`,` or `;`), streamed row by row so
//! a file of any size is never held in memory.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
}

/// What a first pass over the file learns.
#[derive(Clone, Debug)]
pub struct Survey {
    pub sha256: String,
    pub encoding: Encoding,
    pub delimiter: u8,
    /// Line ends in the file: an upper bound on its rows, known before they are read.
    pub lines: u64,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Hashes the file and decides its encoding and delimiter, reading it once in small chunks.
pub fn survey(path: &Path) -> Result<Survey> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    survey_reader(&mut file).with_context(|| format!("reading {}", path.display()))
}

pub fn survey_reader(r: &mut impl Read) -> io::Result<Survey> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    let mut utf8 = true;
    let mut first_line: Vec<u8> = Vec::new();
    let mut first_line_done = false;
    let mut lines = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        hasher.update(chunk);
        lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        if !first_line_done {
            match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    first_line.extend_from_slice(&chunk[..i]);
                    first_line_done = true;
                }
                None => first_line.extend_from_slice(chunk),
            }
        }
        if utf8 {
            carry.extend_from_slice(chunk);
            match std::str::from_utf8(&carry) {
                Ok(_) => carry.clear(),
                // An incomplete character at the end of the chunk: keep it for the next one.
                Err(e) if e.error_len().is_none() => {
                    carry.drain(..e.valid_up_to());
                }
                Err(_) => utf8 = false,
            }
        }
    }
    if !carry.is_empty() {
        utf8 = false;
    }
    Ok(Survey {
        sha256: hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        encoding: if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Windows1252
        },
        delimiter: sniff_delimiter(&first_line),
        lines,
    })
}

/// Excel in French-speaking locales writes `;`; everyone else `,`. The header row decides.
fn sniff_delimiter(header: &[u8]) -> u8 {
    let mut in_quotes = false;
    let (mut commas, mut semis) = (0, 0);
    for &b in header {
        match b {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => commas += 1,
            b';' if !in_quotes => semis += 1,
            _ => {}
        }
    }
    if semis > commas { b';' } else { b',' }
}

/// A CSV reader over the file's decoded text; the header row is its first record.
pub fn open_rows(path: &Path, survey: &Survey) -> Result<csv::Reader<Box<dyn Read + Send>>> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    file.seek(SeekFrom::Start(0))?;
    Ok(rows_from(
        Box::new(BufReader::with_capacity(64 * 1024, file)),
        survey,
    ))
}

pub fn rows_from(
    mut inner: Box<dyn Read + Send>,
    survey: &Survey,
) -> csv::Reader<Box<dyn Read + Send>> {
    let source: Box<dyn Read + Send> = match survey.encoding {
        Encoding::Utf8 => {
            let mut head = [0u8; 3];
            let mut got = 0;
            while got < 3 {
                match inner.read(&mut head[got..]) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(_) => break,
                }
            }
            let keep = if &head[..got] == BOM { 0 } else { got };
            Box::new(io::Cursor::new(head[..keep].to_vec()).chain(inner))
        }
        Encoding::Windows1252 => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::WINDOWS_1252))
                .build(inner),
        ),
    };
    csv::ReaderBuilder::new()
        .delimiter(survey.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(bytes: &[u8]) -> (Survey, Vec<Vec<String>>) {
        let s = survey_reader(&mut &bytes[..]).unwrap();
        let mut rdr = rows_from(Box::new(io::Cursor::new(bytes.to_vec())), &s);
        let rows = rdr
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        (s, rows)
    }

    #[test]
    fn bom_crlf_and_quotes() {
        let (s, rows) = records(b"\xEF\xBB\xBFa,b\r\n\"x, y\",\"caf\xC3\xA9\"\r\n");
        assert_eq!(s.encoding, Encoding::Utf8);
        assert_eq!(rows, vec![vec!["a", "b"], vec!["x, y", "caf\u{e9}"]]);
    }

    #[test]
    fn windows_1252_and_semicolons() {
        let (s, rows) = records(b"a;b\r\nH\xF4pital;\x93ok\x94\r\n");
        assert_eq!((s.encoding, s.delimiter), (Encoding::Windows1252, b';'));
        assert_eq!(rows[1], vec!["H\u{f4}pital", "\u{201c}ok\u{201d}"]);
    }

    #[test]
    fn a_multibyte_character_split_across_chunks_is_still_utf8() {
        let mut bytes = b"a,b\n".to_vec();
        bytes.resize(64 * 1024 - 1, b'x');
        bytes.extend_from_slice("\u{e9}\n".as_bytes());
        let s = survey_reader(&mut &bytes[..]).unwrap();
        assert_eq!(s.encoding, Encoding::Utf8);
    }

    #[test]
    fn sha256_of_known_input() {
        let s = survey_reader(&mut &b"abc"[..]).unwrap();
        assert_eq!(
            s.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
