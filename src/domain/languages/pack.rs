//! One language pack: the keys a pack file holds, how a file is read into them, and the checks
//! a complete pack must pass. Every problem names the file and the key.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Tz;

use super::Language;
pub use super::keys::{KEYS, Key, Kind};
use crate::domain::keywords::{self, Reply};
use crate::domain::templates::fill;

/// The value of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    List(Vec<String>),
}

/// A pack file as read: its code and the keys it sets.
#[derive(Clone, Debug)]
pub struct PackFile {
    /// Where it came from, as messages name it (a path, or "the built-in es pack").
    pub file: String,
    pub code: Language,
    pub values: BTreeMap<&'static str, Value>,
}

/// The tables a pack file may hold.
const TABLES: [&str; 3] = ["dates", "words", "texts"];

/// Reads a pack file's text; every key must be one of `KEYS` and of its kind.
pub fn parse(file: &str, text: &str) -> Result<PackFile, String> {
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{file}: not valid TOML: {e}"))?;
    let code = match table.get("code") {
        Some(toml::Value::String(s)) => Language::new(s).ok_or_else(|| {
            format!(
                "{file}: key `code`: {s:?} is not a language code (2 to 7 letters, digits or hyphens, e.g. \"pt\" or \"pt-br\")"
            )
        })?,
        Some(_) => return Err(format!("{file}: key `code`: must be a string, e.g. \"pt\"")),
        None => return Err(format!("{file}: missing key `code` (e.g. code = \"pt\")")),
    };
    let mut values = BTreeMap::new();
    let mut flat: Vec<(String, &toml::Value)> = Vec::new();
    for (k, v) in &table {
        if k == "code" {
            continue;
        }
        match v {
            toml::Value::Table(t) if TABLES.contains(&k.as_str()) => {
                flat.extend(t.iter().map(|(kk, vv)| (format!("{k}.{kk}"), vv)));
            }
            _ => flat.push((k.clone(), v)),
        }
    }
    for (name, v) in flat {
        let Some(def) = KEYS.iter().find(|d| d.name == name) else {
            return Err(format!(
                "{file}: unknown key `{name}` (`reminders languages --template` shows every key)"
            ));
        };
        let bad = |what: &str| format!("{file}: key `{name}`: must be {what}");
        let value = match (def.kind, v) {
            (Kind::Text, toml::Value::String(s)) => Value::Text(s.clone()),
            (Kind::Text, _) => return Err(bad("a string")),
            (_, toml::Value::Array(items)) => Value::List(
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad("a list of strings"))?,
            ),
            (_, _) => return Err(bad("a list of strings")),
        };
        values.insert(def.name, value);
    }
    Ok(PackFile {
        file: file.to_string(),
        code,
        values,
    })
}

/// A complete pack, checked.
#[derive(Clone, Debug)]
pub struct Pack {
    pub code: Language,
    /// Where its keys came from ("the built-in fr pack", or that and a clinic's file).
    pub file: String,
    values: BTreeMap<&'static str, Value>,
    /// `names` lower-cased, less the `xx-*` patterns, which are in `regions`.
    names: Vec<String>,
    regions: Vec<String>,
}

impl Pack {
    /// Checks `f` as a whole pack. `fallback`: the pack that fills the keys a text-only pack
    /// leaves out (its spoken ones) and keys added after it was written.
    pub fn complete(f: PackFile, fallback: Option<&Pack>) -> Result<Pack, String> {
        let file = f.file;
        let mut values = f.values;
        let text_only =
            matches!(values.get("say_language"), Some(Value::Text(s)) if s.trim().is_empty());
        for def in KEYS {
            if values.contains_key(def.name) {
                continue;
            }
            let may_miss = !def.required || (def.spoken && text_only);
            match fallback.and_then(|p| p.values.get(def.name)) {
                Some(v) if may_miss => {
                    values.insert(def.name, v.clone());
                }
                _ => {
                    let hint = if def.name == "say_language" {
                        " (say_language = \"\" for a language Twilio cannot speak: text-only)"
                    } else {
                        ""
                    };
                    return Err(format!("{file}: missing key `{}`{hint}", def.name));
                }
            }
        }
        for def in KEYS {
            check(&file, def, &values[def.name])?;
        }
        let mut names = Vec::new();
        let mut regions = Vec::new();
        if let Some(Value::List(all)) = values.get("names") {
            for n in all {
                let n = n.trim().to_lowercase();
                match n.strip_suffix("-*") {
                    Some(code) => regions.push(code.to_string()),
                    None => names.push(n),
                }
            }
        }
        Ok(Pack {
            code: f.code,
            file,
            values,
            names,
            regions,
        })
    }

    /// The text of a key (every key is there once `complete` passed).
    pub fn text(&self, key: &str) -> &str {
        match self.values.get(key) {
            Some(Value::Text(s)) => s,
            _ => "",
        }
    }

    pub fn list(&self, key: &str) -> &[String] {
        match self.values.get(key) {
            Some(Value::List(l)) => l,
            _ => &[],
        }
    }

    /// A sentence key with its placeholders filled (`complete` checked they are known).
    pub fn say(&self, key: &str, value: impl Fn(&str) -> Option<String>) -> String {
        let t = self.text(key);
        fill(t, value).unwrap_or_else(|_| t.to_string())
    }

    pub fn name(&self) -> &str {
        self.text("name")
    }

    /// Twilio's `<Say>` language (`es-MX`); `None`: text-only.
    pub fn say_language(&self) -> Option<&str> {
        Some(self.text("say_language").trim()).filter(|s| !s.is_empty())
    }

    pub fn voice(&self) -> Option<&str> {
        Some(self.text("voice").trim()).filter(|s| !s.is_empty())
    }

    pub fn set_voice(&mut self, voice: &str) {
        self.values.insert("voice", Value::Text(voice.to_string()));
    }

    /// The CSV values that mean this language, lower-cased (`es-*` patterns apart).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The codes whose regional forms (`es-MX`, `es_US`) mean this language.
    pub fn regions(&self) -> &[String] {
        &self.regions
    }

    /// The reply words of one meaning, as they compare.
    pub fn words(&self, reply: Reply) -> Vec<String> {
        self.list(words_key(reply))
            .iter()
            .map(|w| keywords::fold(w))
            .collect()
    }

    /// The appointment's local date in full ("Wednesday, November 25").
    pub fn date(&self, local: DateTime<Tz>) -> String {
        self.date_with("dates.date", local)
    }

    /// The date as a text gives it, short ("Wed Nov 25").
    pub fn date_short(&self, local: DateTime<Tz>) -> String {
        self.date_with("dates.date_short", local)
    }

    fn date_with(&self, key: &str, local: DateTime<Tz>) -> String {
        let weekday = local.weekday().num_days_from_monday() as usize;
        let month = local.month0() as usize;
        let pick = |k: &str, i: usize| self.list(k).get(i).cloned().unwrap_or_default();
        self.say(key, |name| {
            Some(match name {
                "weekday" => pick("dates.days", weekday),
                "weekday_short" => pick("dates.days_short", weekday),
                "month" => pick("dates.months", month),
                "month_short" => pick("dates.months_short", month),
                "day" => local.day().to_string(),
                "year" => local.year().to_string(),
                _ => return None,
            })
        })
    }

    /// The appointment's local time ("9:30 AM", "9 h 30", "9 h").
    pub fn time(&self, local: DateTime<Tz>) -> String {
        let key = if local.minute() == 0 {
            "dates.time_on_the_hour"
        } else {
            "dates.time"
        };
        let (pm, hour12) = local.hour12();
        self.say(key, |name| {
            Some(match name {
                "hour" => local.hour().to_string(),
                "hour12" => hour12.to_string(),
                "minute" => format!("{:02}", local.minute()),
                "am_pm" => self
                    .text(if pm { "dates.pm" } else { "dates.am" })
                    .to_string(),
                _ => return None,
            })
        })
    }
}

pub fn words_key(reply: Reply) -> &'static str {
    match reply {
        Reply::Confirm => "words.confirm",
        Reply::Cancel => "words.cancel",
        Reply::OptOut => "words.opt_out",
        Reply::OptIn => "words.opt_in",
        Reply::Help | Reply::Other => "words.help",
    }
}

/// The meanings a pack's words have, in the order they are checked.
pub const MEANINGS: [Reply; 5] = [
    Reply::OptOut,
    Reply::OptIn,
    Reply::Help,
    Reply::Confirm,
    Reply::Cancel,
];

/// One key's value checked against its definition.
fn check(file: &str, def: &Key, value: &Value) -> Result<(), String> {
    let name = def.name;
    let err = |why: String| Err(format!("{file}: key `{name}`: {why}"));
    match (def.kind, value) {
        (Kind::Exactly(n), Value::List(l)) if l.len() != n => {
            return err(format!("must list {n} names, it has {}", l.len()));
        }
        (Kind::Words | Kind::List, Value::List(l)) if l.iter().any(|w| w.trim().is_empty()) => {
            return err("holds an empty word".into());
        }
        (Kind::Words, Value::List(l)) => {
            for w in l {
                let folded = keywords::fold(w);
                if folded.is_empty() {
                    return err(format!("{w:?} is not a word a reply can match"));
                }
                if name != "words.opt_out" && keywords::is_twilio_opt_out(&folded) {
                    return err(format!(
                        "{w} is one of Twilio's own opt-out words: Twilio unsubscribes whoever sends it, so it may only be an opt-out word"
                    ));
                }
            }
        }
        _ => {}
    }
    if let (Some(allowed), Value::Text(t)) = (def.placeholders, value) {
        let mut unknown = None;
        let _ = fill(t, |p| {
            if !allowed.contains(&p) && unknown.is_none() {
                unknown = Some(p.to_string());
            }
            Some(String::new())
        });
        if let Some(p) = unknown {
            let known = if allowed.is_empty() {
                "it takes none".to_string()
            } else {
                format!("it takes {{{}}}", allowed.join("}, {"))
            };
            return err(format!("unknown placeholder {{{p}}}: {known}"));
        }
    }
    Ok(())
}
