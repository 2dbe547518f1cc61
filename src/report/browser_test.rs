//! The report in a real browser (SPEC §12.3: it "renders without errors in a real browser
//! (headless Chromium) and prints legibly on A4"). Skipped, and saying so, where no Chromium is
//! installed (Debian: `apt-get install chromium`).
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
//! checked each run on two deliberately broken pages, so a Chromium whose log format changed
//! fails here instead of passing blind.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::render;
use super::tests::{hostile, sample};

const CANDIDATES: [&str; 4] = [
    "/usr/bin/chromium",
    "chromium",
    "chromium-browser",
    "google-chrome",
];
const TIMEOUT: Duration = Duration::from_secs(90);
/// Set to a directory to keep the sample's screenshot and PDF there (how docs/report.png is
/// made).
const KEEP_DIR: &str = "REMINDERS_REPORT_SCREENSHOT_DIR";

fn find_chromium() -> Option<PathBuf> {
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

struct Run {
    success: bool,
    stderr: String,
    url: String,
}

/// Opens `page` in headless Chromium with `outputs` (`--screenshot=…`, `--print-to-pdf=…`):
/// without one, headless Chromium keeps the page open and never exits.
fn run_chromium(chromium: &Path, page: &Path, outputs: &[String]) -> Run {
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
            "--window-size=1240,1754",
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
fn page_problems(stderr: &str, url: &str) -> Vec<String> {
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
fn any_output(dir: &tempfile::TempDir) -> Vec<String> {
    vec![format!(
        "--screenshot={}",
        dir.path().join("check.png").display()
    )]
}

fn write(dir: &Path, name: &str, html: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, html).expect("writing a page to the temp dir");
    path
}

#[test]
fn the_report_renders_in_chromium_without_errors_and_prints_on_a4() {
    let Some(chromium) = find_chromium() else {
        println!("chromium not installed: browser check skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("a temp dir");

    // The detector first: it must see what goes wrong, or its silence below means nothing.
    let injected = render(&sample()).replacen(
        "<body>",
        r#"<body><img src="injected.png" alt=""><script>console.error("injected")</script>"#,
        1,
    );
    let run = run_chromium(
        &chromium,
        &write(dir.path(), "injected.html", &injected),
        &any_output(&dir),
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
        &chromium,
        &write(dir.path(), "broken.html", broken),
        &any_output(&dir),
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

    // The sample: a screenshot at about A4 proportions, and the printout.
    let page = write(dir.path(), "report.html", &render(&sample()));
    let png = dir.path().join("report.png");
    let pdf = dir.path().join("report.pdf");
    let run = run_chromium(
        &chromium,
        &page,
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
    if let Some(keep) = std::env::var_os(KEEP_DIR) {
        let keep = PathBuf::from(keep);
        std::fs::copy(&png, keep.join("report.png")).expect("keeping the screenshot");
        std::fs::copy(&pdf, keep.join("report.pdf")).expect("keeping the PDF");
    }

    // Hostile CSV and patient text: shown as text, so nothing is blocked or run.
    let page = write(dir.path(), "hostile.html", &render(&hostile()));
    let run = run_chromium(&chromium, &page, &any_output(&dir));
    assert!(run.success, "chromium failed:\n{}", run.stderr);
    assert_eq!(page_problems(&run.stderr, &run.url), Vec::<String>::new());
}

#[test]
fn the_detector_tells_page_faults_from_start_up_noise() {
    let url = "file:///tmp/x/report.html";
    let log = [
        "/usr/bin/chromium: 9: [: 25276502016: unexpected operator",
        "[1:2:1127/112429.044114:ERROR:dbus/bus.cc:405] Failed to connect to the bus: no socket",
        "[1:2:1127/112429.182006:WARNING:media/gpu/vaapi/vaapi_wrapper.cc:1655] drmGetDevices2()",
        "[1:2:1127/112446.114733:VERBOSE1:content/browser/loader/file_url_loader_factory.cc:477] \
         FileURLLoader::Start: file:///tmp/x/report.html",
        "[1:1:1127/112430.937703:INFO:CONSOLE:3] \"Loading the image 'file:///tmp/x/a.png' \
         violates the following Content Security Policy directive\", source: file:///tmp/x/report.html (3)",
        "[1:1:1127/112431.982879:INFO:CONSOLE(2)] \"Uncaught ReferenceError: f is not defined\", \
         source: file:///tmp/x/report.html (2)",
        "[1:2:1127/112447.501683:VERBOSE1:content/browser/loader/file_url_loader_factory.cc:477] \
         FileURLLoader::Start: file:///tmp/x/missing.png",
        "[1:2:1127/112447.501683:ERROR:third_party/blink/foo.cc:1] could not lay out file:///tmp/x/report.html",
    ];
    let problems = page_problems(&log.join("\n"), url);
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(problems[0].contains("a.png"));
    assert!(problems[1].contains("ReferenceError"));
    assert!(problems[2].ends_with("missing.png"));
    assert!(problems[3].contains("could not lay out"));
}
