//! Opt-outs by hand and where opt-outs show: `opt-out`/`opt-in` go the way a STOP or START reply
//! goes (a run then leaves the number alone, or contacts it again), `status opt-outs` lists the
//! numbers opted out in every format, and an opt-out that came after a reminder reached the
//! patient counts in the report and in `status --check`.

use reminders::twilio::simulator::Step;

use crate::common::EVENING;
use crate::common::twilio::{clinic, state, window};

const TWO_PATIENTS: &str = "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n\
     A1,P1,416-555-0101,n,y,2026-11-25 09:00\n\
     A2,P2,416-555-0102,n,y,2026-11-25 10:00\n";

fn opted_out_json(w: &crate::common::Workdir, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["status", "opt-outs", "--json"];
    args.extend(extra);
    serde_json::from_str(&w.run(&args).ok()).expect("status opt-outs --json")
}

#[test]
fn an_opt_out_by_hand_keeps_send_away_and_an_opt_in_brings_it_back() {
    let (mut w, sim, port) = clinic("");
    w.write("csv/day.csv", TWO_PATIENTS);
    w.run(&["import"]).ok();

    let said = w
        .run(&[
            "opt-out",
            "416-555-0101",
            "--reason",
            "asked at the front desk",
        ])
        .ok();
    assert!(said.contains("+1416***0101"), "{said}");
    assert!(!said.contains("5550101"), "unmasked number: {said}");
    assert!(said.contains("1 appointment(s)"), "{said}");
    assert_eq!(state(&w, "A1"), "opted_out");

    // A number that is not one: a usage error naming it, and nothing recorded.
    let bad = w.run(&["opt-out", "555-12"]);
    assert_eq!(bad.code(), 2, "{}", bad.stderr());
    assert!(bad.stderr().contains("\"555-12\""), "{}", bad.stderr());
    assert_eq!(w.count("SELECT count(*) FROM opt_outs"), 1);

    window(&mut w, &sim, port, EVENING, &["send"]);
    assert!(
        sim.creates_to("+14165550101").is_empty(),
        "opted out, yet contacted"
    );
    assert_eq!(sim.creates_to("+14165550102").len(), 1);

    // Listed, masked, with how and why, in the table, JSON and CSV.
    let table = w.run(&["status", "opt-outs"]).ok();
    for words in [
        "+1416***0101",
        "by hand",
        "asked at the front desk",
        "2026-11-24 19:0",
    ] {
        assert!(table.contains(words), "{words:?} missing:\n{table}");
    }
    assert!(!table.contains("+14165550101"), "{table}");
    let mut json = opted_out_json(&w, &[]);
    // REMINDERS_NOW set the start; the clock has moved on a little since.
    let when = json[0]["opted_out_at"].take();
    assert!(
        when.as_str()
            .is_some_and(|t| t.starts_with("2026-11-25T00:0")),
        "{when}"
    );
    assert_eq!(
        json,
        serde_json::json!([{
            "phone_number": "+1416***0101",
            "opted_out_at": null,
            "source": "by hand",
            "words": "asked at the front desk",
        }])
    );
    assert_eq!(
        opted_out_json(&w, &["--show-phone"])[0]["phone_number"],
        "+14165550101"
    );
    let csv = w.run(&["status", "opt-outs", "--csv"]).ok();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        rows.headers().unwrap().iter().collect::<Vec<_>>(),
        ["phone", "since", "source", "words"]
    );
    let rows: Vec<Vec<String>> = rows
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    // A leading `+` gets a `'` in every CSV view, so no spreadsheet reads a formula.
    assert_eq!(
        rows,
        [[
            "'+1416***0101",
            "2026-11-24 19:00",
            "by hand",
            "asked at the front desk"
        ]]
    );

    // Back in: the next send contacts the number; the history keeps both.
    let said = w.run(&["opt-in", "+1 (416) 555-0101"]).ok();
    assert!(
        said.contains("+1416***0101") && said.contains("1 upcoming"),
        "{said}"
    );
    assert_eq!(opted_out_json(&w, &[]), serde_json::json!([]));
    assert_eq!(state(&w, "A1"), "pending");
    window(&mut w, &sim, port, "2026-11-24T19:30:00-05:00", &["send"]);
    assert_eq!(sim.creates_to("+14165550101").len(), 1);
    assert_eq!(sim.creates_to("+14165550102").len(), 1, "nobody twice");
    assert_eq!(
        w.count(
            "SELECT count(*) FROM opt_outs WHERE phone_number = '+14165550101' AND source = 'by hand'"
        ),
        2
    );
}

#[test]
fn a_stop_after_the_reminder_reached_the_patient_counts_in_the_report_and_the_check() {
    let (mut w, sim, port) = clinic("");
    w.write("csv/day.csv", TWO_PATIENTS);
    sim.script(
        "+14165550101",
        vec![Step::Deliver {
            reply: Some("STOP"),
        }],
    );
    window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    // Reached first: the STOP does not undo that, but the number is opted out from now on.
    assert_eq!(state(&w, "A1"), "reached");
    assert_eq!(opted_out_json(&w, &[])[0]["source"], "reply");

    let json: serde_json::Value = serde_json::from_str(
        &w.run(&[
            "report",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-25",
            "--json",
        ])
        .ok(),
    )
    .unwrap();
    assert_eq!(
        json["opt_outs"],
        serde_json::json!({"numbers": 1, "after_reached": 1}),
        "{json:#}"
    );
    w.run(&[
        "report",
        "--from",
        "2026-11-24",
        "--to",
        "2026-11-25",
        "--out",
        "r.html",
    ])
    .ok();
    let html = std::fs::read_to_string(w.join("r.html")).unwrap();
    assert!(
        html.contains(
            "<p class=\"optouts\">Numbers that opted out <b>1</b> (1 after a reminder had reached them)</p>"
        ),
        "{html}"
    );

    // `--check` tells the staff: this patient wants no more reminders.
    let check = w.run(&["status", "--check", "--json"]);
    assert_eq!(check.code(), 1, "{}", check.stderr());
    let items: serde_json::Value = serde_json::from_str(&check.stdout()).unwrap();
    let item = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "opted_out_after_reminder")
        .unwrap_or_else(|| panic!("no opt-out item: {items:#}"));
    assert_eq!(item["subject"], "appointment A1 (patient P1)");
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("remind them another way"),
        "{item}"
    );
}
