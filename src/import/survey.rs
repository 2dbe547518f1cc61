//! A first pass over a file's bytes: its SHA-256 (the same file twice is recognised), how many
//! lines it has, and its encoding — decided from the whole file's evidence, so one stray byte
//! cannot change how every other row is read:
//!
//! - a byte-order mark decides: UTF-8, UTF-16 LE or UTF-16 BE (Excel's "Unicode Text");
//! - otherwise UTF-8 when its multi-byte characters outnumber the bytes that are not valid
//!   UTF-8 (a UTF-8 file with one damaged byte stays UTF-8: that row alone is at fault), and
//!   Windows-1252 (Excel's "CSV") when they do not.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16 LE",
            Encoding::Utf16Be => "UTF-16 BE",
            Encoding::Windows1252 => "Windows-1252",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Survey {
    pub sha256: String,
    pub encoding: Encoding,
    /// Line ends in the file: an upper bound on its rows, known before they are read.
    pub lines: u64,
    /// Whether a `/` occurs at all: without one there is no slash date to decide an order for.
    pub has_slash: bool,
}

/// Counts valid multi-byte UTF-8 characters and invalid bytes across chunk boundaries.
#[derive(Default)]
struct Utf8Evidence {
    carry: Vec<u8>,
    multibyte: u64,
    invalid: u64,
}

impl Utf8Evidence {
    fn add(&mut self, chunk: &[u8]) {
        let joined;
        let mut input: &[u8] = if self.carry.is_empty() {
            chunk
        } else {
            let mut c = std::mem::take(&mut self.carry);
            c.extend_from_slice(chunk);
            joined = c;
            &joined
        };
        loop {
            match std::str::from_utf8(input) {
                Ok(valid) => {
                    self.count(valid);
                    return;
                }
                Err(e) => {
                    let (valid, rest) = input.split_at(e.valid_up_to());
                    // Safe: `from_utf8` said this prefix is valid.
                    self.count(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(n) => {
                            self.invalid += n as u64;
                            input = &rest[n..];
                        }
                        // A character cut by the chunk's end: finish it with the next chunk.
                        None => {
                            self.carry = rest.to_vec();
                            return;
                        }
                    }
                }
            }
        }
    }

    fn count(&mut self, valid: &str) {
        if !valid.is_ascii() {
            self.multibyte += valid.chars().filter(|c| !c.is_ascii()).count() as u64;
        }
    }

    fn finish(mut self) -> Self {
        self.invalid += self.carry.len() as u64;
        self.carry.clear();
        self
    }
}

pub fn survey(r: &mut impl Read) -> io::Result<Survey> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut evidence = Utf8Evidence::default();
    let mut head: Vec<u8> = Vec::with_capacity(4);
    let mut lines = 0u64;
    let mut has_slash = false;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        hasher.update(chunk);
        if head.len() < 4 {
            let take = (4 - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        has_slash = has_slash || chunk.contains(&b'/');
        evidence.add(chunk);
    }
    let evidence = evidence.finish();
    let encoding = if head.starts_with(b"\xEF\xBB\xBF") {
        Encoding::Utf8
    } else if head.starts_with(b"\xFF\xFE") {
        Encoding::Utf16Le
    } else if head.starts_with(b"\xFE\xFF") {
        Encoding::Utf16Be
    } else if evidence.invalid == 0 || evidence.multibyte > evidence.invalid {
        Encoding::Utf8
    } else {
        Encoding::Windows1252
    };
    Ok(Survey {
        sha256: hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        encoding,
        lines,
        // In UTF-16 a `/` is not a lone byte; those files are small: always look.
        has_slash: has_slash || matches!(encoding, Encoding::Utf16Le | Encoding::Utf16Be),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(bytes: &[u8]) -> Encoding {
        survey(&mut &bytes[..]).unwrap().encoding
    }

    #[test]
    fn the_whole_file_decides_its_encoding() {
        assert_eq!(enc(b"a,b\n1,2\n"), Encoding::Utf8);
        assert_eq!(enc("H\u{f4}pital,caf\u{e9}\n".as_bytes()), Encoding::Utf8);
        assert_eq!(enc(b"H\xF4pital;\x93ok\x94\r\n"), Encoding::Windows1252);
        // One stray byte among UTF-8 accents: still UTF-8 (that row alone is damaged).
        let mut bytes = "H\u{f4}pital,Fran\u{e7}ois\n".as_bytes().to_vec();
        bytes.extend_from_slice(b"A2,x\xFFy\n");
        assert_eq!(enc(&bytes), Encoding::Utf8);
        // With a BOM, even a damaged file is what its BOM says.
        assert_eq!(enc(b"\xEF\xBB\xBFa\xFF,b\n"), Encoding::Utf8);
        assert_eq!(enc(b"\xFF\xFEa\x00,\x00"), Encoding::Utf16Le);
        assert_eq!(enc(b"\xFE\xFF\x00a\x00,"), Encoding::Utf16Be);
    }

    #[test]
    fn a_character_split_across_chunks_is_valid() {
        let mut bytes = b"a,b\n".to_vec();
        bytes.resize(64 * 1024 - 1, b'x');
        bytes.extend_from_slice("\u{e9}\n".as_bytes());
        assert_eq!(enc(&bytes), Encoding::Utf8);
    }

    #[test]
    fn sha256_lines_and_slashes() {
        let s = survey(&mut &b"abc"[..]).unwrap();
        assert_eq!(
            s.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(!s.has_slash);
        let s = survey(&mut &b"a\n11/25/2026\n"[..]).unwrap();
        assert_eq!((s.lines, s.has_slash), (2, true));
    }
}
