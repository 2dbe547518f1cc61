//! `report` end to end: the demo's whole day (its scripted patients through 19:00, 19:45 and
//! 09:00, as `day.rs` runs it) and then the real `reminders report`, as JSON and as the page,
//! with its figures checked against the database; hostile CSV values and replies on the page;
//! the page in a real browser; sites; the day words and their usage errors.

use std::os::unix::fs::PermissionsExt;

use reminders::demo::script;
use reminders::twilio::simulator::Step;
use serde_json::Value;

use crate::common::listener::{self, Listener};
use crate::common::twilio::{self, free_port, window};
use crate::common::{EVENING, Workdir};

#[path = "../src/report/chromium.rs"]
mod chromium;

/// When the manager looks: the morning after the final retry, before the day's first
/// appointment still to come. The coming day is 25 Nov.
const MORNING: &str = "2026-11-25T09:10:00-05:00";

/// The demo's day, as the demo runs it: every scripted patient through the three windows, and
/// the waitlist offered the slot one of them gives back.
fn simulated_day() -> Workdir {
    let (sim, mut w, port) = twilio::demo_day();
    window(
        &mut w,
        &sim,
        port,
        script::WINDOWS[0].0,
        &["import", "--now"],
    );
    // The slot A1004's patient gave back goes to the waitlist; P601 takes it.
    window(&mut w, &sim, port, script::WAITLIST_AT, &["backfill"]);
    for (when, _) in &script::WINDOWS[1..] {
        window(&mut w, &sim, port, when, &["retry"]);
    }
    for p in script::patients() {
        for id in p.appointments {
            assert_eq!(twilio::state(&w, id), p.final_state, "{}", p.story);
        }
    }
    w.env("REMINDERS_NOW", MORNING);
    w
}

fn json(w: &Workdir, args: &[&str]) -> Value {
    let out = w.run(args).ok();
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
}

fn n(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// A rate row's (label, appointments, contacted, reached, confirmed).
fn rates(v: &Value) -> Vec<(String, i64, i64, i64, i64)> {
    v.as_array()
        .expect("a list of rates")
        .iter()
        .map(|r| {
            (
                r["label"].as_str().unwrap().to_string(),
                n(&r["appointments"]),
                n(&r["contacted"]),
                n(&r["reached"]),
                n(&r["confirmed"]),
            )
        })
        .collect()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_days_report_matches_the_database() {
    let w = simulated_day();
    let r = json(&w, &["report", "--json"]);
    let count = |sql: &str| w.count(sql);
    let in_state = |s: &str| {
        count(&format!(
            "SELECT count(*) FROM appointments WHERE status = '{s}'"
        ))
    };

    // The default period: the last 30 days, ending today in the clinic's zone.
    assert_eq!(r["from"], "2026-10-27");
    assert_eq!(r["to"], "2026-11-25");
    assert_eq!(r["timezone"], "America/Toronto");
    assert_eq!(r["clinic"], "All appointments");

    let f = &r["funnel"];
    assert_eq!(
        n(&f["imported"]),
        count("SELECT count(*) FROM appointments")
    );
    assert_eq!(
        n(&f["contacted"]),
        count("SELECT count(*) FROM appointments WHERE attempt_count > 0")
    );
    assert_eq!(
        n(&f["reached"]),
        count("SELECT count(*) FROM appointments WHERE reached_at IS NOT NULL")
    );
    for state in [
        "confirmed",
        "cancel_requested",
        "failed",
        "expired",
        "withdrawn",
        "opted_out",
    ] {
        assert_eq!(n(&f[state]), in_state(state), "{state}");
    }
    // And what the demo's script says those are.
    let funnel: Vec<i64> = [
        "imported",
        "contacted",
        "reached",
        "confirmed",
        "cancel_requested",
        "failed",
        "expired",
        "withdrawn",
        "opted_out",
    ]
    .iter()
    .map(|k| n(&f[*k]))
    .collect();
    assert_eq!(funnel, [24, 24, 20, 7, 1, 2, 1, 0, 1]);

    // By channel: the appointment's channel now (A1007 and A1015 went from text to call).
    let by_channel = |channel: &str| {
        let q = |cond: &str| {
            count(&format!(
                "SELECT count(*) FROM appointments WHERE channel = '{channel}' {cond}"
            ))
        };
        (
            q(""),
            q("AND attempt_count > 0"),
            q("AND reached_at IS NOT NULL"),
            q("AND status = 'confirmed'"),
        )
    };
    let (sms, call) = (by_channel("sms"), by_channel("call"));
    assert_eq!(
        rates(&r["by_channel"]),
        [
            ("SMS".to_string(), sms.0, sms.1, sms.2, sms.3),
            ("Call".to_string(), call.0, call.1, call.2, call.3)
        ]
    );
    assert_eq!(sms, (8, 8, 7, 5));
    assert_eq!(call, (16, 16, 13, 2));
    // One touch (the default schedule): every contacted appointment, counted once however many
    // attempts it took.
    assert_eq!(
        rates(&r["by_touch"]),
        [("1 day before".to_string(), 24, 24, 20, 7)]
    );
    assert_eq!(
        rates(&r["by_site"]),
        [("All appointments".to_string(), 24, 24, 20, 7)]
    );

    // Every day of the period, the appointments on the 25th.
    let daily = r["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    let last = &daily[29];
    assert_eq!(last["date"], "2026-11-25");
    assert_eq!(
        (
            n(&last["appointments"]),
            n(&last["reached"]),
            n(&last["confirmed"]),
            n(&last["failed"])
        ),
        (24, 20, 7, 2)
    );
    assert!(daily[..29].iter().all(|d| n(&d["appointments"]) == 0));

    // Why attempts failed, in words, against the attempts the database holds.
    let reasons: Vec<(String, i64)> = r["failure_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["reason"].as_str().unwrap().to_string(), n(&x["count"])))
        .collect();
    let logs = |cond: &str| {
        count(&format!(
            "SELECT count(*) FROM appointment_logs WHERE {cond}"
        ))
    };
    let expected = [
        ("no answer", logs("status = 'no-answer'")),
        ("busy", logs("status = 'busy'")),
        ("21211 not a valid phone number", logs("error_code = 21211")),
        (
            "21610 the patient replied STOP: unsubscribed",
            logs("error_code = 21610"),
        ),
        (
            "21614 not a mobile number: cannot take texts",
            logs("error_code = 21614"),
        ),
        (
            "30006 landline or unreachable carrier",
            logs("error_code = 30006"),
        ),
        (
            "call failed",
            logs("status = 'failed' AND channel = 'call' AND error_code IS NULL"),
        ),
    ];
    let expected: Vec<(String, i64)> = expected.iter().map(|(r, c)| (r.to_string(), *c)).collect();
    assert_eq!(reasons, expected);
    // The script: A1006, A1008 ×3, A1018 ×2, A1019 not answering; A1006 and A1016 busy.
    assert_eq!(reasons[0].1, 7);
    assert_eq!(reasons[1].1, 2);

    // Usage: each call and text once, by its SID.
    let u = &r["usage"];
    assert_eq!(
        n(&u["sms_sent"]),
        count("SELECT count(DISTINCT sid) FROM appointment_logs WHERE channel = 'sms'")
    );
    assert_eq!(
        n(&u["calls"]),
        count("SELECT count(DISTINCT sid) FROM appointment_logs WHERE channel = 'call'")
    );
    // Six reminder texts, and the three offers of the slot A1004 gave back.
    assert_eq!((n(&u["sms_sent"]), n(&u["calls"])), (9, 23));
    let wl = &r["waitlist"];
    assert_eq!(
        [
            n(&wl["slots_opened"]),
            n(&wl["offers_sent"]),
            n(&wl["takers"]),
            n(&wl["filled"]),
            n(&wl["closed_unfilled"]),
            n(&wl["expired"]),
        ],
        [1, 3, 2, 1, 0, 0],
        "P601's YES took it; P602's OUI came after"
    );
    assert_eq!(
        n(&u["call_seconds"]),
        count(
            "SELECT sum(d) FROM (SELECT max(duration) AS d FROM appointment_logs
             WHERE channel = 'call' AND sid IS NOT NULL GROUP BY sid)"
        )
    );
    assert_eq!(
        n(&u["sms_segments"]),
        count(
            // A family's one text is three rows with one SID: counted once.
            "SELECT sum(n) FROM (SELECT max(num_segments) AS n FROM appointment_logs
             WHERE channel = 'sms' AND sid IS NOT NULL GROUP BY sid)"
        )
    );
    // The simulator's callbacks carry no price.
    assert_eq!(u["prices"], serde_json::json!([]));

    // To phone by hand on the 25th: the two not reached and the one who asked to cancel, in
    // appointment order, with why, numbers masked.
    assert_eq!(r["to_call_date"], "2026-11-25");
    let calls: Vec<[&str; 5]> = r["to_call"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            [
                c["appointment_id"].as_str().unwrap(),
                c["at_local"].as_str().unwrap(),
                c["state"].as_str().unwrap(),
                c["phone"].as_str().unwrap(),
                c["why"].as_str().unwrap(),
            ]
        })
        .collect();
    assert_eq!(
        calls,
        [
            [
                "A1012",
                "2026-11-25 11:30",
                "failed",
                "+1416***0112",
                "21211 not a valid phone number"
            ],
            [
                "A1004",
                "2026-11-25 12:30",
                "cancel_requested",
                "+1416***0104",
                "pressed 2 on the call (cancel or reschedule)"
            ],
            [
                "A1008",
                "2026-11-25 16:30",
                "failed",
                "+1416***0108",
                "no answer ×3"
            ],
        ]
    );
    assert_eq!(
        in_state("failed") + in_state("cancel_requested"),
        calls.len() as i64
    );
    let shown = json(&w, &["report", "--json", "--show-phone"]);
    assert_eq!(shown["to_call"][0]["phone"], "+14165550112");

    // Day words, both days included; another period holds none of the day.
    let r = json(
        &w,
        &[
            "report",
            "--json",
            "--from",
            "yesterday",
            "--to",
            "tomorrow",
        ],
    );
    assert_eq!(
        (r["from"].as_str(), r["to"].as_str()),
        (Some("2026-11-24"), Some("2026-11-26"))
    );
    assert_eq!(n(&r["funnel"]["imported"]), 24);
    assert_eq!(r["daily"].as_array().unwrap().len(), 3);
    // Up to the 24th: none of the appointments, so none of their calls and texts either
    // (although those of the 24th's evening were made then).
    let r = json(&w, &["report", "--json", "--to", "2026-11-24"]);
    assert_eq!(n(&r["funnel"]["imported"]), 0);
    assert_eq!(n(&r["usage"]["calls"]), 0);
    assert_eq!(r["failure_reasons"], serde_json::json!([]));
}

/// Every field name of `report --json` on a whole simulated day, at any depth.
fn field_names(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                field_names(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| field_names(v, out)),
        _ => {}
    }
}

/// docs/report.md lists the `--json` fields one by one, so a field added to the report without
/// its line there fails here.
#[test]
fn every_json_field_is_listed_in_the_report_doc() {
    let w = simulated_day();
    let r = json(&w, &["report", "--json"]);
    let mut names = Vec::new();
    field_names(&r, &mut names);
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.md"),
    )
    .unwrap();
    let words: std::collections::HashSet<&str> = doc
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    let mut missing: Vec<&String> = names
        .iter()
        .filter(|n| !words.contains(n.as_str()))
        .collect();
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "docs/report.md does not list {missing:?}"
    );
    assert!(names.len() > 40, "{names:?}");
}

#[test]
fn the_page_is_written_whole_owner_only_and_shows_the_days_figures() {
    let w = simulated_day();
    let out = w.run(&["report", "--out", "out/x.html"]);
    // The folder must exist: the report writes a file, it does not make folders.
    assert_eq!(out.code(), 1, "{}", out.stderr());
    std::fs::create_dir(w.join("out")).unwrap();
    // An older report, readable by all, is replaced by an owner-only one.
    std::fs::write(w.join("out/x.html"), "old").unwrap();
    std::fs::set_permissions(w.join("out/x.html"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let said = w.run(&["report", "--out", "out/x.html"]).ok();
    assert!(said.starts_with("out/x.html: 24 appointment(s) from 2026-10-27 to 2026-11-25: 24 contacted, 20 reached (83.3%), 7 confirmed (35.0%), 1 asked to cancel, 2 failed; 3 to phone by hand"), "{said}");
    let page = std::fs::read_to_string(w.join("out/x.html")).unwrap();
    assert_eq!(mode(&w.join("out/x.html")), 0o600);
    let names: Vec<String> = std::fs::read_dir(w.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["x.html"], "no temporary file left beside it");
    assert!(page.starts_with("<!DOCTYPE html>"));
    for shown in [
        "<td>2026-11-25 16:30</td><td>P508<span class=\"sub\">A1008</span></td><td class=\"phone\">+1416***0108</td>",
        "no answer ×3",
        "21211 not a valid phone number",
        "pressed 2 on the call (cancel or reschedule)",
        "For Wednesday 25 Nov 2026, the coming day",
        "<th scope=\"row\">1 day before</th>",
    ] {
        assert!(page.contains(shown), "{shown} not on the page");
    }
    assert!(!page.contains("4165550108"), "numbers are masked");

    // The default file, and JSON to a file: owner-only too.
    w.run(&["report"]).ok();
    assert_eq!(mode(&w.join("report.html")), 0o600);
    let said = w.run(&["report", "--json", "--out", "r.json"]).ok();
    assert!(said.starts_with("r.json: 24 appointment(s)"), "{said}");
    assert_eq!(mode(&w.join("r.json")), 0o600);
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(w.join("r.json")).unwrap()).unwrap();
    assert_eq!(r["funnel"]["imported"], 24);
}

/// A file whose id and message are a script and whose patient id is an image, a number Twilio
/// refuses, and the patient's reply in markup: the evening of the 24th.
fn hostile_day() -> Workdir {
    let sim = twilio::start(EVENING);
    let port = free_port();
    let mut w = Workdir::new();
    twilio::connect(&mut w, &sim, &format!("http://127.0.0.1:{port}"));
    w.write(
        "csv/hostile.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,appointment_msg\n\
         <script>alert(1)</script>,<img src=x onerror=alert(2)>,416-555-0190,n,y,2026-11-25 10:00,<script>alert(1)</script>\n",
    );
    sim.script(
        "+14165550190",
        vec![Step::Refuse {
            http: 400,
            code: 21211,
        }],
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    assert_eq!(twilio::state(&w, "<script>alert(1)</script>"), "failed");
    w.env("REMINDERS_NOW", "2026-11-24T19:30:00-05:00");
    let l = Listener::start_on(&w, port);
    let params = [
        ("MessageSid", "SMin0000000000000000000000000001"),
        ("From", "+14165550190"),
        ("To", twilio::FROM),
        ("Body", "<b>hi</b>"),
    ];
    let sig = listener::sign(
        &format!("http://127.0.0.1:{port}/twilio/sms-inbound"),
        &params,
    );
    let (code, _) = l.post_with(
        "/twilio/sms-inbound",
        &listener::encode(&params),
        Some(&sig),
    );
    assert_eq!(code, 200);
    l.stop();
    w
}

#[test]
fn values_from_the_csv_and_from_patients_show_as_text() {
    let w = hostile_day();
    w.run(&["report", "--out", "hostile.html"]).ok();
    let page = std::fs::read_to_string(w.join("hostile.html")).unwrap();
    let lower = page.to_lowercase();
    for raw in ["<script", "<img", "<b>hi"] {
        assert!(!lower.contains(raw), "{raw} on the page:\n{page}");
    }
    for escaped in [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;img src=x onerror=alert(2)&gt;",
        "21211 not a valid phone number; replied &quot;&lt;b&gt;hi&lt;/b&gt;&quot;",
    ] {
        assert!(page.contains(escaped), "{escaped} not on the page:\n{page}");
    }
    // The JSON is data: the values as they are.
    let r = json(&w, &["report", "--json"]);
    assert_eq!(
        r["to_call"][0]["appointment_id"],
        "<script>alert(1)</script>"
    );
    assert_eq!(
        r["to_call"][0]["why"],
        "21211 not a valid phone number; replied \"<b>hi</b>\""
    );
}

#[test]
fn the_commands_page_renders_in_chromium_and_prints_on_a4() {
    let Some(chromium) = chromium::find_chromium() else {
        println!(
            "chromium not installed: browser check skipped (Debian: apt-get install chromium)"
        );
        return;
    };
    let w = simulated_day();
    w.run(&["report", "--out", "report.html"]).ok();
    let page = std::fs::read_to_string(w.join("report.html")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    chromium::assert_detector_works(&chromium, dir.path(), &page);
    // Kept as docs/report.png with REMINDERS_REPORT_SCREENSHOT_DIR=docs.
    chromium::assert_renders_and_prints_on_a4(&chromium, dir.path(), &w.join("report.html"), true);

    let h = hostile_day();
    h.run(&["report", "--out", "hostile.html"]).ok();
    chromium::assert_renders(&chromium, dir.path(), &h.join("hostile.html"));
}

#[test]
fn sites_are_rows_of_the_report_and_site_narrows_it_to_one_in_its_own_zone() {
    let w = Workdir::new();
    w.write(
        "reminders.toml",
        "[sites.bloor]\nnames = [\"Bloor\"]\nclinic_name = \"Bloor Street Clinic\"\n\
         [sites.west]\nnames = [\"Kitsilano\"]\ntimezone = \"America/Vancouver\"\n\
         clinic_name = \"Kitsilano Clinic\"\n",
    );
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,clinic\n\
         B1,P1,416-555-0201,n,y,2026-11-25 09:00,Bloor\n\
         B2,P2,416-555-0202,n,n,2026-11-25 10:00,Bloor\n\
         W1,P3,604-555-0203,n,y,2026-11-25 09:00,Kitsilano\n",
    );
    w.run(&["import"]).ok();

    let all = json(&w, &["report", "--json", "--to", "tomorrow"]);
    assert_eq!(all["clinic"], "All sites");
    assert_eq!(all["site"], Value::Null);
    assert_eq!(all["timezone"], "America/Toronto");
    assert_eq!(
        rates(&all["by_site"]),
        [
            ("bloor".to_string(), 2, 0, 0, 0),
            ("west".to_string(), 1, 0, 0, 0)
        ]
    );
    assert_eq!(
        rates(&all["by_channel"]),
        [
            ("SMS".to_string(), 2, 0, 0, 0),
            ("Call".to_string(), 1, 0, 0, 0)
        ]
    );

    // One site, named in any case: its figures, its name, its zone (at 19:00 in Toronto it is
    // 16:00 on the 24th in Vancouver, so its today is the 24th too).
    let west = json(
        &w,
        &["report", "--json", "--site", "WEST", "--from", "today"],
    );
    assert_eq!(west["clinic"], "Kitsilano Clinic");
    assert_eq!(west["site"], "west");
    assert_eq!(west["timezone"], "America/Vancouver");
    assert_eq!(west["from"], "2026-11-24");
    assert_eq!(n(&west["funnel"]["imported"]), 0, "the 25th is after today");
    let west = json(
        &w,
        &["report", "--json", "--site", "west", "--to", "tomorrow"],
    );
    assert_eq!(n(&west["funnel"]["imported"]), 1);
    assert_eq!(rates(&west["by_site"]), [("west".to_string(), 1, 0, 0, 0)]);
}

#[test]
fn periods_take_day_words_and_anything_else_is_a_usage_error() {
    let w = Workdir::new();
    for (args, says) in [
        (
            &["--from", "last week"][..],
            "--from: \"last week\" is not a day: use today, tomorrow, yesterday or a date as YYYY-MM-DD",
        ),
        (
            &["--to", "25/11/2026"][..],
            "--to: \"25/11/2026\" is not a day: use today, tomorrow, yesterday or a date as YYYY-MM-DD",
        ),
        (
            &["--to", "2026-02-30"][..],
            "--to: \"2026-02-30\" is not a real date (use today, tomorrow, yesterday or a date as YYYY-MM-DD (e.g. 2026-11-25))",
        ),
        (
            &["--from", "tomorrow", "--to", "yesterday"][..],
            "--from 2026-11-25 is after --to 2026-11-23",
        ),
        (
            &["--site", "bloor"][..],
            "--site \"bloor\": no [sites] are configured",
        ),
    ] {
        let mut full = vec!["report"];
        full.extend_from_slice(args);
        let out = w.run(&full);
        assert_eq!(out.code(), 2, "{args:?}: {}", out.stderr());
        assert!(out.stderr().contains(says), "{args:?}: {}", out.stderr());
    }
    // Good words, but no database: an error naming it, and none created.
    let out = w.run(&["report", "--from", "today"]);
    assert_eq!(out.code(), 1, "{}", out.stderr());
    assert!(
        out.stderr().contains("no database at reminders.db"),
        "{}",
        out.stderr()
    );
    assert!(!w.join("reminders.db").exists());
    assert!(!w.join("report.html").exists());

    // With sites, an unknown one is named with the ones there are.
    let w = Workdir::new();
    w.write(
        "reminders.toml",
        "[sites.bloor]\nnames = [\"Bloor\"]\n[sites.danforth]\nnames = [\"Danforth\"]\n",
    );
    let out = w.run(&["report", "--site", "queen"]);
    assert_eq!(out.code(), 2, "{}", out.stderr());
    assert!(
        out.stderr()
            .contains("--site \"queen\": no such site; the configured sites are bloor, danforth"),
        "{}",
        out.stderr()
    );
}
