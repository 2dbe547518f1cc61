//! The edge of `domain::access`: who this process runs as and whose files are in the data
//! folder. `require_owner` runs before every command that touches the data folder.

use std::ffi::CStr;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::Result;

use crate::domain::access::{self, Account, Facts, Held, Verdict};

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
    access::decide(&Facts {
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

#[cfg(test)]
mod tests {
    use super::*;

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
