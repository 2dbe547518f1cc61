//! Real clinic exports end to end (docs/exports.md, issue #12): each fixture of
//! `tests/fixtures/exports/`, in its exact bytes, imported by the real binary with its own
//! `.toml`, gives the counts and stored values `EXPECTED.md` lists row by row. And the recipes
//! of docs/exports.md are these very `.toml` sections, so the documented recipes are the tested
//! ones.

use std::path::Path;

use chrono::{NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use crate::common::Workdir;

/// `EXPECTED.md`'s "now": 2026-11-24 19:00 in Toronto.
pub const NOW: &str = "2026-11-25T00:00:00Z";

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/exports")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture_bytes(name)).expect("UTF-8 fixture")
}

/// A stored appointment as EXPECTED.md gives it: id, patient, phone (E.164), channel, local
/// (Toronto) date-time, language.
type Appt = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

struct Expected {
    /// total, stored, duplicates, failed, withdrawn
    counts: [i64; 5],
    stored: &'static [Appt],
    /// Rejected rows: line, and words its reason must hold.
    failed: &'static [(i64, &'static [&'static str])],
    per_day: &'static [(&'static str, i64)],
    /// Words the stored summary's slash-order sentence starts with.
    dates: &'static str,
    encoding: &'static str,
    delimiter: &'static str,
    languages_not_recognised: &'static [(&'static str, i64)],
}

/// Imports fixture `name` with `{stem}.toml` into a fresh workdir at `NOW`, from the drop
/// folder (a `.txt` export is named on the command line, as its recipe says).
pub fn import_fixture(name: &str) -> Workdir {
    let mut w = Workdir::new();
    w.env("REMINDERS_NOW", NOW);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    w.write("reminders.toml", fixture_bytes(&format!("{stem}.toml")));
    let dropped = format!("csv/{name}");
    w.write(&dropped, fixture_bytes(name));
    let run = if name.ends_with(".csv") {
        w.run(&["import"])
    } else {
        w.run(&["import", &dropped])
    };
    let out = run.ok();
    assert!(out.contains(&format!("{name}: archived as")), "{out}");
    // Moved, byte for byte, owner-only.
    assert!(!w.join(&dropped).exists());
    assert_eq!(
        std::fs::read(w.join("archive").join(name)).unwrap(),
        fixture_bytes(name)
    );
    w
}

pub fn utc_of_local(local: &str) -> String {
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").expect(local);
    chrono_tz::America::Toronto
        .from_local_datetime(&naive)
        .single()
        .expect(local)
        .with_timezone(&Utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

pub fn json(w: &Workdir, args: &[&str]) -> Value {
    let out = w.run(args).ok();
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
}

/// Every stored appointment, in import order: (appointment_id, patient_id, phone, channel,
/// appt_date_time, language, site).
pub fn stored(w: &Workdir) -> Vec<(String, String, String, String, String, String, String)> {
    let db = w.db();
    let mut stmt = db
        .prepare(
            "SELECT appointment_id, patient_id, phone_number, channel, appt_date_time, language,
                    site FROM appointments ORDER BY id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// (row_number, validation_error) of every rejected row, in row order.
pub fn failed_rows(w: &Workdir) -> Vec<(i64, String)> {
    let db = w.db();
    let mut stmt = db
        .prepare("SELECT row_number, validation_error FROM failed_import_rows ORDER BY import_id, row_number")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The appointment's `data`: its values (a JSON array) under its import's column names.
pub fn data_of(w: &Workdir, appointment_id: &str) -> Value {
    let (keys, values): (String, String) = w
        .db()
        .query_row(
            "SELECT i.data_keys, a.data FROM appointments a JOIN imports i ON i.id = a.import_id
             WHERE a.appointment_id = ?1",
            [appointment_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let keys: Vec<String> = serde_json::from_str(&keys).unwrap();
    let values: Vec<Value> = serde_json::from_str(&values).unwrap();
    assert_eq!(keys.len(), values.len(), "{keys:?} {values:?}");
    Value::Object(keys.into_iter().zip(values).collect())
}

fn check(name: &str, want: &Expected) -> Workdir {
    let w = import_fixture(name);
    let imports = json(&w, &["status", "imports", "--json"]);
    let import = &imports[0];
    let got = [
        "total_rows",
        "successful_rows",
        "duplicate_rows",
        "failed_rows",
        "withdrawn_rows",
    ]
    .map(|k| import[k].as_i64().unwrap());
    assert_eq!(
        got, want.counts,
        "{name}: rows, stored, duplicates, failed, withdrawn"
    );
    assert_eq!(import["processed_rows"].as_i64(), Some(want.counts[0]));
    assert_eq!(import["status"], "completed");

    let stored = stored(&w);
    let expected: Vec<_> = want
        .stored
        .iter()
        .map(|&(id, patient, phone, channel, local, lang)| {
            (
                id.to_string(),
                patient.to_string(),
                phone.to_string(),
                channel.to_string(),
                utc_of_local(local),
                lang.to_string(),
                String::new(),
            )
        })
        .collect();
    assert_eq!(stored, expected, "{name}: stored appointments");

    let failed = failed_rows(&w);
    let rows: Vec<i64> = failed.iter().map(|f| f.0).collect();
    let want_rows: Vec<i64> = want.failed.iter().map(|f| f.0).collect();
    assert_eq!(rows, want_rows, "{name}: rejected rows {failed:?}");
    for ((row, reason), (_, words)) in failed.iter().zip(want.failed) {
        for word in *words {
            assert!(
                reason.contains(word),
                "{name} row {row}: {reason:?} lacks {word:?}"
            );
        }
    }

    let summary = &import["summary"];
    let per_day: Vec<(String, i64)> = summary["per_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["count"].as_i64().unwrap(),
            )
        })
        .collect();
    let want_days: Vec<(String, i64)> = want
        .per_day
        .iter()
        .map(|&(d, n)| (d.to_string(), n))
        .collect();
    assert_eq!(per_day, want_days, "{name}: stored by date");
    let dates = summary["dates"].as_str().unwrap();
    assert!(dates.starts_with(want.dates), "{name}: {dates}");
    assert_eq!(summary["encoding"], want.encoding, "{name}");
    assert_eq!(summary["delimiter"], want.delimiter, "{name}");
    let languages: Vec<(String, i64)> = summary["languages_not_recognised"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_i64().unwrap()))
        .collect();
    let want_languages: Vec<(String, i64)> = want
        .languages_not_recognised
        .iter()
        .map(|&(v, n)| (v.to_string(), n))
        .collect();
    assert_eq!(
        languages, want_languages,
        "{name}: languages not recognised"
    );
    w
}

#[test]
fn openemr_batchcom() {
    let w = check(
        "openemr-batchcom.csv",
        &Expected {
            counts: [12, 8, 1, 3, 0],
            stored: &[
                (
                    "1001@2026-11-25 09:30",
                    "1001",
                    "+14165550101",
                    "sms",
                    "2026-11-25 09:30",
                    "en",
                ),
                (
                    "1002@2026-11-25 10:00",
                    "1002",
                    "+14165550104",
                    "call",
                    "2026-11-25 10:00",
                    "fr",
                ),
                (
                    "1003@2026-11-25 11:15",
                    "1003",
                    "+14165550105",
                    "sms",
                    "2026-11-25 11:15",
                    "es",
                ),
                (
                    "1004@2026-11-25 13:45",
                    "1004",
                    "+14165550106",
                    "call",
                    "2026-11-25 13:45",
                    "en",
                ),
                (
                    "1006@2026-11-25 15:00",
                    "1006",
                    "+14165550109",
                    "sms",
                    "2026-11-25 15:00",
                    "fr",
                ),
                (
                    "1006@2026-11-26 08:45",
                    "1006",
                    "+14165550109",
                    "sms",
                    "2026-11-26 08:45",
                    "fr",
                ),
                (
                    "1009@2026-11-26 10:30",
                    "1009",
                    "+14165550112",
                    "call",
                    "2026-11-26 10:30",
                    "en",
                ),
                (
                    "1010@2026-11-26 11:00",
                    "1010",
                    "+14165550113",
                    "call",
                    "2026-11-26 11:00",
                    "fr",
                ),
            ],
            failed: &[
                (
                    6,
                    &[
                        "25 fields where the header has 24",
                        "is there an unquoted comma",
                    ],
                ),
                (
                    10,
                    &[
                        "appt_date (column \"next_appt\") '' is empty",
                        "appt_time (column \"appt_start_time\") '' is empty",
                    ],
                ),
                (
                    11,
                    &[
                        "phone_number is empty in every column it is read from",
                        "\"phone_cell\", \"phone_home\", \"phone_biz\"",
                    ],
                ),
            ],
            per_day: &[("2026-11-25", 5), ("2026-11-26", 3)],
            dates: "month-first (mdy, the configured slash_dates): the file has no slash dates",
            encoding: "UTF-8",
            delimiter: "comma",
            languages_not_recognised: &[],
        },
    );
    // The patient's marital `status` is no appointment status: with a mapping, an unmapped
    // column is data, whatever its name.
    let data = data_of(&w, "1001@2026-11-25 09:30");
    assert_eq!(data["status"], "married");
    assert_eq!(data["pubpid"], "1001");
    assert_eq!(data["phone_cell"], "416-555-0101");
    assert_eq!(data_of(&w, "1003@2026-11-25 11:15")["fname"], "María");
    // The ragged row is kept for a person as the file has it: each field under the header it
    // sits under, the 25th under `column_25`; nothing of it was stored as an appointment.
    let row: String = w
        .db()
        .query_row(
            "SELECT data FROM failed_import_rows WHERE row_number = 6",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let row: Value = serde_json::from_str(&row).unwrap();
    assert_eq!(
        (
            row["street"].as_str(),
            row["postal_code"].as_str(),
            row["column_25"].as_str()
        ),
        (
            Some("45 Queen St E"),
            Some(" Unit 2"),
            Some("2026-01-09 11:00:00")
        )
    );
}

#[test]
fn oscar() {
    check(
        "oscar.csv",
        &Expected {
            counts: [11, 8, 1, 2, 0],
            stored: &[
                (
                    "40101",
                    "201",
                    "+14165550122",
                    "call",
                    "2026-11-25 09:00",
                    "en",
                ),
                (
                    "40102",
                    "202",
                    "+14165550123",
                    "call",
                    "2026-11-25 09:15",
                    "en",
                ),
                (
                    "40103",
                    "203",
                    "+14165550125",
                    "call",
                    "2026-11-25 09:30",
                    "en",
                ),
                (
                    "40104",
                    "204",
                    "+14165550126",
                    "call",
                    "2026-11-25 10:00",
                    "en",
                ),
                (
                    "40107",
                    "207",
                    "+14165550130",
                    "call",
                    "2026-11-24 19:30",
                    "en",
                ),
                (
                    "40108",
                    "208",
                    "+14165550132",
                    "call",
                    "2026-11-26 08:00",
                    "en",
                ),
                (
                    "40109",
                    "201",
                    "+14165550122",
                    "call",
                    "2026-11-26 13:00",
                    "en",
                ),
                (
                    "40110",
                    "209",
                    "+14165550133",
                    "call",
                    "2026-11-26 16:45",
                    "en",
                ),
            ],
            failed: &[
                (
                    6,
                    &[
                        "phone_number is empty in every column it is read from (\"demo_cell\", \"phone\", \"phone2\")",
                    ],
                ),
                (
                    7,
                    &[
                        "appt_date (column \"appointment_date\") and appt_time (column \"start_time\")",
                        "the appointment time 2026-11-24 10:00 is already in the past",
                    ],
                ),
            ],
            per_day: &[("2026-11-24", 1), ("2026-11-25", 4), ("2026-11-26", 3)],
            dates: "month-first (mdy, the configured slash_dates): the file has no slash dates",
            encoding: "UTF-8",
            delimiter: "comma",
            languages_not_recognised: &[],
        },
    );
}

#[test]
fn open_dental() {
    let w = check(
        "opendental.txt",
        &Expected {
            counts: [11, 8, 1, 2, 0],
            stored: &[
                (
                    "7001",
                    "301",
                    "+14165550142",
                    "sms",
                    "2026-11-25 09:30",
                    "fr",
                ),
                (
                    "7002",
                    "302",
                    "+14165550143",
                    "call",
                    "2026-11-25 10:00",
                    "en",
                ),
                (
                    "7003",
                    "303",
                    "+14165550145",
                    "call",
                    "2026-11-25 12:15",
                    "fr",
                ),
                (
                    "7004",
                    "304",
                    "+14165550147",
                    "sms",
                    "2026-11-25 14:40",
                    "en",
                ),
                (
                    "7006",
                    "306",
                    "+14165550149",
                    "sms",
                    "2026-11-24 20:00",
                    "en",
                ),
                (
                    "7007",
                    "307",
                    "+14165550150",
                    "call",
                    "2026-11-26 08:00",
                    "en",
                ),
                (
                    "7008",
                    "308",
                    "+14165550152",
                    "sms",
                    "2026-11-26 09:00",
                    "es",
                ),
                (
                    "7009",
                    "309",
                    "+14165550153",
                    "call",
                    "2026-11-26 11:30",
                    "fr",
                ),
            ],
            failed: &[
                (
                    6,
                    &[
                        "appt_date_time (column \"AptDateTime\"): the appointment time 2026-11-24 15:00 is already in the past",
                    ],
                ),
                (
                    12,
                    &[
                        "phone_number is empty in every column it is read from (\"WirelessPhone\", \"HmPhone\", \"WkPhone\")",
                    ],
                ),
            ],
            per_day: &[("2026-11-24", 1), ("2026-11-25", 4), ("2026-11-26", 3)],
            dates: "month-first (mdy): 11 slash dates read only month-first, 0 only day-first",
            encoding: "UTF-8",
            delimiter: "tab",
            languages_not_recognised: &[],
        },
    );
    // Mapped columns are placeholders under their own headers too.
    let data = data_of(&w, "7001");
    assert_eq!(
        (data["aptnum"].as_str(), data["txtmsgok"].as_str()),
        (Some("7001"), Some("Yes"))
    );
    assert_eq!(data["wirelessphone"], "(416)555-0142");
}

#[test]
fn athenahealth() {
    check(
        "athenahealth.csv",
        &Expected {
            counts: [11, 7, 1, 2, 1],
            stored: &[
                (
                    "880101",
                    "50101",
                    "+14165550161",
                    "sms",
                    "2026-11-25 08:30",
                    "fr",
                ),
                (
                    "880102",
                    "50102",
                    "+14165550162",
                    "call",
                    "2026-11-25 09:00",
                    "en",
                ),
                (
                    "880103",
                    "50103",
                    "+14165550173",
                    "call",
                    "2026-11-25 09:45",
                    "fr",
                ),
                (
                    "880105",
                    "50105",
                    "+14165550165",
                    "sms",
                    "2026-11-25 14:15",
                    "es",
                ),
                (
                    "880106",
                    "50106",
                    "+14165550166",
                    "call",
                    "2026-11-26 08:00",
                    "en",
                ),
                (
                    "880107",
                    "50107",
                    "+14165550167",
                    "call",
                    "2026-11-26 09:20",
                    "fr",
                ),
                (
                    "880110",
                    "50110",
                    "+14165550170",
                    "sms",
                    "2026-11-26 16:00",
                    "en",
                ),
            ],
            failed: &[
                (
                    10,
                    &[
                        "phone_number (column \"mobilephone\") '***5016' is not a valid phone number",
                    ],
                ),
                (
                    11,
                    &[
                        "patient_id (column \"patientid\") is empty",
                        "phone_number is empty in every column it is read from",
                    ],
                ),
            ],
            per_day: &[("2026-11-25", 4), ("2026-11-26", 3)],
            dates: "month-first (mdy): 11 slash dates read only month-first, 0 only day-first",
            encoding: "UTF-8",
            delimiter: "comma",
            languages_not_recognised: &[],
        },
    );
}

#[test]
fn front_desk_excel() {
    let w = check(
        "frontdesk-excel.csv",
        &Expected {
            counts: [12, 7, 1, 2, 2],
            stored: &[
                (
                    "5001",
                    "20001",
                    "+14165550181",
                    "sms",
                    "2026-11-25 08:30",
                    "fr",
                ),
                (
                    "5003",
                    "20003",
                    "+14165550183",
                    "sms",
                    "2026-11-25 09:30",
                    "en",
                ),
                (
                    "5004",
                    "20004",
                    "+14165550194",
                    "call",
                    "2026-11-25 10:15",
                    "en",
                ),
                (
                    "5005",
                    "20005",
                    "+14165550185",
                    "call",
                    "2026-11-25 11:00",
                    "fr",
                ),
                (
                    "5008",
                    "20008",
                    "+14165550188",
                    "sms",
                    "2026-12-01 09:00",
                    "fr",
                ),
                (
                    "5009",
                    "20009",
                    "+14165550189",
                    "call",
                    "2026-11-26 15:15",
                    "fr",
                ),
                (
                    "5011",
                    "20011",
                    "+14165550191",
                    "sms",
                    "2026-11-26 16:30",
                    "es",
                ),
            ],
            failed: &[
                (
                    5,
                    &[
                        "phone_number (column \"Cell Phone\") '1.41656E+10' Excel shortened this number to 1.41656E+10: format the column as text and export again",
                    ],
                ),
                (
                    14,
                    &["text_preference (column \"Text OK\") '?' is not yes or no"],
                ),
            ],
            per_day: &[("2026-11-25", 4), ("2026-11-26", 2), ("2026-12-01", 1)],
            dates: "day-first (dmy): 11 slash dates read only day-first, 0 only month-first, 1 either way",
            encoding: "Windows-1252",
            delimiter: "semicolon",
            languages_not_recognised: &[],
        },
    );
    // Windows-1252 names read back as text.
    for (id, first, last) in [
        ("5001", "Hélène", "Tremblay"),
        ("5005", "Chloé", "Roy"),
        ("5008", "Zoë", "Lefèvre"),
        ("5009", "Luc", "Côté"),
        ("5011", "Noël", "Bédard"),
    ] {
        let data = data_of(&w, id);
        assert_eq!(
            (data["first_name"].as_str(), data["last_name"].as_str()),
            (Some(first), Some(last))
        );
    }
    let row: String = w
        .db()
        .query_row(
            "SELECT data FROM failed_import_rows WHERE row_number = 5",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(row.contains("François"), "{row}");
}

#[test]
fn excel_unicode_text() {
    let w = check(
        "excel-unicode.txt",
        &Expected {
            counts: [9, 6, 1, 1, 1],
            stored: &[
                (
                    "6001",
                    "30001",
                    "+14165550201",
                    "sms",
                    "2026-11-26 08:15",
                    "fr",
                ),
                (
                    "6002",
                    "30002",
                    "+14165550202",
                    "call",
                    "2026-11-26 08:45",
                    "fr",
                ),
                (
                    "6003",
                    "30003",
                    "+14165550213",
                    "call",
                    "2026-11-26 09:30",
                    "en",
                ),
                (
                    "6004",
                    "30004",
                    "+14165550204",
                    "sms",
                    "2026-11-26 10:00",
                    "fr",
                ),
                (
                    "6006",
                    "30006",
                    "+14165550206",
                    "call",
                    "2026-11-27 13:00",
                    "en",
                ),
                (
                    "6008",
                    "30008",
                    "+14165550208",
                    "sms",
                    "2026-11-27 15:30",
                    "en",
                ),
            ],
            failed: &[(
                10,
                &["appt_date '31/11/2026' is not a real date read day-first (dmy)"],
            )],
            per_day: &[("2026-11-26", 4), ("2026-11-27", 2)],
            dates: "day-first (dmy): 8 slash dates read only day-first, 0 only month-first, 1 neither way",
            encoding: "UTF-16 LE",
            delimiter: "tab",
            languages_not_recognised: &[],
        },
    );
    assert_eq!(data_of(&w, "6004")["last_name"], "Côté-Roy");
}

/// The `[csv]` sections of a fixture's `.toml`: everything from its `[csv]` line on.
fn csv_sections(toml: &str) -> &str {
    let start = toml.find("\n[csv]\n").map(|i| i + 1).unwrap_or(0);
    assert!(toml[start..].starts_with("[csv]\n"), "{toml}");
    &toml[start..]
}

/// The recipes of docs/exports.md: every ```toml block under its "Recipes" heading.
fn documented_recipes(doc: &str) -> Vec<&str> {
    let start = doc
        .find("\n## Recipes\n")
        .expect("docs/exports.md has a Recipes section");
    let section = &doc[start..];
    let end = section[1..].find("\n## ").map_or(section.len(), |i| i + 1);
    section[..end]
        .split("```toml\n")
        .skip(1)
        .map(|block| &block[..block.find("```\n").expect("a closed ```toml block")])
        .collect()
}

#[test]
fn the_documented_recipes_are_the_tested_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/exports.md")).unwrap();
    let recipes = documented_recipes(&doc);
    // Every fixture layout has its recipe, verbatim ...
    let mut stems: Vec<String> = std::fs::read_dir(root.join("tests/fixtures/exports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    assert_eq!(stems.len(), 6, "{stems:?}");
    assert_eq!(recipes.len(), stems.len(), "one recipe per fixture layout");
    let tested: Vec<String> = stems
        .iter()
        .map(|stem| csv_sections(&fixture_text(&format!("{stem}.toml"))).to_string())
        .collect();
    for (stem, sections) in stems.iter().zip(&tested) {
        assert!(
            recipes.contains(&sections.as_str()),
            "docs/exports.md lacks {stem}.toml's [csv] sections verbatim:\n{sections}"
        );
    }
    // ... and every recipe there is one of them: none is documented without a test.
    for recipe in &recipes {
        assert!(
            tested.iter().any(|t| t == recipe),
            "docs/exports.md has a recipe no fixture tests:\n{recipe}"
        );
    }
}

/// The front-desk recipe's `Location` column picks the site once the clinic has `[sites]`:
/// both spellings the sheet uses name the one site.
#[test]
fn the_front_desk_sheets_location_picks_the_site() {
    let mut w = Workdir::new();
    w.env("REMINDERS_NOW", NOW);
    let recipe = fixture_text("frontdesk-excel.toml");
    w.write(
        "reminders.toml",
        format!(
            "{recipe}\n[sites.bloor]\nnames = [\"Bloor\", \"Bloor St Clinic\"]\nphone_number = \"+14165550900\"\n"
        ),
    );
    w.write(
        "csv/frontdesk-excel.csv",
        fixture_bytes("frontdesk-excel.csv"),
    );
    w.run(&["import"]).ok();
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 7);
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE site = 'bloor'"),
        7
    );
}
