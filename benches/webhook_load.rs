//! Load benchmark for `reminders serve-webhook`: how many signed status callbacks per
//! second the real listener stores, at what latency, and proof that none were lost.
//!
//!     CARGO_TARGET_DIR=... cargo bench --bench webhook_load
//!
//! Builds a database with BENCH_APPOINTMENTS (default 12,500) call attempts through the real
//! `import` (plus direct inserts standing in for `send`), starts the release listener on
//! loopback, and sends four pre-signed callbacks per call (initiated, ringing, in-progress,
//! completed: 50,000 by default) from BENCH_CONNECTIONS (default 16) keep-alive connections,
//! one request at a time per connection. Then counts `webhook_events` rows and reached
//! appointments. Not a test: numbers go to BENCHMARKS.md.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{KeyInit, Mac};

const TOKEN: &str = "bench-token-0123456789abcdef0123";
const PUBLIC: &str = "https://rem.example.ca";
const NOW: &str = "2026-11-24T19:00:00-05:00";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn sign(url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(TOKEN.as_bytes()).expect("key");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn reminders(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reminders"));
    cmd.current_dir(dir)
        .env("REMINDERS_NOW", NOW)
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .env("REMINDERS_PUBLIC_URL", PUBLIC)
        .env_remove("REMINDERS_CONFIG")
        .env_remove("REMINDERS_DB");
    cmd
}

fn call_sid(i: usize) -> String {
    format!("CA{i:032x}")
}

/// One HTTP/1.1 response off a keep-alive connection: its status.
fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<u16> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        r.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body)?;
    Ok(status)
}

fn main() {
    let appointments = env_usize("BENCH_APPOINTMENTS", 12_500);
    let connections = env_usize("BENCH_CONNECTIONS", 16);
    let dir = tempfile::tempdir().expect("temp dir");

    // The database, through the real import.
    let mut csv = String::from(
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,language\n",
    );
    for i in 0..appointments {
        csv.push_str(&format!(
            "B{i},P{i},416-555-01{:02},Y,N,2026-11-25 10:30,en\n",
            i % 100
        ));
    }
    std::fs::write(dir.path().join("bench.csv"), csv).expect("csv");
    let out = reminders(dir.path())
        .args(["import", "bench.csv"])
        .output()
        .expect("import");
    assert!(
        out.status.success(),
        "import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = rusqlite::Connection::open(dir.path().join("reminders.db")).expect("db");
    db.execute_batch("BEGIN").unwrap();
    {
        let mut ins = db
            .prepare(
                "INSERT INTO appointment_logs (appointment_id, attempt, channel, sid, \"to\", \"from\", status, created_at, updated_at)
                 SELECT id, 1, 'call', ?2, phone_number, '+14165550000', 'queued', '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'
                 FROM appointments WHERE appointment_id = ?1",
            )
            .unwrap();
        for i in 0..appointments {
            ins.execute(rusqlite::params![format!("B{i}"), call_sid(i)])
                .unwrap();
        }
    }
    db.execute_batch("UPDATE appointments SET status = 'in_flight', attempt_count = 1; COMMIT")
        .unwrap();

    // Pre-signed requests, grouped by connection; each call's events stay in order.
    let url = format!("{PUBLIC}/twilio/call-status");
    let mut batches: Vec<Vec<Vec<u8>>> = vec![Vec::new(); connections];
    for i in 0..appointments {
        let sid = call_sid(i);
        for (seq, status) in ["initiated", "ringing", "in-progress", "completed"]
            .iter()
            .enumerate()
        {
            let seq = seq.to_string();
            let mut params = vec![
                ("AccountSid", "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
                ("ApiVersion", "2010-04-01"),
                ("CallSid", sid.as_str()),
                ("CallStatus", status),
                ("CallbackSource", "call-progress-events"),
                ("Direction", "outbound-api"),
                ("From", "+14165550000"),
                ("SequenceNumber", seq.as_str()),
                ("Timestamp", "Wed, 25 Nov 2026 00:00:05 +0000"),
                ("To", "+14165550101"),
            ];
            if *status == "completed" {
                params.extend([("CallDuration", "23"), ("AnsweredBy", "human")]);
            }
            let body = {
                let mut s = form_urlencoded::Serializer::new(String::new());
                for (k, v) in &params {
                    s.append_pair(k, v);
                }
                s.finish()
            };
            let req = format!(
                "POST /twilio/call-status HTTP/1.1\r\nHost: rem.example.ca\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {}\r\nContent-Length: {}\r\n\r\n{body}",
                sign(&url, &params),
                body.len()
            );
            batches[i % connections].push(req.into_bytes());
        }
    }
    let total: usize = batches.iter().map(Vec::len).sum();

    // The release listener.
    let mut child = reminders(dir.path())
        .args(["serve-webhook", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve-webhook");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let addr: SocketAddr = loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("listener exited before listening");
        }
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or("")
                .parse()
                .expect("addr");
        }
    };
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));

    let started = Instant::now();
    let workers: Vec<_> = batches
        .into_iter()
        .map(|batch| {
            std::thread::spawn(move || {
                let stream = TcpStream::connect(addr).expect("connect");
                stream.set_nodelay(true).ok();
                stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
                let mut writer = stream.try_clone().expect("clone");
                let mut reader = BufReader::new(stream);
                let mut latencies = Vec::with_capacity(batch.len());
                let mut failures = 0usize;
                for req in batch {
                    let t = Instant::now();
                    writer.write_all(&req).expect("write");
                    match read_response(&mut reader) {
                        Ok(200) => {}
                        _ => failures += 1,
                    }
                    latencies.push(t.elapsed());
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total);
    let mut failures = 0;
    for w in workers {
        let (l, f) = w.join().expect("worker");
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let exit = child.wait().expect("wait");

    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let stored: i64 = db
        .query_row("SELECT count(*) FROM webhook_events", [], |r| r.get(0))
        .unwrap();
    let reached: i64 = db
        .query_row(
            "SELECT count(*) FROM appointments WHERE status = 'reached'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    println!(
        "webhook load: {total} signed call-status callbacks, {connections} keep-alive connections"
    );
    println!("  elapsed      {:.2} s", elapsed.as_secs_f64());
    println!(
        "  throughput   {:.0} callbacks/s",
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  latency      p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3
    );
    println!("  non-200      {failures}");
    println!(
        "  stored       {stored} webhook_events rows (lost: {})",
        total as i64 - stored
    );
    println!("  reached      {reached} of {appointments} appointments");
    println!("  listener     exit {:?} after SIGTERM", exit.code());
    assert_eq!(stored as usize, total, "callbacks lost");
    assert_eq!(failures, 0);
}
