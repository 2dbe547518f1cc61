//! What the Debian package is made of, as the repository ships it: the system-wide
//! configuration file every command finds from any folder, the completions and man page made
//! from the flags, the packaged configuration, the cron.d heartbeat, the listener's unit, and
//! an unconfigured install contacting nobody. (`contrib/deb/test-install.sh` installs the real
//! package; these run without root and never touch /etc.)

use std::path::Path;

use reminders::config::{Config, Overrides};

use crate::common::Workdir;

fn repo_file(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The lines that are not comments or blank.
fn active(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// The workdir's stand-in for /etc/reminders/reminders.toml (the binary looks there instead).
fn system_file(w: &Workdir) -> std::path::PathBuf {
    w.join("etc/reminders.toml")
}

#[test]
fn the_system_file_is_read_from_any_folder() {
    let w = Workdir::new();
    let data = w.join("data");
    w.write_fresh(
        "etc/reminders.toml",
        format!(
            "db = \"{0}/reminders.db\"\ncsv_dir = \"{0}/csv\"\narchive_dir = \"{0}/archive\"\n\
             outbox_dir = \"{0}/outbox\"\n",
            data.display()
        ),
    );
    w.fixture("appointments-2026-11-24.csv", "data/csv/day.csv");
    let elsewhere = w.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();

    let out = w
        .command(&["import"])
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = rusqlite::Connection::open(data.join("reminders.db")).unwrap();
    let stored: i64 = db
        .query_row("SELECT count(*) FROM appointments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 20);
    assert!(data.join("archive/day.csv").exists());
    assert!(!elsewhere.join("reminders.db").exists());
    assert!(!w.join("reminders.db").exists());
}

/// Which file was read shows in the error a bad key gives: it names the file.
#[test]
fn the_flag_the_variable_and_the_folder_s_file_come_before_the_system_file() {
    let mut w = Workdir::new();
    w.write_fresh("etc/reminders.toml", "colour = \"system\"\n");
    let read = |w: &Workdir, args: &[&str]| {
        let out = w.run(args);
        assert_eq!(out.code(), 2, "{}", out.stderr());
        out.stderr()
    };
    // Nothing nearer: the system file.
    let said = read(&w, &["status"]);
    assert!(
        said.contains(&system_file(&w).display().to_string()) && said.contains("`colour`"),
        "{said}"
    );
    // ./reminders.toml wins over it.
    w.write_fresh("reminders.toml", "colour = \"here\"\n");
    let said = read(&w, &["status"]);
    assert!(said.contains("config file reminders.toml"), "{said}");
    // $REMINDERS_CONFIG over both, --config over everything.
    w.write_fresh("named.toml", "colour = \"named\"\n");
    w.write_fresh("flag.toml", "colour = \"flag\"\n");
    w.env("REMINDERS_CONFIG", w.join("named.toml").to_str().unwrap());
    assert!(read(&w, &["status"]).contains("named.toml"));
    assert!(read(&w, &["--config", "flag.toml", "status"]).contains("flag.toml"));
}

#[test]
fn help_says_where_the_configuration_is_looked_for() {
    let w = Workdir::new();
    let help = w.run(&["--help"]).ok();
    let order = "--config FILE, else $REMINDERS_CONFIG, else ./reminders.toml, else \
                 /etc/reminders/reminders.toml";
    assert!(help.contains(order), "{help}");
    assert_eq!(
        reminders::config::locate::SYSTEM_FILE,
        "/etc/reminders/reminders.toml"
    );
}

/// The package's completions and man page are made by hidden subcommands: from the same clap
/// definitions as --help, reading no configuration, and listed nowhere.
#[test]
fn completions_and_the_man_page_come_from_the_flags() {
    let w = Workdir::new();
    // A broken configuration changes nothing: it is not read.
    w.write_fresh("etc/reminders.toml", "colour = \"blue\"\n");

    let bash = w.run(&["completions", "bash"]).ok();
    assert!(bash.contains("complete -F _reminders"), "{bash}");
    let zsh = w.run(&["completions", "zsh"]).ok();
    assert!(zsh.starts_with("#compdef reminders"), "{zsh}");
    let fish = w.run(&["completions", "fish"]).ok();
    assert!(fish.contains("complete -c reminders"), "{fish}");
    for script in [&bash, &zsh, &fish] {
        for command in [
            "run",
            "import",
            "status",
            "serve-webhook",
            "config",
            "verbose",
        ] {
            assert!(script.contains(command), "{command} missing from\n{script}");
        }
        // What --help hides, `reminders <TAB>` does not offer.
        for hidden in ["completions", "reminders,man)", "(man)", "-a \"man\""] {
            assert!(!script.contains(hidden), "{hidden} offered in\n{script}");
        }
    }

    let man = w.run(&["man"]).ok();
    assert!(man.contains(".TH reminders 1"), "{man}");
    assert!(man.contains("/etc/reminders/reminders.toml"), "{man}");
    assert!(man.contains("serve\\-webhook"), "{man}");

    // Hidden: not among --help's commands, nor in the man page's.
    let help = w.run(&["--help"]).ok();
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(commands.contains(&"run"), "{help}");
    assert!(!commands.contains(&"completions") && !commands.contains(&"man"));
    assert!(!man.contains("completions"), "{man}");

    let bad = w.run(&["completions", "tcsh"]);
    assert_eq!(bad.code(), 2);
}

#[test]
fn the_packaged_configuration_is_the_example_with_absolute_paths_and_no_credentials() {
    let w = Workdir::new();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/deb/make-config.sh");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("reminders.toml.example");
    let made = w
        .program("sh", &[script.to_str().unwrap(), example.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let packaged = String::from_utf8(made.stdout).unwrap();
    let path = w.write_fresh("packaged.toml", &packaged);

    let cfg = Config::load_with(
        &Overrides {
            config: Some(path),
            ..Default::default()
        },
        &|_| None,
    )
    .expect("the packaged file loads");
    let data = Path::new("/var/lib/reminders");
    assert_eq!(cfg.db, data.join("reminders.db"));
    assert_eq!(cfg.csv_dir, data.join("csv"));
    assert_eq!(cfg.archive_dir, data.join("archive"));
    assert_eq!(cfg.outbox_dir, data.join("outbox"));
    assert!(cfg.twilio.account_sid.is_empty() && cfg.twilio.auth_token.is_empty());
    assert!(cfg.twilio.phone_number.is_empty() && cfg.webhook.public_url.is_none());
    assert!(cfg.credentials().is_err());

    // Every other setting as the example has it.
    let paths = ["db =", "csv_dir =", "archive_dir =", "outbox_dir ="];
    let others = |text: &str| -> Vec<String> {
        active(text)
            .into_iter()
            .filter(|l| !paths.iter().any(|p| l.starts_with(p)))
            .map(String::from)
            .collect()
    };
    assert_eq!(
        others(&packaged),
        others(&repo_file("reminders.toml.example"))
    );

    // The example changed shape: the script says so instead of packaging relative paths.
    w.write_fresh("odd.toml", "# header\n\ndb = \"x.db\"\n");
    let odd = w
        .program("sh", &[script.to_str().unwrap(), "odd.toml"])
        .output()
        .unwrap();
    assert!(!odd.status.success());
    assert!(odd.stdout.is_empty());
}

/// /etc/cron.d/reminders is crontab.example's heartbeat in its cron.d form, with a MAILTO to set.
#[test]
fn the_cron_d_file_is_the_example_s_heartbeat() {
    let cron_d = repo_file("contrib/deb/reminders.cron.d");
    let jobs: Vec<&str> = active(&cron_d)
        .into_iter()
        .filter(|l| !l.contains('=') || l.contains("&&"))
        .collect();
    let example = repo_file("crontab.example");
    let documented: Vec<&str> = example
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(str::trim)
        .filter(|l| l.starts_with("*/5") && l.contains(" reminders cd "))
        .collect();
    assert_eq!(
        jobs,
        ["*/5 * * * * reminders cd /var/lib/reminders && reminders run"]
    );
    assert_eq!(jobs, documented);
    assert!(
        cron_d.lines().any(|l| l.starts_with("#MAILTO=")),
        "{cron_d}"
    );
    assert!(
        cron_d.ends_with('\n'),
        "cron ignores a last line without a newline"
    );
}

/// The listener's unit: the packaged binary, as reminders, in the data folder, with no
/// environment file (the configuration file holds the secrets).
#[test]
fn the_unit_runs_the_packaged_binary_as_reminders_without_an_environment_file() {
    let unit = repo_file("contrib/reminders-webhook.service");
    let lines = active(&unit);
    for want in [
        "User=reminders",
        "Group=reminders",
        "WorkingDirectory=/var/lib/reminders",
        "ExecStart=/usr/bin/reminders serve-webhook",
        "ReadWritePaths=/var/lib/reminders",
        "Documentation=man:reminders(1)",
    ] {
        assert!(lines.contains(&want), "{want} missing from\n{unit}");
    }
    assert!(
        !lines.iter().any(|l| l.starts_with("EnvironmentFile")),
        "{unit}"
    );
    assert!(!unit.contains(".env"), "{unit}");
}

/// A server just installed: no credentials, no export, no database. The send window's tick
/// says why nobody was contacted, once; the next ticks are silent; `status --check` says what
/// to configure, before the first window and after it.
#[test]
fn an_unconfigured_install_contacts_nobody_and_says_what_to_configure() {
    let mut w = Workdir::new();
    let data = w.join("data");
    for d in ["csv", "archive", "outbox"] {
        std::fs::create_dir_all(data.join(d)).unwrap();
    }
    let packaged = repo_file("reminders.toml.example").replace(
        "db = \"reminders.db\"",
        &format!("db = \"{}/reminders.db\"", data.display()),
    );
    w.write_fresh("etc/reminders.toml", &packaged);
    // Refuse to reach anything, even if a bug tried: nothing listens there.
    w.env("TWILIO_API_BASE", "http://127.0.0.1:9");

    w.env("REMINDERS_NOW", "2026-11-24T18:00:00-05:00");
    let early = w.run(&["status", "--check"]);
    assert_eq!(early.code(), 1);
    assert!(
        early.stderr().contains("no database") && early.stderr().contains("TWILIO_AUTH_TOKEN"),
        "{}",
        early.stderr()
    );

    w.env("REMINDERS_NOW", "2026-11-24T19:01:00-05:00");
    let first = w.run(&["run"]);
    assert_eq!(first.code(), 1);
    assert!(
        first.stderr().contains("the 19:00 send was refused")
            && first.stderr().contains("TWILIO_ACCOUNT_SID"),
        "{}",
        first.stderr()
    );
    for tick in ["19:06", "19:11", "19:46", "19:51"] {
        w.env("REMINDERS_NOW", &format!("2026-11-24T{tick}:00-05:00"));
        let again = w.run(&["run"]);
        assert_eq!(
            (again.code(), again.stderr().as_str()),
            (0, ""),
            "the tick at {tick}"
        );
    }
    let db = rusqlite::Connection::open(data.join("reminders.db")).unwrap();
    let refused: i64 = db
        .query_row(
            "SELECT count(*) FROM runs WHERE outcome = 'refused'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let attempts: i64 = db
        .query_row("SELECT count(*) FROM appointment_logs", [], |r| r.get(0))
        .unwrap();
    assert_eq!((refused, attempts), (1, 0), "one refusal a day, no attempt");

    let check = w.run(&["status", "--check"]);
    assert_eq!(check.code(), 1);
    assert!(
        check.stdout().contains("run_refused") && check.stdout().contains("TWILIO_AUTH_TOKEN"),
        "{}",
        check.stdout()
    );
}
