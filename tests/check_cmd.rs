//! `reminders check`: against the simulator (Twilio) and the real listener on loopback, each
//! check prints ok, warn or FAIL with what to do, and the exit code says whether anything
//! failed. `--send-test` sends one real message and waits for its report to come back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reminders::domain::channel::Channel;
use reminders::twilio::simulator::{Number, Simulator, Step};

use crate::common::listener::Listener;
use crate::common::twilio::{self, FROM, TOKEN, connect, free_port};
use crate::common::{Run, Workdir};

/// A finding as printed: its level, and its text with the advice (lines joined again).
#[derive(Debug)]
struct Line {
    level: String,
    text: String,
}

/// The report's findings, in order (the closing count is not one).
fn findings(run: &Run) -> Vec<Line> {
    let mut found: Vec<Line> = Vec::new();
    for line in run.stdout().lines() {
        if let Some(rest) = line.strip_prefix("     ") {
            let last = found.last_mut().expect("a continuation after a finding");
            last.text.push(' ');
            last.text.push_str(rest);
        } else if let Some((level, text)) = line.split_once(' ')
            && ["ok", "warn", "FAIL"].contains(&level)
        {
            found.push(Line {
                level: level.to_string(),
                text: text.trim_start().to_string(),
            });
        } else {
            assert!(line.ends_with(" ok"), "not a finding: {line:?}");
        }
    }
    found
}

/// The one finding whose text contains `needle`.
#[track_caller]
fn finding<'a>(lines: &'a [Line], needle: &str) -> &'a Line {
    let hits: Vec<&Line> = lines.iter().filter(|l| l.text.contains(needle)).collect();
    assert_eq!(hits.len(), 1, "{needle:?} in {lines:#?}");
    hits[0]
}

/// A clinic ready for its night: credentials, its number on the account with both
/// capabilities and its webhooks at the listener, the folders, a cron line, and the listener
/// up on `public`.
struct Ready {
    w: Workdir,
    sim: Simulator,
    public: String,
    listener: Listener,
}

fn ready() -> Ready {
    let sim = twilio::start(crate::common::EVENING);
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let mut w = Workdir::new();
    connect(&mut w, &sim, &public);
    sim.add_number(Number::new(FROM).webhooks(
        &format!("{public}/twilio/sms-inbound"),
        &format!("{public}/twilio/voice-inbound"),
    ));
    for dir in ["archive", "outbox", "cron.d"] {
        std::fs::create_dir_all(w.join(dir)).unwrap();
    }
    let me = reminders::host::running_user().name;
    w.write(
        "cron.d/reminders",
        format!(
            "*/5 * * * * {me} cd {} && reminders run\n",
            w.path().display()
        ),
    );
    w.env(
        "REMINDERS_CHECK_CRON_DIR",
        &w.join("cron.d").display().to_string(),
    );
    let listener = Listener::start_on(&w, port);
    Ready {
        w,
        sim,
        public,
        listener,
    }
}

#[track_caller]
fn check(w: &Workdir, args: &[&str], code: i32) -> Vec<Line> {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let run = w.run(&all);
    assert_eq!(run.code(), code, "{}\n{}", run.stdout(), run.stderr());
    assert!(!run.stdout().contains(TOKEN) && !run.stderr().contains(TOKEN));
    for line in run.stdout().lines() {
        assert!(line.chars().count() <= 80, "wider than 80: {line:?}");
    }
    if code == 1 {
        assert!(run.stderr().contains("failed"), "{}", run.stderr());
    }
    findings(&run)
}

#[test]
fn a_ready_clinic_passes_every_check() {
    let r = ready();
    let lines = check(&r.w, &[], 0);
    // Only the disk this test runs on may reasonably be short of space.
    let questioned: Vec<&Line> = lines
        .iter()
        .filter(|l| l.level != "ok" && !l.text.starts_with("free disk"))
        .collect();
    assert!(questioned.is_empty(), "{questioned:#?}");
    for needle in [
        "Twilio account ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa (Simulated clinic): active",
        "+16135550000: on the account, can make the calls and texts",
        "+16135550000: texts and calls that come in go to this listener",
        "schema version",
        "quick_check passed",
        "healthz answered 200",
        "a request signed for",
        "runs `reminders run`",
        "text in fr (built in):",
        "call in en (built in):",
        "contact hours 08:00-21:00",
    ] {
        assert_eq!(finding(&lines, needle).level, "ok", "{needle}");
    }
    // Every template, in both languages, with its size.
    let sms_en = finding(&lines, "text in en");
    assert!(sms_en.text.contains("GSM-7, 1 segment"), "{sms_en:?}");
    // What Twilio was asked: reads only, nothing created.
    assert!(r.sim.creates().is_empty());
    // The signed probe is recorded as a report for a message that is no attempt of ours.
    assert_eq!(
        r.w.count("SELECT count(*) FROM webhook_events WHERE kind = 'sms-status'"),
        1
    );
    assert_eq!(r.w.count("SELECT count(*) FROM appointment_logs"), 0);

    // No cron line anywhere: a warning, which does not fail the check.
    std::fs::remove_file(r.w.join("cron.d/reminders")).unwrap();
    let lines = check(&r.w, &[], 0);
    let cron = finding(&lines, "cron:");
    assert_eq!(cron.level, "warn");
    assert!(cron.text.contains("reminders run"), "{cron:?}");
    r.listener.stop();
}

#[test]
fn wrong_credentials_fail_and_say_where_to_copy_them_from() {
    let mut r = ready();
    // The listener keeps the token it started with; the check signs with the wrong one too.
    r.w.env("TWILIO_AUTH_TOKEN", "not-the-token");
    let lines = check(&r.w, &[], 1);
    let account = finding(&lines, "refused the account SID and auth token");
    assert_eq!(account.level, "FAIL");
    assert!(account.text.contains("20003"), "{account:?}");
    assert!(account.text.contains("https://console.twilio.com"));
    // Nothing more is asked of an account that refused the credentials.
    assert!(!lines.iter().any(|l| l.text.contains("on the account")));
    assert!(!lines.iter().any(|l| l.text.contains("not-the-token")));
}

#[test]
fn a_suspended_account_fails() {
    let r = ready();
    r.sim.set_account_status("suspended");
    let lines = check(&r.w, &[], 1);
    let account = finding(&lines, "Twilio account");
    assert_eq!(account.level, "FAIL");
    assert!(account.text.contains("suspended"), "{account:?}");
}

#[test]
fn a_sender_not_on_the_account_or_unable_to_text_fails() {
    let r = ready();
    r.sim.add_number(Number::new("+16135559999"));
    let mut w = r.w;
    w.env("TWILIO_PHONE_NUMBER", "+16135550001");
    let lines = check(&w, &[], 1);
    let number = finding(&lines, "+16135550001 is not a number of account");
    assert_eq!(number.level, "FAIL");
    assert!(number.text.contains("twilio.phone_number"), "{number:?}");

    w.env("TWILIO_PHONE_NUMBER", FROM);
    let public = r.public.clone();
    r.sim
        .add_number(Number::new(FROM).capable(true, false).webhooks(
            &format!("{public}/twilio/sms-inbound"),
            &format!("{public}/twilio/voice-inbound"),
        ));
    let lines = check(&w, &[], 1);
    assert_eq!(finding(&lines, "cannot send texts").level, "FAIL");

    // Texts through a messaging service: the number then only calls, and the service must
    // exist on the account.
    w.env(
        "TWILIO_MESSAGING_SERVICE_SID",
        "MG00000000000000000000000000000001",
    )
    .env("TWILIO_MESSAGING_API_BASE", &r.sim.base_url());
    let lines = check(&w, &[], 1);
    assert_eq!(
        finding(&lines, "can make the calls it is used for").level,
        "ok"
    );
    let service = finding(
        &lines,
        "messaging service MG00000000000000000000000000000001 is not on account",
    );
    assert_eq!(service.level, "FAIL");
    assert!(
        service.text.contains("twilio.messaging_service_sid"),
        "{service:?}"
    );
    r.sim
        .add_messaging_service("MG00000000000000000000000000000001", "Clinic texts");
    let lines = check(&w, &[], 0);
    assert_eq!(finding(&lines, "(Clinic texts) exists").level, "ok");
}

#[test]
fn webhooks_pointing_elsewhere_warn_with_the_urls_to_set() {
    let r = ready();
    r.sim
        .add_number(Number::new(FROM).webhooks("https://demo.twilio.com/welcome/sms/reply", ""));
    let lines = check(&r.w, &[], 0);
    let hooks = finding(&lines, "come in go to");
    assert_eq!(hooks.level, "warn");
    let public = &r.public;
    for needle in [
        "texts that come in go to https://demo.twilio.com/welcome/sms/reply",
        "calls that come in go to nowhere",
        &format!("\"A message comes in\": Webhook, {public}/twilio/sms-inbound, HTTP POST"),
        &format!("\"A call comes in\": Webhook, {public}/twilio/voice-inbound, HTTP POST"),
    ] {
        assert!(hooks.text.contains(needle), "{needle:?} in {hooks:?}");
    }
}

/// A proxy in front of the listener that forwards every request with `?via=proxy` added to
/// its target (as a proxy adding a tracking parameter would): the request still reaches its
/// route, but the URL it was signed for has changed.
fn rewriting_proxy(to: std::net::SocketAddr, stop: Arc<AtomicBool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((client, _)) => {
                    client.set_nonblocking(false).unwrap();
                    forward(client, to);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    port
}

fn forward(mut client: TcpStream, to: std::net::SocketAddr) {
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if !lower.starts_with("connection:") {
            head.push(line);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let mut parts: Vec<String> = head[0].split(' ').map(str::to_string).collect();
    parts[1] = format!("{}?via=proxy", parts[1]);
    head[0] = parts.join(" ");
    let mut upstream = TcpStream::connect(to).unwrap();
    let mut request = head.concat().into_bytes();
    request.extend_from_slice(b"Connection: close\r\n\r\n");
    request.extend_from_slice(&body);
    upstream.write_all(&request).unwrap();
    let mut answer = Vec::new();
    let _ = upstream.read_to_end(&mut answer);
    let _ = client.write_all(&answer);
}

#[test]
fn a_proxy_that_changes_what_the_signature_covers_fails() {
    let sim = twilio::start(crate::common::EVENING);
    let stop = Arc::new(AtomicBool::new(false));
    let mut w = Workdir::new();
    // The listener listens on its own port; Twilio (and the check) reach it through the proxy.
    let listener_port = free_port();
    let proxy = rewriting_proxy(
        format!("127.0.0.1:{listener_port}").parse().unwrap(),
        stop.clone(),
    );
    let public = format!("http://127.0.0.1:{proxy}");
    connect(&mut w, &sim, &public);
    sim.add_number(Number::new(FROM));
    let listener = Listener::start_on(&w, listener_port);
    let lines = check(&w, &[], 1);
    // The way there works: the health check passes through the proxy.
    assert_eq!(finding(&lines, "healthz answered 200").level, "ok");
    let signed = finding(&lines, "a request signed for");
    assert_eq!(signed.level, "FAIL");
    assert!(signed.text.contains("403"), "{signed:?}");
    assert!(
        signed.text.contains("(scheme, Host, port, path or query)"),
        "{signed:?}"
    );
    // The listener's log is read by a thread of its own: a few moments to catch up.
    let began = std::time::Instant::now();
    while !listener.log().contains("invalid X-Twilio-Signature") {
        assert!(
            began.elapsed() < std::time::Duration::from_secs(10),
            "{}",
            listener.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    stop.store(true, Ordering::SeqCst);
    listener.stop();
}

#[test]
fn a_config_file_with_the_token_that_others_can_read_fails() {
    use std::os::unix::fs::PermissionsExt;
    let r = ready();
    let file = r.w.write(
        "reminders.toml",
        format!("[twilio]\nauth_token = \"{TOKEN}\"\n"),
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let lines = check(&r.w, &[], 1);
    let config = finding(&lines, "holds the auth token");
    assert_eq!(config.level, "FAIL");
    assert!(config.text.contains("mode 0644"), "{config:?}");
    assert!(
        config.text.contains("chmod 600 reminders.toml"),
        "{config:?}"
    );
    // The only failure.
    assert_eq!(lines.iter().filter(|l| l.level == "FAIL").count(), 1);

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let lines = check(&r.w, &[], 0);
    assert_eq!(finding(&lines, "holds the auth token").level, "ok");
}

#[test]
fn a_configuration_that_does_not_load_is_a_failure_not_a_usage_error() {
    let w = Workdir::new();
    w.write("reminders.toml", "[sending]\ncalls_per_second = -1\n");
    let lines = check(&w, &[], 1);
    let config = finding(&lines, "configuration:");
    assert_eq!(config.level, "FAIL");
    assert!(
        config.text.contains("sending.calls_per_second"),
        "{config:?}"
    );
}

#[test]
fn the_clinics_templates_are_rendered_or_their_fault_named() {
    // No Twilio settings and no public URL: nothing is asked of the network.
    let w = Workdir::new();
    w.write(
        "sms.en.txt",
        "{appointment_msg} Bring your card to {provider}.",
    );
    w.write(
        "reminders.toml",
        "[templates]\nsms_en = \"sms.en.txt\"\nvoice_en = \"voice.en.xml\"\n",
    );
    // A template file that is not there: named, and nothing rendered.
    let lines = check(&w, &[], 1);
    let missing = finding(&lines, "templates:");
    assert_eq!(missing.level, "FAIL");
    assert!(missing.text.contains("voice.en.xml"), "{missing:?}");

    // A placeholder that is not built in: only the export can tell, after the first import.
    w.write("reminders.toml", "[templates]\nsms_en = \"sms.en.txt\"\n");
    let lines = check(&w, &[], 1);
    let sms = finding(&lines, "text in en (sms.en.txt)");
    assert_eq!(sms.level, "warn");
    assert!(sms.text.contains("{provider}"), "{sms:?}");
    // The others are built in, and render.
    assert_eq!(finding(&lines, "text in fr (built in)").level, "ok");
}

#[test]
fn check_never_creates_the_database() {
    let sim = twilio::start(crate::common::EVENING);
    let mut w = Workdir::new();
    connect(&mut w, &sim, &format!("http://127.0.0.1:{}", free_port()));
    sim.add_number(Number::new(FROM));
    // No listener: nothing answers the public URL.
    let lines = check(&w, &["--send-test", "+14165550123"], 1);
    assert!(!w.join("reminders.db").exists());
    assert_eq!(finding(&lines, "none yet").level, "warn");
    assert_eq!(finding(&lines, "nothing answered GET").level, "FAIL");
    // The test message is not made while the path it proves is broken.
    assert_eq!(finding(&lines, "send test:").level, "FAIL");
    assert!(sim.creates().is_empty());
}

/// Posts what Twilio has to report, over and over, until `stop`: Twilio's side while a check
/// waits for its report.
fn keep_delivering(sim: Arc<Simulator>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            let _ = sim.deliver();
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

#[test]
fn a_send_test_waits_for_its_report_and_is_recorded_as_a_test() {
    let r = ready();
    let sim = Arc::new(r.sim);
    sim.set_default(Channel::Sms, Step::Deliver { reply: None });
    sim.set_default(Channel::Call, Step::Answer { press: None });
    let mut w = r.w;
    w.env("REMINDERS_CHECK_WAIT_SECONDS", "20");
    let stop = Arc::new(AtomicBool::new(false));
    let delivering = keep_delivering(sim.clone(), stop.clone());

    let lines = check(&w, &["--send-test", "416-555-0123"], 0);
    let done = finding(&lines, "send test: a text to +1416***0123: delivered");
    assert_eq!(done.level, "ok");
    let lines = check(&w, &["--send-test", "+14165550123", "--call"], 0);
    let done = finding(&lines, "send test: a call to +1416***0123: answered");
    assert_eq!(done.level, "ok");
    stop.store(true, Ordering::SeqCst);
    delivering.join().unwrap();

    // What Twilio was asked: one text and one call from the clinic's number, reporting where
    // a reminder's reports go.
    let creates = sim.creates();
    assert_eq!(creates.len(), 2);
    for (c, route) in creates.iter().zip(["sms-status", "call-status"]) {
        assert_eq!(c.param("To"), Some("+14165550123"));
        assert_eq!(c.param("From"), Some(FROM));
        let callback = c.param("StatusCallback").unwrap();
        assert!(
            callback.starts_with(&format!("{}/twilio/{route}#", r.public)),
            "{callback}"
        );
    }
    // Recorded as tests, never as appointments; the number kept masked.
    assert_eq!(
        w.count("SELECT count(*) FROM webhook_events WHERE kind = 'send-test'"),
        2
    );
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 0);
    assert_eq!(w.count("SELECT count(*) FROM appointment_logs"), 0);
    assert_eq!(
        w.count("SELECT count(*) FROM webhook_events WHERE kind = 'send-test' AND params LIKE '%5550123%'"),
        0
    );
    r.listener.stop();
}

#[test]
fn a_send_test_whose_report_never_comes_fails_saying_what_twilio_knows() {
    let r = ready();
    // Twilio accepts the text and nothing more happens: no report is ever posted.
    r.sim.set_default(Channel::Sms, Step::Stay);
    let mut w = r.w;
    w.env("REMINDERS_CHECK_WAIT_SECONDS", "1");
    let lines = check(&w, &["--send-test", "+14165550123"], 1);
    let waited = finding(&lines, "no report reached");
    assert_eq!(waited.level, "FAIL");
    assert!(waited.text.contains("Twilio says: queued"), "{waited:?}");
    assert!(waited.text.contains("/twilio/"), "{waited:?}");
    r.listener.stop();
}

#[test]
fn a_window_outside_contact_hours_fails() {
    let r = ready();
    let lines = check(&r.w, &[], 0);
    assert_eq!(
        finding(&lines, "inside the contact hours").level,
        "ok",
        "the default windows 09:00, 19:00 and 19:45 fit 08:00-21:00"
    );
    // A Saturday-style 18:00 end: the 19:00 send and the 19:45 retry would reach nobody.
    r.w.write(
        "reminders.toml",
        "[sending]\nquiet_hours = \"10:00-18:00\"\n",
    );
    let lines = check(&r.w, &[], 1);
    let windows = finding(&lines, "outside the contact hours");
    assert_eq!(windows.level, "FAIL");
    assert!(
        windows.text.contains("send 19:00, retry 19:45"),
        "{windows:?}"
    );
}

#[test]
fn a_window_outside_one_days_contact_hours_is_a_warning_naming_the_day() {
    let r = ready();
    r.w.write(
        "reminders.toml",
        "[sending.hours_by_day]\nsat = \"10:00-18:00\"\n",
    );
    // Only Saturday is short: the check still passes, and says which day reaches nobody.
    let lines = check(&r.w, &[], 0);
    let saturday = finding(&lines, "outside the contact hours on Saturday");
    assert_eq!(saturday.level, "warn", "{saturday:?}");
    // 09:00 is before Saturday's 10:00 too: every window is named, on the one line.
    for named in [
        "send 19:00",
        "retry 19:45",
        "retry 09:00",
        "Saturday (10:00-18:00)",
    ] {
        assert!(saturday.text.contains(named), "{named}: {saturday:?}");
    }
    assert!(!saturday.text.contains("Sunday"), "{saturday:?}");
    assert!(
        finding(&lines, "contact hours 08:00-21:00")
            .text
            .contains("Saturday 10:00-18:00"),
        "{lines:?}"
    );
}
