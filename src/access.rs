//! The edge of `domain::access`: who this process runs as, whose files are in the data folder,
//! and the words a permission error gets. `require_owner` runs before every command that
//! touches the data folder; `Permission::permission` is how every place that opens, creates,
//! moves or lists a file adds whose file it was when the system said no.

use std::ffi::CStr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::domain::access::{self, Account, Entry, Held, Invocation, Verdict};

/// The effective user of this process (the one the kernel checks permissions against).
pub fn running() -> Account {
    // SAFETY: geteuid has no preconditions and cannot fail.
    account(unsafe { libc::geteuid() })
}

/// The account `uid`, named from the password database when it is there.
pub fn account(uid: u32) -> Account {
    Account {
        uid,
        name: name_of(uid),
    }
}

fn name_of(uid: u32) -> Option<String> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: an all-zero passwd is a valid value to be overwritten; `buf` outlives the
        // call and its length is passed; `found` is written by the call.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success pw_name points at a NUL-terminated string inside `buf`.
        let name = unsafe { CStr::from_ptr(pwd.pw_name) };
        return Some(name.to_string_lossy().into_owned());
    }
}

/// The command line as typed, for the words that give it back.
pub fn command_line() -> Vec<String> {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// Whether this process may run a command on the database `db`: stats the database, or when
/// there is none yet its folder, and lets `domain::access::decide` say. Creates and opens
/// nothing. When even the folder is missing nothing belongs to anyone yet: the command goes on
/// (and creates it, or fails saying whose folder it could not create it in).
pub fn verdict(db: &Path, command: &[String]) -> Verdict {
    let folder = folder_of(db);
    let (path, held, meta) = match std::fs::metadata(db) {
        Ok(m) => (db.display().to_string(), Held::Database, m),
        Err(_) => match std::fs::metadata(folder) {
            Ok(m) => (shown(folder), Held::DataFolder, m),
            Err(_) => return Verdict::Proceed,
        },
    };
    let owner = account(meta.uid());
    let running = running();
    access::decide(&Invocation {
        path: &path,
        held,
        owner: &owner,
        mode: meta.mode(),
        running: &running,
        command,
    })
}

/// `verdict` as a usage error (exit 2) when the running user is not the owner.
pub fn require_owner(db: &Path) -> Result<()> {
    match verdict(db, &command_line()) {
        Verdict::Proceed => Ok(()),
        Verdict::Refuse(words) => Err(crate::exit::usage(words)),
    }
}

/// The folder a file is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// A folder as people read it: `.` is the current folder's full path.
fn shown(dir: &Path) -> String {
    if dir == Path::new(".")
        && let Ok(full) = std::env::current_dir()
    {
        return full.display().to_string();
    }
    dir.display().to_string()
}

/// `path` itself or, when it does not exist (or cannot be looked at), the nearest folder above
/// it that can: the one whose permissions decided.
fn nearest(path: &Path) -> Option<(PathBuf, std::fs::Metadata)> {
    let mut at = path;
    loop {
        if let Ok(m) = std::fs::metadata(at) {
            return Some((at.to_path_buf(), m));
        }
        at = match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            Some(_) if at != Path::new(".") && at.is_relative() => Path::new("."),
            _ => return None,
        };
    }
}

/// Whose `path` (or its nearest existing folder) is, and who is running:
/// `outbox belongs to root (mode 0755); running as reminders`.
pub fn describe(path: &Path) -> Option<String> {
    let (at, meta) = nearest(path)?;
    let owner = account(meta.uid());
    let shown = shown(&at);
    Some(access::belongs(
        &[Entry {
            path: &shown,
            owner: &owner,
            mode: meta.mode(),
        }],
        &running(),
    ))
}

/// `err` with whose file `path` is in front of it, when the system refused permission
/// (EACCES, EPERM); other errors unchanged. `path` is the file or folder the operation needed:
/// the folder for a file being created, moved or removed.
pub fn permission(path: &Path, err: std::io::Error) -> anyhow::Error {
    let denied = err.kind() == std::io::ErrorKind::PermissionDenied;
    let words = denied.then(|| describe(path)).flatten();
    let err = anyhow::Error::new(err);
    match words {
        Some(w) => err.context(w),
        None => err,
    }
}

/// `permission` for a result: `File::open(p).permission(p).with_context(...)`.
pub trait Permission<T> {
    fn permission(self, path: &Path) -> Result<T>;
}

impl<T> Permission<T> for std::io::Result<T> {
    fn permission(self, path: &Path) -> Result<T> {
        self.map_err(|e| permission(path, e))
    }
}

/// The database's files SQLite needs to open it for writing (the file, the WAL's two
/// companions, the folder they are made in) that are someone else's or lack the owner's
/// permission, in words; `None` when they all look right (then the cause was not theirs).
pub fn database_words(db: &Path) -> Option<String> {
    let me = running();
    let folder = folder_of(db).to_path_buf();
    let candidates = [
        (db.to_path_buf(), 0o600),
        (companion(db, "-wal"), 0o600),
        (companion(db, "-shm"), 0o600),
        (folder, 0o300),
    ];
    let found: Vec<(String, Account, u32)> = candidates
        .iter()
        .filter_map(|(p, needs)| {
            let m = std::fs::metadata(p).ok()?;
            let wrong = m.uid() != me.uid || m.mode() & needs != *needs;
            wrong.then(|| (shown(p), account(m.uid()), m.mode()))
        })
        .collect();
    if found.is_empty() {
        return None;
    }
    let entries: Vec<Entry<'_>> = found
        .iter()
        .map(|(path, owner, mode)| Entry {
            path,
            owner,
            mode: *mode,
        })
        .collect();
    Some(access::belongs(&entries, &me))
}

/// The warning for a configuration file that holds the auth token and that others can read;
/// said once, by `main`, for every command that reads the configuration.
pub fn warn_if_token_exposed(cfg: &crate::config::Config) {
    let Some(file) = &cfg.token_file else {
        return;
    };
    if let Ok(meta) = std::fs::metadata(file)
        && let Some(words) = access::token_exposed(&file.display().to_string(), meta.mode())
    {
        log::warn!("{words}");
    }
}

/// `path` plus a suffix (`-wal`, `-shm`, `.lock`): SQLite's and our files beside the database.
pub fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_denied_operation_names_the_nearest_existing_path() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("outbox");
        std::fs::create_dir(&out).unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o750)).unwrap();
        let denied = std::io::Error::from_raw_os_error(libc::EACCES);
        let err = permission(&out.join("not-yet/results.csv"), denied);
        let me = running().label();
        let owner = account(std::fs::metadata(&out).unwrap().uid()).label();
        assert_eq!(
            format!("{err:#}"),
            format!(
                "{} belongs to {owner} (mode 0750); running as {me}: Permission denied (os error 13)",
                out.display()
            )
        );
        let other = permission(&out, std::io::Error::from_raw_os_error(libc::ENOENT));
        assert!(!format!("{other:#}").contains("belongs to"), "{other:#}");
    }

    #[test]
    fn the_owner_of_the_database_or_its_folder_decides() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("reminders.db");
        let cmd = vec!["reminders".to_string(), "status".to_string()];
        // This process owns the folder (and, once made, the file) it created.
        assert_eq!(verdict(&db, &cmd), Verdict::Proceed);
        std::fs::write(&db, "").unwrap();
        assert_eq!(verdict(&db, &cmd), Verdict::Proceed);
        assert_eq!(
            verdict(&dir.path().join("missing/reminders.db"), &cmd),
            Verdict::Proceed,
            "nothing there yet belongs to anyone"
        );
    }
}
