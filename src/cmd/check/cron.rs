//! Cron: the running user's crontab or a file in `/etc/cron.d` runs `reminders run`.

use std::path::Path;
use std::process::Command;

use super::Report;
use super::files::data_folder;
use crate::config::Config;
use crate::domain::readiness::{self, Finding, Heartbeat};
use crate::host;

pub fn run(r: &mut Report, cfg: &Config, cron_dir: &Path) {
    let me = host::running_user();
    let mut found: Vec<(String, Heartbeat)> = Vec::new();
    let mut unread: Vec<String> = Vec::new();
    match user_crontab() {
        Ok(text) => found.extend(
            readiness::heartbeats(&text, false)
                .into_iter()
                .map(|h| (format!("the crontab of {}", me.name), h)),
        ),
        Err(why) => unread.push(why),
    }
    for (file, text) in system_crontabs(cron_dir, &mut unread) {
        found.extend(
            readiness::heartbeats(&text, true)
                .into_iter()
                .map(|h| (file.clone(), h)),
        );
    }
    let data = std::path::absolute(data_folder(&cfg.db)).unwrap_or_else(|_| data_folder(&cfg.db));
    let line = format!("*/5 * * * * cd {} && reminders run", data.display());
    if let Some((place, h)) = found.first() {
        match &h.user {
            Some(user) if *user != me.name => r.add(Finding::warn(
                format!("cron: {place} runs `reminders run` as {user}, not as {}", me.name),
                format!(
                    "run it as the database's owner (what it creates as anyone else, the service cannot open): name {} in that line",
                    me.name
                ),
            )),
            _ => r.add(Finding::ok(format!("cron: {place} runs `reminders run`"))),
        }
        return;
    }
    let advice = format!(
        "add to the crontab of {} (`crontab -e`):\n{line}\nor as {}/reminders, with the user:\n*/5 * * * * {} cd {} && reminders run",
        me.name,
        cron_dir.display(),
        me.name,
        data.display()
    );
    if unread.is_empty() {
        r.add(Finding::warn(
            "cron: no crontab line runs `reminders run`",
            advice,
        ));
    } else {
        r.add(Finding::warn(
            format!(
                "cron: no `reminders run` line found, and {}",
                unread.join("; ")
            ),
            format!(
                "look by hand (`sudo crontab -u {} -l`, {}); if there is none, {advice}",
                me.name,
                cron_dir.display()
            ),
        ));
    }
}

/// The running user's crontab (empty when there is none); `Err` says why it cannot be read.
fn user_crontab() -> Result<String, String> {
    match Command::new("crontab").arg("-l").output() {
        Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
            if err.contains("no crontab for") {
                Ok(String::new())
            } else {
                Err(format!("`crontab -l` failed: {err}"))
            }
        }
        Err(e) => Err(format!("`crontab -l` cannot be run: {e}")),
    }
}

/// Every file in the system crontab folder: (path, text); what cannot be read goes to `unread`.
fn system_crontabs(dir: &Path, unread: &mut Vec<String>) -> Vec<(String, String)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            unread.push(format!("{} cannot be read: {e}", dir.display()));
            return Vec::new();
        }
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push((path.display().to_string(), text)),
            Err(e) => unread.push(format!("{} cannot be read: {e}", path.display())),
        }
    }
    files.sort();
    files
}
