//! The files and folders this tool makes for people: folders readable by their owner only, and
//! output files (`export`, `report`, the outbox) that are regular files replaced whole.
//!
//! An output file is written aside in the same folder (owner-only from its first byte), flushed
//! to disk, then renamed over the old one — a rename within a folder is atomic, so a reader
//! opens either the whole old file or the whole new one. The folder is synced after the rename
//! so the new name survives a power loss too.
//!
//! A rename replaces whatever has the name: a symlink, a named pipe a reader is waiting on, a
//! device (`--out /dev/null` run as root would put a report in the system's `/dev/null`). So a
//! name that holds anything but a regular file is refused, before anything is written and again
//! just before the rename.

use std::fs::{self, File, FileType};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::access::Permission;
use anyhow::{Context, Result, bail};

/// Creates `dir` (and the folders above it that are missing) readable by its owner only,
/// whatever the umask; `what` names it in errors ("the archive folder"). A folder that exists
/// keeps its mode: someone chose it.
pub fn private_dir(dir: &Path, what: &str) -> Result<()> {
    let mut missing: Vec<PathBuf> = Vec::new();
    let mut at = Some(dir);
    while let Some(d) = at.filter(|d| !d.as_os_str().is_empty()) {
        match fs::symlink_metadata(d) {
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                missing.push(d.to_path_buf());
                at = d.parent();
            }
            Err(e) => {
                return Err(e).with_context(|| format!("looking for {what} {}", d.display()));
            }
        }
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .permission(missing.last().map_or(dir, |d| d.parent().unwrap_or(d)))
        .with_context(|| format!("creating {what} {}", dir.display()))?;
    // The mode given to mkdir passes through the umask; a umask that removes the owner's own
    // bits would leave a folder we cannot use, so the mode is set again, explicitly.
    for d in missing.iter().rev() {
        fs::set_permissions(d, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making {what} {} owner-only", d.display()))?;
    }
    Ok(())
}

/// Refuses `path` unless it is free or names a regular file: an error naming the path and what
/// stands there.
pub fn check_output(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Ok(()),
        Ok(m) => bail!(
            "{} is {}: output is written only to a regular file (or to standard output with `-`); nothing was written",
            path.display(),
            kind(m.file_type())
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("looking at {}", path.display())),
    }
}

/// What stands at a path that is not a regular file, in words.
pub fn kind(t: FileType) -> &'static str {
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Writes `path` aside and renames it into place, mode 0600: `fill` writes the content.
pub fn replace(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    check_output(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?
        .to_string_lossy()
        .into_owned();
    // A dot file, so nothing that imports `results-*.csv` picks it up half written; removed
    // when dropped, should anything below fail.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .permission(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    (|| -> Result<()> {
        let file = tmp.as_file();
        // Whatever the umask did, the file is the owner's only.
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        // A day's file is megabytes: written a megabyte at a time, not 8 KiB.
        let mut out = BufWriter::with_capacity(1 << 20, file);
        fill(&mut out)?;
        out.flush()?;
        drop(out);
        file.sync_all()?;
        Ok(())
    })()
    .with_context(|| format!("writing {}", tmp.path().display()))?;
    // Writing took a while (a big day, a slow disk): what is at the name now is what the
    // rename replaces.
    check_output(path)?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .permission(dir)
        .with_context(|| format!("renaming the new file into place as {}", path.display()))?;
    // The rename itself must reach the disk for the new file to survive a power loss.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing the folder {}", dir.display()))?;
    Ok(())
}

/// What the unit tests of the files the tool writes look at: a file's mode, a folder's names.
#[cfg(test)]
pub(crate) mod test_support {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    pub fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    pub fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{mode, names};
    use super::*;

    fn write(path: &Path, text: &str) -> Result<()> {
        replace(path, |out| Ok(out.write_all(text.as_bytes())?))
    }

    #[test]
    fn replaces_owner_only_and_leaves_nothing_aside() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("out/box");
        private_dir(&folder, "the outbox folder").unwrap();
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&dir.path().join("out")), 0o700);
        let p = folder.join("results-2026-11-25.csv");
        write(&p, "A1").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        write(&p, "A2").unwrap();
        assert_eq!(mode(&p), 0o600);
        assert_eq!(fs::read_to_string(&p).unwrap(), "A2");
        assert_eq!(names(&folder), ["results-2026-11-25.csv"]);
    }

    #[test]
    fn a_folder_that_exists_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o750)).unwrap();
        private_dir(&shared.join("mine"), "the archive folder").unwrap();
        assert_eq!(mode(&shared), 0o750);
        assert_eq!(mode(&shared.join("mine")), 0o700);
    }

    #[test]
    fn the_old_file_stays_whole_until_the_new_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("results-2026-11-25.csv");
        write(&p, "old").unwrap();
        // The new content is written aside: while it is being written (and when writing it
        // fails half way) the file under its name is the old one, whole.
        let err = replace(&p, |out| {
            out.write_all(b"appointment_id,half a ro")?;
            assert_eq!(fs::read_to_string(&p).unwrap(), "old");
            let aside = names(dir.path());
            assert_eq!(aside.len(), 2, "{aside:?}");
            assert!(aside[0].starts_with(".results-2026-11-25.csv.") && aside[0].ends_with(".tmp"));
            anyhow::bail!("disk full")
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("disk full"));
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(names(dir.path()), ["results-2026-11-25.csv"]);
    }

    #[test]
    fn only_a_regular_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere.txt");
        fs::write(&target, "keep me").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let folder = dir.path().join("folder.csv");
        fs::create_dir(&folder).unwrap();
        for (p, what) in [(&link, "a symbolic link"), (&folder, "a folder")] {
            let err = format!("{:#}", write(p, "new").unwrap_err());
            assert!(err.contains(&format!("{} is {what}", p.display())), "{err}");
        }
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            names(dir.path()),
            ["elsewhere.txt", "folder.csv", "link.csv"]
        );
    }
}
