//! From a file's bytes to the bytes the record reader parses, and from a field's bytes to text,
//! in the file's encoding. UTF-16 is turned into UTF-8 as it is read (its delimiters are two
//! bytes wide); UTF-8 and Windows-1252 are parsed as they are and decoded field by field, so a
//! byte that is not valid UTF-8 is the fault of its own row only.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};

use super::survey::Encoding;

/// The stream the record reader parses: UTF-8 (or Windows-1252) bytes, without a BOM.
pub fn byte_stream(
    mut inner: impl Read + Send + 'static,
    enc: Encoding,
) -> Box<dyn BufRead + Send> {
    match enc {
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let from = if enc == Encoding::Utf16Le {
                encoding_rs::UTF_16LE
            } else {
                encoding_rs::UTF_16BE
            };
            Box::new(BufReader::with_capacity(
                64 * 1024,
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(from))
                    .bom_override(true)
                    .build(inner),
            ))
        }
        Encoding::Utf8 => {
            let mut head = [0u8; 3];
            let mut got = 0;
            while got < 3 {
                match inner.read(&mut head[got..]) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
            let keep = if &head[..got] == b"\xEF\xBB\xBF" {
                0
            } else {
                got
            };
            let head = std::io::Cursor::new(head[..keep].to_vec());
            Box::new(BufReader::with_capacity(64 * 1024, head.chain(inner)))
        }
        Encoding::Windows1252 => Box::new(BufReader::with_capacity(64 * 1024, inner)),
    }
}

/// A field's text, or `None` when its bytes are not valid in the file's encoding.
pub fn text(bytes: &[u8], enc: Encoding) -> Option<Cow<'_, str>> {
    match enc {
        Encoding::Windows1252 => {
            if bytes.is_ascii() {
                std::str::from_utf8(bytes).ok().map(Cow::Borrowed)
            } else {
                Some(
                    encoding_rs::WINDOWS_1252
                        .decode_without_bom_handling(bytes)
                        .0,
                )
            }
        }
        // UTF-16 arrives as UTF-8 (unpaired surrogates already replaced).
        _ => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
    }
}

/// A field's text with anything undecodable shown as U+FFFD: for data kept for a person.
pub fn lossy(bytes: &[u8], enc: Encoding) -> Cow<'_, str> {
    text(bytes, enc).unwrap_or_else(|| String::from_utf8_lossy(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8], enc: Encoding) -> Vec<u8> {
        let mut out = Vec::new();
        byte_stream(std::io::Cursor::new(bytes.to_vec()), enc)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn streams_lose_their_bom_and_utf16_becomes_utf8() {
        assert_eq!(all(b"\xEF\xBB\xBFa,b\n", Encoding::Utf8), b"a,b\n");
        assert_eq!(all(b"ab", Encoding::Utf8), b"ab");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("é\tb\r\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(all(&utf16, Encoding::Utf16Le), "é\tb\r\n".as_bytes());
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("ô".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(all(&be, Encoding::Utf16Be), "ô".as_bytes());
    }

    #[test]
    fn fields_decode_in_the_file_encoding() {
        assert_eq!(
            text(b"H\xF4pital", Encoding::Windows1252).unwrap(),
            "Hôpital"
        );
        assert_eq!(
            text("Hôpital".as_bytes(), Encoding::Utf8).unwrap(),
            "Hôpital"
        );
        assert!(text(b"H\xF4pital", Encoding::Utf8).is_none());
        assert_eq!(lossy(b"H\xF4pital", Encoding::Utf8), "H\u{fffd}pital");
    }
}
