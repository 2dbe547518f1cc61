//! The folders, the database's owner, the database itself, and free disk.

use std::path::{Path, PathBuf};

use super::Report;
use crate::config::Config;
use crate::domain::readiness::{self, Finding, Level};
use crate::host::{self, User};

/// Runs the checks; `true` when the database exists, is current and passed its check (a test
/// message's report has somewhere to arrive).
pub fn run(r: &mut Report, cfg: &Config) -> bool {
    let me = host::running_user();
    let data = data_folder(&cfg.db);
    let data = std::path::absolute(&data).unwrap_or(data);
    folder(r, "data folder", &data, "db (REMINDERS_DB)", Need::Now, &me);
    folder(
        r,
        "drop folder",
        &cfg.csv_dir,
        "csv_dir (REMINDERS_CSV_DIR)",
        Need::Now,
        &me,
    );
    folder(
        r,
        "archive folder",
        &cfg.archive_dir,
        "archive_dir (REMINDERS_ARCHIVE_DIR)",
        Need::Later("the first import"),
        &me,
    );
    folder(
        r,
        "outbox folder",
        &cfg.outbox_dir,
        "outbox_dir (REMINDERS_OUTBOX_DIR)",
        Need::Later("the first run"),
        &me,
    );
    owner(r, cfg, &data, &me);
    let ready = database(r, cfg);
    disk(r, &data);
    ready
}

/// The folder holding the database ("." for a bare file name).
pub fn data_folder(db: &Path) -> PathBuf {
    match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

enum Need {
    /// Must exist before the night.
    Now,
    /// Made by this step when missing.
    Later(&'static str),
}

fn folder(r: &mut Report, what: &str, dir: &Path, key: &str, need: Need, me: &User) {
    let shown = dir.display();
    if !dir.is_dir() {
        let f = match (need, dir.exists()) {
            (_, true) => Finding::fail(
                format!("{what} {shown} is not a folder"),
                format!("move it away, or set {key} to a folder"),
            ),
            (Need::Now, false) => Finding::fail(
                format!("{what} {shown} does not exist"),
                format!(
                    "create it as the user that runs reminders: mkdir -p {shown} (or set {key})"
                ),
            ),
            (Need::Later(by), false) => Finding::warn(
                format!("{what} {shown} does not exist yet ({by} makes it)"),
                format!("to make it now, as the user that runs reminders: mkdir -p {shown}"),
            ),
        };
        r.add(f);
        return;
    }
    if host::can_write_in(dir) {
        r.add(Finding::ok(format!(
            "{what} {shown}: writable by {}",
            me.name
        )));
        return;
    }
    let held = host::owner(dir).map_or(String::new(), |o| {
        format!(" (owner {}, mode {:04o})", o.user.name, o.mode)
    });
    r.add(Finding::fail(
        format!("{what} {shown} cannot be written by {}{held}", me.name),
        "run reminders as the folder's owner, or give that user the folder: chown -R USER FOLDER"
            .replace("USER", &owner_name(dir))
            .replace("FOLDER", &shown.to_string()),
    ));
}

fn owner_name(path: &Path) -> String {
    host::owner(path).map_or_else(|_| "reminders".into(), |o| o.user.name)
}

/// The running user must own the database (or, before there is one, the data folder): files
/// a command makes as anyone else are files the service user cannot open.
fn owner(r: &mut Report, cfg: &Config, data: &Path, me: &User) {
    let (what, path) = if cfg.db.exists() {
        ("the database", cfg.db.as_path())
    } else {
        ("the data folder", data)
    };
    let Ok(o) = host::owner(path) else {
        return; // Missing: said by the folder and database checks.
    };
    if o.user.uid == me.uid {
        r.add(Finding::ok(format!(
            "user: {} owns {what} {}",
            me.name,
            path.display()
        )));
        return;
    }
    r.add(Finding::fail(
        format!(
            "user: {what} {} belongs to {} (mode {:04o}); this is {}",
            path.display(),
            o.user.name,
            o.mode,
            me.name
        ),
        format!(
            "run as its owner instead: sudo -u {} reminders check (what another user creates, the service cannot open)",
            o.user.name
        ),
    ));
}

fn database(r: &mut Report, cfg: &Config) -> bool {
    let shown = cfg.db.display();
    if !cfg.db.exists() {
        r.add(Finding::warn(
            format!("database {shown}: none yet (check never creates one)"),
            "the listener makes it when it starts, or the first `reminders import`",
        ));
        return false;
    }
    let found = match crate::db::inspect(&cfg.db) {
        Ok(i) => i,
        Err(e) => {
            r.add(Finding::fail(
                format!("database {shown} cannot be read: {e:#}"),
                format!(
                    "run the check as the database's owner: sudo -u {} reminders check",
                    owner_name(&cfg.db)
                ),
            ));
            return false;
        }
    };
    let mut ready = true;
    if found.version > found.current {
        ready = false;
        r.add(Finding::fail(
            format!(
                "database {shown}: schema version {}, newer than this program's {}",
                found.version, found.current
            ),
            "this reminders is older than the one that last used the database: install the newer one",
        ));
    } else if found.version < found.current {
        ready = false;
        r.add(Finding::fail(
            format!(
                "database {shown}: schema version {}, this program's is {}",
                found.version, found.current
            ),
            format!(
                "restart the listener after upgrading (it brings the database up to date), or run `sudo -u {} reminders status` once",
                owner_name(&cfg.db)
            ),
        ));
    } else {
        r.add(Finding::ok(format!(
            "database {shown}: opens, schema version {} is current",
            found.version
        )));
    }
    if found.problems.is_empty() {
        r.add(Finding::ok(format!("database {shown}: quick_check passed")));
    } else {
        ready = false;
        let shown_problems: Vec<&str> = found.problems.iter().take(3).map(String::as_str).collect();
        r.add(Finding::fail(
            format!(
                "database {shown}: quick_check found {} problem(s): {}",
                found.problems.len(),
                shown_problems.join("; ")
            ),
            "stop the listener and cron, then restore the database from its last backup",
        ));
    }
    ready
}

fn disk(r: &mut Report, data: &Path) {
    let Some((free, total)) = host::disk_space(data) else {
        return; // No folder: said above.
    };
    let what = format!(
        "free disk for {}: {} of {}",
        data.display(),
        readiness::bytes(free),
        readiness::bytes(total)
    );
    let advice = format!(
        "free space on that disk (`du -sh {}/*` shows what is large; `reminders prune` removes old patient data)",
        data.display()
    );
    r.add(match readiness::free_space(free, total) {
        Level::Ok => Finding::ok(what),
        Level::Warn => Finding::warn(what, advice),
        Level::Fail => Finding::fail(what, advice),
    });
}
