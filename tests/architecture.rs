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

/// The module a source file is (`src/dispatch/offer.rs` → `dispatch::offer`, a `mod.rs` its
/// folder's).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix("src").unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts.join("::")
}

/// The modules `code` (of module `me`) names: `crate::a::b…` paths and `use super::…`, each
/// taken to the longest prefix that is a module. Comments are not read.
fn named_modules(code: &str, me: &str, modules: &[String]) -> Vec<String> {
    let resolve = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find(|m| modules.contains(m))
    };
    let parent: Vec<&str> = me.split("::").collect();
    let parent = parent[..parent.len().saturating_sub(1)].join("::");
    let mut out = Vec::new();
    for line in code.lines().map(str::trim).filter(|l| !l.starts_with("//")) {
        for (i, _) in line.match_indices("crate::") {
            let path: String = line[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.extend(resolve(&path));
        }
        if let Some(rest) = line.strip_prefix("use super::") {
            let rest = rest.trim_end_matches(';');
            let heads: Vec<String> = match rest.split_once("::{").or(rest.split_once('{')) {
                Some((base, items)) => items
                    .trim_end_matches('}')
                    .split(',')
                    .map(|i| format!("{base}::{}", i.trim()))
                    .collect(),
                None => vec![rest.to_string()],
            };
            for h in heads {
                let full = if parent.is_empty() {
                    h
                } else {
                    format!("{parent}::{h}")
                };
                out.extend(resolve(&full));
            }
        }
    }
    out.retain(|m| m != me && !me.starts_with(&format!("{m}::")) && !m.is_empty());
    out
}

/// No two modules import each other: layers point one way, and two files that need each other
/// are one idea split in the wrong place (what both need goes below them).
#[test]
fn no_two_modules_import_each_other() {
    let files = sources("src");
    let modules: Vec<String> = files.iter().map(|(p, _)| module_of(p)).collect();
    let named: Vec<(String, Vec<String>)> = files
        .iter()
        .map(|(p, code)| {
            let me = module_of(p);
            let n = named_modules(code, &me, &modules);
            (me, n)
        })
        .collect();
    let mut cycles = Vec::new();
    for (a, uses) in &named {
        for b in uses {
            let back = named
                .iter()
                .any(|(m, u)| m == b && u.iter().any(|x| x == a));
            if back && a < b {
                cycles.push(format!("{a} <-> {b}"));
            }
        }
    }
    cycles.sort();
    cycles.dedup();
    assert!(
        cycles.is_empty(),
        "modules that import each other: {cycles:#?}"
    );
    // The reader works: it sees the dispatcher use the store.
    let dispatch = &named
        .iter()
        .find(|(m, _)| m == "dispatch::offer")
        .unwrap()
        .1;
    assert!(dispatch.iter().any(|m| m == "db::slots"), "{dispatch:?}");
}
