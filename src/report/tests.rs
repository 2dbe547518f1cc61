//! The page as a reader meets it: every figure of the example is on it, hostile CSV and patient
//! text shows as text, nothing points outside the page, and an empty period still reads well.

use chrono::NaiveDate;

use super::html::{count, percent};
use super::*;

/// A value that would run a script, or break out of an attribute, if it were not escaped.
const HOSTILE: &str = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>&amp;"#;
const HOSTILE_ESCAPED: &str =
    "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;";

/// The example report (`Report::example`), for tests elsewhere in the crate.
pub(crate) fn sample() -> Report {
    Report::example()
}

/// Every text field that the clinic's CSV or a patient can fill, filled with `HOSTILE`.
pub(crate) fn hostile() -> Report {
    let mut r = sample();
    let h = || HOSTILE.to_string();
    r.clinic = h();
    r.site = Some(h());
    r.timezone = h();
    r.generated_at = h();
    r.by_channel[0].label = h();
    r.by_touch[0].label = h();
    r.by_site[0].label = h();
    r.failure_reasons[0].reason = h();
    r.to_call[0] = HandCall {
        appointment_id: h(),
        patient_id: h(),
        site: Some(h()),
        at_local: h(),
        state: h(),
        phone: h(),
        why: h(),
    };
    r
}

pub(crate) fn empty() -> Report {
    let day = NaiveDate::from_ymd_opt(2026, 11, 1).expect("a real date");
    Report {
        clinic: "All sites".to_string(),
        site: None,
        timezone: "America/Toronto".to_string(),
        from: day,
        to: day,
        generated_at: "2026-11-01 07:00 EDT".to_string(),
        funnel: Funnel::default(),
        opt_outs: OptOuts::default(),
        follow_ups: Default::default(),
        holds: Vec::new(),
        waitlist: Default::default(),
        by_channel: vec![],
        by_touch: vec![],
        by_site: vec![],
        daily: vec![],
        failure_reasons: vec![],
        usage: Usage::default(),
        to_call: vec![],
        to_call_date: day,
    }
}

/// The page's text as a reader sees it: tags become spaces, runs of space one space, and the
/// few entities maud writes are read back.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The insides of the page's tags, the text left out.
fn tags(html: &str) -> String {
    html.split('<')
        .skip(1)
        .filter_map(|piece| piece.split_once('>').map(|(tag, _)| tag))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_shows(page: &str, expected: &str) {
    assert!(
        page.contains(expected),
        "the page does not show {expected:?}:\n{page}"
    );
}

#[test]
fn every_figure_of_the_example_is_on_the_page() {
    let r = sample();
    let page = text(&render(&r));
    assert_shows(&page, "Appointment reminders Riverside Family Health");
    assert_shows(&page, "1 Nov 2026 – 30 Nov 2026 Times in America/Toronto");
    assert_shows(&page, "Generated 2026-11-30 18:05 EST");

    let f = &r.funnel;
    let steps = [
        ("Imported", f.imported),
        ("Contacted", f.contacted),
        ("Reached", f.reached),
        ("Confirmed", f.confirmed),
        ("Cancel requested", f.cancel_requested),
        ("Failed", f.failed),
        ("Expired", f.expired),
        ("Withdrawn", f.withdrawn),
        ("Stopped by opt-out", f.opted_out),
    ];
    for (label, n) in steps {
        let share = percent(Some(n as f64 / f.imported as f64));
        assert_shows(&page, &format!("{label} {} {share}", count(n)));
    }
    assert_shows(
        &page,
        &format!(
            "Numbers that opted out {} ({} after a reminder had reached them)",
            count(r.opt_outs.numbers),
            count(r.opt_outs.after_reached)
        ),
    );
    for rate in r.by_channel.iter().chain(&r.by_touch).chain(&r.by_site) {
        assert_shows(
            &page,
            &format!(
                "{} {} {} {} {} {} {}",
                rate.label,
                count(rate.appointments),
                count(rate.contacted),
                count(rate.reached),
                percent(rate.reach_rate()),
                count(rate.confirmed),
                percent(rate.confirm_rate()),
            ),
        );
    }
    for day in &r.daily {
        assert_shows(
            &page,
            &format!(
                "{}: {} appointments, {} reached, {} confirmed, {} failed",
                day.date.format("%a %-d %b %Y"),
                day.appointments,
                day.reached,
                day.confirmed,
                day.failed
            ),
        );
    }
    let total: u64 = r.failure_reasons.iter().map(|x| x.count).sum();
    for reason in &r.failure_reasons {
        let share = percent(Some(reason.count as f64 / total as f64));
        assert_shows(
            &page,
            &format!("{} {} {share}", reason.reason, reason.count),
        );
    }
    assert_shows(
        &page,
        "SMS sent 812 SMS segments 1,009 Calls 301 Call minutes 242.1",
    );
    assert_shows(&page, "Twilio price 16.42 USD");
    for c in &r.to_call {
        let status = match c.state.as_str() {
            "failed" => "Not reached",
            _ => "Asked to cancel",
        };
        let site = c.site.as_deref().unwrap_or("—");
        assert_shows(
            &page,
            &format!(
                "{} {site} {} {} {} {status} {}",
                c.at_local, c.patient_id, c.appointment_id, c.phone, c.why
            ),
        );
    }
    assert_shows(&page, &format!("{} to phone by hand", r.to_call.len()));
    assert_shows(
        &page,
        "For Tuesday 1 Dec 2026, the coming day: reminders that failed",
    );
}

#[test]
fn hostile_values_show_as_text_in_every_section() {
    let html = render(&hostile());
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "{html}");
    assert!(!lower.contains("<img"), "{html}");
    // clinic (title and heading), site, zone, generated, three rate labels, a reason, and the
    // seven fields of a hand call.
    assert_eq!(
        html.matches(HOSTILE_ESCAPED).count(),
        2 + 1 + 1 + 1 + 3 + 1 + 7,
        "{html}"
    );
    let sections: Vec<&str> = html.split("<h2>").collect();
    for heading in ["Reach and confirmation", "Why patients", "To phone by hand"] {
        let section = sections
            .iter()
            .find(|s| s.starts_with(heading))
            .unwrap_or_else(|| panic!("no section {heading}"));
        assert!(
            section.contains(HOSTILE_ESCAPED),
            "{heading} shows the value raw"
        );
    }
    assert_shows(&text(&html), HOSTILE);
}

#[test]
fn the_page_stands_alone() {
    for report in [sample(), hostile(), empty()] {
        let html = render(&report).to_lowercase();
        for outside in ["<script", "http://", "https://"] {
            assert!(!html.contains(outside), "{outside} in the page");
        }
        // Within tags and the stylesheet (a hostile value may well say `src=` as text).
        let markup = tags(&html) + super::html::CSS;
        for outside in ["src=", "href=", "url(", "@import", "//"] {
            assert!(!markup.contains(outside), "{outside} in the page's markup");
        }
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("content-security-policy"));
        assert!(html.contains("<style>") && html.contains("@page { size: a4; margin: 15mm; }"));
        assert!(html.contains("@media print"));
    }
}

#[test]
fn the_chart_in_the_page_is_well_formed_svg() {
    for report in [sample(), hostile(), empty()] {
        let html = render(&report);
        let start = html.find("<svg").expect("an svg in the page");
        let end = html.find("</svg>").expect("the svg closes") + "</svg>".len();
        assert_eq!(html.matches("<svg").count(), 1);
        let svg = &html[start..end];
        let mut reader = quick_xml::Reader::from_str(svg);
        let mut depth = 0i32;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Start(_)) => depth += 1,
                Ok(quick_xml::events::Event::End(_)) => depth -= 1,
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("the chart is not well-formed: {e}\n{svg}"),
            }
        }
        assert_eq!(depth, 0);
    }
}

#[test]
fn json_has_the_documented_keys() {
    let json = serde_json::to_value(sample()).expect("a report serializes");
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        k.sort();
        k
    };
    let sorted = |list: &[&str]| {
        let mut k: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&json),
        sorted(&[
            "clinic",
            "site",
            "timezone",
            "from",
            "to",
            "generated_at",
            "funnel",
            "opt_outs",
            "follow_ups",
            "holds",
            "waitlist",
            "by_channel",
            "by_touch",
            "by_site",
            "daily",
            "failure_reasons",
            "usage",
            "to_call",
            "to_call_date",
        ])
    );
    assert_eq!(json["from"], "2026-11-01");
    assert_eq!(json["to"], "2026-11-30");
    assert_eq!(json["site"], serde_json::Value::Null);
    assert_eq!(
        keys(&json["funnel"]),
        sorted(&[
            "imported",
            "contacted",
            "reached",
            "confirmed",
            "cancel_requested",
            "failed",
            "expired",
            "withdrawn",
            "opted_out",
            "no_show",
        ])
    );
    assert_eq!(
        keys(&json["follow_ups"]),
        sorted(&["voicemail_texts", "no_show_messages", "clinic_notices"])
    );
    assert_eq!(
        keys(&json["waitlist"]),
        sorted(&[
            "slots_opened",
            "offers_sent",
            "takers",
            "filled",
            "closed_unfilled",
            "expired",
            "still_open",
            "median_minutes_to_taken",
        ])
    );
    assert_eq!(
        keys(&json["opt_outs"]),
        sorted(&["numbers", "after_reached"])
    );
    let rate = sorted(&["label", "appointments", "contacted", "reached", "confirmed"]);
    for list in ["by_channel", "by_touch", "by_site"] {
        assert_eq!(keys(&json[list][0]), rate, "{list}");
    }
    assert_eq!(
        keys(&json["daily"][0]),
        sorted(&["date", "appointments", "reached", "confirmed", "failed"])
    );
    assert_eq!(json["daily"][0]["date"], "2026-11-01");
    assert_eq!(
        keys(&json["failure_reasons"][0]),
        sorted(&["reason", "count"])
    );
    assert_eq!(
        keys(&json["usage"]),
        sorted(&[
            "sms_sent",
            "sms_segments",
            "calls",
            "call_seconds",
            "prices"
        ])
    );
    assert_eq!(
        keys(&json["usage"]["prices"][0]),
        sorted(&["unit", "amount"])
    );
    assert_eq!(
        keys(&json["to_call"][0]),
        sorted(&[
            "appointment_id",
            "patient_id",
            "site",
            "at_local",
            "state",
            "phone",
            "why"
        ])
    );
    assert_eq!(json["to_call"][0]["state"], "failed");
    assert_eq!(json["to_call_date"], "2026-12-01");
}

#[test]
fn an_empty_period_reads_as_empty_not_broken() {
    let html = render(&empty());
    let page = text(&html);
    assert_shows(&page, "All sites 1 Nov 2026 Times in America/Toronto");
    assert_shows(&page, "0 appointments — reached, of those contacted");
    assert_shows(&page, "Imported 0 — Contacted 0 —");
    assert_eq!(page.matches("No data for this period.").count(), 3);
    assert_shows(&page, "No appointments in this period");
    assert_shows(&page, "No failed attempts in this period.");
    assert_shows(&page, "SMS sent 0 SMS segments 0 Calls 0 Call minutes 0.0");
    assert_shows(&page, "Twilio price not reported by Twilio");
    assert_shows(&page, "Nobody to call by hand for Sunday 1 Nov 2026.");
    for bad in ["NaN", "inf", "width:NaN"] {
        assert!(!html.contains(bad), "{bad} in the empty page");
    }
}

#[test]
fn the_example_adds_up() {
    let r = sample();
    let f = &r.funnel;
    let sum = |figure: fn(&Day) -> u64| r.daily.iter().map(figure).sum::<u64>();
    assert_eq!(sum(|d| d.appointments), f.imported);
    assert_eq!(sum(|d| d.reached), f.reached);
    assert_eq!(sum(|d| d.confirmed), f.confirmed);
    assert_eq!(sum(|d| d.failed), f.failed);
    assert!(f.imported >= f.contacted && f.contacted >= f.reached && f.reached >= f.confirmed);
    assert!(f.confirmed + f.cancel_requested <= f.reached);
    assert_eq!(
        f.reached + f.failed + f.expired + f.withdrawn + f.opted_out,
        f.imported
    );
    for rows in [&r.by_channel, &r.by_site] {
        assert_eq!(rows.iter().map(|x| x.appointments).sum::<u64>(), f.imported);
        assert_eq!(rows.iter().map(|x| x.reached).sum::<u64>(), f.reached);
    }
    for x in r.by_channel.iter().chain(&r.by_touch).chain(&r.by_site) {
        assert!(
            x.appointments >= x.contacted && x.contacted >= x.reached,
            "{x:?}"
        );
        assert!(x.reached >= x.confirmed, "{x:?}");
    }
}
