//! Every built-in text a patient can get, rendered with a clinic name of about 20 characters and
//! a call-back number on every day of a year, measured in SMS segments: one appointment's
//! reminder, each message after a reminder, and every answer to a reply, must fit one GSM-7 segment in each built-in language
//! (English, French, Spanish); a combined reminder (2 to 5 appointments) two. `docs/messages.md` holds the lengths and must
//! match: `REMINDERS_WRITE_DOCS=1 cargo test --lib message_lengths` writes it again.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::domain::contact_kind::ContactKind;
use crate::domain::languages::{Languages, Pack};
use crate::domain::segments::{self, Encoding, SmsShape};
use crate::domain::templates::{Identity, Item, MessageFacts, follow_ups, render_sms};
use crate::domain::waitlist;

const TZ: chrono_tz::Tz = chrono_tz::America::Toronto;
const CALLBACK: &str = "+14165550001";
/// Clinic names of 19 and 20 characters, one starting with a vowel (French elides `de`).
const CLINICS: [&str; 4] = [
    "Bloor Street Clinic",
    "Clinique Saint-Denis",
    "Ottawa Family Clinic",
    "Clinica Santa Maria",
];
/// The built-in languages, in the doc's columns.
const LANGS: [&str; 3] = ["en", "fr", "es"];

fn pack(code: &str) -> &'static Pack {
    static ALL: std::sync::OnceLock<Languages> = std::sync::OnceLock::new();
    ALL.get_or_init(Languages::built_in).get(code)
}

/// 10:30 local on every day of 2026: every weekday and month name, two-digit days and hours.
fn year() -> Vec<DateTime<Utc>> {
    let start = TZ
        .with_ymd_and_hms(2026, 1, 1, 10, 30, 0)
        .single()
        .expect("a real time");
    (0..365)
        .map(|d| (start + Duration::days(d)).with_timezone(&Utc))
        .collect()
}

fn item(at: DateTime<Utc>, moved_from: Option<DateTime<Utc>>) -> Item<'static> {
    Item {
        appointment_msg: "",
        appointment_id: "A1",
        patient_id: "P1",
        at,
        moved_from,
        data: None,
    }
}

fn text(items: &[Item<'_>], lang: &str, clinic: &str) -> String {
    render_sms(
        None,
        &MessageFacts {
            items,
            tz: TZ,
            pack: pack(lang),
            gather_url: "https://rem.example.ca/twilio/voice-gather",
            identity: Identity {
                clinic_name: Some(clinic),
                callback_number: Some(CALLBACK),
                address: None,
            },
        },
    )
    .expect("a built-in text renders")
}

/// The longest of the renderings, and one of them as an example (the first clinic, the year's
/// first day).
struct Measured {
    name: String,
    example: [String; 3],
    longest: [SmsShape; 3],
    /// Segments it may take.
    allowed: usize,
}

fn measure(name: &str, allowed: usize, render: impl Fn(&str) -> Vec<String>) -> Measured {
    let mut example: [String; 3] = Default::default();
    let mut longest = [segments::shape(""); 3];
    for (i, lang) in LANGS.into_iter().enumerate() {
        let all = render(lang);
        example[i] = all.first().cloned().unwrap_or_default();
        for body in &all {
            let shape = segments::shape(body);
            assert_eq!(
                shape.encoding,
                Encoding::Gsm7,
                "{name}: a character outside GSM-7 makes it UCS-2: {body}"
            );
            assert!(
                shape.segments <= allowed,
                "{name} ({lang}): {} characters, {} segments, more than {allowed}: {body}",
                shape.units,
                shape.segments
            );
            if shape.units > longest[i].units {
                longest[i] = shape;
            }
        }
    }
    Measured {
        name: name.to_string(),
        example,
        longest,
        allowed,
    }
}

fn reminders(lang: &str, n: usize, moved: bool) -> Vec<String> {
    let days = year();
    let mut out = Vec::new();
    for clinic in CLINICS {
        for (i, at) in days.iter().enumerate() {
            let items: Vec<Item<'_>> = (0..n)
                .map(|k| {
                    let at = *at + Duration::minutes(75 * k as i64);
                    item(at, moved.then(|| days[(i + 1) % days.len()]))
                })
                .collect();
            out.push(text(&items, lang, clinic));
        }
    }
    out
}

/// A follow-up's text for every clinic and day of the year, with and without the clinic's
/// call-back number.
fn follow_up(kind: ContactKind, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    for clinic in CLINICS {
        for callback in [Some(CALLBACK), None] {
            let identity = Identity {
                clinic_name: Some(clinic),
                callback_number: callback,
                address: None,
            };
            let template = follow_ups::sms(kind, pack(lang), &identity);
            for at in year() {
                let items = [item(at, None)];
                let facts = MessageFacts {
                    items: &items,
                    tz: TZ,
                    pack: pack(lang),
                    gather_url: "",
                    identity,
                };
                out.push(render_sms(Some(&template), &facts).expect("a follow-up renders"));
            }
        }
    }
    out
}

/// A waitlist offer for every clinic and day of the year, naming a provider of 10 characters
/// and none; and the winner's answer, which names the slot.
fn offers(lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    for clinic in CLINICS {
        for provider in [Some("Dr. Nguyen"), None] {
            for at in year() {
                let o = waitlist::Offered {
                    starts_at: at,
                    tz: TZ,
                    provider,
                    clinic_name: Some(clinic),
                    callback_number: Some(CALLBACK),
                };
                out.push(waitlist::offer_sms(pack(lang), None, &o).expect("an offer renders"));
            }
        }
    }
    out
}

fn taken(lang: &str) -> Vec<String> {
    year()
        .into_iter()
        .map(|at| waitlist::taken_text(pack(lang), at, TZ))
        .collect()
}

fn answer(key: &str, lang: &str) -> Vec<String> {
    vec![pack(lang).text(key).to_string()]
}

fn every_text() -> Vec<Measured> {
    let mut all = vec![
        measure("Reminder, one appointment", 1, |l| reminders(l, 1, false)),
        measure("Reminder, one appointment that moved", 1, |l| {
            reminders(l, 1, true)
        }),
        measure("Reminder, two appointments (combined)", 2, |l| {
            reminders(l, 2, false)
        }),
        measure("Reminder, five appointments (combined)", 2, |l| {
            reminders(l, 5, false)
        }),
    ];
    for (name, kind) in [
        ("Text after a voicemail", ContactKind::VoicemailText),
        ("After a missed visit", ContactKind::NoShow),
        ("The clinic cancelled", ContactKind::ClinicCancelled),
    ] {
        all.push(measure(name, 1, |l| follow_up(kind, l)));
    }
    all.push(measure("Offer of a freed slot (waitlist)", 1, offers));
    all.push(measure(
        "Reply YES to an offer, first: it is yours",
        1,
        taken,
    ));
    let replies: [(&str, &str); 12] = [
        ("Reply C: confirmed", "texts.sms_confirmed"),
        ("Reply C to several: confirmed", "texts.sms_confirmed_many"),
        ("Reply R: cancel or reschedule", "texts.sms_cancel"),
        ("Reply R to several", "texts.sms_cancel_many"),
        (
            "Reply with no appointment to answer",
            "texts.sms_no_appointment",
        ),
        ("HELP / AIDE / AYUDA", "texts.sms_help"),
        ("Opted out (ARRET, BAJA)", "texts.sms_opted_out"),
        ("Opted in", "texts.sms_opted_in"),
        ("Free text, passed on", "texts.sms_seen"),
        ("Reply YES to an offer already taken", "texts.offer_gone"),
        ("Reply NO to an offer", "texts.offer_declined"),
        ("Reply to an offer that closed", "texts.offer_closed"),
    ];
    for (name, key) in replies {
        all.push(measure(name, 1, |l| answer(key, l)));
    }
    all
}

fn doc(measured: &[Measured]) -> String {
    let mut out = String::from(
        "# The built-in texts and their length\n\n\
         What a patient reads, in each built-in language (English, French, Spanish), with the clinic\n\
         name \"Bloor Street Clinic\" and the call-back number +14165550001. The lengths are the\n\
         longest of every day of a year at 10:30, with clinic names of 19 and 20 characters (\"Bloor\n\
         Street Clinic\", \"Clinique Saint-Denis\", \"Ottawa Family Clinic\", \"Clinica Santa\n\
         Maria\"), in GSM-7 characters; one segment holds 160, a longer text goes as segments of\n\
         153. A longer clinic name adds its extra characters.\n\
         The unit test `message_lengths` renders them all, fails when one takes more segments\n\
         than allowed here, and fails when this file no longer matches\n\
         (`REMINDERS_WRITE_DOCS=1 cargo test --lib message_lengths` writes it again). Calls say\n\
         the same things with the date in full; they have no length limit.\n\n\
         A clinic's own language pack (docs/languages.md) is not measured here: `reminders check`\n\
         and `send --dry-run` show the length of its texts.\n\n\
         | text | en | fr | es | allowed |\n|---|---|---|---|---|\n",
    );
    let cell = |s: &SmsShape| {
        format!(
            "{} chars, {} segment{}",
            s.units,
            s.segments,
            if s.segments == 1 { "" } else { "s" }
        )
    };
    for m in measured {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            m.name,
            cell(&m.longest[0]),
            cell(&m.longest[1]),
            cell(&m.longest[2]),
            m.allowed
        ));
    }
    out.push_str("\n## The texts\n");
    for m in measured {
        out.push_str(&format!(
            "\n**{}**\n\n- en: {}\n- fr: {}\n- es: {}\n",
            m.name, m.example[0], m.example[1], m.example[2]
        ));
    }
    out
}

#[test]
fn every_built_in_text_fits_its_segments_and_the_doc_says_so() {
    let measured = every_text();
    let written = doc(&measured);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/messages.md");
    if std::env::var_os("REMINDERS_WRITE_DOCS").is_some() {
        std::fs::write(&path, &written).expect("writing docs/messages.md");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == written,
        "docs/messages.md is out of date: run REMINDERS_WRITE_DOCS=1 cargo test --lib message_lengths\n\n{written}"
    );
}
