//! The languages patients are reminded in (docs/languages.md): each one a pack of words — its
//! names in an export, its `<Say>` language, dates, every text and call script, reply words.
//! English, French and Spanish are built in; a clinic adds its own packs or overrides keys of
//! the built-in ones. Reading the files is the caller's: this module gets their text.

use std::collections::HashMap;

pub mod code;
mod keys;
pub mod pack;

pub use code::Language;
pub use pack::{KEYS, Pack, PackFile};

use crate::domain::keywords::{self, Reply};

/// The built-in packs, in the order they are listed.
pub const BUILT_IN: [(&str, &str); 3] = [
    ("en", include_str!("en.toml")),
    ("fr", include_str!("fr.toml")),
    ("es", include_str!("es.toml")),
];

/// The English pack as written: where a clinic's own pack starts.
pub const TEMPLATE: &str = BUILT_IN[0].1;

/// One pack file to read: where it is (for messages) and its text.
pub struct Source {
    pub file: String,
    pub text: String,
}

/// What a reply word means, and the languages whose packs list it.
#[derive(Clone, Debug)]
struct Meaning {
    reply: Reply,
    file: String,
    key: &'static str,
    languages: Vec<Language>,
}

/// Every loaded pack, the default, and every pack's reply words.
#[derive(Clone, Debug)]
pub struct Languages {
    packs: Vec<Pack>,
    default: usize,
    replies: HashMap<String, Meaning>,
}

impl Languages {
    /// English, French and Spanish as built in, English the default.
    pub fn built_in() -> Languages {
        // The built-in packs are checked by a unit test; they cannot fail here.
        Languages::load(&[], "en").unwrap_or_else(|why| panic!("the built-in packs: {why}"))
    }

    /// The built-in packs, then a clinic's `files` (a file for a built-in code overrides the
    /// keys it sets; any other is a new language and must set every key); `default`: the code
    /// of the language for rows whose value names none.
    pub fn load(files: &[Source], default: &str) -> Result<Languages, String> {
        let mut read: Vec<PackFile> = Vec::new();
        for (code, text) in BUILT_IN {
            read.push(pack::parse(&format!("the built-in {code} pack"), text)?);
        }
        let built_in = read.len();
        let mut seen: HashMap<Language, String> = HashMap::new();
        for s in files {
            let f = pack::parse(&s.file, &s.text)?;
            if let Some(other) = seen.insert(f.code, s.file.clone()) {
                return Err(format!(
                    "{}: key `code`: {} is also the code of {other}",
                    s.file, f.code
                ));
            }
            match read[..built_in].iter_mut().find(|b| b.code == f.code) {
                Some(b) => {
                    b.file = format!("{} ({} overrides some keys)", b.file, f.file);
                    b.values.extend(f.values);
                }
                None => read.push(f),
            }
        }
        let default_code = Language::new(default)
            .ok_or_else(|| format!("default_language: {default:?} is not a language code"))?;
        let Some(default_at) = read.iter().position(|f| f.code == default_code) else {
            let codes: Vec<String> = read.iter().map(|f| f.code.to_string()).collect();
            return Err(format!(
                "default_language: {default_code} names no language pack (loaded: {})",
                codes.join(", ")
            ));
        };
        // The default first, so that it can fill the keys a text-only pack leaves out.
        let default = Pack::complete(read[default_at].clone(), None)?;
        if default.say_language().is_none() {
            return Err(format!(
                "default_language: {default_code} is text-only (no say_language): calls to numbers that cannot take texts need a spoken default"
            ));
        }
        let mut packs = Vec::with_capacity(read.len());
        for (i, f) in read.into_iter().enumerate() {
            if i == default_at {
                packs.push(default.clone());
            } else {
                packs.push(Pack::complete(f, Some(&default))?);
            }
        }
        check_names(&packs)?;
        let replies = index_replies(&packs)?;
        Ok(Languages {
            packs,
            default: default_at,
            replies,
        })
    }

    pub fn all(&self) -> &[Pack] {
        &self.packs
    }

    pub fn default_pack(&self) -> &Pack {
        &self.packs[self.default]
    }

    /// The pack of a stored code; a code no pack has (its file was removed since) gets the
    /// default.
    pub fn get(&self, code: &str) -> &Pack {
        let code = code.trim();
        self.packs
            .iter()
            .find(|p| p.code.code().eq_ignore_ascii_case(code))
            .unwrap_or_else(|| self.default_pack())
    }

    /// The pack a call speaks for a stored code: its own, or the default's when it is
    /// text-only.
    pub fn spoken(&self, code: &str) -> &Pack {
        let p = self.get(code);
        if p.say_language().is_some() {
            p
        } else {
            self.default_pack()
        }
    }

    pub fn pack(&self, l: Language) -> &Pack {
        self.get(l.code())
    }

    /// Sets the `<Say>` voice of a loaded language (the older `say_voice_en` keys).
    pub fn set_voice(&mut self, code: &str, voice: &str) {
        if let Some(p) = self.packs.iter_mut().find(|p| p.code.code() == code) {
            p.set_voice(voice);
        }
    }

    /// The language an export's cell names: one of a pack's `names`, or a region of one of its
    /// codes (`es-MX`, `es_US`); empty is the default. `None`: no pack.
    pub fn resolve(&self, raw: &str) -> Option<Language> {
        let w = raw.trim();
        if w.is_empty() {
            return Some(self.default_pack().code);
        }
        // Once per row of an import: an ASCII value (nearly all) is compared without being
        // lowered into a new string.
        let same = |name: &String| {
            if w.is_ascii() {
                name.eq_ignore_ascii_case(w)
            } else {
                *name == w.to_lowercase()
            }
        };
        if let Some(p) = self.packs.iter().find(|p| p.names().iter().any(same)) {
            return Some(p.code);
        }
        let (code, region) = w.split_once(['-', '_'])?;
        if region.is_empty() {
            return None;
        }
        self.packs
            .iter()
            .find(|p| p.regions().iter().any(|r| r.eq_ignore_ascii_case(code)))
            .map(|p| p.code)
    }

    /// What a text means, in every pack's words; the language it tells when only one pack has
    /// the word.
    pub fn interpret(&self, body: &str) -> keywords::Classified {
        let word = keywords::fold(body);
        let Some(m) = self.replies.get(&word) else {
            return keywords::interpret_twilio(&word);
        };
        keywords::Classified {
            reply: m.reply,
            language: match m.languages.as_slice() {
                [one] => Some(*one),
                _ => None,
            },
            twilio_handles: keywords::twilio_handles(&word),
        }
    }
}

/// No export value may mean two languages.
fn check_names(packs: &[Pack]) -> Result<(), String> {
    let mut by_name: HashMap<(&str, bool), &Pack> = HashMap::new();
    for p in packs {
        let names = p.names().iter().map(|n| (n.as_str(), false));
        let regions = p.regions().iter().map(|r| (r.as_str(), true));
        for n in names.chain(regions) {
            match by_name.insert(n, p) {
                Some(other) if other.code != p.code => {
                    let shown = if n.1 {
                        format!("{}-*", n.0)
                    } else {
                        n.0.to_string()
                    };
                    return Err(format!(
                        "{}: key `names`: {shown:?} already means {} ({})",
                        p.file, other.code, other.file
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Every pack's reply words; a word with two meanings (in two packs, or two keys of one) is
/// refused, naming both.
fn index_replies(packs: &[Pack]) -> Result<HashMap<String, Meaning>, String> {
    let mut out: HashMap<String, Meaning> = HashMap::new();
    for p in packs {
        for reply in pack::MEANINGS {
            let key = pack::words_key(reply);
            for word in p.words(reply) {
                match out.get_mut(&word) {
                    Some(m) if m.reply != reply => {
                        return Err(format!(
                            "{}: key `{key}`: {word} is already a `{}` word ({})",
                            p.file, m.key, m.file
                        ));
                    }
                    Some(m) => {
                        if !m.languages.contains(&p.code) {
                            m.languages.push(p.code);
                        }
                    }
                    None => {
                        out.insert(
                            word,
                            Meaning {
                                reply,
                                file: p.file.clone(),
                                key,
                                languages: vec![p.code],
                            },
                        );
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
