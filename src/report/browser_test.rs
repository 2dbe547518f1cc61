//! The example report in headless Chromium: a month of two sites with prices and a full
//! hand-call list, which the simulated day the end-to-end test renders (`tests/report.rs`,
//! through the real command) does not have. Skipped, and saying so, where no Chromium is
//! installed (Debian: `apt-get install chromium`). The detector is in `chromium.rs`.

use super::chromium::*;
use super::render;
use super::tests::{hostile, sample};

#[test]
fn the_report_renders_in_chromium_without_errors_and_prints_on_a4() {
    let Some(chromium) = find_chromium() else {
        println!("chromium not installed: browser check skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    assert_detector_works(&chromium, dir, &render(&sample()));

    // The example at A4 proportions, and its printout. (The README's screenshot is the real
    // command's page, kept by the end-to-end test.)
    let page = write(dir, "report.html", &render(&sample()));
    assert_renders_and_prints_on_a4(&chromium, dir, &page, false);

    // Hostile CSV and patient text: shown as text, so nothing is blocked or run.
    assert_renders(
        &chromium,
        dir,
        &write(dir, "hostile.html", &render(&hostile())),
    );
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
