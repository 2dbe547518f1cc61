//! The operator's terminal: tables that fit 80 columns, days as people type them,
//! misplaced flags that say where they belong, and output to a closed pipe.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::common::twilio::{self, PUBLIC_URL, refuse};
use crate::common::{EVENING, Workdir};

/// A day's worth of everything: appointments sent to, a refused number, a rejected row, runs.
fn busy_day() -> Workdir {
    let sim = twilio::start(EVENING);
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, PUBLIC_URL);
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 100\nsms_per_second = 100\n",
    );
    w.fixture(
        "appointments-2026-11-24.csv",
        "csv/appointments-2026-11-24.csv",
    );
    w.write(
        "csv/late.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,appointment_msg\n\
         B1,Q1,555-12,y,n,2026-11-25 10:00,\"Bring your health card, your list of medications and the forms we mailed you last week\"\n",
    );
    w.run(&["import"]).ok();
    refuse(&sim, "+14165550103", 400, 21211);
    w.run(&["send"]).ok();
    // The simulator goes with the workdir's Twilio settings; it is no longer needed.
    drop(sim);
    w
}

/// Runs the binary under a pseudo-terminal 80 columns wide (`script` gives it one) and returns
/// what the terminal showed, line by line.
pub fn at_80_columns(w: &Workdir, args: &[&str]) -> Vec<String> {
    let bin = env!("CARGO_BIN_EXE_reminders");
    let line = std::iter::once(bin.to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    let out = w
        .program("script", &["-qec", &line, "/dev/null"])
        .env("COLUMNS", "80")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("script(1) runs the command under a pseudo-terminal");
    String::from_utf8_lossy(&out.stdout)
        .split('\n')
        .map(|l| strip_ansi(l.trim_end_matches('\r')))
        .collect()
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI … final byte.
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn every_view_fits_an_80_column_terminal_and_a_pipe_gets_it_whole() {
    let w = busy_day();
    let views: [&[&str]; 8] = [
        &["status"],
        &["status", "appointments"],
        &["status", "logs"],
        &["status", "imports"],
        &["status", "failed-rows"],
        &["status", "runs"],
        &["status", "--check"],
        &[
            "status",
            "appointments",
            "--date",
            "tomorrow",
            "--show-phone",
        ],
    ];
    for args in views {
        let lines = at_80_columns(&w, args);
        assert!(lines.len() > 3, "{args:?}: {lines:?}");
        for l in &lines {
            assert!(
                l.chars().count() <= 80,
                "{args:?}: {} columns:\n{l}\n{}",
                l.chars().count(),
                lines.join("\n")
            );
        }
    }
    // The long message is cut on the terminal but whole in a pipe and in JSON.
    let piped = w.run(&["status", "failed-rows"]).stdout();
    assert!(
        piped.contains("the forms we mailed you last week"),
        "{piped}"
    );
    assert!(piped.lines().any(|l| l.chars().count() > 80));
}

#[test]
fn days_are_today_tomorrow_yesterday_or_a_date_in_the_clinics_zone() {
    let mut w = busy_day();
    let count = |w: &Workdir, day: &str| -> usize {
        let out = w
            .run(&["status", "appointments", "--json", "--date", day])
            .ok();
        serde_json::from_str::<serde_json::Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    };
    // 23:59 in Toronto on the 24th is already the 25th in UTC: "today" is still the 24th.
    w.env("REMINDERS_NOW", "2026-11-25T04:59:00Z");
    assert_eq!(count(&w, "today"), 0);
    assert_eq!(count(&w, "tomorrow"), 20);
    assert_eq!(count(&w, "2026-11-25"), 20);
    // A minute later it is the 25th.
    w.env("REMINDERS_NOW", "2026-11-25T05:00:00Z");
    assert_eq!(count(&w, "today"), 20);
    assert_eq!(count(&w, "yesterday"), 0);
    // Across the fall-back change (2026-11-01 is 25 hours long in Toronto): at 23:30 on the
    // 1st (04:30 UTC on the 2nd) "today" is still the 1st.
    w.env("REMINDERS_NOW", "2026-11-02T04:30:00Z");
    let out = w.run(&["status", "--date", "today"]).ok();
    assert!(out.contains("Appointments on Sun 2026-11-01"), "{out}");
    // Anything else is a usage error that shows the accepted forms.
    let bad = w.run(&["status", "--date", "25/11/2026"]);
    assert_eq!(bad.code(), 2);
    assert!(
        bad.stderr()
            .contains("use today, tomorrow, yesterday or a date as YYYY-MM-DD"),
        "{}",
        bad.stderr()
    );
}

#[test]
fn a_flag_used_without_its_view_names_the_view_that_takes_it() {
    let w = busy_day();
    let run = w.run(&["status", "--state", "failed"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains(
            "--state does not apply to this view; `status appointments`, `status logs` and `status backfill` take it, e.g. reminders status appointments --state"
        ),
        "{}",
        run.stderr()
    );
    let run = w.run(&["status", "imports", "--check"]);
    assert!(
        run.stderr().contains("`status summary` takes it"),
        "{}",
        run.stderr()
    );
}

#[test]
fn output_to_a_closed_pipe_ends_quietly_with_exit_0() {
    let w = busy_day();
    for args in [
        &["status", "logs"][..],
        &["status", "appointments", "--json"],
        &["status", "logs", "--csv"],
        &["send", "--dry-run", "--show-messages"],
    ] {
        let mut child = w
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line, then close the pipe, as `| head -1` does.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
