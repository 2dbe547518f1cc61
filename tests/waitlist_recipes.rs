//! The recipes of docs/waitlist.md end to end: each fixture of `tests/fixtures/waitlists/`, in
//! its exact bytes, imported from the drop folder with its own `.toml`, gives the entries and
//! rejected rows listed here; and the documented recipes are these very `.toml` files.

use std::path::Path;

use crate::common::Workdir;
use crate::waitlist_import::{import_row, rejected, workdir};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/waitlists")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("UTF-8 fixture")
}

/// The recipe's sections: the `.toml` without its first comment line.
fn recipe(toml: &str) -> &str {
    let start = toml.find("[waitlist]").expect("a [waitlist] section");
    &toml[start..]
}

/// Imports fixture `name` from the drop folder with its recipe (and `extra` configuration).
fn import_layout(name: &str, extra: &str) -> (Workdir, String) {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let config = format!("{}\n{extra}", fixture_text(&format!("{stem}.toml")));
    let w = workdir(&config);
    w.write(&format!("csv/{name}"), fixture(name));
    let out = w.run(&["import"]).ok();
    assert!(out.contains(&format!("{name}: archived as")), "{out}");
    (w, out)
}

/// Every entry: (site, patient_id, phone, language, provider, visit_type, duration, earliest,
/// latest, appointment_id, added), in file order.
type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

fn stored(w: &Workdir) -> Vec<Row> {
    let db = w.db();
    let mut stmt = db
        .prepare(
            "SELECT site, patient_id, phone_number, language, provider, visit_type,
                    duration_minutes, earliest, latest, appointment_id, added
             FROM waitlist_entries ORDER BY row_number",
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
            r.get(7)?,
            r.get(8)?,
            r.get(9)?,
            r.get(10)?,
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn s(v: &str) -> String {
    v.to_string()
}

fn o(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn assert_rejected(w: &Workdir, want: &[(i64, &str)]) {
    let got = rejected(w, 1);
    assert_eq!(got.len(), want.len(), "{got:?}");
    for ((row, reason), (want_row, words)) in got.iter().zip(want) {
        assert_eq!(row, want_row, "{reason}");
        assert!(reason.contains(words), "row {row}: {reason}");
    }
}

#[test]
fn open_dentals_asap_list_imports_with_its_recipe() {
    let (w, out) = import_layout(
        "asap-opendental.txt",
        "[sites.bloor]\nnames = [\"Bloor\"]\ntimezone = \"America/Toronto\"\n",
    );
    assert!(out.contains("UTF-8 tab-separated"), "{out}");
    assert_eq!(
        import_row(&w, 1),
        ("waitlist".into(), "completed".into(), 5, 5, 2, 1, 2)
    );
    assert_eq!(
        stored(&w),
        vec![
            (
                s("bloor"),
                s("1771"),
                s("+14165550171"),
                s("fr"),
                o("DOC1"),
                o("Crown prep"),
                Some(60),
                None,
                None,
                o("539"),
                s("2026-11-02T15:04:14Z")
            ),
            (
                s("bloor"),
                s("1772"),
                s("+16135550172"),
                s("en"),
                o("HYG1"),
                o("Prophy, Fluoride"),
                Some(40),
                None,
                None,
                o("540"),
                s("2026-11-05T20:15:00Z")
            ),
        ]
    );
    assert_rejected(
        &w,
        &[
            (4, "Excel shortened this number to 1.41656E+10"),
            (5, "clinic 'Danforth' names no configured site"),
        ],
    );
}

#[test]
fn oscars_waiting_list_imports_with_its_recipe() {
    let (w, out) = import_layout("waitlist-oscar.csv", "");
    assert!(
        out.contains("language not recognised, English used: 'Mandarin' ×1"),
        "{out}"
    );
    assert_eq!(
        import_row(&w, 1),
        ("waitlist".into(), "completed".into(), 5, 5, 3, 0, 2)
    );
    let got = stored(&w);
    let brief: Vec<(&str, &str, &str, Option<&str>, &str)> = got
        .iter()
        .map(|r| {
            (
                r.1.as_str(),
                r.2.as_str(),
                r.3.as_str(),
                r.5.as_deref(),
                r.10.as_str(),
            )
        })
        .collect();
    assert_eq!(
        brief,
        [
            // The cell number first, when there is one.
            (
                "1001",
                "+14165550111",
                "fr",
                Some("Physio"),
                "2026-10-02T04:00:00Z"
            ),
            (
                "1002",
                "+16135550102",
                "en",
                Some("Physio"),
                "2026-10-15T04:00:00Z"
            ),
            (
                "1004",
                "+14165550104",
                "en",
                Some("Physio"),
                "2026-11-01T04:00:00Z"
            ),
        ]
    );
    assert_eq!(got[0].4.as_deref(), Some("101"));
    assert_rejected(
        &w,
        &[
            (4, "phone_number is empty in every column it is read from"),
            (6, "13 fields where the header has 12"),
        ],
    );
}

#[test]
fn a_front_desk_sheet_in_unicode_text_imports_with_its_recipe() {
    let (w, out) = import_layout("waitlist-frontdesk.txt", "");
    assert!(out.contains("UTF-16 LE tab-separated"), "{out}");
    assert!(out.contains("slash dates read day-first"), "{out}");
    assert_eq!(
        import_row(&w, 1),
        ("waitlist".into(), "completed".into(), 5, 5, 2, 0, 3)
    );
    let got = stored(&w);
    assert_eq!(
        got[0],
        (
            s(""),
            s("P-301"),
            s("+14165550301"),
            s("en"),
            o("Dr Li"),
            None,
            Some(30),
            o("2026-11-25"),
            o("2026-12-05"),
            None,
            s("2026-11-01T04:00:00Z")
        )
    );
    assert_eq!(
        (got[1].1.as_str(), got[1].6, got[1].10.as_str()),
        ("P-302", Some(45), "2026-11-03T19:20:00Z")
    );
    assert_rejected(
        &w,
        &[
            (
                6,
                "duration_minutes (column \"Needs (min)\") 'half hour' is not a whole number",
            ),
            (
                7,
                "earliest (column \"Available from\") 2026-12-10 is after latest (column \"Until\") 2026-12-01",
            ),
            (8, "a quote opened in Notes (field 9) is never closed"),
        ],
    );
}

#[test]
fn the_documented_waitlist_recipes_are_the_tested_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/waitlist.md")).unwrap();
    let start = doc.find("\n## Recipes\n").expect("a Recipes section");
    let section = &doc[start..];
    let end = section[1..].find("\n## ").map_or(section.len(), |i| i + 1);
    let documented: Vec<&str> = section[..end]
        .split("```toml\n")
        .skip(1)
        .map(|block| &block[..block.find("```\n").expect("a closed ```toml block")])
        .collect();
    let mut stems: Vec<String> = std::fs::read_dir(root.join("tests/fixtures/waitlists"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    assert_eq!(stems.len(), 3, "{stems:?}");
    let tested: Vec<String> = stems
        .iter()
        .map(|stem| recipe(&fixture_text(&format!("{stem}.toml"))).to_string())
        .collect();
    assert_eq!(documented.len(), tested.len(), "one recipe per layout");
    for t in &tested {
        assert!(
            documented.contains(&t.as_str()),
            "docs/waitlist.md lacks this recipe verbatim:\n{t}"
        );
    }
}
