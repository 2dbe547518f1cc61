//! The file an import reads, opened safely and watched for change.
//!
//! - Only regular files: in the drop folder a symlink is never followed (`O_NOFOLLOW`), and
//!   whatever was opened is checked to be a regular file, on the descriptor itself, so nothing
//!   can be swapped in between the check and the read.
//! - Files still being written are left for later: a file modified in the last few seconds is
//!   not touched; every pass reads the same descriptor, and the file's size and time must be the
//!   same after the last pass as at the start, or the import is abandoned before it commits.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};

/// A file modified this recently may still be arriving (an upload, a copy in progress).
pub const SETTLE: Duration = Duration::from_secs(5);

/// Why a file is left where it is this time (a warning, not an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotNow(pub String);

/// What identifies a file's content in time: if any of it changes, the file changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl Stamp {
    fn of(m: &std::fs::Metadata) -> Stamp {
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: m.mtime(),
            mtime_nsec: m.mtime_nsec(),
        }
    }
}

pub struct Source {
    pub path: PathBuf,
    file: File,
    stamp: Stamp,
}

impl Source {
    /// Opens `path` for an import. `listed` (found by listing the drop folder): a symlink is
    /// refused rather than followed, and a file still settling is left for the next run.
    pub fn open(path: &Path, listed: bool) -> Result<std::result::Result<Source, NotNow>> {
        let mut options = OpenOptions::new();
        options.read(true);
        if listed {
            options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        } else {
            // A FIFO named by hand must not block the import waiting for a writer.
            options.custom_flags(libc::O_NONBLOCK);
        }
        let file = match options.open(path) {
            Ok(f) => f,
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Ok(Err(NotNow(
                    "is a symbolic link: only regular files are imported from the drop folder (nothing was read through it)"
                        .into(),
                )));
            }
            Err(e) => {
                return Err(crate::access::permission(path, e))
                    .with_context(|| format!("opening {}", path.display()));
            }
        };
        let meta = file
            .metadata()
            .with_context(|| format!("reading what {} is", path.display()))?;
        if !meta.file_type().is_file() {
            return Ok(Err(NotNow(
                "is not a regular file (a folder, device or pipe): not imported".into(),
            )));
        }
        if listed
            && let Some(age) = age(&meta)
            && age < SETTLE
        {
            return Ok(Err(NotNow(format!(
                "was modified {} s ago and may still be being written: left for the next run",
                age.as_secs()
            ))));
        }
        Ok(Ok(Source {
            path: path.to_path_buf(),
            file,
            stamp: Stamp::of(&meta),
        }))
    }

    /// A fresh reader over the whole file, from its first byte.
    pub fn reader(&self) -> Result<impl Read + Send + use<>> {
        let mut f = self
            .file
            .try_clone()
            .with_context(|| format!("reading {}", self.path.display()))?;
        f.seek(SeekFrom::Start(0))
            .with_context(|| format!("reading {}", self.path.display()))?;
        Ok(std::io::BufReader::with_capacity(64 * 1024, f))
    }

    /// Whether the file is still exactly what was opened: same size and time on the descriptor,
    /// and the same file at its path.
    pub fn unchanged(&self) -> Result<std::result::Result<(), NotNow>> {
        let now = Stamp::of(
            &self
                .file
                .metadata()
                .with_context(|| format!("checking {}", self.path.display()))?,
        );
        let at_path = std::fs::symlink_metadata(&self.path)
            .ok()
            .map(|m| Stamp::of(&m));
        if now != self.stamp || at_path != Some(now) {
            return Ok(Err(NotNow(format!(
                "changed while it was being imported (size {} → {} bytes): it is probably still being written; nothing of it was kept, and the next run imports it",
                self.stamp.len, now.len
            ))));
        }
        Ok(Ok(()))
    }

    pub fn file(&self) -> &File {
        &self.file
    }
}

/// How long ago the file was last modified (none if its time is in the future).
fn age(meta: &std::fs::Metadata) -> Option<Duration> {
    let modified = meta.modified().ok()?;
    SystemTime::now()
        .duration_since(modified)
        .ok()
        .or(Some(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aged(path: &Path) {
        let f = File::options().write(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(60))
            .unwrap();
    }

    #[test]
    fn symlinks_and_fresh_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("env");
        std::fs::write(&secret, "TWILIO_AUTH_TOKEN=abc\n").unwrap();
        aged(&secret);
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        let not_now = Source::open(&link, true).unwrap().err().unwrap();
        assert!(not_now.0.contains("symbolic link"), "{not_now:?}");

        let fresh = dir.path().join("fresh.csv");
        std::fs::write(&fresh, "a,b\n").unwrap();
        let not_now = Source::open(&fresh, true).unwrap().err().unwrap();
        assert!(
            not_now.0.contains("may still be being written"),
            "{not_now:?}"
        );
        // Named by hand, a fresh file is read (the operator says it is complete).
        assert!(Source::open(&fresh, false).unwrap().is_ok());

        let folder = dir.path().join("folder.csv");
        std::fs::create_dir(&folder).unwrap();
        let not_now = Source::open(&folder, false).unwrap().err().unwrap();
        assert!(not_now.0.contains("not a regular file"), "{not_now:?}");
    }

    #[test]
    fn a_file_growing_after_it_was_opened_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("day.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        aged(&path);
        let source = Source::open(&path, true).unwrap().unwrap();
        assert!(source.unchanged().unwrap().is_ok());
        let mut text = String::new();
        source.reader().unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "a,b\n1,2\n");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"3,4\n"))
            .unwrap();
        let changed = source.unchanged().unwrap().err().unwrap();
        assert!(changed.0.contains("8 → 12 bytes"), "{changed:?}");
    }
}
