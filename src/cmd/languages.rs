//! `reminders languages`: the language packs loaded (built in, and the clinic's from
//! `[languages] dir`), or with `--template` the English pack to start a new one from.

use anyhow::Result;

use crate::config::Config;
use crate::domain::languages::{Languages, TEMPLATE};

#[derive(clap::Args, Debug)]
#[command(
    about = "List the language packs, or print the English pack to start a new language from",
    long_about = "Lists every language patients can be reminded in: the built-in packs \
(English, French, Spanish) and the clinic's own from the languages folder ([languages] dir, \
default ./languages), each with its code, the export values that mean it, the language Twilio \
speaks it in (none: text-only) and where its words come from. A pack with a missing or unknown \
key, or a reply word that is one of Twilio's opt-out words used for something else, stops \
every command with exit 2 naming the file and the key; this command is a quick way to check \
a new pack. With --template, prints the English pack, every key commented, to translate.",
    after_help = "Examples:\n  reminders languages\n  \
reminders languages --template > languages/pt.toml"
)]
pub struct Args {
    /// Print the English pack (every key, commented) as the start of a new language's file.
    #[arg(long)]
    pub template: bool,
}

/// `--template` needs no configuration: it runs even where the configuration does not load.
pub fn template() -> Result<()> {
    print!("{TEMPLATE}");
    Ok(())
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    if args.template {
        return template();
    }
    print!("{}", listing(&cfg.languages));
    Ok(())
}

/// One line per pack: code, name, say language, export values, source.
fn listing(languages: &Languages) -> String {
    let default = languages.default_pack().code;
    let mut out = String::new();
    for p in languages.all() {
        let mut names: Vec<String> = p.names().to_vec();
        names.extend(p.regions().iter().map(|r| format!("{r}-*")));
        let say = p.say_language().map_or_else(
            || "text-only".to_string(),
            |l| match p.voice() {
                Some(v) => format!("says {l} ({v})"),
                None => format!("says {l}"),
            },
        );
        let mark = if p.code == default { " (default)" } else { "" };
        out.push_str(&format!(
            "{:<7} {}{mark}: {say}; export values {}; from {}\n",
            p.code.code(),
            p.name(),
            names.join(", "),
            p.file
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_pack_with_the_default_marked() {
        let text = listing(&Languages::built_in());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].starts_with("en      English (default): says en-CA; export values en, eng, english, anglais, en-*; from the built-in en pack"),
            "{text}"
        );
        assert!(
            lines[2].starts_with("es      Español: says es-MX;"),
            "{text}"
        );
    }
}
