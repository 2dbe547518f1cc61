//! Which configuration file a command reads. The order is one pure function, `locate`, so that
//! it is tested without a file in /etc.

use std::path::{Path, PathBuf};

/// The file the Debian package installs. It is read when nothing nearer names a file, so cron,
/// the listener's unit and an operator's shell find the same settings from any working folder.
pub const SYSTEM_FILE: &str = "/etc/reminders/reminders.toml";

/// For tests only: where `SYSTEM_FILE` is looked for instead. The end-to-end tests point it
/// into their temporary folder, so a machine with the package installed never lends them its
/// settings (its database is a clinic's).
pub const SYSTEM_FILE_ENV: &str = "REMINDERS_SYSTEM_CONFIG";

/// The file chosen, and whether it was named (`--config`, `$REMINDERS_CONFIG`): a named file
/// must exist; a file found by looking may vanish before it is read, and then none is used.
#[derive(Debug, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub named: bool,
}

/// `--config`, else `$REMINDERS_CONFIG`, else `./reminders.toml` when there is one, else the
/// system file when there is one, else none (every key at its default).
pub fn locate(
    flag: Option<&Path>,
    env_config: Option<&str>,
    system: &Path,
    exists: &dyn Fn(&Path) -> bool,
) -> Option<Location> {
    let named = |path: PathBuf| Location { path, named: true };
    let found = |path: PathBuf| Location { path, named: false };
    if let Some(p) = flag {
        return Some(named(p.to_path_buf()));
    }
    if let Some(p) = env_config {
        return Some(named(PathBuf::from(p)));
    }
    [Path::new("reminders.toml"), system]
        .into_iter()
        .find(|p| exists(p))
        .map(|p| found(p.to_path_buf()))
}

/// Whether something is at `path`. Only "not found" counts as absent: a file the running user
/// may not look at is still chosen, so that reading it fails and says so, rather than the
/// command quietly running on the defaults (a database in whatever folder it was started in).
pub fn present(path: &Path) -> bool {
    !matches!(std::fs::metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSTEM: &str = "/etc/reminders/reminders.toml";

    /// One case: the flag, $REMINDERS_CONFIG, the files present, and the file read (with
    /// whether it was named).
    struct Case {
        flag: Option<&'static str>,
        env: Option<&'static str>,
        files: &'static [&'static str],
        want: Option<(&'static str, bool)>,
    }

    #[test]
    fn the_search_order() {
        const LOCAL: &str = "reminders.toml";
        let case = |flag, env, files, want| Case {
            flag,
            env,
            files,
            want,
        };
        let cases = [
            case(
                Some("a.toml"),
                Some("b.toml"),
                &[LOCAL, SYSTEM],
                Some(("a.toml", true)),
            ),
            // Named files are used even when absent: reading them then fails, loudly.
            case(Some("a.toml"), None, &[], Some(("a.toml", true))),
            case(
                None,
                Some("b.toml"),
                &[LOCAL, SYSTEM],
                Some(("b.toml", true)),
            ),
            case(None, Some("b.toml"), &[], Some(("b.toml", true))),
            case(None, None, &[LOCAL, SYSTEM], Some((LOCAL, false))),
            case(None, None, &[LOCAL], Some((LOCAL, false))),
            case(None, None, &[SYSTEM], Some((SYSTEM, false))),
            case(None, None, &[], None),
        ];
        for c in cases {
            let exists = |p: &Path| c.files.iter().any(|f| Path::new(f) == p);
            let got = locate(c.flag.map(Path::new), c.env, Path::new(SYSTEM), &exists);
            let want = c.want.map(|(p, named)| Location {
                path: PathBuf::from(p),
                named,
            });
            assert_eq!(
                got, want,
                "flag {:?}, env {:?}, files {:?}",
                c.flag, c.env, c.files
            );
        }
    }

    #[test]
    fn only_a_missing_file_is_absent() {
        let dir = tempfile::tempdir().unwrap();
        assert!(present(dir.path()));
        assert!(!present(&dir.path().join("none.toml")));
        let f = dir.path().join("r.toml");
        std::fs::write(&f, "").unwrap();
        assert!(present(&f));
    }
}
