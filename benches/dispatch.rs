//! Dispatch rate benchmark: the real binary's `send` against the Twilio simulator answering in
//! 250 ms, at configured rates of 1, 10, 50 and 100 calls per second. Reports the rate reached
//! (creates per second between the first and last request) and the most requests that arrived
//! within any one second, which must never exceed the configured rate.
//!
//! Run: cargo bench --bench dispatch   (results go in BENCHMARKS.md by hand)

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reminders::twilio::simulator::Simulator;

const ACCOUNT: &str = "ACcccccccccccccccccccccccccccccccc";
const TOKEN: &str = "bench-token-bench-token-bench-tok";
const NOW: &str = "2026-11-24T19:00:00-05:00";

fn main() {
    let rates: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rates = if rates.is_empty() {
        vec![1, 10, 50, 100]
    } else {
        rates
    };
    println!(
        "| configured calls/s | calls | max_in_flight | reached calls/s | % of configured | most in any 1 s window |"
    );
    println!("|---|---|---|---|---|---|");
    for rate in rates {
        let calls = (rate * 10).max(15);
        let in_flight = 64;
        let (reached, busiest) = run(rate, calls, in_flight);
        println!(
            "| {rate} | {calls} | {in_flight} | {reached:.2} | {:.1}% | {busiest} |",
            100.0 * reached / f64::from(rate)
        );
    }
}

fn run(rate: u32, calls: u32, in_flight: u32) -> (f64, usize) {
    let now = DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc);
    let sim = Simulator::start(ACCOUNT, TOKEN, now).expect("simulator");
    sim.set_latency(Duration::from_millis(250));
    let dir = tempfile::tempdir().expect("temp dir");
    let mut csv = String::from(
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n",
    );
    for i in 0..calls {
        csv.push_str(&format!(
            "B{i},Q{i},416-{}-{:04},y,n,2026-11-25 10:00\n",
            200 + i / 10_000,
            i % 10_000
        ));
    }
    std::fs::write(dir.path().join("bench.csv"), csv).unwrap();
    std::fs::write(
        dir.path().join("reminders.toml"),
        format!("[sending]\ncalls_per_second = {rate}\nmax_in_flight = {in_flight}\n"),
    )
    .unwrap();
    let exe = env!("CARGO_BIN_EXE_reminders");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(exe)
            .current_dir(dir.path())
            .args(args)
            .env_clear()
            .env("REMINDERS_NOW", NOW)
            .env("TWILIO_ACCOUNT_SID", ACCOUNT)
            .env("TWILIO_AUTH_TOKEN", TOKEN)
            .env("TWILIO_PHONE_NUMBER", "+16135550000")
            .env("TWILIO_API_BASE", sim.base_url())
            .env("REMINDERS_PUBLIC_URL", "https://rem.example.ca")
            .output()
            .expect("running reminders");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["import", "bench.csv"]);
    run(&["send"]);
    let times: Vec<Instant> = sim.create_times();
    assert_eq!(times.len(), calls as usize);
    let span = (times[times.len() - 1] - times[0]).as_secs_f64();
    let reached = f64::from(calls - 1) / span;
    let busiest = (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t - times[i] < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0);
    (reached, busiest)
}
