//! The documentation points only at what exists: every repository path that README.md,
//! ARCHITECTURE.md and docs/ name is a file or folder of the repository, every link's target and
//! heading is there, and every heading the code cites as (docs/behaviour.md, "Contact hours")
//! is a heading of that file. Headings are what comments point at, so renaming one fails here
//! until its citations follow.

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md, ARCHITECTURE.md and every docs/*.md.
fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    docs.insert(0, root().join("ARCHITECTURE.md"));
    docs.insert(0, root().join("README.md"));
    docs
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A heading's anchor as GitHub makes it: lower case, spaces to hyphens, other punctuation
/// dropped ("`[csv]`: the file's shape" is `csv-the-files-shape`).
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The headings of a Markdown text, outside code blocks, without their `#`s.
fn headings(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.push(line.trim_start_matches('#').trim().to_string());
        }
    }
    out
}

/// The spans between backticks and the targets of `](…)` links, outside code blocks.
fn references(text: &str) -> (Vec<String>, Vec<String>) {
    let mut fenced = false;
    let (mut spans, mut links) = (Vec::new(), Vec::new());
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        spans.extend(line.split('`').skip(1).step_by(2).map(str::to_string));
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let end = after.find(')').unwrap_or(after.len());
            links.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    (spans, links)
}

/// A word of a code span that names a file of this repository, rather than one on a server
/// (`/etc/…`), a placeholder (`results-YYYY-MM-DD.csv`) or a setting.
fn repository_path(word: &str) -> Option<&str> {
    let word = word.trim_end_matches([',', '.', ':', ';', ')']);
    let under_a_folder = ["src/", "tests/", "contrib/", "docs/", "benches/", ".ci/"]
        .iter()
        .any(|dir| word.starts_with(dir));
    let top_level = !word.contains('/')
        && (word.ends_with(".md") || word.ends_with(".example") || word == "Cargo.toml");
    let placeholder = word.contains(['*', '{', '…']) || word.contains("YYYY");
    ((under_a_folder || top_level) && !placeholder).then_some(word)
}

#[test]
fn every_path_and_link_the_documentation_names_exists() {
    let (mut missing, mut checked) = (Vec::new(), 0);
    for doc in documents() {
        let text = read(&doc);
        let name = doc.strip_prefix(root()).unwrap().display().to_string();
        let (spans, links) = references(&text);
        for word in spans.iter().flat_map(|s| s.split_whitespace()) {
            if let Some(path) = repository_path(word) {
                checked += 1;
                if !root().join(path).exists() {
                    missing.push(format!("{name}: `{path}`"));
                }
            }
        }
        for link in links {
            if link.starts_with("http://") || link.starts_with("https://") {
                continue;
            }
            checked += 1;
            let (file, heading) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap().join(file)
            };
            if !target.exists() {
                missing.push(format!("{name}: link to {link}"));
            } else if !heading.is_empty()
                && !headings(&read(&target))
                    .iter()
                    .any(|h| anchor(h) == heading)
            {
                missing.push(format!("{name}: link to {link}: no such heading"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    assert!(
        checked > 50,
        "only {checked} paths and links found: is the parser right?"
    );
}

/// A source file's comments (and a Markdown file's paragraphs) as one line: a citation may
/// wrap from one comment line to the next.
fn flatten(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.trim_start();
            ["//!", "///", "//", "--", "#"]
                .iter()
                .find_map(|marker| line.strip_prefix(marker))
                .unwrap_or(line)
                .trim()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every `docs/NAME.md, "Heading"` citation in `text`, with the headings cited.
fn citations(text: &str) -> Vec<(String, Vec<String>)> {
    let text = flatten(text);
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("docs/") {
        rest = &rest[i + 5..];
        let Some(end) = rest.find(".md") else { break };
        let name = &rest[..end];
        rest = &rest[end + 3..];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase()) {
            continue;
        }
        let mut cited = Vec::new();
        while let Some(after) = rest
            .strip_prefix(", \"")
            .or_else(|| rest.strip_prefix("; \""))
        {
            let Some(close) = after.find('"') else { break };
            cited.push(after[..close].to_string());
            rest = &after[close + 1..];
        }
        out.push((format!("docs/{name}.md"), cited));
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path
            .extension()
            .is_some_and(|x| ["rs", "sql", "sh", "py"].contains(&x.to_str().unwrap()))
        {
            out.push(path);
        }
    }
}

#[test]
fn every_heading_the_code_cites_is_there() {
    let mut files = vec![root().join("ARCHITECTURE.md")];
    for dir in ["src", "tests", "benches"] {
        sources(&root().join(dir), &mut files);
    }
    let mut cited = 0;
    let mut wrong = Vec::new();
    for file in files {
        let text = read(&file);
        for (doc, names) in citations(&text) {
            let target = root().join(&doc);
            if !target.exists() {
                wrong.push(format!("{}: {doc} does not exist", file.display()));
                continue;
            }
            let have = headings(&read(&target));
            for name in names {
                cited += 1;
                if !have.contains(&name) {
                    wrong.push(format!("{}: {doc} has no heading {name:?}", file.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        cited > 10,
        "only {cited} citations found: is the parser right?"
    );
}

#[test]
fn anchors_are_githubs() {
    assert_eq!(anchor("`[csv]`: the file's shape"), "csv-the-files-shape");
    assert_eq!(
        anchor("Moved, cancelled and withdrawn"),
        "moved-cancelled-and-withdrawn"
    );
    assert_eq!(
        anchor("The listener's guarantees"),
        "the-listeners-guarantees"
    );
    assert_eq!(
        citations(r#"x (docs/behaviour.md, "Combining", "Opt-outs") and docs/report.md."#),
        [
            (
                "docs/behaviour.md".to_string(),
                vec!["Combining".to_string(), "Opt-outs".to_string()]
            ),
            ("docs/report.md".to_string(), vec![])
        ]
    );
}
