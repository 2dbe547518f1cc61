//! Edges found by the third audit: where outputs may be written, what Twilio's error texts and
//! patients' replies carry into the store and the views, the clock `prune` goes by, the public
//! URL, and the modes of what the tool creates under a careless umask.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use super::{HEADER, bounded, call_row, wait_until};
use crate::common::listener::{self, Listener};
use crate::common::twilio::{self, refuse, sid};
use crate::common::{EVENING, Run, Workdir};

/// A workdir with the 25th's appointments imported.
fn imported_day() -> Workdir {
    let w = Workdir::new();
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}{}{}",
            call_row("A1", "0101", "09:00"),
            call_row("A2", "0102", "10:00")
        ),
    );
    w.run(&["import"]).ok();
    w
}

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("running mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Runs `args` bounded: before the fix a reader of the FIFO could wait forever.
fn run(w: &Workdir, args: &[&str]) -> Run {
    bounded(w.command(args), Duration::from_secs(30))
}

#[track_caller]
fn refused(out: &Run, path: &str, what: &str) {
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout(), out.stderr());
    let err = out.stderr();
    assert!(err.contains(&format!("{path} is {what}")), "{err}");
    assert!(err.contains("regular file"), "{err}");
}

/// `export --out` and `report --out` (and the outbox's own files) are written only where a
/// regular file is or none is: a named pipe, a symbolic link or a folder at the path is
/// refused with an error naming it, and left exactly as it was. `-` is standard output.
#[test]
fn outputs_replace_only_regular_files() {
    let w = imported_day();
    let fifo = w.join("pipe.csv");
    mkfifo(&fifo);
    let precious = w.write("precious.txt", "keep me");
    std::os::unix::fs::symlink(&precious, w.join("link.csv")).unwrap();
    std::fs::create_dir(w.join("folder.html")).unwrap();

    for (args, path, what) in [
        (
            vec!["export", "--date", "2026-11-25", "--out", "pipe.csv"],
            "pipe.csv",
            "a named pipe (FIFO)",
        ),
        (
            vec!["export", "--date", "2026-11-25", "--out", "link.csv"],
            "link.csv",
            "a symbolic link",
        ),
        (
            vec!["report", "--out", "pipe.csv"],
            "pipe.csv",
            "a named pipe (FIFO)",
        ),
        (
            vec!["report", "--json", "--out", "link.csv"],
            "link.csv",
            "a symbolic link",
        ),
        (
            vec!["report", "--out", "folder.html"],
            "folder.html",
            "a folder",
        ),
    ] {
        refused(&run(&w, &args), path, what);
    }
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the pipe is still a pipe"
    );
    let link = std::fs::symlink_metadata(w.join("link.csv")).unwrap();
    assert!(link.file_type().is_symlink(), "the link is still a link");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    assert!(w.join("folder.html").is_dir());

    // The outbox's own file, a link someone put there: refused the same way.
    std::fs::create_dir(w.join("outbox")).unwrap();
    std::os::unix::fs::symlink(&precious, w.join("outbox/results-2026-11-25.csv")).unwrap();
    let out = run(&w, &["export", "--date", "2026-11-25"]);
    refused(&out, "outbox/results-2026-11-25.csv", "a symbolic link");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    // Nothing half written left behind anywhere.
    for dir in [w.path(), &w.join("outbox")] {
        let aside: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(aside.is_empty(), "{aside:?}");
    }

    // A regular file is replaced (owner-only), and `-` is standard output, for both commands.
    let old = w.write("day.csv", "old");
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    run(&w, &["export", "--date", "2026-11-25", "--out", "day.csv"]).ok();
    let text = std::fs::read_to_string(&old).unwrap();
    assert!(
        text.starts_with("appointment_id,") && text.contains("A2"),
        "{text}"
    );
    assert_eq!(
        std::fs::metadata(&old).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let csv = run(&w, &["export", "--date", "2026-11-25", "--out", "-"]).ok();
    assert_eq!(csv, text);
    let page = run(&w, &["report", "--out", "-"]).ok();
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(!w.join("-").exists(), "`-` is standard output, not a file");
}

/// Twilio's error texts quote the patient's number in full ("The 'To' number +14165550101 is
/// not a valid phone number."): whether it comes as a refusal, in a status callback or from a
/// fetch, the number is masked in the send log, in what is stored and in `status logs` (table,
/// `--json`, `--csv`) — also for a text stored in full before.
#[test]
fn twilios_error_texts_never_show_a_full_number() {
    let sim = twilio::start(EVENING);
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, listener::PUBLIC);
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 100\nsms_per_second = 100\n",
    );
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}{}A2,PA2,416-555-0102,n,y,2026-11-25 10:00\n\
             A3,PA3,416-555-0103,n,y,2026-11-25 11:00\n",
            call_row("A1", "0101", "09:00")
        ),
    );
    w.run(&["import"]).ok();
    let full = ["4165550101", "4165550102", "4165550103"];
    let no_full_number = |what: &str, text: &str| {
        for n in full {
            assert!(!text.contains(n), "{what} shows {n}:\n{text}");
        }
    };

    // Refused when created: the send log says why, masked.
    refuse(&sim, "+14165550101", 400, 21211);
    let send = w.run(&["send"]);
    let log = send.stderr();
    assert!(
        log.contains("The 'To' number +1416***0101 is not a valid phone number."),
        "{log}"
    );
    no_full_number("the send log", &log);
    no_full_number("send's output", &send.stdout());

    // A text's failure reported by a callback, and another's found by `reconcile`.
    let l = Listener::start(&w);
    let sms = sid(&sim, "+14165550102");
    let (code, _) = l.post(
        "/twilio/sms-status",
        &[
            ("MessageSid", sms.as_str()),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30003"),
            (
                "ErrorMessage",
                "Unreachable destination handset +14165550102",
            ),
        ],
    );
    assert_eq!(code, 200);
    l.stop();
    sim.set_status(
        &sid(&sim, "+14165550103"),
        "undelivered",
        serde_json::json!({
            "error_code": 30005,
            "error_message": "Unknown destination handset (416) 555-0103"
        }),
    );
    let rec = w.run(&["reconcile"]);
    no_full_number("reconcile", &format!("{}{}", rec.stdout(), rec.stderr()));

    let stored: Vec<String> = {
        let db = w.db();
        let mut stmt = db
            // Ordered by number: the three go out concurrently, so ids follow Twilio's answers.
            .prepare(r#"SELECT error_message FROM appointment_logs ORDER BY "to""#)
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        stored,
        [
            "The 'To' number +1416***0101 is not a valid phone number.",
            "Unreachable destination handset +1416***0102",
            "Unknown destination handset ***0103",
        ]
    );

    // A row stored in full before the edge masked it is masked when read.
    w.db()
        .execute(
            "UPDATE appointment_logs SET error_message =
                 'The ''To'' number +14165550101 is not a valid phone number.'
             WHERE error_code = 21211",
            [],
        )
        .unwrap();
    for args in [
        &["status", "logs"][..],
        &["status", "logs", "--json"],
        &["status", "logs", "--csv"],
    ] {
        let out = w.run(args).ok();
        assert!(
            out.contains("+1416***0101 is not a valid"),
            "{args:?}\n{out}"
        );
        assert!(out.contains("handset +1416***0102"), "{args:?}\n{out}");
        no_full_number(&format!("{args:?}"), &out);
    }
}

/// `prune` counts its cut-off back from `REMINDERS_NOW` only when that is not ahead of the
/// real clock: with it set to 2099, an appointment ten days ahead on the real clock stays,
/// while one over a year old goes.
#[test]
fn prune_never_counts_back_from_a_clock_set_ahead() {
    use chrono::{Duration as Days, SecondsFormat, Utc};
    let real = Utc::now();
    let at = |d: i64| (real + Days::days(d)).format("%Y-%m-%d 10:00").to_string();
    let stamp = |d: i64| (real + Days::days(d)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut w = Workdir::new();
    w.env("REMINDERS_NOW", &stamp(-401));
    w.write(
        "csv/old.csv",
        format!("{HEADER}OLD,P1,416-555-0101,y,n,{}\n", at(-400)),
    );
    w.run(&["import"]).ok();
    w.env("REMINDERS_NOW", &stamp(0));
    w.write(
        "csv/coming.csv",
        format!("{HEADER}SOON,P2,416-555-0102,y,n,{}\n", at(10)),
    );
    w.run(&["import"]).ok();
    assert_eq!(w.count("SELECT count(*) FROM appointments"), 2);

    w.env("REMINDERS_NOW", "2099-01-01T00:00:00Z");
    let dry = w.run(&["prune", "--older-than", "90", "--dry-run"]);
    let said = dry.ok();
    let appointments: Vec<&str> = said
        .lines()
        .filter(|l| l.trim_start().starts_with("appointments "))
        .flat_map(|l| l.split_whitespace().last())
        .collect();
    assert_eq!(appointments, ["1"], "{said}");
    assert!(
        dry.stderr().contains("ahead of the real clock"),
        "{}",
        dry.stderr()
    );
    let out = w.run(&["prune", "--older-than", "90"]);
    out.ok();
    let left: Vec<String> = {
        let db = w.db();
        let mut stmt = db
            .prepare("SELECT appointment_id FROM appointments")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(left, ["SOON"], "{}", out.stdout());
    let help = w.run(&["prune", "--help"]).ok();
    assert!(
        help.contains("never from later than the real clock"),
        "{help}"
    );
}

/// The public URL is where every callback and keypress URL starts: one with a query, a
/// fragment or a user name and password is refused where it is configured (exit 2, naming the
/// key and the problem, never repeating a password), and a trailing slash is dropped.
#[test]
fn a_public_url_with_a_query_fragment_or_password_is_refused() {
    let sim = twilio::start(EVENING);
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, "https://rem.example.ca");
    w.write(
        "csv/day.csv",
        format!("{HEADER}{}", call_row("A1", "0101", "09:00")),
    );
    for (url, why) in [
        ("https://rem.example.ca?x=1", "query"),
        ("https://rem.example.ca/hooks?x=1", "query"),
        ("https://rem.example.ca#top", "fragment"),
        (
            "https://clinic:s3cret@rem.example.ca",
            "user name or password",
        ),
        ("https://rem.example.ca:http", "invalid port"),
    ] {
        w.env("REMINDERS_PUBLIC_URL", url);
        let out = w.run(&["send"]);
        assert_eq!(out.code(), 2, "{url}\n{}", out.stderr());
        let err = out.stderr();
        assert!(
            err.contains("webhook.public_url")
                && err.contains("environment variable REMINDERS_PUBLIC_URL")
                && err.contains(why),
            "{url}: {err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
    }
    // The same from the file, named with the file.
    w.env("REMINDERS_PUBLIC_URL", "");
    w.write(
        "reminders.toml",
        "[webhook]\npublic_url = \"https://rem.example.ca/?x=1\"\n",
    );
    let out = w.run(&["send"]);
    assert_eq!(out.code(), 2, "{}", out.stderr());
    assert!(
        out.stderr().contains("config file") && out.stderr().contains("query"),
        "{}",
        out.stderr()
    );
    assert!(sim.received().is_empty(), "nothing went to Twilio");

    // A trailing slash is dropped: the callback URLs have one slash before their path.
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 100\n[webhook]\npublic_url = \"https://Rem.Example.ca/base/\"\n",
    );
    w.run(&["import"]).ok();
    w.run(&["send"]).ok();
    let create = sim.creates_to("+14165550101");
    let callback = create[0]
        .params
        .iter()
        .find(|(k, _)| k == "StatusCallback")
        .map(|(_, v)| v.clone())
        .expect("a status callback URL");
    assert!(
        callback.starts_with("https://rem.example.ca/base/twilio/call-status"),
        "{callback}"
    );
}

/// `reminders ARGS` under `umask 000`, as a careless cron or service file would start it.
fn under_umask_000(w: &Workdir, args: &[&str]) -> std::process::Command {
    let mut all = vec![
        "-c",
        "umask 000; exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_reminders"),
    ];
    all.extend_from_slice(args);
    w.program("sh", &all)
}

#[track_caller]
fn mode_of(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn callback(l: &Listener, seq: &str) -> u16 {
    l.post(
        "/twilio/call-status",
        &[
            ("CallSid", "CA77777777777777777777777777777777"),
            ("CallStatus", "ringing"),
            ("SequenceNumber", seq),
        ],
    )
    .0
}

/// Under `umask 000` the folders the tool creates (the database's, the archive, the outbox) are
/// 0700 and the database with its WAL and shared-memory files 0600. And a database put in the
/// listener's place is taken up only if it is its user's and nobody else can write it:
/// otherwise 503, with the reason in the log, until it is.
#[test]
fn what_the_tool_creates_is_owner_only_and_the_listener_takes_up_only_its_own_file() {
    let mut w = Workdir::new();
    w.env("REMINDERS_DB", "data/sub/reminders.db")
        .env("REMINDERS_ARCHIVE_DIR", "kept/archive")
        .env("REMINDERS_OUTBOX_DIR", "results/outbox")
        .env("TWILIO_AUTH_TOKEN", listener::TOKEN)
        .env("REMINDERS_PUBLIC_URL", listener::PUBLIC);
    w.write(
        "csv/day.csv",
        format!("{HEADER}{}", call_row("A1", "0101", "09:00")),
    );
    Run(under_umask_000(&w, &["import"]).output().unwrap()).ok();
    Run(under_umask_000(&w, &["export", "--date", "2026-11-25"])
        .output()
        .unwrap())
    .ok();
    let l = Listener::start_with(under_umask_000(
        &w,
        &["serve-webhook", "--listen", "127.0.0.1:0"],
    ));
    assert_eq!(callback(&l, "1"), 200);
    for folder in [
        "data",
        "data/sub",
        "kept",
        "kept/archive",
        "results",
        "results/outbox",
    ] {
        assert_eq!(mode_of(&w.join(folder)), 0o700, "{folder}");
    }
    for file in [
        "data/sub/reminders.db",
        "data/sub/reminders.db-wal",
        "data/sub/reminders.db-shm",
        "kept/archive/day.csv",
        "results/outbox/results-2026-11-25.csv",
    ] {
        assert_eq!(mode_of(&w.join(file)), 0o600, "{file}");
    }

    // A database anyone may write, renamed into the listener's place: not taken up.
    let db = w.join("data/sub/reminders.db");
    let swap = |mode: u32| {
        let aside = w.join("data/sub/swap.db");
        let _ = std::fs::remove_file(&aside);
        reminders::db::open(&aside).expect("a database to swap in");
        std::fs::set_permissions(&aside, std::fs::Permissions::from_mode(mode)).unwrap();
        std::fs::rename(&aside, &db).unwrap();
    };
    let events = || -> i64 {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT count(*) FROM webhook_events", [], |r| r.get(0))
            .unwrap()
    };
    swap(0o666);
    assert_eq!(callback(&l, "2"), 503);
    assert_eq!(l.get("/healthz").0, 503);
    assert_eq!(events(), 0, "nothing stored in the file not taken up");
    // The log is read from the listener's stderr as it comes.
    let logged = |what: &str| {
        wait_until(Duration::from_secs(10), what, || l.log().contains(what));
    };
    logged("is not taken up: data/sub/reminders.db can be written by every user (mode 666)");
    // Made the listener's own: taken up.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(callback(&l, "3"), 200);
    assert_eq!(events(), 1);

    // Group-writable: the same.
    swap(0o620);
    assert_eq!(callback(&l, "4"), 503);
    logged("can be written by its group (mode 620)");

    // Another user's file (only root can make one to try).
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        swap(0o600);
        std::os::unix::fs::chown(&db, Some(65534), Some(65534)).unwrap();
        assert_eq!(callback(&l, "5"), 503);
        logged("belongs to user id 65534, and the listener runs as user id 0");
    }
    l.stop();
}

/// A 60 KB text (Twilio delivers at most 1,600 characters; the listener takes bodies up to
/// 64 KiB) is kept to its first 1,600 characters, marked as cut, in `replies` and as the
/// appointment's last reply.
#[test]
fn a_huge_reply_is_kept_to_twilios_longest_text() {
    let w = listener::imported();
    listener::attempt(&w, "A1001", "sms", "SM01");
    let l = Listener::start(&w);
    let body: String = "Please call me back about my appointment. "
        .chars()
        .cycle()
        .take(60_000)
        .collect();
    let (code, _) = l.post(
        "/twilio/sms-inbound",
        &[
            ("MessageSid", "SM99999999999999999999999999999999"),
            ("From", "+14165550101"),
            ("To", "+14165550000"),
            ("Body", &body),
        ],
    );
    assert_eq!(code, 200);
    l.stop();
    let (stored, last): (String, String) = w
        .db()
        .query_row(
            "SELECT r.body, a.last_reply FROM replies r JOIN appointments a ON a.id = r.appointment",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    for (what, text) in [("replies.body", &stored), ("last_reply", &last)] {
        let n = text.chars().count();
        assert!(n < 1700, "{what}: {n} characters stored");
    }
    let first: String = body.chars().take(1600).collect();
    let mark = "… [cut: 60000 characters in all]";
    assert_eq!(stored, format!("{first}{mark}"));
    assert_eq!(last, format!("{}{mark}", first.trim_start()));
    let results = w
        .run(&["export", "--date", "2026-11-25", "--out", "-"])
        .ok();
    assert!(results.len() < 20_000, "{} bytes", results.len());
}
