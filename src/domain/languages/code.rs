//! A language's code: what an appointment, an entry of the waitlist and a reply store. Below
//! the packs, so that the reply words (`domain::keywords`) can name a language without reading
//! any pack.

use std::fmt;

/// Long enough for a language and a region or script (`pt-br`, `es-419`, `zh-hant`); short
/// enough that a code is copied as freely as a number, once per row of an import.
const MAX_CODE: usize = 7;

/// A language, by its pack's code (`en`, `fr`, `es`, `pt-br`): what an appointment stores.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Language {
    len: u8,
    bytes: [u8; MAX_CODE],
}

impl Language {
    pub const EN: Language = Language::known("en");
    pub const FR: Language = Language::known("fr");
    pub const ES: Language = Language::known("es");

    const fn known(code: &str) -> Language {
        let src = code.as_bytes();
        let mut bytes = [0u8; MAX_CODE];
        let mut i = 0;
        while i < src.len() {
            bytes[i] = src[i];
            i += 1;
        }
        Language {
            len: src.len() as u8,
            bytes,
        }
    }

    /// A code: 2 to 7 ASCII letters, digits or hyphens, starting with a letter; stored
    /// lower-case.
    pub fn new(code: &str) -> Option<Language> {
        let code = code.trim();
        let fits = (2..=MAX_CODE).contains(&code.len())
            && code.starts_with(|c: char| c.is_ascii_alphabetic())
            && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        fits.then(|| Language::known(&code.to_ascii_lowercase()))
    }

    pub fn code(&self) -> &str {
        // Only ASCII ever goes in (`new`, `known`).
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("en")
    }
}

impl serde::Serialize for Language {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl fmt::Debug for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
