//! The right user: a command runs only as the user who owns the database (or, before there is
//! one, its folder), and stops before it creates anything otherwise; a permission error names
//! the file, its owner and mode, and who was running; a configuration file holding the auth
//! token that others can read is warned about.
//!
//! These tests run as root (as CI does): "another user" is `nobody` (uid 65534) owning the data
//! folder, and running as `nobody` goes through `setpriv` or `runuser`; without either, the
//! tests that need it say so and return.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use crate::common::{Run, Workdir};

const NOBODY: u32 = 65534;

const HEADER: &str =
    "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n";

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Every file and folder under `dir`: its owner, mode, size and modification time.
fn listing(dir: &Path) -> BTreeMap<String, (u32, u32, u64, i64, i64)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let m = std::fs::symlink_metadata(&d).unwrap();
        let rel = d.strip_prefix(dir).unwrap().display().to_string();
        out.insert(rel, (m.uid(), m.mode(), m.len(), m.mtime(), m.mtime_nsec()));
        if m.is_dir() {
            for e in std::fs::read_dir(&d).unwrap() {
                stack.push(e.unwrap().path());
            }
        }
    }
    out
}

/// Gives everything under `dir` (and `dir`) to `uid`.
fn chown_all(dir: &Path, uid: u32) {
    for path in listing(dir).keys() {
        std::os::unix::fs::lchown(dir.join(path), Some(uid), Some(uid)).unwrap();
    }
}

/// The binary run as `nobody`, through whichever of `setpriv` and `runuser` this system has.
fn as_nobody(w: &Workdir, args: &[&str]) -> Option<Run> {
    let bin = env!("CARGO_BIN_EXE_reminders");
    let has = |program: &str| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let command = |args: &[&str]| {
        if has("setpriv") {
            let mut full = vec![
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--",
                bin,
            ];
            full.extend_from_slice(args);
            Some(w.program("setpriv", &full))
        } else if has("runuser") {
            let mut full = vec!["-u", "nobody", "--", bin];
            full.extend_from_slice(args);
            Some(w.program("runuser", &full))
        } else {
            None
        }
    };
    let Some(mut probe) = command(&["--version"]) else {
        eprintln!("neither setpriv nor runuser here: the run as another user is not tested");
        return None;
    };
    if !probe.output().is_ok_and(|o| o.status.success()) {
        eprintln!("nobody cannot run {bin} here: the run as another user is not tested");
        return None;
    }
    let out = command(args)?
        .output()
        .expect("running reminders as nobody");
    Some(Run(out))
}

/// A data folder with a stored day in it, all of it given to `nobody`.
fn nobodys_data_folder() -> Workdir {
    let w = Workdir::new();
    w.write(
        "csv/day.csv",
        format!("{HEADER}A1,P1,416-555-0101,y,n,2026-11-25 10:00\n"),
    );
    w.run(&["import"]).ok();
    // Tonight's file, waiting: an import would move it into the archive.
    w.write(
        "csv/next.csv",
        format!("{HEADER}A2,P2,416-555-0102,y,n,2026-11-25 11:00\n"),
    );
    chown_all(w.path(), NOBODY);
    w
}

#[test]
fn another_users_database_stops_every_command_before_it_creates_anything() {
    if !is_root() {
        eprintln!("not root: the files cannot be given to another user here");
        return;
    }
    let mut w = nobodys_data_folder();
    w.env("TWILIO_ACCOUNT_SID", "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        .env("TWILIO_AUTH_TOKEN", "token")
        .env("TWILIO_PHONE_NUMBER", "+16135550000")
        .env("TWILIO_API_BASE", "http://127.0.0.1:9")
        .env("REMINDERS_PUBLIC_URL", "https://rem.example.ca");
    let bin = env!("CARGO_BIN_EXE_reminders");
    let before = listing(w.path());
    for args in [
        &["status"][..],
        &["status", "--check"],
        &["import"],
        &["import", "--dry-run"],
        &["import", "--now", "csv/day two.csv"],
        &["send"],
        &["retry"],
        &["reconcile"],
        &["withdraw", "A1"],
        &["export"],
        &["prune", "--older-than", "1"],
        &["report"],
        &["serve-webhook"],
    ] {
        let run = w.run(args);
        let err = run.stderr();
        assert_eq!(run.code(), 2, "{args:?}: {err}");
        assert!(
            err.contains(
                "reminders.db belongs to nobody (mode 0600); you are root: run `sudo -u nobody "
            ),
            "{args:?}: {err}"
        );
        let typed: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains(' ') {
                    format!("'{a}'")
                } else {
                    a.to_string()
                }
            })
            .collect();
        assert!(
            err.contains(&format!("sudo -u nobody {bin} {}`", typed.join(" "))),
            "{args:?}: the command as typed, quoted: {err}"
        );
        assert_eq!(
            listing(w.path()),
            before,
            "{args:?} created or moved something"
        );
    }
    // No database yet: the folder's owner decides, and nothing is created in it.
    for f in ["reminders.db", "reminders.db-wal", "reminders.db-shm"] {
        let _ = std::fs::remove_file(w.join(f));
    }
    let before = listing(w.path());
    let mode = std::fs::metadata(w.path()).unwrap().mode() & 0o7777;
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains(&format!(
            "there is no database yet and its folder {} belongs to nobody (mode {mode:04o}); you are root: run `sudo -u nobody {bin} import`",
            w.path().display()
        )),
        "{}",
        run.stderr()
    );
    assert_eq!(listing(w.path()), before);
}

#[test]
fn the_owner_runs_as_usual() {
    if !is_root() {
        eprintln!("not root: no other user to run as");
        return;
    }
    let w = nobodys_data_folder();
    let Some(import) = as_nobody(&w, &["import"]) else {
        return;
    };
    import.ok();
    assert!(!w.join("csv/next.csv").exists(), "archived");
    let status = as_nobody(&w, &["status", "appointments", "--json"]).unwrap();
    let list: serde_json::Value = serde_json::from_str(&status.ok()).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    // Whatever it made is the owner's.
    for (path, (uid, ..)) in listing(w.path()) {
        assert_eq!(uid, NOBODY, "{path} belongs to {uid}");
    }
}

#[test]
fn a_permission_error_names_the_file_its_owner_and_mode_and_the_user() {
    if !is_root() {
        eprintln!("not root: the files cannot be given to another user here");
        return;
    }
    let mut w = nobodys_data_folder();
    w.env("TWILIO_ACCOUNT_SID", "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        .env("TWILIO_AUTH_TOKEN", "token")
        .env("TWILIO_PHONE_NUMBER", "+16135550000")
        .env("TWILIO_API_BASE", "http://127.0.0.1:9")
        .env("REMINDERS_PUBLIC_URL", "https://rem.example.ca");
    // What root left behind: the run lock and the outbox.
    let lock = w.write("reminders.db.lock", "");
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::create_dir(w.join("outbox")).unwrap();
    std::fs::set_permissions(w.join("outbox"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let Some(send) = as_nobody(&w, &["send"]) else {
        return;
    };
    assert_eq!(send.code(), 1, "{}", send.stderr());
    assert!(
        send.stderr().contains(
            "opening the run lock reminders.db.lock: reminders.db.lock belongs to root (mode 0600); running as nobody: Permission denied"
        ),
        "{}",
        send.stderr()
    );
    let export = as_nobody(&w, &["export", "--date", "2026-11-25"]).unwrap();
    assert_eq!(export.code(), 1, "{}", export.stderr());
    assert!(
        export
            .stderr()
            .contains("outbox belongs to root (mode 0755); running as nobody: Permission denied"),
        "{}",
        export.stderr()
    );
    // The database's own folder, root's: SQLite cannot make the WAL's files beside it ("unable
    // to open database file") and the words say whose folder that is.
    std::os::unix::fs::chown(w.path(), Some(0), Some(0)).unwrap();
    std::fs::set_permissions(w.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for f in ["reminders.db-wal", "reminders.db-shm"] {
        let _ = std::fs::remove_file(w.join(f));
    }
    let import = as_nobody(&w, &["import"]).unwrap();
    assert_eq!(import.code(), 1, "{}", import.stderr());
    assert!(
        import.stderr().contains(&format!(
            "{} belongs to root (mode 0755); running as nobody",
            w.path().display()
        )),
        "{}",
        import.stderr()
    );
    assert!(w.join("csv/next.csv").exists(), "left for the next run");
    // `status` only reads: it reads the database as it is.
    let status = as_nobody(&w, &["status", "appointments", "--json"]).unwrap();
    let list: serde_json::Value = serde_json::from_str(&status.ok()).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn a_config_file_others_can_read_holding_the_token_is_warned_about_once() {
    let w = Workdir::new();
    let toml = w.write("reminders.toml", "[twilio]\nauth_token = \"s3cret\"\n");
    std::fs::set_permissions(&toml, std::fs::Permissions::from_mode(0o644)).unwrap();
    let warning = "reminders.toml holds the Twilio auth token and is readable by others (mode 0644): chmod 600 reminders.toml";
    for args in [&["import"][..], &["status", "--check"]] {
        let run = w.run(args);
        let err = run.stderr();
        assert_eq!(err.matches(warning).count(), 1, "{args:?}: {err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
    std::fs::set_permissions(&toml, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(!w.run(&["import"]).stderr().contains("readable by others"));
    // A file without the token may be read by anyone.
    w.write("reminders.toml", "timezone = \"America/Toronto\"\n");
    std::fs::set_permissions(&toml, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(!w.run(&["import"]).stderr().contains("readable by others"));
}
