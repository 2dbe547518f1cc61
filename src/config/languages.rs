//! `[languages] dir` and `default_language` (docs/languages.md): the built-in packs, a clinic's
//! own pack files over them, and the `[templates]` files, which name a language by its code
//! (`sms_en`, `voice_combined_es`, `sms_pt`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::file::{self, Unreadable};
use super::layers::Layers;
use crate::domain::languages::{Languages, Source};
use crate::exit::usage;

/// Where a clinic keeps its packs when the configuration does not say.
pub const DEFAULT_DIR: &str = "languages";

/// The packs: built in, then every `*.toml` of the languages folder in name order; the voices
/// the older `sending.say_voice_en` / `say_voice_fr` keys set win over the packs'.
pub fn load(l: &Layers<'_>) -> Result<Languages> {
    let (dir, named) = match l.raw("languages.dir") {
        Some((v, source)) if !v.trim().is_empty() => (PathBuf::from(v.trim()), Some(source)),
        _ => (PathBuf::from(DEFAULT_DIR), None),
    };
    let files = match pack_files(&dir) {
        Ok(files) => files,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && named.is_none() => Vec::new(),
        Err(e) => {
            let from = named.map_or(String::new(), |s| format!(" (languages.dir from {s})"));
            return Err(usage(format!(
                "cannot read the language packs folder {}{from}: {e}",
                dir.display()
            )));
        }
    };
    let mut sources = Vec::with_capacity(files.len());
    for path in files {
        let text = file::read_small(&path, "language pack").map_err(|why| match why {
            Unreadable::Missing(e) => {
                usage(format!("cannot read language pack {}: {e}", path.display()))
            }
            Unreadable::Refused(why) => usage(why),
        })?;
        sources.push(Source {
            file: path.display().to_string(),
            text,
        });
    }
    let default = l
        .optional_string("default_language")
        .unwrap_or_else(|| "en".to_string());
    let mut languages = Languages::load(&sources, &default).map_err(usage)?;
    for code in ["en", "fr"] {
        if let Some(voice) = l.optional_string(&format!("sending.say_voice_{code}")) {
            languages.set_voice(code, &voice);
        }
    }
    Ok(languages)
}

/// The `*.toml` files of `dir`, by name.
fn pack_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The kinds of template a `[templates]` key names — a reminder alone or combined, and the
/// messages after a reminder — longest first so that `sms_combined_en` is not read as `sms` of a
/// language `combined_en`.
pub const KINDS: [&str; 10] = [
    "sms_combined",
    "voice_combined",
    "sms_voicemail",
    "sms_no_show",
    "voice_no_show",
    "sms_clinic_cancelled",
    "voice_clinic_cancelled",
    "sms_offer",
    "sms",
    "voice",
];

/// A clinic's template files, by kind and language code (`sms_en` → its path).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Templates {
    files: BTreeMap<String, PathBuf>,
}

impl Templates {
    /// `[templates]` (`section` = "templates") or a site's (`sites.NAME.templates`), each key a
    /// kind and a loaded language's code.
    pub fn load(l: &Layers<'_>, section: &str, languages: &Languages) -> Result<Templates> {
        let mut files = BTreeMap::new();
        for name in l.table_names(section) {
            let key = format!("{section}.{name}");
            let code = KINDS
                .iter()
                .find_map(|k| name.strip_prefix(k).and_then(|r| r.strip_prefix('_')));
            let known = code.is_some_and(|c| {
                languages
                    .all()
                    .iter()
                    .any(|p| p.code.code().eq_ignore_ascii_case(c))
            });
            if !known {
                let codes: Vec<&str> = languages.all().iter().map(|p| p.code.code()).collect();
                return Err(usage(format!(
                    "unknown configuration key `{key}`: a template is sms_CODE, voice_CODE, sms_combined_CODE, voice_combined_CODE, sms_voicemail_CODE, sms_no_show_CODE, voice_no_show_CODE, sms_clinic_cancelled_CODE, voice_clinic_cancelled_CODE or sms_offer_CODE for a loaded language ({})",
                    codes.join(", ")
                )));
            }
            if let Some(path) = l.optional_string(&key) {
                files.insert(name.to_ascii_lowercase(), PathBuf::from(path));
            }
        }
        Ok(Templates { files })
    }

    /// The file of one kind ("sms", "voice_combined") for a language, if the clinic has one.
    pub fn get(&self, kind: &str, code: &str) -> Option<&PathBuf> {
        self.files.get(&format!("{kind}_{code}"))
    }

    /// These, and `top`'s for what these leave out (a site's over the top level's).
    pub fn or(mut self, top: &Templates) -> Templates {
        for (k, v) in &top.files {
            self.files.entry(k.clone()).or_insert_with(|| v.clone());
        }
        self
    }

    /// Every file named, with its key.
    pub fn files(&self) -> impl Iterator<Item = (&str, &PathBuf)> {
        self.files.iter().map(|(k, v)| (k.as_str(), v))
    }
}
