//! The one way tests start the real listener: `serve-webhook` on a loopback port (a free one,
//! or one the test chose so the public URL can name it), requests signed the way Twilio does,
//! and raw HTTP/1.1 so tests control exactly what goes over the wire (half requests, oversized
//! bodies, stalls).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{KeyInit, Mac};

use crate::common::Workdir;

pub const TOKEN: &str = "test-auth-token-0123456789abcdef";
/// As behind a TLS proxy: Twilio signs the public URL, the listener sits on 127.0.0.1:PORT.
pub const PUBLIC: &str = "https://example.org";

/// An independent implementation of Twilio's request signature, so the tests do not trust the code
/// under test to sign for them.
pub fn sign(url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(TOKEN.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub fn encode(params: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The real listener, killed when dropped.
pub struct Listener {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: Arc<Mutex<String>>,
}

impl Listener {
    /// On a free port, read back from the listener's own log.
    pub fn start(wd: &Workdir) -> Listener {
        Listener::start_on(wd, 0)
    }

    pub fn start_on(wd: &Workdir, port: u16) -> Listener {
        Listener::start_with(wd.command(&[
            "serve-webhook",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ]))
    }

    /// `cmd` (a `serve-webhook` however started, e.g. under a shell that sets its umask) as the
    /// listener.
    pub fn start_with(mut cmd: std::process::Command) -> Listener {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting serve-webhook");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = tx.send(addr);
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(a) => a.parse().expect("listen address"),
            Err(_) => {
                let _ = child.kill();
                panic!("listener did not start:\n{}", log.lock().unwrap());
            }
        };
        Listener { child, addr, log }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// A signed POST with `params`, as Twilio would send it to `PUBLIC` + `path_query`.
    pub fn post(&self, path_query: &str, params: &[(&str, &str)]) -> (u16, String) {
        let sig = sign(&format!("{PUBLIC}{path_query}"), params);
        self.post_with(path_query, &encode(params), Some(&sig))
    }

    pub fn post_with(&self, path_query: &str, body: &str, sig: Option<&str>) -> (u16, String) {
        let sig = sig
            .map(|s| format!("X-Twilio-Signature: {s}\r\n"))
            .unwrap_or_default();
        let raw = format!(
            "POST {path_query} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n{sig}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.raw(raw.as_bytes())
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        self.raw(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
    }

    /// Writes `request` (ignoring a reset if the server answers early) and reads the answer.
    pub fn raw(&self, request: &[u8]) -> (u16, String) {
        let mut s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = s.write_all(request);
        read_response(&mut s)
    }

    /// SIGTERM, as systemd sends it: the listener must finish what it has and exit 0.
    pub fn stop(mut self) {
        let status = self.terminate();
        assert!(status.success(), "SIGTERM: {status}\n{}", self.log());
    }

    /// Sends SIGTERM and waits (bounded) for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        self.wait_exit(Duration::from_secs(10))
    }

    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "listener did not exit:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one response to the end of the connection: (status, body).
pub fn read_response(s: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP response: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// A workdir with the sample CSV imported and the listener's settings in the environment.
pub fn imported() -> Workdir {
    let mut wd = Workdir::new();
    wd.fixture(
        "appointments-2026-11-24.csv",
        "csv/appointments-2026-11-24.csv",
    );
    wd.run(&["import"]).ok();
    wd.env("TWILIO_AUTH_TOKEN", TOKEN)
        .env("REMINDERS_PUBLIC_URL", PUBLIC);
    wd
}

/// Stands in for `send`: appointment `appointment_id` has an attempt out with `sid`.
pub fn attempt(wd: &Workdir, appointment_id: &str, channel: &str, sid: &str) -> i64 {
    let db = wd.db();
    let id: i64 = db
        .query_row(
            "SELECT id FROM appointments WHERE appointment_id = ?1",
            [appointment_id],
            |r| r.get(0),
        )
        .expect(appointment_id);
    db.execute(
        "UPDATE appointments SET status = 'in_flight', attempt_count = 1, channel = ?2,
             touch_days = 1, touch_attempts = 1, last_attempt_at = '2026-11-25T00:00:00Z'
         WHERE id = ?1",
        rusqlite::params![id, channel],
    )
    .unwrap();
    db.execute(
        "INSERT INTO appointment_logs (appointment_id, attempt, channel, sid, \"to\", \"from\", status,
             touch_days, created_at, updated_at)
         SELECT id, 1, ?2, ?3, phone_number, '+14165550000', 'queued', 1, '2026-11-25T00:00:00Z',
             '2026-11-25T00:00:00Z' FROM appointments WHERE id = ?1",
        rusqlite::params![id, channel, sid],
    )
    .unwrap();
    id
}

pub fn state(wd: &Workdir, id: i64) -> String {
    wd.db()
        .query_row("SELECT status FROM appointments WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
}
