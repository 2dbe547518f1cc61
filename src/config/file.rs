//! Reading a file the configuration names (the config file itself, a message template): only a
//! regular file, and only a small one. A path that is a named pipe would otherwise block the
//! command until something writes to it (cron's run, holding the run lock, waiting forever), and
//! `/dev/zero` or a huge file would be read until memory runs out. The file is opened without
//! waiting (`O_NONBLOCK`: a pipe opens at once, writer or not), and what it is, is read from the
//! open descriptor itself before any byte is.

use std::fmt;
use std::fs::OpenOptions;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The largest file read: a whole configuration with every site and comment is a few KiB, a
/// template a few hundred bytes.
pub const MAX_BYTES: u64 = 1024 * 1024;
const MAX_SHOWN: &str = "1 MiB";

/// Why a named file was not read.
#[derive(Debug)]
pub enum Unreadable {
    /// Nothing at that path.
    Missing(io::Error),
    /// Anything else, in words that name the file (`what` and its path).
    Refused(String),
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::Missing(e) => write!(f, "{e}"),
            Unreadable::Refused(why) => f.write_str(why),
        }
    }
}

/// The text of the regular file at `path`, at most `MAX_BYTES` of UTF-8. `what` names it in
/// errors ("config file", "template").
pub fn read_small(path: &Path, what: &str) -> Result<String, Unreadable> {
    let shown = path.display();
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Unreadable::Missing(e),
            io::ErrorKind::PermissionDenied => Unreadable::Refused(format!(
                "cannot read {what} {shown}: {e}; run the command as the user that owns it, e.g. `sudo -u reminders reminders status`"
            )),
            _ => Unreadable::Refused(format!("cannot read {what} {shown}: {e}")),
        })?;
    let meta = file
        .metadata()
        .map_err(|e| Unreadable::Refused(format!("cannot read {what} {shown}: {e}")))?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let is = crate::files::kind(kind);
        return Err(Unreadable::Refused(format!(
            "{what} {shown} is {is}, not a regular file: nothing was read from it"
        )));
    }
    let too_big = |len: u64| {
        Unreadable::Refused(format!(
            "{what} {shown} is {len} bytes, more than the {MAX_SHOWN} a {what} may have: is this the right file?"
        ))
    };
    if meta.len() > MAX_BYTES {
        return Err(too_big(meta.len()));
    }
    // Read no more than the cap even if the file grows meanwhile.
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Unreadable::Refused(format!("cannot read {what} {shown}: {e}")))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|_| {
        Unreadable::Refused(format!(
            "{what} {shown} is not UTF-8 text: save it as UTF-8"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(path: &Path) -> String {
        match read_small(path, "config file") {
            Err(Unreadable::Refused(why)) => why,
            other => panic!("{}: {other:?}", path.display()),
        }
    }

    #[test]
    fn only_small_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.toml");
        std::fs::write(&ok, "a = 1\n").unwrap();
        assert_eq!(read_small(&ok, "config file").unwrap(), "a = 1\n");

        assert!(matches!(
            read_small(&dir.path().join("none.toml"), "config file"),
            Err(Unreadable::Missing(_))
        ));
        assert!(
            refused(dir.path())
                .ends_with("is a folder, not a regular file: nothing was read from it")
        );
        assert!(refused(Path::new("/dev/zero")).contains("/dev/zero is a character device"));

        let fifo = dir.path().join("pipe.toml");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // Safety: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(refused(&fifo).contains("pipe.toml is a named pipe"));

        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; MAX_BYTES as usize + 1]).unwrap();
        assert!(
            refused(&big).contains("is 1048577 bytes, more than the 1 MiB a config file may have")
        );
        std::fs::write(&big, vec![b'#'; MAX_BYTES as usize]).unwrap();
        assert!(read_small(&big, "config file").is_ok());

        let latin1 = dir.path().join("latin1.toml");
        std::fs::write(&latin1, b"name = \"H\xF4pital\"\n").unwrap();
        assert!(refused(&latin1).ends_with("is not UTF-8 text: save it as UTF-8"));
    }
}
