//! `status` end to end: a database built by the real `import`, `send` (against the fake Twilio)
//! and `reconcile`, then every view, filter and format as an operator or a script reads them.

use reminders::twilio::simulator::Simulator;
use serde_json::Value;

use crate::common::twilio::{self, PUBLIC_URL, refuse, sid};
use crate::common::{EVENING, Workdir};

/// After the 19:00 send and a reconcile: A1001 delivered, A1004 answered (31 s), A1006 busy
/// (retry_wait), A1003 an invalid number (failed), A1002 unsubscribed (opted_out); a second file
/// with one rejected row.
fn day() -> (Workdir, Simulator) {
    let fake = twilio::start(EVENING);
    let mut w = Workdir::new();
    twilio::connect(&mut w, &fake, PUBLIC_URL);
    w.write(
        "reminders.toml",
        "[sending]\ncalls_per_second = 100\nsms_per_second = 100\n",
    );
    w.fixture(
        "appointments-2026-11-24.csv",
        "csv/appointments-2026-11-24.csv",
    );
    w.write(
        "csv/late.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n\
         B1,Q1,555-12,y,n,2026-11-25 10:00\n\
         B2,Q2,416-555-0177,y,n,2026-11-26 10:00\n",
    );
    w.run(&["import"]).ok();
    refuse(&fake, "+14165550103", 400, 21211);
    refuse(&fake, "+14165550102", 400, 21610);
    w.run(&["send"]).ok();
    fake.set_status(
        &sid(&fake, "+14165550101"),
        "delivered",
        serde_json::json!({}),
    );
    fake.set_status(
        &sid(&fake, "+14165550104"),
        "completed",
        serde_json::json!({"answered_by": "human", "duration": "31"}),
    );
    fake.set_status(&sid(&fake, "+14165550106"), "busy", serde_json::json!({}));
    w.run(&["reconcile"]).ok();
    (w, fake)
}

fn json(w: &Workdir, args: &[&str]) -> Value {
    let out = w.run(args).ok();
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a["appointment_id"].as_str().unwrap().to_string())
        .collect()
}

fn csv_rows(out: &str) -> Vec<Vec<String>> {
    csv::Reader::from_reader(out.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

#[test]
fn summary_for_the_coming_day_in_three_formats() {
    let (w, _fake) = day();
    let table = w.run(&["status"]).ok();
    assert!(
        table.contains("Appointments on Wed 2026-11-25 (America/Toronto): 20"),
        "{table}"
    );
    for needle in [
        "in_flight",
        "reached",
        "retry_wait",
        "failed",
        "opted_out",
        "Latest imports",
        "late.csv",
        "Latest runs",
        "reconcile",
        "Needs attention",
        "appointment A1003 (patient P503)",
        "appointment A1002 (patient P502)",
        "import_rejected_rows",
    ] {
        assert!(table.contains(needle), "{needle} missing:\n{table}");
    }

    let s = json(&w, &["status", "--json"]);
    assert_eq!(
        keys(&s),
        sorted(&[
            "date",
            "timezone",
            "total",
            "counts",
            "held",
            "imports",
            "runs",
            "attention"
        ])
    );
    assert_eq!(
        s["held"],
        serde_json::json!([]),
        "nothing held without [limits]"
    );
    assert_eq!(s["date"], "2026-11-25");
    assert_eq!(s["timezone"], "America/Toronto");
    assert_eq!(s["total"], 20);
    assert_eq!(
        keys(&s["counts"][0]),
        sorted(&["state", "channel", "count"])
    );
    let count = |state: &str| -> i64 {
        s["counts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["state"] == state)
            .map(|c| c["count"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(
        (count("reached"), count("retry_wait"), count("failed")),
        (2, 1, 1)
    );
    assert_eq!(count("opted_out"), 1);
    assert_eq!(count("in_flight"), 15);
    assert_eq!(
        keys(&s["attention"][0]),
        sorted(&["kind", "subject", "at", "detail"])
    );
    let kinds: Vec<&str> = s["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    // Appointments by time (A1002 at 10:30, A1003 at 11:30), then imports, then the number
    // Twilio called invalid (A1003's).
    assert_eq!(
        kinds,
        [
            "opted_out",
            "failed",
            "import_rejected_rows",
            "number_invalid"
        ]
    );
    assert_eq!(s["imports"].as_array().unwrap().len(), 2);
    assert_eq!(s["runs"][0]["kind"], "reconcile");

    let csv = w.run(&["status", "--csv"]).ok();
    assert!(csv.starts_with("date,state,channel,count\n"), "{csv}");
    assert!(csv.contains("2026-11-25,failed,call,1\n"), "{csv}");

    // Another day: B2 is on the 26th; the 24th's imports and runs belong to the 25th.
    let other = json(&w, &["status", "--date", "2026-11-26", "--json"]);
    assert_eq!(other["total"], 1);
    assert_eq!(other["attention"].as_array().unwrap().len(), 0, "{other}");
}

#[test]
fn appointments_view_filters_in_three_formats() {
    let (w, _fake) = day();
    let all = json(&w, &["status", "appointments", "--json"]);
    assert_eq!(all.as_array().unwrap().len(), 21);
    assert_eq!(
        keys(&all[0]),
        sorted(&[
            "id",
            "appointment_id",
            "patient_id",
            "phone_number",
            "appt_date_time",
            "language",
            "channel",
            "state",
            "attempt_count",
            "last_attempt_at",
            "success_at",
            "import_id",
            "site",
            "touch_days",
            "withdrawn_reason",
            "held",
        ])
    );
    assert_eq!(all[0]["held"], Value::Null);
    let q = |extra: &[&str]| {
        let mut args = vec!["status", "appointments", "--json"];
        args.extend(extra);
        ids(&json(&w, &args))
    };
    assert_eq!(q(&["--state", "failed"]), ["A1003"]);
    assert_eq!(q(&["--search", "P503"]), ["A1003"]);
    assert_eq!(q(&["--search", "A1004"]), ["A1004"]);
    assert_eq!(q(&["--date", "2026-11-26"]), ["B2"]);
    assert_eq!(q(&["--import", "2"]), ["B2"]);
    assert_eq!(q(&["--channel", "sms", "--state", "reached"]), ["A1001"]);
    assert_eq!(q(&["--date", "2026-11-25", "--limit", "2"]).len(), 2);
    assert!(q(&["--date", "2026-11-27"]).is_empty());

    // Times in the clinic's zone in the table and the CSV; UTC in JSON.
    let table = w.run(&["status", "appointments", "--search", "A1003"]).ok();
    assert!(table.contains("2026-11-25 11:30"), "{table}");
    assert!(table.contains("failed"), "{table}");
    assert_eq!(
        json(
            &w,
            &["status", "appointments", "--search", "A1003", "--json"]
        )[0]["appt_date_time"],
        "2026-11-25T16:30:00Z"
    );
    let csv = w
        .run(&["status", "appointments", "--csv", "--state", "retry_wait"])
        .ok();
    assert!(
        csv.starts_with(
            "appointment,patient,phone,time,lang,channel,state,touch,attempts,last attempt,reached,import\n"
        ),
        "{csv}"
    );
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "A1006");
    assert_eq!(rows[0][3], "2026-11-25 14:30");
    let none = w
        .run(&["status", "appointments", "--date", "2026-11-27"])
        .ok();
    assert!(none.contains("(none)"), "{none}");
}

#[test]
fn logs_show_every_attempt_with_twilios_outcome() {
    let (w, _fake) = day();
    // Everyone due was tried once; B2, on the 26th, is not due yet (one touch, the day before).
    let all = json(&w, &["status", "logs", "--json"]);
    assert_eq!(all.as_array().unwrap().len(), 20);
    assert_eq!(
        keys(&all[0]),
        sorted(&[
            "id",
            "appointment",
            "appointment_id",
            "patient_id",
            "appt_date_time",
            "attempt",
            "channel",
            "sid",
            "to",
            "status",
            "duration",
            "answered_by",
            "error_code",
            "error_message",
            "start_time",
            "end_time",
            "run_id",
            "touch_days",
            "num_segments",
            "created_at",
            "updated_at",
            "kind",
            "offered_to",
        ])
    );
    let one = |search: &str| json(&w, &["status", "logs", "--json", "--search", search])[0].clone();
    let answered = one("A1004");
    assert_eq!(answered["status"], "completed");
    assert_eq!(answered["duration"], 31);
    assert_eq!(answered["answered_by"], "human");
    let invalid = one("P503");
    assert_eq!(invalid["error_code"], 21211);
    assert_eq!(
        invalid["error_message"],
        "The 'To' number +1416***0103 is not a valid phone number."
    );
    assert_eq!(invalid["sid"], Value::Null);

    let by = |extra: &[&str]| {
        let mut args = vec!["status", "logs", "--json"];
        args.extend(extra);
        json(&w, &args).as_array().unwrap().len()
    };
    assert_eq!(by(&["--date", "2026-11-25"]), 20);
    assert_eq!(by(&["--date", "2026-11-26"]), 0);
    assert_eq!(by(&["--date", "2026-11-27"]), 0);
    assert_eq!(by(&["--import", "1"]), 20);
    assert_eq!(by(&["--channel", "sms"]), 6);
    assert_eq!(by(&["--import", "2"]), 0);
    assert_eq!(by(&["--state", "reached"]), 2);

    let table = w.run(&["status", "logs", "--search", "A1003"]).ok();
    assert!(
        table.contains(
            "21211 not a valid phone number: The 'To' number +1416***0103 is not a valid phone number."
        ),
        "{table}"
    );
    let csv = w
        .run(&["status", "logs", "--csv", "--search", "A1004"])
        .ok();
    assert!(
        csv.starts_with(
            "at,appointment,patient,attempt,touch,channel,to,status,duration,answered by,error,sid\n"
        ),
        "{csv}"
    );
    let rows = csv_rows(&csv);
    assert_eq!(rows[0][0], "2026-11-24 19:00");
    assert_eq!(
        (rows[0][7].as_str(), rows[0][8].as_str()),
        ("completed", "31")
    );
    // A cell a spreadsheet would take for a formula (a number starting with +) is defused.
    assert_eq!(rows[0][6], "'+1416***0104");
}

#[test]
fn imports_failed_rows_and_runs_in_three_formats() {
    let (w, _fake) = day();
    let imports = json(&w, &["status", "imports", "--json"]);
    assert_eq!(imports.as_array().unwrap().len(), 2);
    assert_eq!(
        keys(&imports[0]),
        sorted(&[
            "id",
            "kind",
            "file_name",
            "file_path",
            "sha256",
            "status",
            "total_rows",
            "processed_rows",
            "successful_rows",
            "duplicate_rows",
            "failed_rows",
            "withdrawn_rows",
            "user_id",
            "started_at",
            "finished_at",
            "error",
            "summary",
        ])
    );
    assert_eq!(imports[0]["file_name"], "late.csv");
    assert_eq!(imports[0]["kind"], "appointments");
    assert_eq!(
        json(&w, &["status", "imports", "--import", "1", "--json"])[0]["duplicate_rows"],
        2
    );
    assert!(
        w.run(&["status", "imports"])
            .ok()
            .contains("appointments-2026-11-24.csv")
    );
    let csv = w.run(&["status", "imports", "--csv", "--limit", "1"]).ok();
    assert!(
        csv.starts_with("id,file,kind,status,rows,stored,duplicates,failed,user,started,note\n")
    );
    assert_eq!(csv_rows(&csv).len(), 1);

    let failed = json(&w, &["status", "failed-rows", "--json"]);
    assert_eq!(
        keys(&failed[0]),
        sorted(&[
            "import_id",
            "file_name",
            "row_number",
            "data",
            "validation_error"
        ])
    );
    assert_eq!(failed[0]["row_number"], 2);
    assert!(
        json(&w, &["status", "failed-rows", "--import", "1", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let table = w.run(&["status", "failed-rows", "--import", "2"]).ok();
    assert!(table.contains("late.csv"), "{table}");
    let csv = w.run(&["status", "failed-rows", "--csv"]).ok();
    assert!(csv.starts_with("import,file,row,reason,data\n"), "{csv}");

    let runs = json(&w, &["status", "runs", "--json"]);
    assert_eq!(
        keys(&runs[0]),
        sorted(&[
            "id",
            "kind",
            "started_at",
            "finished_at",
            "selected",
            "dispatched",
            "failed",
            "skipped",
            "error",
            "outcome",
            "sites",
            "left_for_next",
            "unresolved",
            "note"
        ])
    );
    let kinds: Vec<&str> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reconcile", "send"]);
    // 20 selected (B2 is not due yet), two refused by Twilio (invalid, unsubscribed).
    assert_eq!(runs[1]["dispatched"], 18);
    let on = |d: &str| {
        json(&w, &["status", "runs", "--date", d, "--json"])
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!((on("2026-11-24"), on("2026-11-25")), (2, 0));
    let table = w.run(&["status", "runs", "--limit", "1"]).ok();
    assert!(
        table.contains("reconcile") && !table.contains("send"),
        "{table}"
    );
    let csv = w.run(&["status", "runs", "--csv"]).ok();
    assert!(
        csv.starts_with("id,kind,started,finished,selected,sent,failed,skipped,outcome,error\n"),
        "{csv}"
    );
}

#[test]
fn check_is_silent_and_zero_when_clean_and_one_with_the_list_otherwise() {
    let mut w = Workdir::new();
    w.fixture(
        "appointments-2026-11-24.csv",
        "csv/appointments-2026-11-24.csv",
    );
    w.run(&["import"]).ok();
    let clean = w.run(&["status", "--check"]);
    assert_eq!(clean.code(), 0, "{}", clean.stderr());
    assert_eq!(clean.stdout(), "");

    // An unparseable file is a failed import: the evening's check fails and says why.
    w.write("csv/broken.csv", b"\xff\xfe\x00garbage");
    w.run(&["import"]);
    let bad = w.run(&["status", "--check"]);
    assert_eq!(bad.code(), 1, "{}", bad.stdout());
    assert!(bad.stdout().contains("import_failed"), "{}", bad.stdout());
    assert!(bad.stderr().contains("need attention"), "{}", bad.stderr());
    let j: Value = serde_json::from_str(&w.run(&["status", "--check", "--json"]).stdout()).unwrap();
    assert_eq!(j[0]["kind"], "import_failed");
    let csv = w.run(&["status", "--check", "--csv"]).stdout();
    assert!(csv.starts_with("kind,subject,at,detail\n"), "{csv}");

    // Two days later the failed import is no longer that day's business, but nothing has been
    // imported since: the export is missing. (Cron never ran `reminders run` here either: the
    // last day's windows that did not run are listed too.)
    w.env("REMINDERS_NOW", "2026-11-26T19:00:00-05:00");
    let besides_windows = |w: &Workdir| -> Vec<String> {
        let out = w.run(&["status", "--check", "--json"]);
        assert_eq!(out.code(), 1, "{}", out.stderr());
        let j: Value = serde_json::from_str(&out.stdout()).unwrap();
        j.as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["kind"].as_str())
            .filter(|k| *k != "window_missed")
            .map(String::from)
            .collect()
    };
    assert_eq!(besides_windows(&w), ["export_missing"]);
    w.write(
        "csv/next.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n",
    );
    w.run(&["import"]).ok();
    assert_eq!(besides_windows(&w), Vec::<String>::new());

    let (w, _fake) = day();
    let run = w.run(&["status", "--check"]);
    assert_eq!(run.code(), 1);
    assert!(run.stdout().contains("A1003"), "{}", run.stdout());
}

#[test]
fn phone_numbers_are_masked_unless_asked() {
    let (w, _fake) = day();
    let views: [&[&str]; 5] = [
        &["status", "appointments"],
        &["status", "logs"],
        &["status", "failed-rows"],
        &["status", "--json"],
        &["status", "appointments", "--csv"],
    ];
    for args in views {
        let out = w.run(args).ok();
        assert!(!out.contains("4165550101"), "{args:?}:\n{out}");
        assert!(!out.contains("555-12,"), "{args:?}:\n{out}");
    }
    for fmt in ["--json", "--csv"] {
        let out = w.run(&["status", "logs", fmt]).ok();
        assert!(out.contains("+1416***0101"), "{out}");
        assert!(!out.contains("+14165550101"), "{out}");
    }
    let shown = w
        .run(&[
            "status",
            "appointments",
            "--search",
            "A1001",
            "--show-phone",
        ])
        .ok();
    assert!(shown.contains("+14165550101"), "{shown}");
    let shown = w.run(&["status", "logs", "--json", "--show-phone"]).ok();
    assert!(shown.contains("+14165550101"), "{shown}");
    let raw = w.run(&["status", "failed-rows", "--show-phone"]).ok();
    assert!(raw.contains("555-12"), "{raw}");
}

#[test]
fn filters_that_do_not_apply_and_bad_values_are_usage_errors() {
    let w = Workdir::new();
    for args in [
        &["status", "runs", "--state", "failed"][..],
        &["status", "imports", "--date", "2026-11-25"],
        &["status", "appointments", "--state", "lost"],
        &["status", "logs", "--channel", "fax"],
        &["status", "appointments", "--check"],
        &["status", "--date", "25/11/2026"],
    ] {
        let run = w.run(args);
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
    }
    // No database is an error naming it (status never creates one)…
    let run = w.run(&["status"]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("no database at reminders.db"),
        "{}",
        run.stderr()
    );
    assert!(!w.join("reminders.db").exists());
    // …an empty one is not.
    w.write(
        "csv/empty.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n",
    );
    w.run(&["import"]).ok();
    let out = w.run(&["status"]).ok();
    assert!(out.contains("Appointments on Tue 2026-11-24"), "{out}");
    assert!(out.contains("Needs attention: nothing"), "{out}");
}

/// Every subcommand clap knows, `help`'s own aside: `reminders help` lists each visible one, and
/// each one's `--help` says what it is for, names each of its options and gives an example.
#[test]
fn every_command_has_help_with_its_purpose_its_options_and_an_example() {
    use clap::CommandFactory;
    let w = Workdir::new();
    let listed = w.run(&["help"]).ok();
    assert_eq!(w.run(&["--help"]).ok(), listed);
    let cli = reminders::cli::Cli::command();
    let mut visible = 0;
    for cmd in cli.get_subcommands() {
        let name = cmd.get_name();
        let about = cmd
            .get_about()
            .unwrap_or_else(|| panic!("{name} says what it is for"))
            .to_string();
        if !cmd.is_hide_set() {
            visible += 1;
            assert!(
                listed
                    .lines()
                    .any(|l| l.trim_start().starts_with(&format!("{name} ")) && l.contains(&about)),
                "`reminders help` lists {name} with {about:?}:\n{listed}"
            );
        }
        // `--help` gives the long account of what it is for where there is one.
        let purpose = cmd.get_long_about().map_or(about, |a| a.to_string());
        let out = w.run(&[name, "--help"]).ok();
        assert!(out.contains(&purpose), "{name} --help:\n{out}");
        assert!(
            out.contains("Example"),
            "{name} --help has an example:\n{out}"
        );
        for arg in cmd.get_arguments() {
            if arg.is_hide_set() || arg.is_global_set() {
                continue;
            }
            let shown = match arg.get_long() {
                Some(long) => vec![format!("--{long}")],
                // A positional argument: <NAME> when required, [NAME] when not.
                None => {
                    let value = arg.get_value_names().and_then(|n| n.first().cloned());
                    let n = value
                        .map_or_else(|| arg.get_id().as_str().to_uppercase(), |n| n.to_string());
                    vec![format!("<{n}>"), format!("[{n}]")]
                }
            };
            assert!(
                shown.iter().any(|s| out.contains(s)),
                "{name} --help names {shown:?}:\n{out}"
            );
            assert!(
                arg.get_help().is_some() || arg.get_long_help().is_some(),
                "{name} {shown:?} says what it does"
            );
        }
    }
    // Fifteen at the time of writing: a command that clap lost would fail here too.
    assert!(visible >= 15, "{visible} commands listed");
}
