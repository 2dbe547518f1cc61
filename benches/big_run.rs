//! A run over 1,000,000 due appointments: peak memory of `send --dry-run`, and of
//! the first minute of a real `send` against the Twilio simulator, with the time from starting
//! `send` to Twilio receiving its first request. Selection and sending stream from SQLite, so
//! memory must stay under 64 MB whatever the number due.
//!
//! Run: cargo bench --bench big_run [N]   (default N = 1000000; results go in BENCHMARKS.md)
//! Peak RSS is the kernel's own figure for each child (wait4's ru_maxrss).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reminders::domain::channel::Channel;
use reminders::twilio::simulator::{Simulator, Step};

const ACCOUNT: &str = "ACcccccccccccccccccccccccccccccccc";
const TOKEN: &str = "bench-token-bench-token-bench-tok";
const NOW: &str = "2026-11-24T19:00:00-05:00";

fn main() {
    let n: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let now = DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc);
    let sim = Simulator::start(ACCOUNT, TOKEN, now).expect("simulator");
    sim.set_default(Channel::Call, Step::Stay);
    sim.set_default(Channel::Sms, Step::Stay);
    let dir = tempfile::tempdir().expect("temp dir");
    write_csv(&dir.path().join("big.csv"), n);
    std::fs::write(
        dir.path().join("reminders.toml"),
        "[sending]\ncalls_per_second = 100\nsms_per_second = 100\nmax_in_flight = 64\n",
    )
    .unwrap();
    let command = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_reminders"));
        c.current_dir(dir.path())
            .args(args)
            .env_clear()
            .env("REMINDERS_NOW", NOW)
            .env("TWILIO_ACCOUNT_SID", ACCOUNT)
            .env("TWILIO_AUTH_TOKEN", TOKEN)
            .env("TWILIO_PHONE_NUMBER", "+16135550000")
            .env("TWILIO_API_BASE", sim.base_url())
            .env("REMINDERS_PUBLIC_URL", "https://rem.example.ca")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };

    let started = Instant::now();
    let (ok, rss) = measure(command(&["import", "big.csv"]), None);
    assert!(ok, "import failed");
    println!(
        "import of {n} rows: {:.1} s, peak RSS {:.1} MB",
        started.elapsed().as_secs_f64(),
        mb(rss)
    );

    let started = Instant::now();
    let (ok, rss) = measure(command(&["send", "--dry-run"]), None);
    assert!(ok, "dry run failed");
    println!(
        "send --dry-run over {n} due: {:.1} s, peak RSS {:.1} MB",
        started.elapsed().as_secs_f64(),
        mb(rss)
    );

    let started = Instant::now();
    let (_, rss) = measure(command(&["send"]), Some(Duration::from_secs(60)));
    let first = sim
        .create_times()
        .first()
        .map(|t| t.duration_since(started).as_secs_f64());
    println!(
        "send, first minute ({} requests sent, then SIGTERM): peak RSS {:.1} MB, first request after {}",
        sim.creates().len(),
        mb(rss),
        first.map_or("(none)".into(), |s| format!("{s:.2} s"))
    );
}

fn write_csv(path: &std::path::Path, n: u32) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        f,
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time"
    )
    .unwrap();
    for i in 0..n {
        // Every one tomorrow, each on its own number; one in three by text.
        writeln!(
            f,
            "B{i},Q{i},+1 416 {:03} {:04},y,{},2026-11-25 {:02}:{:02}",
            200 + i / 10_000,
            i % 10_000,
            if i % 3 == 0 { "y" } else { "n" },
            8 + (i % 10),
            (i % 4) * 15
        )
        .unwrap();
    }
}

/// Runs `cmd` to its end (or SIGTERM after `limit`) and returns whether it exited 0 and its
/// peak resident set in kB, as the kernel accounted it.
fn measure(mut cmd: Command, limit: Option<Duration>) -> (bool, i64) {
    let child = cmd.spawn().expect("spawning reminders");
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    if let Some(limit) = limit {
        std::thread::spawn(move || {
            std::thread::sleep(limit);
            // SAFETY: kill(2) on our own child's pid; it may have exited already (then ESRCH).
            unsafe { libc::kill(pid, libc::SIGTERM) };
        });
    }
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child with pointers to locals we own.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    std::mem::forget(child); // already reaped
    (
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        usage.ru_maxrss,
    )
}

fn mb(kb: i64) -> f64 {
    kb as f64 / 1024.0
}
