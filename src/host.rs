//! Facts about the machine a command runs on, each behind one small function: who is running
//! it, who owns a file and with which mode, whether a folder can be written, how much disk is
//! free. `check` reports them; they hold no decisions.

use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A user of this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    /// The login name, or the number when the user database has none.
    pub name: String,
}

impl User {
    pub fn of(uid: u32) -> User {
        User {
            uid,
            name: user_name(uid).unwrap_or_else(|| uid.to_string()),
        }
    }
}

/// The user this process acts as (its effective user: what the kernel checks access for).
pub fn running_user() -> User {
    // SAFETY: geteuid has no preconditions and cannot fail.
    User::of(unsafe { libc::geteuid() })
}

/// Who owns a file or folder, and its permission bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub user: User,
    /// The permission bits (`0o600`), without the file type.
    pub mode: u32,
}

pub fn owner(path: &Path) -> std::io::Result<Owner> {
    let meta = std::fs::metadata(path)?;
    Ok(Owner {
        user: User::of(meta.uid()),
        mode: meta.mode() & 0o7777,
    })
}

/// Whether this process may create and remove files in the folder `dir` (the kernel's answer
/// for the effective user, a read-only filesystem included).
pub fn can_write_in(dir: &Path) -> bool {
    let Ok(c) = CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: the path is a valid C string for the duration of the call.
    unsafe {
        libc::faccessat(
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::W_OK | libc::X_OK,
            libc::AT_EACCESS,
        ) == 0
    }
}

/// Space on the filesystem holding `path`: (bytes this user may still use, bytes in all).
pub fn disk_space(path: &Path) -> Option<(u64, u64)> {
    let c = CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: an all-zero statvfs is a valid value to be overwritten; the path is a valid C
    // string for the duration of the call.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    let unit = st.f_frsize as u64;
    Some((st.f_bavail as u64 * unit, st.f_blocks as u64 * unit))
}

fn user_name(uid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: an all-zero passwd is a valid value to be overwritten.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is to memory we own, sized as passed; the strings `pwd` points
    // at live in `buf`, which outlives their use below.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: getpwuid_r succeeded, so `pw_name` is a NUL-terminated string inside `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    Some(name.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_belongs_to_whoever_made_it() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "x").unwrap();
        std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
        let o = owner(&f).unwrap();
        assert_eq!(o.user, running_user());
        assert_eq!(o.mode, 0o640);
        assert!(can_write_in(dir.path()));
        assert!(!can_write_in(&dir.path().join("missing")));
        let (free, total) = disk_space(dir.path()).unwrap();
        assert!(total > 0 && free <= total);
        assert_eq!(User::of(0).name, "root");
    }
}
