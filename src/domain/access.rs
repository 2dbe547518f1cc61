//! Who may work on the clinic's files, and the words when someone else's files are in the way.
//!
//! One command typed as root in the data folder used to leave a root-owned lock file and outbox
//! behind; every later cron run, as the service user, then failed with "Permission denied" and
//! never said whose the files were. So a command runs only as the user who owns the database
//! (root included), and every permission error names the file, its owner and mode, and who was
//! running. The facts (owners, modes, the command line) come in; `crate::access` gathers them.

use std::borrow::Cow;

/// A user account: its uid and, when the system knows it, its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub uid: u32,
    pub name: Option<String>,
}

impl Account {
    /// How a person knows the account: its name, else `uid 1234`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("uid {}", self.uid),
        }
    }

    /// What `sudo -u` takes: the name, else `#1234`.
    fn sudo_user(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("#{}", self.uid),
        }
    }
}

/// What decides who may run: the database, or before there is one, the folder it will be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    Database,
    DataFolder,
}

/// The facts about one command about to start.
pub struct Invocation<'a> {
    /// The database as configured, or the data folder (when there is no database yet).
    pub path: &'a str,
    pub held: Held,
    pub owner: &'a Account,
    /// Permission bits (`st_mode & 0o7777`).
    pub mode: u32,
    /// The effective user of this process.
    pub running: &'a Account,
    /// The command line as typed, program name first.
    pub command: &'a [String],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Proceed,
    /// Stop before anything is created or opened; the words say who owns what and the exact
    /// command to type instead.
    Refuse(String),
}

/// Only the owner may run. Root is not exempt: what root creates in the data folder (a lock
/// file, the outbox, the WAL's files) the service user cannot open afterwards.
pub fn decide(f: &Invocation<'_>) -> Verdict {
    if f.owner.uid == f.running.uid {
        return Verdict::Proceed;
    }
    let whose = match f.held {
        Held::Database => format!(
            "{} belongs to {} (mode {})",
            f.path,
            f.owner.label(),
            mode(f.mode)
        ),
        Held::DataFolder => format!(
            "there is no database yet and its folder {} belongs to {} (mode {})",
            f.path,
            f.owner.label(),
            mode(f.mode)
        ),
    };
    Verdict::Refuse(format!(
        "{whose}; you are {}: run `{}`",
        f.running.label(),
        rerun_as(f.owner, f.command)
    ))
}

/// The same command line, to be run as `owner` through sudo, each word quoted for a POSIX shell
/// where it needs it.
pub fn rerun_as(owner: &Account, command: &[String]) -> String {
    let mut words = vec![
        "sudo".to_string(),
        "-u".to_string(),
        shell_word(&owner.sudo_user()).into_owned(),
    ];
    words.extend(command.iter().map(|w| shell_word(w).into_owned()));
    words.join(" ")
}

/// `word` as a shell reads it back unchanged: as it is when it holds only characters no shell
/// treats specially, else in single quotes.
pub fn shell_word(word: &str) -> Cow<'_, str> {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%^".contains(&b));
    if plain {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
    }
}

/// A file or folder and whose it is.
pub struct Entry<'a> {
    pub path: &'a str,
    pub owner: &'a Account,
    pub mode: u32,
}

/// `outbox belongs to root (mode 0755); running as reminders`: what a permission error adds.
pub fn belongs(entries: &[Entry<'_>], running: &Account) -> String {
    let each: Vec<String> = entries
        .iter()
        .map(|e| {
            format!(
                "{} belongs to {} (mode {})",
                e.path,
                e.owner.label(),
                mode(e.mode)
            )
        })
        .collect();
    format!("{}; running as {}", each.join(", "), running.label())
}

/// A configuration file that holds the auth token and that the file's group or anyone else can
/// read: the words of the warning, with the command that fixes it.
pub fn token_exposed(path: &str, file_mode: u32) -> Option<String> {
    (file_mode & 0o044 != 0).then(|| {
        format!(
            "{path} holds the Twilio auth token and is readable by others (mode {}): chmod 600 {}",
            mode(file_mode),
            shell_word(path)
        )
    })
}

/// Permission bits as `chmod` takes them: `0600`.
fn mode(bits: u32) -> String {
    format!("{:04o}", bits & 0o7777)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(uid: u32, name: Option<&str>) -> Account {
        Account {
            uid,
            name: name.map(str::to_string),
        }
    }

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_the_owner_runs_and_root_is_not_exempt() {
        let reminders = account(998, Some("reminders"));
        let root = account(0, Some("root"));
        let alice = account(1000, Some("alice"));
        let command = words(&["reminders", "status"]);
        let facts = |owner, running, held, path| Invocation {
            path,
            held,
            owner,
            mode: 0o600,
            running,
            command: &command,
        };
        let cases = [
            // (owner, running, what decides, verdict)
            (&reminders, &reminders, Held::Database, Verdict::Proceed),
            (&root, &root, Held::Database, Verdict::Proceed),
            (
                &reminders,
                &root,
                Held::Database,
                Verdict::Refuse(
                    "reminders.db belongs to reminders (mode 0600); you are root: run `sudo -u reminders reminders status`".into(),
                ),
            ),
            (
                &root,
                &reminders,
                Held::Database,
                Verdict::Refuse(
                    "reminders.db belongs to root (mode 0600); you are reminders: run `sudo -u root reminders status`".into(),
                ),
            ),
            (&reminders, &reminders, Held::DataFolder, Verdict::Proceed),
            (
                &reminders,
                &alice,
                Held::DataFolder,
                Verdict::Refuse(
                    "there is no database yet and its folder /srv/reminders belongs to reminders (mode 0600); you are alice: run `sudo -u reminders reminders status`".into(),
                ),
            ),
        ];
        for (owner, running, held, want) in cases {
            let path = match held {
                Held::Database => "reminders.db",
                Held::DataFolder => "/srv/reminders",
            };
            assert_eq!(
                decide(&facts(owner, running, held, path)),
                want,
                "owner {owner:?}, running {running:?}, {held:?}"
            );
        }
    }

    #[test]
    fn the_command_is_given_back_as_typed_quoted_where_a_shell_needs_it() {
        let owner = account(998, Some("reminders"));
        let cmd = words(&[
            "/usr/local/bin/reminders",
            "import",
            "--now",
            "csv/day one.csv",
            "it's.csv",
            "",
            "--site=north,south",
            "$HOME",
        ]);
        assert_eq!(
            rerun_as(&owner, &cmd),
            r#"sudo -u reminders /usr/local/bin/reminders import --now 'csv/day one.csv' 'it'\''s.csv' '' --site=north,south '$HOME'"#
        );
        // A uid with no name in the password database: sudo's `#uid`, quoted for the shell.
        let nameless = account(4242, None);
        assert_eq!(nameless.label(), "uid 4242");
        assert_eq!(
            rerun_as(&nameless, &words(&["reminders", "send"])),
            "sudo -u '#4242' reminders send"
        );
    }

    #[test]
    fn permission_words_name_each_file_its_owner_and_mode_and_the_user() {
        let root = account(0, Some("root"));
        let nobody = account(65534, None);
        let got = belongs(
            &[
                Entry {
                    path: "reminders.db.lock",
                    owner: &root,
                    mode: 0o100600,
                },
                Entry {
                    path: "outbox",
                    owner: &root,
                    mode: 0o40755,
                },
            ],
            &nobody,
        );
        assert_eq!(
            got,
            "reminders.db.lock belongs to root (mode 0600), outbox belongs to root (mode 0755); running as uid 65534"
        );
    }

    #[test]
    fn a_token_file_others_can_read_is_named_with_its_fix() {
        assert_eq!(token_exposed("reminders.toml", 0o100600), None);
        assert_eq!(token_exposed("reminders.toml", 0o100400), None);
        assert_eq!(
            token_exposed("reminders.toml", 0o100644).as_deref(),
            Some(
                "reminders.toml holds the Twilio auth token and is readable by others (mode 0644): chmod 600 reminders.toml"
            )
        );
        assert_eq!(
            token_exposed("/etc/my reminders.toml", 0o100640).as_deref(),
            Some(
                "/etc/my reminders.toml holds the Twilio auth token and is readable by others (mode 0640): chmod 600 '/etc/my reminders.toml'"
            )
        );
        assert!(token_exposed("r.toml", 0o100604).is_some(), "others alone");
    }
}
