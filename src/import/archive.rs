//! Into the archive folder, owner-only from its first byte, under a name no earlier file has. A
//! file from the drop folder is moved; a file named from elsewhere is copied and left where it
//! is. Nothing is left half done: a copy is written aside and linked into place, and a move
//! whose original cannot be removed is undone, so a rerun finds things as they were.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::access::Permission;

/// Archives `src` (whose content is `file`, already open) as import `import_id`.
pub fn archive(src: &Path, file: &File, dir: &Path, import_id: i64, take: bool) -> Result<PathBuf> {
    crate::files::private_dir(dir, "the archive folder")?;
    let name = src
        .file_name()
        .context("the file has no name")?
        .to_string_lossy()
        .into_owned();
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    let mut candidates = vec![name.clone(), format!("{stem}.import-{import_id}{ext}")];
    candidates.extend((2..1000).map(|n| format!("{stem}.import-{import_id}-{n}{ext}")));

    let aside = write_aside(file, dir, import_id)?;
    for candidate in candidates {
        let dest = dir.join(&candidate);
        // A hard link fails if the name is taken, so an earlier file is never overwritten.
        match fs::hard_link(&aside, &dest) {
            Ok(()) => {
                let _ = fs::remove_file(&aside);
                if take && let Err(e) = fs::remove_file(src) {
                    // The original stays: so must no second copy of it.
                    let _ = fs::remove_file(&dest);
                    let folder = src.parent().filter(|p| !p.as_os_str().is_empty());
                    return Err(crate::access::permission(
                        folder.unwrap_or(Path::new(".")),
                        e,
                    ))
                    .with_context(|| format!("removing {} from the drop folder", src.display()));
                }
                return Ok(dest);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                let _ = fs::remove_file(&aside);
                return Err(crate::access::permission(dir, e))
                    .with_context(|| format!("naming the copy {}", dest.display()));
            }
        }
    }
    let _ = fs::remove_file(&aside);
    anyhow::bail!("no free name for {name} in the archive folder")
}

/// The file's content in a new owner-only file in `dir`, on disk before it gets its name.
fn write_aside(file: &File, dir: &Path, import_id: i64) -> Result<PathBuf> {
    let aside = dir.join(format!(".incoming-{import_id}-{}", std::process::id()));
    let _ = fs::remove_file(&aside);
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&aside)
        .permission(dir)
        .with_context(|| format!("creating {}", aside.display()))?;
    let copied = (|| -> std::io::Result<()> {
        let mut input = file.try_clone()?;
        input.seek(SeekFrom::Start(0))?;
        std::io::copy(&mut (&mut input).take(u64::MAX), &mut out)?;
        // Whatever the umask did, the copy is the owner's only.
        out.set_permissions(fs::Permissions::from_mode(0o600))?;
        out.sync_all()
    })();
    if let Err(e) = copied {
        let _ = fs::remove_file(&aside);
        return Err(e).with_context(|| format!("copying into {}", aside.display()));
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn moves_or_copies_owner_only_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let archive_dir = dir.path().join("archive");
        let src = dir.path().join("day.csv");
        fs::write(&src, "a,b\n").unwrap();
        fs::set_permissions(&src, fs::Permissions::from_mode(0o644)).unwrap();
        let f = File::open(&src).unwrap();
        let copied = archive(&src, &f, &archive_dir, 1, false).unwrap();
        assert!(src.exists(), "a copy leaves the original");
        assert_eq!(mode(&src), 0o644, "the original's mode is untouched");
        assert_eq!(
            (copied.file_name().unwrap(), mode(&copied)),
            ("day.csv".as_ref(), 0o600)
        );
        let moved = archive(&src, &f, &archive_dir, 2, true).unwrap();
        assert!(!src.exists());
        assert_eq!(moved.file_name().unwrap(), "day.import-2.csv");
        assert_eq!(fs::read_to_string(&moved).unwrap(), "a,b\n");
        let leftovers: Vec<_> = fs::read_dir(&archive_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_move_whose_original_cannot_go_leaves_no_copy() {
        let dir = tempfile::tempdir().unwrap();
        let drop = dir.path().join("csv");
        fs::create_dir(&drop).unwrap();
        let src = drop.join("day.csv");
        fs::write(&src, "a,b\n").unwrap();
        let f = File::open(&src).unwrap();
        fs::set_permissions(&drop, fs::Permissions::from_mode(0o500)).unwrap();
        let archive_dir = dir.path().join("archive");
        let result = archive(&src, &f, &archive_dir, 1, true);
        fs::set_permissions(&drop, fs::Permissions::from_mode(0o700)).unwrap();
        if nix_is_root() {
            return; // root may remove files from a read-only folder: nothing to see here
        }
        assert!(result.is_err());
        assert!(src.exists());
        assert_eq!(fs::read_dir(&archive_dir).unwrap().count(), 0);
    }

    fn nix_is_root() -> bool {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() == 0 }
    }
}
