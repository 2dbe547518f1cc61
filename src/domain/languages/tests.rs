use super::pack::{Kind, Value};
use super::*;
use crate::domain::keywords::OTHER;

fn source(file: &str, text: &str) -> Source {
    Source {
        file: file.into(),
        text: text.into(),
    }
}

/// A new language written from the template, as a clinic would: the English pack with another
/// code and names.
fn from_template(code: &str, names: &str, say_language: &str) -> String {
    TEMPLATE
        .replace("code = \"en\"", &format!("code = \"{code}\""))
        .replace(
            "names = [\"en\", \"eng\", \"english\", \"anglais\", \"en-*\"]",
            &format!("names = [{names}]"),
        )
        .replace(
            "say_language = \"en-CA\"",
            &format!("say_language = \"{say_language}\""),
        )
        .replace(
            "confirm = [\"C\", \"CONFIRM\", \"YES\", \"1\"]",
            "confirm = [\"C\", \"1\", \"SIM\"]",
        )
}

#[test]
fn every_built_in_pack_has_every_key_of_its_kind() {
    for (code, text) in BUILT_IN {
        let f = pack::parse(code, text).unwrap();
        assert_eq!(f.code.code(), code);
        for key in KEYS {
            let v = f
                .values
                .get(key.name)
                .unwrap_or_else(|| panic!("{code}: {}", key.name));
            match (key.kind, v) {
                (Kind::Text, Value::Text(t)) => {
                    let may_be_empty = key.name == "voice";
                    assert!(may_be_empty || !t.trim().is_empty(), "{code}: {}", key.name);
                }
                (Kind::Exactly(n), Value::List(l)) => assert_eq!(l.len(), n, "{}", key.name),
                (Kind::List | Kind::Words, Value::List(l)) => {
                    assert!(!l.is_empty(), "{code}: {}", key.name)
                }
                _ => panic!("{code}: {} is not of its kind", key.name),
            }
        }
        assert_eq!(f.values.len(), KEYS.len(), "{code}: a key no one reads");
    }
    let all = Languages::built_in();
    let codes: Vec<&str> = all.all().iter().map(|p| p.code.code()).collect();
    assert_eq!(codes, ["en", "fr", "es"]);
    for p in all.all() {
        assert!(p.say_language().is_some(), "{}", p.code);
    }
    assert_eq!(all.get("es").say_language(), Some("es-MX"));
}

#[test]
fn export_values_name_a_pack() {
    let all = Languages::built_in();
    for (raw, want) in [
        ("en", Some("en")),
        ("ENG", Some("en")),
        ("English", Some("en")),
        ("anglais", Some("en")),
        ("en-CA", Some("en")),
        ("En_gb", Some("en")),
        ("", Some("en")),
        ("fr", Some("fr")),
        ("fra", Some("fr")),
        ("fre", Some("fr")),
        ("French", Some("fr")),
        ("Français", Some("fr")),
        ("francais", Some("fr")),
        ("FRANÇAIS", Some("fr")),
        ("fr_FR", Some("fr")),
        ("fr-CA", Some("fr")),
        ("es", Some("es")),
        ("spa", Some("es")),
        ("Spanish", Some("es")),
        ("Español", Some("es")),
        ("ESPAÑOL", Some("es")),
        ("espanol", Some("es")),
        ("es-MX", Some("es")),
        (" es_US ", Some("es")),
        ("enx", None),
        ("en-", None),
        ("Unknown", None),
        ("de", None),
    ] {
        assert_eq!(
            all.resolve(raw).map(|l| l.code().to_string()).as_deref(),
            want,
            "{raw:?}"
        );
    }
    // A clinic whose patients are mostly French-speaking: an empty cell is French.
    let fr = Languages::load(&[], "fr").unwrap();
    assert_eq!(fr.resolve(""), Some(Language::FR));
    assert_eq!(fr.default_pack().code, Language::FR);
}

#[test]
fn reply_words_of_every_pack_from_every_number() {
    use Reply::*;
    let all = Languages::built_in();
    let table: &[(&str, Reply)] = &[
        ("Oui!", Confirm),
        ("oui", Confirm),
        ("OUI.", Confirm),
        ("« Oui »", Confirm),
        ("o", Confirm),
        ("c.", Confirm),
        ("C!!", Confirm),
        ("1.", Confirm),
        ("Yes!", Confirm),
        ("¿Oui?", Confirm),
        ("Oui :)", Confirm),
        ("Sí", Confirm),
        ("SI", Confirm),
        ("¡sí!", Confirm),
        ("Confirmo", Confirm),
        ("Non", Cancel),
        ("non!", Cancel),
        ("N", Cancel),
        ("r", Cancel),
        ("no.", Cancel),
        ("NO", Cancel),
        ("Reprogramar", Cancel),
        (" arrêt. ", OptOut),
        ("ARRÊT", OptOut),
        ("Arret", OptOut),
        ("arrêt…", OptOut),
        ("Désabonner", OptOut),
        ("DÉSABONNER", OptOut),
        ("arre\u{302}t", OptOut),
        ("desabonner", OptOut),
        ("Stop!", OptOut),
        ("\"STOP\"", OptOut),
        ("cancel", OptOut),
        ("Baja", OptOut),
        ("Start", OptIn),
        ("aide?", Help),
        ("Aide", Help),
        ("help!", Help),
        ("Info", Help),
        ("Ayuda", Help),
        // Sentences and near-misses stay for staff to read.
        ("", Other),
        ("   ", Other),
        ("...", Other),
        ("oui merci beaucoup", Other),
        ("Oui, merci", Other),
        ("yes please", Other),
        ("no problem", Other),
        ("non merci", Other),
        ("si gracias", Other),
        ("stop it", Other),
        ("arrêtez", Other),
        ("12", Other),
        ("c c", Other),
        ("👍", Other),
        ("Ouii", Other),
        ("cancelar", Other),
    ];
    for (body, expected) in table {
        assert_eq!(all.interpret(body).reply, *expected, "{body:?}");
    }
}

#[test]
fn the_language_a_word_tells() {
    let all = Languages::built_in();
    let table: &[(&str, Option<&str>)] = &[
        ("oui", Some("fr")),
        ("O", Some("fr")),
        ("non", Some("fr")),
        ("arrêt", Some("fr")),
        ("désabonner", Some("fr")),
        ("aide", Some("fr")),
        ("sí", Some("es")),
        ("baja", Some("es")),
        ("ayuda", Some("es")),
        ("yes", Some("en")),
        ("confirm", Some("en")),
        ("reschedule", Some("en")),
        ("cancel", Some("en")),
        ("unsubscribe", Some("en")),
        ("help", Some("en")),
        // Several languages have these: the answer goes in the appointment's language.
        ("no", None),
        ("start", None),
        ("C", None),
        ("R", None),
        ("N", None),
        ("1", None),
        ("2", None),
        ("stop", None),
        ("info", None),
        ("oui merci", None),
    ];
    for (body, expected) in table {
        let told = all.interpret(body).language;
        assert_eq!(told.as_ref().map(Language::code), *expected, "{body:?}");
    }
}

#[test]
fn twilio_answers_only_its_own_words() {
    let all = Languages::built_in();
    for w in [keywords::OPT_OUT, keywords::OPT_IN, keywords::HELP].concat() {
        assert!(all.interpret(w).twilio_handles, "{w}");
    }
    assert!(
        all.interpret("yes").twilio_handles,
        "YES is a Twilio opt-in word"
    );
    for w in [
        "arrêt",
        "ARRET",
        "désabonner",
        "aide",
        "oui",
        "non",
        "C",
        "R",
        "1",
        "baja",
        "sí",
    ] {
        assert!(!all.interpret(w).twilio_handles, "{w}");
    }
    assert_eq!(all.interpret("merci"), OTHER);
}

#[test]
fn every_built_in_word_is_written_as_it_compares() {
    for p in Languages::built_in().all() {
        for reply in pack::MEANINGS {
            for w in p.list(pack::words_key(reply)) {
                assert_eq!(
                    keywords::fold(w),
                    *w,
                    "{}: a listed word would never match",
                    p.code
                );
            }
        }
    }
}

#[test]
fn a_clinics_pack_from_the_template() {
    let pt = from_template("pt", "\"pt\", \"por\", \"português\", \"pt-*\"", "pt-BR");
    let pa = from_template("pa", "\"pa\", \"punjabi\"", "")
        .replace("\"SIM\"", "\"HAAN\"")
        // A text-only language need not translate what only a call says.
        .lines()
        .filter(|l| !l.starts_with("call_") && !l.starts_with("inbound_"))
        .collect::<Vec<_>>()
        .join("\n");
    let all = Languages::load(
        &[
            source("languages/pa.toml", &pa),
            source("languages/pt.toml", &pt),
        ],
        "en",
    )
    .unwrap();
    assert_eq!(
        all.resolve("Português").map(|l| l.to_string()).as_deref(),
        Some("pt")
    );
    assert_eq!(
        all.resolve("pt-BR").map(|l| l.to_string()).as_deref(),
        Some("pt")
    );
    assert_eq!(
        all.resolve("PUNJABI").map(|l| l.to_string()).as_deref(),
        Some("pa")
    );
    let said = all.interpret("sim!");
    assert_eq!(
        (said.reply, said.language),
        (Reply::Confirm, Language::new("pt"))
    );
    assert_eq!(all.interpret("Haan").reply, Reply::Confirm);
    let pa = all.get("pa");
    assert_eq!(pa.say_language(), None);
    assert_eq!(all.spoken("pa").code, Language::EN);
    assert_eq!(
        pa.text("texts.call_goodbye"),
        all.get("en").text("texts.call_goodbye")
    );
    // A stored code whose pack is gone reads as the default.
    assert_eq!(all.get("de").code, Language::EN);
}

#[test]
fn an_override_changes_only_the_keys_it_sets() {
    let all = Languages::load(
        &[source(
            "languages/es.toml",
            "code = \"es\"\nvoice = \"Polly.Mia\"\n[texts]\nsms_seen = \"Gracias.\"\n",
        )],
        "en",
    )
    .unwrap();
    let es = all.get("es");
    assert_eq!(es.voice(), Some("Polly.Mia"));
    assert_eq!(es.text("texts.sms_seen"), "Gracias.");
    assert_eq!(
        es.text("texts.sms_confirmed"),
        "Gracias, confirmamos su cita."
    );
}

#[test]
fn a_broken_pack_names_its_file_and_key() {
    let err = |files: &[Source]| Languages::load(files, "en").unwrap_err();
    let pt = from_template("pt", "\"pt\"", "pt-BR");
    let missing = pt.replace("sms_seen = ", "# sms_seen = ");
    assert_eq!(
        err(&[source("languages/pt.toml", &missing)]),
        "languages/pt.toml: missing key `texts.sms_seen`"
    );
    let no_say = pt.replace("say_language = \"pt-BR\"\n", "");
    assert!(
        err(&[source("p.toml", &no_say)])
            .starts_with("p.toml: missing key `say_language` (say_language = \"\""),
    );
    let stop = pt.replace("\"SIM\"", "\"SIM\", \"Stop\"");
    assert_eq!(
        err(&[source("languages/pt.toml", &stop)]),
        "languages/pt.toml: key `words.confirm`: Stop is one of Twilio's own opt-out words: Twilio unsubscribes whoever sends it, so it may only be an opt-out word"
    );
    let stop_all = "code = \"fr\"\n[words]\nhelp = [\"STOP ALL\"]\n";
    assert!(
        err(&[source("fr.toml", stop_all)])
            .contains("key `words.help`: STOP ALL is one of Twilio's")
    );
    // The same word with the same meaning in two packs is fine; with another, refused.
    let twice = pt.replace("\"SIM\"", "\"SIM\", \"OUI\"");
    assert!(Languages::load(&[source("languages/pt.toml", &twice)], "en").is_ok());
    let other = pt.replace("cancel = [\"R\"", "cancel = [\"OUI\", \"R\"");
    assert_eq!(
        err(&[source("languages/pt.toml", &other)]),
        "languages/pt.toml: key `words.cancel`: OUI is already a `words.confirm` word (the built-in fr pack)"
    );
    let typo = pt.replace("sms_seen = ", "sms_sen = ");
    assert!(err(&[source("pt.toml", &typo)]).starts_with("pt.toml: unknown key `texts.sms_sen`"));
    let placeholder = pt.replace("{count} appointments:\"", "{cuont} appointments:\"");
    assert!(err(&[source("pt.toml", &placeholder)]).starts_with(
        "pt.toml: key `texts.sms_intro`: unknown placeholder {cuont}: it takes {count}"
    ),);
    let days = pt.replace("\"Saturday\", ", "");
    assert_eq!(
        err(&[source("pt.toml", &days)]),
        "pt.toml: key `dates.days`: must list 7 names, it has 6"
    );
    let spanish = pt.replace("names = [\"pt\"]", "names = [\"pt\", \"spanish\"]");
    assert!(err(&[source("pt.toml", &spanish)]).contains("\"spanish\" already means es"));
    assert_eq!(
        Languages::load(&[], "de").unwrap_err(),
        "default_language: de names no language pack (loaded: en, fr, es)"
    );
}
