//! The report in a real browser (it must render without errors in headless Chromium and print
//! legibly on A4): the one detector both browser tests use —
//! the unit test on the example report (`browser_test.rs`) and the end-to-end test on the
//! page the real `report` command wrote (`tests/report.rs`, which includes this file with
//! `#[path]`, so it depends on nothing of the crate). Test code only: it is compiled into no
//! binary.
//!
//! What counts as an error. With `--enable-logging=stderr`, Chromium writes everything the
//! page says to its console as a log line whose prefix names the pseudo-file `CONSOLE`:
//! `[pid:tid:time:INFO:CONSOLE:12] "message", source: file:///…` (older builds:
//! `INFO:CONSOLE(12)`), whatever the level. The page has no script, so any such line is a
//! fault: a script error, or a load that the page's Content-Security-Policy blocked (a CSP
//! violation is logged there; a plain failed load is not). Loads the CSP would not see are
//! caught too: `--vmodule=file_url_loader_factory=1` logs `FileURLLoader::Start: URL` for every
//! file the page pulls in, and the page must pull in nothing but itself. Everything else on
//! stderr is Chromium's own start-up noise in a container (D-Bus, VA-API, the sandbox, the
//! shell wrapper), and is not about the page unless it names the page. The detector is itself
//! checked on two deliberately broken pages (`assert_detector_works`), so a Chromium whose log
//! format changed fails the tests instead of passing them blind.

#![allow(dead_code)]

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CANDIDATES: [&str; 4] = [
    "/usr/bin/chromium",
    "chromium",
    "chromium-browser",
    "google-chrome",
];
const TIMEOUT: Duration = Duration::from_secs(90);
/// Set to a directory to keep a checked page's screenshot and PDF there (how docs/report.png
/// is made).
pub const KEEP_DIR: &str = "REMINDERS_REPORT_SCREENSHOT_DIR";
/// The screenshot's size: A4's proportions at 150 dots per inch.
pub const WINDOW: &str = "--window-size=1240,1754";

/// Chromium, where Debian (`apt-get install chromium`) or another distribution puts it.
pub fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    CANDIDATES.iter().find_map(|name| {
        if name.contains('/') {
            Some(PathBuf::from(name)).filter(|p| p.is_file())
        } else {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        }
    })
}

pub struct Run {
    pub success: bool,
    pub stderr: String,
    pub url: String,
}

/// Opens `page` in headless Chromium with `outputs` (`--screenshot=…`, `--print-to-pdf=…`):
/// without one, headless Chromium keeps the page open and never exits.
pub fn run_chromium(chromium: &Path, page: &Path, outputs: &[String]) -> Run {
    assert!(!outputs.is_empty(), "chromium needs something to write");
    let profile = tempfile::tempdir().expect("a temp dir for the browser profile");
    let url = format!("file://{}", page.display());
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Chromium still asks Google for the time and for updates; no name resolves, so
            // none of that leaves the machine.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
            "--vmodule=file_url_loader_factory=1",
            WINDOW,
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(outputs)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Its own process group, so that a timeout ends the renderer and GPU processes too.
        .process_group(0)
        .spawn()
        .expect("chromium starts");
    let mut pipe = child.stderr.take().expect("stderr is piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for chromium") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            // SAFETY: kill(2) on the group this test started, led by the child's id.
            unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
            let _ = child.wait();
            panic!("chromium did not finish {url} within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = reader.join().expect("the stderr reader ends");
    Run {
        success: status.success(),
        stderr,
        url,
    }
}

/// The log's prefix, `[pid:tid:time:LEVEL:file:line]`, and the rest.
fn prefix(line: &str) -> Option<(&str, &str)> {
    line.strip_prefix('[')?.split_once("] ")
}

/// The lines of Chromium's log that are about the page at `url` going wrong.
pub fn page_problems(stderr: &str, url: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|line| {
            let Some((head, rest)) = prefix(line) else {
                return false;
            };
            let console = head.contains(":CONSOLE");
            let other_load = rest
                .strip_prefix("FileURLLoader::Start: ")
                .is_some_and(|loaded| loaded.trim() != url);
            let error_about_page =
                (head.contains(":ERROR:") || head.contains(":FATAL:")) && rest.contains(url);
            console || other_load || error_about_page
        })
        .map(str::to_string)
        .collect()
}

/// Whether this Chromium logs file loads at all (it logs the page's own).
fn logs_loads(run: &Run) -> bool {
    run.stderr
        .lines()
        .any(|l| l.contains(&format!("FileURLLoader::Start: {}", run.url)))
}

/// A screenshot nobody looks at: something for Chromium to do before it exits.
pub fn any_output(dir: &Path) -> Vec<String> {
    vec![format!("--screenshot={}", dir.join("check.png").display())]
}

pub fn write(dir: &Path, name: &str, html: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, html).expect("writing a page to the temp dir");
    path
}

/// The detector first: it must see what goes wrong, or its silence about a page means
/// nothing. `page` is a real report, into which a blocked image and script are injected; a
/// second page, without the report's CSP, logs an error and loads a missing file.
pub fn assert_detector_works(chromium: &Path, dir: &Path, page: &str) {
    let injected = page.replacen(
        "<body>",
        r#"<body><img src="injected.png" alt=""><script>console.error("injected")</script>"#,
        1,
    );
    assert_ne!(injected, page, "the page has no <body> to inject into");
    let run = run_chromium(
        chromium,
        &write(dir, "injected.html", &injected),
        &any_output(dir),
    );
    let problems = page_problems(&run.stderr, &run.url);
    assert!(
        problems.iter().any(|p| p.contains("injected.png"))
            && problems.iter().any(|p| p.contains("inline script")),
        "the detector missed the blocked image and script:\n{}",
        run.stderr
    );
    let broken = r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title></head>
        <body><img src="missing.png" alt=""><script>console.error("deliberate")</script></body></html>"#;
    let run = run_chromium(
        chromium,
        &write(dir, "broken.html", broken),
        &any_output(dir),
    );
    let problems = page_problems(&run.stderr, &run.url);
    assert!(
        problems.iter().any(|p| p.contains("\"deliberate\"")),
        "the detector missed console.error:\n{}",
        run.stderr
    );
    if logs_loads(&run) {
        assert!(
            problems.iter().any(|p| p.ends_with("missing.png")),
            "the detector missed a failed load:\n{}",
            run.stderr
        );
    } else {
        println!("this chromium does not log file loads: relying on the page's CSP for loads");
    }
}

/// Opens `page` without a fault, screenshots it at A4's proportions and prints it on A4; with
/// `keep`, keeps both in `$REMINDERS_REPORT_SCREENSHOT_DIR` when that is set.
pub fn assert_renders_and_prints_on_a4(chromium: &Path, dir: &Path, page: &Path, keep: bool) {
    let png = dir.join("report.png");
    let pdf = dir.join("report.pdf");
    let run = run_chromium(
        chromium,
        page,
        &[
            format!("--screenshot={}", png.display()),
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".to_string(),
        ],
    );
    assert!(run.success, "chromium failed:\n{}", run.stderr);
    assert_eq!(page_problems(&run.stderr, &run.url), Vec::<String>::new());
    let shot = std::fs::read(&png).expect("the screenshot was written");
    assert!(shot.starts_with(b"\x89PNG"), "not a PNG");
    assert!(
        shot.len() > 30_000,
        "a {}-byte screenshot is nearly blank",
        shot.len()
    );
    let printout = std::fs::read(&pdf).expect("the PDF was written");
    assert!(printout.starts_with(b"%PDF"), "not a PDF");
    assert!(
        printout.len() > 10_000,
        "a {}-byte PDF is nearly empty",
        printout.len()
    );
    // Chromium writes the page size it printed on: A4 is 595 × 842 points.
    let text = String::from_utf8_lossy(&printout);
    assert!(
        text.contains("/MediaBox [0 0 594.95996 841.91998]"),
        "not printed on A4"
    );
    if let Some(keep) = std::env::var_os(KEEP_DIR).filter(|_| keep) {
        let keep = PathBuf::from(keep);
        std::fs::copy(&png, keep.join("report.png")).expect("keeping the screenshot");
        std::fs::copy(&pdf, keep.join("report.pdf")).expect("keeping the PDF");
    }
}

/// Opens `page` and asserts that nothing on it went wrong (no screenshot kept).
pub fn assert_renders(chromium: &Path, dir: &Path, page: &Path) {
    let run = run_chromium(chromium, page, &any_output(dir));
    assert!(run.success, "chromium failed:\n{}", run.stderr);
    assert_eq!(page_problems(&run.stderr, &run.url), Vec::<String>::new());
}
