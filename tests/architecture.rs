//! The rules ARCHITECTURE.md states about where code lives, checked on the source tree: a rule
//! a change breaks fails here, not in a review months later. Test modules (`#[cfg(test)] mod`
//! at the end of a file) may set up their cases as they like and are not read.

use std::path::{Path, PathBuf};

fn sources(under: &str) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join(under), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            // The code, without the test module at the end.
            let code = match text.find("\n#[cfg(test)]\nmod ") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            (p.strip_prefix(root).unwrap().to_path_buf(), code)
        })
        .collect()
}

/// Every write of an appointment's state is in `db/appointments/transitions.rs`, through the
/// transition table: no other `UPDATE appointments` sets `status`.
#[test]
fn only_the_transition_module_writes_an_appointments_state() {
    let mut found = Vec::new();
    for (path, code) in sources("src") {
        if path.ends_with("db/appointments/transitions.rs") {
            continue;
        }
        for (at, _) in code.match_indices("UPDATE appointments") {
            let statement = &code[at..];
            let end = statement.find("WHERE").unwrap_or(statement.len());
            if statement[..end].contains("status") {
                found.push(format!("{}: {}", path.display(), &statement[..end.min(80)]));
            }
        }
    }
    assert!(
        found.is_empty(),
        "state written outside the transition module:\n{found:#?}"
    );
    let transitions = sources("src/db/appointments")
        .into_iter()
        .find(|(p, _)| p.ends_with("transitions.rs"))
        .expect("the transition module");
    assert!(
        transitions.1.contains("state::next("),
        "it goes through the table"
    );
}

/// SQL lives under `src/db/`: no statement is prepared or run anywhere else.
#[test]
fn statements_run_only_under_db() {
    let calls = [
        ".prepare(",
        ".prepare_cached(",
        ".execute(",
        ".query_row(",
        ".execute_batch(",
    ];
    let mut found = Vec::new();
    for (path, code) in sources("src") {
        if path.starts_with("src/db") {
            continue;
        }
        for call in calls {
            if code.contains(call) {
                found.push(format!("{}: {call}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "SQL outside src/db:\n{found:#?}");
}

/// The domain takes its facts as arguments: it reads no configuration, database, file,
/// network or clock of its own.
#[test]
fn the_domain_does_no_io() {
    let forbidden = [
        "use crate::config",
        "use crate::db",
        "crate::config::",
        "crate::db::",
        "rusqlite",
        "std::fs",
        "std::net::Tcp",
        "std::process",
        "Utc::now()",
        "SystemTime::now",
    ];
    let mut found = Vec::new();
    for (path, code) in sources("src/domain") {
        for word in forbidden {
            if code.contains(word) {
                found.push(format!("{}: {word}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "I/O in the domain:\n{found:#?}");
}

/// Each invariant ARCHITECTURE.md states names the tests that hold it ("Held by `module::test`"):
/// every test it names exists.
#[test]
fn the_invariants_name_tests_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let section = &map[map.find("## Invariants").unwrap()..map.find("## Durability").unwrap()];
    let code: String = sources("tests")
        .into_iter()
        .chain(sources("src"))
        .map(|(_, text)| text)
        .collect();
    // The test modules count here: unit tests live in them.
    let all: String = ["tests", "src"]
        .iter()
        .flat_map(|d| walk_all(&root.join(d)))
        .collect();
    let mut named = 0;
    for held in section.split("Held by").skip(1) {
        let until = held.find(".\n").unwrap_or(held.len());
        for (i, part) in held[..until].split('`').enumerate() {
            if i % 2 == 1 && part.contains("::") {
                let name = part.rsplit("::").next().unwrap();
                named += 1;
                assert!(
                    all.contains(&format!("fn {name}(")) || code.contains(&format!("mod {name}")),
                    "ARCHITECTURE.md names {part}, which no test defines"
                );
            }
        }
    }
    assert!(named >= 8, "{named} tests named");
}

fn walk_all(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk_all(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(&path).unwrap());
        }
    }
    out
}
