//! The ops kit in `contrib/` as shipped: the nginx site in front of the real listener (nginx -t,
//! then a signed callback over TLS), the systemd unit through `systemd-analyze verify`, and
//! every crontab line through the real binary. A tool that is not installed skips its test with
//! a note (`.ci/run` installs nginx and openssl, so CI runs them all).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::listener::{Listener, attempt, encode, imported, sign, state};
use crate::common::twilio::{self, free_port};
use crate::common::{EVENING, Workdir};

const SM1: &str = "SM11111111111111111111111111111111";

fn contrib(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The first of `candidates` that runs at all (`nginx` lives in /usr/sbin, not on every PATH).
fn installed(candidates: &[&str], arg: &str) -> Option<String> {
    candidates
        .iter()
        .find(|c| Command::new(c).arg(arg).output().is_ok())
        .map(|c| c.to_string())
}

/// Replaces `from` (which must be there: the test edits the shipped file, not its own copy).
#[track_caller]
fn swap(text: &mut String, from: &str, to: &str) {
    assert!(
        text.contains(from),
        "the shipped file no longer has {from:?}"
    );
    *text = text.replace(from, to);
}

/// nginx in a process group of its own, stopped with everything it started when dropped, also
/// when the test fails: killing only the master (SIGKILL) leaves its worker running after
/// `cargo test` has finished, holding the port and the temp dir's files.
struct Nginx(Child);

impl Nginx {
    /// Starts `cmd` (nginx in the foreground) as the leader of a new process group.
    fn spawn(cmd: &mut Command) -> Nginx {
        use std::os::unix::process::CommandExt;
        Nginx(cmd.process_group(0).spawn().expect("starting nginx"))
    }

    /// Stops nginx now and says whether anything of it is left.
    fn stop(self) -> bool {
        let group = self.0.id();
        drop(self);
        group_alive(group)
    }
}

/// Whether any process of the group `leader` leads is still there (a worker's zombie counts
/// until init reaps it).
fn group_alive(leader: u32) -> bool {
    // SAFETY: signal 0 only asks whether the group exists and may be signalled.
    unsafe { libc::kill(-(leader as libc::pid_t), 0) == 0 }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let master = self.0.id() as libc::pid_t;
        // SIGQUIT is `nginx -s quit`: the workers finish and exit, then the master.
        // SAFETY: signalling a child this guard started; the pid is not reused while unwaited.
        unsafe { libc::kill(master, libc::SIGQUIT) };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Whatever is left of the group (a master that did not quit, a worker it did not wait
        // for) is killed, and the guard waits until none of it remains.
        // SAFETY: the group this guard's nginx leads; no other process joins it.
        unsafe { libc::kill(-master, libc::SIGKILL) };
        let _ = self.0.wait();
        let start = Instant::now();
        while group_alive(master as u32) && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn the_nginx_site_passes_nginx_t_and_carries_signed_callbacks_over_tls() {
    let Some(nginx) = installed(&["nginx", "/usr/sbin/nginx"], "-v") else {
        println!("skipped: nginx is not installed");
        return;
    };
    let Some(openssl) = installed(&["openssl"], "version") else {
        println!("skipped: openssl is not installed (needed for a throwaway certificate)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();

    // A throwaway certificate for `localhost`: a leaf (CA:FALSE, serverAuth, SAN) that the
    // client below trusts as its only root.
    let cert = format!("{d}/fullchain.pem");
    let key = format!("{d}/privkey.pem");
    let out = Command::new(&openssl)
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .args(["-keyout", &key, "-out", &cert])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Twilio is configured with https://localhost:PORT, nginx's port; the listener rebuilds the
    // signed URL from REMINDERS_PUBLIC_URL, not from what nginx forwards.
    let (https, http) = (free_port(), free_port());
    let public = format!("https://localhost:{https}");
    let mut wd = imported();
    wd.env("REMINDERS_PUBLIC_URL", &public);
    let sms = attempt(&wd, "A1002", "sms", SM1);
    let listener = Listener::start(&wd);

    // The shipped site with only addresses, ports, names and paths changed.
    let ipv6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    let v6 = |port: u16, ssl: &str| match ipv6 {
        true => format!("listen [::1]:{port}{ssl};"),
        false => String::new(),
    };
    let mut site = contrib("nginx-reminders.conf");
    swap(
        &mut site,
        "listen 80;",
        &format!("listen 127.0.0.1:{http};"),
    );
    swap(&mut site, "listen [::]:80;", &v6(http, ""));
    swap(
        &mut site,
        "listen 443 ssl;",
        &format!("listen 127.0.0.1:{https} ssl;"),
    );
    swap(&mut site, "listen [::]:443 ssl;", &v6(https, " ssl"));
    swap(
        &mut site,
        "/etc/letsencrypt/live/rem.example.ca/fullchain.pem",
        &cert,
    );
    swap(
        &mut site,
        "/etc/letsencrypt/live/rem.example.ca/privkey.pem",
        &key,
    );
    swap(
        &mut site,
        "server_name rem.example.ca;",
        "server_name localhost;",
    );
    let upstream = format!("127.0.0.1:{}", listener.addr.port());
    swap(&mut site, "127.0.0.1:8080", &upstream);
    std::fs::write(format!("{d}/reminders.conf"), site).unwrap();

    // The smallest main config around it, everything nginx writes kept in the temp dir. As root
    // (CI), workers stay root so they can use the temp dir (0700).
    // SAFETY: geteuid has no preconditions.
    let user = if unsafe { libc::geteuid() } == 0 {
        "user root;"
    } else {
        ""
    };
    let conf = format!("{d}/nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "{user}\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/body;\n  \
             proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
             uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
             include {d}/reminders.conf;\n}}\n"
        ),
    )
    .unwrap();
    let base = |cmd: &mut Command| {
        cmd.args([
            "-p",
            &format!("{d}/"),
            "-e",
            &format!("{d}/error.log"),
            "-c",
            &conf,
        ]);
    };

    let mut check = Command::new(&nginx);
    base(&mut check);
    let out = check.arg("-t").output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "nginx -t:\n{said}");
    assert!(!said.contains("[warn]"), "nginx -t warns:\n{said}");

    let mut run = Command::new(&nginx);
    base(&mut run);
    let nginx_running = Nginx::spawn(
        run.args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", https)).is_err() {
        let log = std::fs::read_to_string(format!("{d}/error.log")).unwrap_or_default();
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nginx did not start:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let pem = std::fs::read(&cert).unwrap();
    let root = ureq::tls::Certificate::from_pem(&pem).unwrap();
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&[root]))
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let post = |path: &str, params: &[(&str, &str)], sig: &str| {
        agent
            .post(format!("{public}{path}"))
            .header("X-Twilio-Signature", sig)
            .content_type("application/x-www-form-urlencoded")
            .send(encode(params))
            .expect("POST through nginx")
            .status()
            .as_u16()
    };
    let get = |url: &str| agent.get(url).call().expect(url).status().as_u16();

    let delivered = [("MessageSid", SM1), ("MessageStatus", "delivered")];
    let good = sign(&format!("{public}/twilio/sms-status"), &delivered);
    assert_eq!(post("/twilio/sms-status", &delivered, &good), 200);
    assert_eq!(state(&wd, sms), "reached");
    let stored = format!("SELECT count(*) FROM webhook_events WHERE sid = '{SM1}'");
    assert_eq!(wd.count(&stored), 1);

    // Signed over the listener's own address (a wrong REMINDERS_PUBLIC_URL): refused, not stored.
    let failed = [("MessageSid", SM1), ("MessageStatus", "failed")];
    let wrong = sign(&format!("http://{upstream}/twilio/sms-status"), &failed);
    assert_eq!(post("/twilio/sms-status", &failed, &wrong), 403);
    assert_eq!(state(&wd, sms), "reached");
    assert_eq!(wd.count(&stored), 1);

    assert_eq!(get(&format!("{public}/healthz")), 200);
    assert_eq!(get(&format!("{public}/elsewhere")), 404);
    assert_eq!(
        get(&format!("http://127.0.0.1:{http}/twilio/sms-status")),
        301
    );
    // Master and workers both gone: nothing of nginx outlives the test.
    assert!(!nginx_running.stop(), "nginx processes left behind");
}

#[test]
fn systemd_analyze_verify_accepts_the_unit() {
    let Some(analyze) = installed(&["systemd-analyze"], "--version") else {
        println!("skipped: systemd-analyze is not installed");
        return;
    };
    // verify insists that ExecStart's program exists; it is /usr/bin/reminders once the
    // package is installed, so the copy points at the binary under test and nothing else changes.
    let mut unit = contrib("reminders-webhook.service");
    swap(
        &mut unit,
        "ExecStart=/usr/bin/reminders ",
        &format!("ExecStart={} ", env!("CARGO_BIN_EXE_reminders")),
    );
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("reminders-webhook.service");
    std::fs::write(&path, unit).unwrap();
    // --man=no: Documentation= names man:reminders(1), which only the package installs
    // (contrib/deb/test-install.sh verifies the installed unit with its man page in place).
    let out = Command::new(analyze)
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify:\n{said}");
    assert!(
        said.trim().is_empty(),
        "systemd-analyze verify warns:\n{said}"
    );
}

/// One crontab time field: `*`, or a list of numbers / ranges within `lo..=hi`, each with an
/// optional `/step`.
fn cron_field_ok(field: &str, lo: u32, hi: u32) -> bool {
    let num = |s: &str| s.parse::<u32>().ok().filter(|n| (lo..=hi).contains(n));
    field.split(',').all(|part| {
        let (range, step) = part.split_once('/').unwrap_or((part, "1"));
        let step_ok = step.parse::<u32>().is_ok_and(|s| s > 0);
        let range_ok = range == "*"
            || match range.split_once('-') {
                Some((a, b)) => num(a).zip(num(b)).is_some_and(|(a, b)| a <= b),
                None => num(range).is_some(),
            };
        step_ok && range_ok
    })
}

/// The crontab `crontab.example` gives: one heartbeat line, as a user crontab and in its
/// /etc/cron.d form, running `reminders run` in the data folder.
#[test]
fn the_example_crontab_is_the_heartbeat_and_its_command_runs() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("crontab.example");
    let text = std::fs::read_to_string(&p).unwrap();
    let active: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.contains('='))
        .collect();
    assert_eq!(
        active,
        ["*/5 * * * * cd /var/lib/reminders && reminders run"]
    );
    assert!(
        text.contains("#   */5 * * * * reminders cd /var/lib/reminders && reminders run"),
        "the /etc/cron.d form names the user"
    );
    // The command as cron runs it: nothing due at noon, nothing printed, exit 0.
    let mut w = Workdir::new();
    w.env("REMINDERS_NOW", "2026-11-24T12:00:00-05:00");
    let out = w.run(&["run"]);
    assert_eq!(out.code(), 0, "{}", out.stderr());
    assert_eq!(out.stdout(), "");
}

#[test]
fn every_crontab_line_is_a_valid_schedule_and_a_command_the_binary_accepts() {
    let crontab = contrib("reminders.crontab");
    let sim = twilio::start(EVENING);
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, twilio::PUBLIC_URL);
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 100\nsms_per_second = 100\n",
    );
    w.fixture(
        "appointments-2026-11-24.csv",
        "csv/appointments-2026-11-24.csv",
    );

    let mut windows = Vec::new();
    for line in crontab.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line
            .split_whitespace()
            .next()
            .is_some_and(|w| w.contains('='))
        {
            continue; // CRON_TZ=…, MAILTO=…, PATH=…
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(fields.len() > 5, "not a crontab entry: {line}");
        let limits = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];
        for (f, (lo, hi)) in fields[..5].iter().zip(limits) {
            assert!(cron_field_ok(f, lo, hi), "bad time field {f:?} in: {line}");
        }
        let command = fields[5..].join(" ");
        let args = command
            .strip_prefix("cd /var/lib/reminders && reminders ")
            .unwrap_or_else(|| panic!("expected `cd /var/lib/reminders && reminders …`: {line}"));
        windows.push((
            fields[0].to_string(),
            fields[1].to_string(),
            args.to_string(),
        ));
    }
    let planned: Vec<String> = windows
        .iter()
        .map(|(m, h, a)| format!("{h:0>2}:{m:0>2} {a}"))
        .collect();
    for expected in [
        "19:00 import --now",
        "19:45 retry",
        "09:00 retry",
        "09:30 status --check",
    ] {
        assert!(
            planned.iter().any(|p| p == expected),
            "{expected} in {planned:?}"
        );
    }

    // Each entry through the real binary, at its own time (evening, then the next morning).
    let mut by_time = windows.clone();
    by_time.sort_by_key(|(m, h, _)| {
        let h: u32 = h.parse().unwrap();
        ((h + 12) % 24, m.parse::<u32>().unwrap())
    });
    for (minute, hour, args) in by_time {
        let day = if hour.parse::<u32>().unwrap() >= 12 {
            24
        } else {
            25
        };
        let now = format!("2026-11-{day}T{hour:0>2}:{minute:0>2}:00-05:00");
        w.env("REMINDERS_NOW", &now);
        sim.set_now(twilio::at(&now));
        // The shell's redirections are not the binary's arguments.
        let argv: Vec<&str> = args
            .split_whitespace()
            .take_while(|a| !a.contains('>'))
            .collect();
        let run = w.run(&argv);
        // 0 done, 1 something needs attention (status --check); 2 would be bad usage.
        assert!(
            matches!(run.code(), 0 | 1),
            "`reminders {args}` at {now}: exit {}\n{}",
            run.code(),
            run.stderr()
        );
    }
    assert!(w.count("SELECT count(*) FROM appointment_logs") > 0);
}
