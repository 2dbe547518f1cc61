//! One language pack: the keys a pack file holds, how a file is read into them, and the checks
//! a complete pack must pass. Every problem names the file and the key.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Tz;

use super::Language;
use crate::domain::keywords::{self, Reply};
use crate::domain::templates::fill;

/// What a key holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One text.
    Text,
    /// A list of texts (`opt_out_endings`, `names`).
    List,
    /// Reply words.
    Words,
    /// Exactly this many texts (days, months).
    Exactly(usize),
}

/// A key of a pack file.
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    /// Only a call uses it: a text-only pack (no `say_language`) may leave it out.
    pub spoken: bool,
    /// Whether a clinic's pack for a new language must set it. Every key is required today; a
    /// key added in a later version is not (a pack written before it is still whole), and
    /// falls back to the default language's.
    pub required: bool,
    /// The placeholders its text may use; `None`: any (the reminder templates may use the
    /// export's own columns).
    pub placeholders: Option<&'static [&'static str]>,
}

const fn key(name: &'static str, kind: Kind, placeholders: &'static [&'static str]) -> Key {
    Key {
        name,
        kind,
        spoken: false,
        required: true,
        placeholders: Some(placeholders),
    }
}

const fn spoken(name: &'static str, placeholders: &'static [&'static str]) -> Key {
    Key {
        spoken: true,
        ..key(name, Kind::Text, placeholders)
    }
}

/// A key added after the first packs: a clinic's pack written before it is still whole, and
/// gets the default language's words for it.
const fn later(name: &'static str, placeholders: &'static [&'static str]) -> Key {
    Key {
        required: false,
        ..key(name, Kind::Text, placeholders)
    }
}

/// Reply words added after the first packs (`later` for words).
const fn later_words(name: &'static str) -> Key {
    Key {
        required: false,
        ..key(name, Kind::Words, NONE)
    }
}

const fn template(name: &'static str, spoken: bool) -> Key {
    Key {
        name,
        kind: Kind::Text,
        spoken,
        required: true,
        placeholders: None,
    }
}

const NONE: &[&str] = &[];
const WHEN: &[&str] = &["when"];
const WHEN_CLINIC: &[&str] = &["when", "clinic_name", "of_clinic"];
const MOVED: &[&str] = &["when", "moved_from"];
const MOVED_CLINIC: &[&str] = &["when", "moved_from", "clinic_name", "of_clinic"];
const COUNT: &[&str] = &["count"];
const COUNT_CLINIC: &[&str] = &["count", "clinic_name", "of_clinic"];
const DATE: &[&str] = &[
    "weekday",
    "weekday_short",
    "day",
    "month",
    "month_short",
    "year",
];
const OFFER: &[&str] = &["date", "time", "with_provider"];
const OFFER_CLINIC: &[&str] = &["date", "time", "with_provider", "clinic_name"];
const TIME: &[&str] = &["hour", "hour12", "minute", "am_pm"];

/// Every key of a pack, in the order of the English pack (`code` is read apart).
pub const KEYS: &[Key] = &[
    key("name", Kind::Text, NONE),
    key("names", Kind::List, NONE),
    key("say_language", Kind::Text, NONE),
    key("voice", Kind::Text, NONE),
    key("dates.days", Kind::Exactly(7), NONE),
    key("dates.days_short", Kind::Exactly(7), NONE),
    key("dates.months", Kind::Exactly(12), NONE),
    key("dates.months_short", Kind::Exactly(12), NONE),
    key("dates.date", Kind::Text, DATE),
    key("dates.date_short", Kind::Text, DATE),
    key("dates.time", Kind::Text, TIME),
    key("dates.time_on_the_hour", Kind::Text, TIME),
    key("dates.am", Kind::Text, NONE),
    key("dates.pm", Kind::Text, NONE),
    key("words.confirm", Kind::Words, NONE),
    key("words.cancel", Kind::Words, NONE),
    key("words.opt_out", Kind::Words, NONE),
    key("words.opt_in", Kind::Words, NONE),
    key("words.help", Kind::Words, NONE),
    // Answers to an offer of a freed slot (only a reply to an offer is read with them).
    later_words("words.take"),
    later_words("words.decline"),
    template("texts.sms", false),
    template("texts.sms_combined", false),
    key("texts.sms_reminder", Kind::Text, WHEN),
    key("texts.sms_reminder_clinic", Kind::Text, WHEN_CLINIC),
    key("texts.sms_moved", Kind::Text, WHEN),
    key("texts.sms_moved_clinic", Kind::Text, WHEN_CLINIC),
    key("texts.sms_intro", Kind::Text, COUNT),
    key("texts.sms_intro_clinic", Kind::Text, COUNT_CLINIC),
    key("texts.sms_callback", Kind::Text, &["callback_number"]),
    key("texts.opt_out", Kind::Text, NONE),
    key("texts.opt_out_endings", Kind::List, NONE),
    key("texts.when", Kind::Text, &["date", "time"]),
    key("texts.when_short", Kind::Text, &["date", "time"]),
    key("texts.and", Kind::Text, NONE),
    key("texts.of_clinic", Kind::Text, &["clinic_name"]),
    key("texts.of_clinic_elided", Kind::Text, &["clinic_name"]),
    template("texts.voice", true),
    template("texts.voice_combined", true),
    spoken("texts.voice_reminder", WHEN),
    spoken("texts.voice_reminder_clinic", WHEN_CLINIC),
    spoken("texts.voice_moved", MOVED),
    spoken("texts.voice_moved_clinic", MOVED_CLINIC),
    spoken("texts.voice_intro", COUNT),
    spoken("texts.voice_intro_clinic", COUNT_CLINIC),
    spoken("texts.voice_callback", &["callback_number"]),
    spoken("texts.call_confirmed", NONE),
    spoken("texts.call_confirmed_many", NONE),
    spoken("texts.call_cancel", NONE),
    spoken("texts.call_cancel_many", NONE),
    spoken("texts.call_ask_again", NONE),
    spoken("texts.call_ask_again_many", NONE),
    spoken("texts.call_goodbye", NONE),
    spoken("texts.call_unknown", NONE),
    spoken("texts.inbound_reached", NONE),
    spoken("texts.inbound_reached_clinic", &["clinic_name"]),
    spoken("texts.inbound_putting_through", NONE),
    spoken("texts.inbound_no_calls", NONE),
    spoken("texts.inbound_address", &["address"]),
    spoken("texts.inbound_goodbye", NONE),
    key("texts.sms_confirmed", Kind::Text, NONE),
    key("texts.sms_confirmed_many", Kind::Text, NONE),
    key("texts.sms_cancel", Kind::Text, NONE),
    key("texts.sms_cancel_many", Kind::Text, NONE),
    key("texts.sms_no_appointment", Kind::Text, NONE),
    key("texts.sms_help", Kind::Text, NONE),
    key("texts.sms_opted_out", Kind::Text, NONE),
    key("texts.sms_opted_in", Kind::Text, NONE),
    key("texts.sms_seen", Kind::Text, NONE),
    // After the reminder: a text after a voicemail, a missed visit, the clinic's cancellation.
    later("texts.sms_voicemail", WHEN),
    later("texts.sms_voicemail_clinic", &["when", "clinic_name"]),
    later("texts.no_show", &["when", "book_again"]),
    later(
        "texts.no_show_clinic",
        &["when", "book_again", "clinic_name"],
    ),
    later("texts.clinic_cancelled", &["when", "book_again"]),
    later(
        "texts.clinic_cancelled_clinic",
        &["when", "book_again", "clinic_name"],
    ),
    later("texts.book_again", NONE),
    later("texts.book_again_callback", &["callback_number"]),
    // The waitlist: a freed slot offered, and the answers to the patient's reply.
    later("texts.offer", OFFER),
    later("texts.offer_clinic", OFFER_CLINIC),
    later("texts.offer_with_provider", &["provider"]),
    later("texts.offer_taken", &["date", "time"]),
    later("texts.offer_gone", NONE),
    later("texts.offer_declined", NONE),
    later("texts.offer_closed", NONE),
];

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
