//! The report as one self-contained HTML page: the stylesheet and the chart are
//! inline, there is no script, and nothing names another address, so the page reads the same
//! from an e-mail attachment, a USB stick or a printer. maud escapes every value written into
//! it, which matters here: site names, reasons and the hand-call rows come from the clinic's
//! CSV and from patients' replies.

use chrono::NaiveDate;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::chart::trend_svg;
use super::model::{FollowUps, Funnel, HandCall, HoldCount, OptOuts, Rate, Report, Usage, ratio};

pub(super) const CSS: &str = include_str!("report.css");

/// Even if a value slipped past escaping, the browser would run no script and fetch nothing.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";

pub fn render(report: &Report) -> String {
    let period = if report.from == report.to {
        long_date(report.from)
    } else {
        format!("{} – {}", long_date(report.from), long_date(report.to))
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Reminders report: " (report.clinic) ", " (period) }
                style { (PreEscaped(CSS)) }
            }
            body {
                main {
                    (header(report, &period))
                    (headline(report))
                    section {
                        h2 { "From import to answer" }
                        p.note { "The appointments dated in this period, and how each one ended." }
                        (funnel(&report.funnel))
                        (opt_outs(&report.opt_outs))
                        (follow_ups(&report.follow_ups))
                        (holds(&report.holds))
                    }
                    (super::waitlist::section(&report.waitlist))
                    section {
                        h2 { "Reach and confirmation" }
                        p.note {
                            "Reach rate: reached out of contacted. "
                            "Confirmation rate: confirmed out of reached."
                        }
                        (rates("By channel", &report.by_channel))
                        (rates("By touch", &report.by_touch))
                        (rates("By site", &report.by_site))
                    }
                    section.chart {
                        h2 { "Day by day" }
                        (trend_svg(&report.daily))
                    }
                    section {
                        h2 { "Why patients were not reached" }
                        (reasons(report))
                    }
                    section {
                        h2 { "Usage" }
                        (usage(&report.usage))
                    }
                    section.calls {
                        h2 { "To phone by hand" }
                        (hand_calls(&report.to_call, report.to_call_date))
                    }
                }
            }
        }
    }
    .into_string()
}

fn header(report: &Report, period: &str) -> Markup {
    html! {
        header {
            p.kicker { "Appointment reminders" }
            h1 { (report.clinic) }
            p.meta {
                span { (period) }
                @if let Some(site) = &report.site { span { "Site: " (site) } }
                span { "Times in " (report.timezone) }
                span { "Generated " (report.generated_at) }
            }
        }
    }
}

/// The four figures a manager looks for first.
fn headline(report: &Report) -> Markup {
    let f = &report.funnel;
    html! {
        div.tiles {
            div.tile { b { (count(f.imported)) } span { "appointments" } }
            div.tile {
                b { (percent(ratio(f.reached, f.contacted))) }
                span { "reached, of those contacted" }
            }
            div.tile {
                b { (percent(ratio(f.confirmed, f.reached))) }
                span { "confirmed, of those reached" }
            }
            div.tile { b { (count(report.to_call.len() as u64)) } span { "to phone by hand" } }
        }
    }
}

fn funnel(f: &Funnel) -> Markup {
    let chain = [
        ("Imported", f.imported, "step"),
        ("Contacted", f.contacted, "step"),
        ("Reached", f.reached, "step"),
    ];
    let ends = [
        ("Confirmed", f.confirmed, "good"),
        ("Cancel requested", f.cancel_requested, "warn"),
        ("Failed", f.failed, "bad"),
        ("Expired", f.expired, "quiet"),
        ("Withdrawn", f.withdrawn, "quiet"),
        ("Missed (no show)", f.no_show, "bad"),
        ("Stopped by opt-out", f.opted_out, "quiet"),
    ];
    let row = |(label, n, class): (&str, u64, &str)| {
        let share = ratio(n, f.imported);
        let width = share.unwrap_or(0.0).clamp(0.0, 1.0) * 100.0;
        html! {
            tr {
                th scope="row" { (label) }
                td.bar {
                    div.track { div class={"fill " (class)} style={"width:" (format!("{width:.1}")) "%"} {} }
                }
                td.n { (count(n)) }
                td.n.muted { (percent(share)) }
            }
        }
    };
    html! {
        table.funnel {
            thead {
                tr { th { "Step" } th { span.sr { "Bar" } } th.n { "Appointments" } th.n { "Of imported" } }
            }
            tbody { @for step in chain { (row(step)) } }
            tbody.ends {
                tr.group { th colspan="4" { "How they ended" } }
                @for step in ends { (row(step)) }
            }
        }
    }
}

/// Numbers, beside the funnel's appointments: a patient who replies STOP to a reminder that
/// reached them has an appointment that ended "reached", yet no longer gets reminders.
fn opt_outs(o: &OptOuts) -> Markup {
    html! {
        p.optouts {
            "Numbers that opted out " b { (count(o.numbers)) }
            " (" (count(o.after_reached)) " after a reminder had reached them)"
        }
    }
}

/// Messages, beside the funnel's appointments: what followed the reminders.
fn follow_ups(f: &FollowUps) -> Markup {
    html! {
        p.optouts {
            "After the reminder: " b { (count(f.voicemail_texts)) } " text(s) after a voicemail, "
            b { (count(f.no_show_messages)) } " message(s) after a missed visit, "
            b { (count(f.clinic_notices)) } " notice(s) of a cancellation by the clinic"
        }
    }
}

/// Contacts the rules of contact held (a cap per number, a profile's lengths): said only when
/// there were any.
fn holds(h: &[HoldCount]) -> Markup {
    if h.is_empty() {
        return html! {};
    }
    fn words(rule: &str) -> &str {
        match rule {
            "per_day" => "the cap a day",
            "per_week" => "the cap a week",
            "text_length" => "a text too long",
            "call_length" => "a call too long",
            other => other,
        }
    }
    let parts: Vec<String> = h
        .iter()
        .map(|c| format!("{} by {}", count(c.count), words(&c.rule)))
        .collect();
    html! {
        p.holds {
            "Held by the rules of contact, tried again later: " (parts.join(", "))
        }
    }
}

fn rates(title: &str, rows: &[Rate]) -> Markup {
    if rows.is_empty() {
        return html! { h3 { (title) } p.empty { "No data for this period." } };
    }
    html! {
        h3 { (title) }
        table.rates {
            thead {
                tr {
                    th { "" }
                    th.n { "Appointments" }
                    th.n { "Contacted" }
                    th.n { "Reached" }
                    th.n { "Reach rate" }
                    th.n { "Confirmed" }
                    th.n { "Confirmation rate" }
                }
            }
            tbody {
                @for r in rows {
                    tr {
                        th scope="row" { (r.label) }
                        td.n { (count(r.appointments)) }
                        td.n { (count(r.contacted)) }
                        td.n { (count(r.reached)) }
                        td.n.rate { (percent(r.reach_rate())) }
                        td.n { (count(r.confirmed)) }
                        td.n.rate { (percent(r.confirm_rate())) }
                    }
                }
            }
        }
    }
}

fn reasons(report: &Report) -> Markup {
    let total: u64 = report.failure_reasons.iter().map(|r| r.count).sum();
    if report.failure_reasons.is_empty() {
        return html! { p.empty { "No failed attempts in this period." } };
    }
    html! {
        table.reasons {
            thead { tr { th { "Reason" } th.n { "Count" } th.n { "Share" } } }
            tbody {
                @for r in &report.failure_reasons {
                    tr {
                        td { (r.reason) }
                        td.n { (count(r.count)) }
                        td.n.muted { (percent(ratio(r.count, total))) }
                    }
                }
            }
        }
    }
}

fn usage(u: &Usage) -> Markup {
    html! {
        p.note {
            "The calls and texts about these appointments; one about several appointments counts once."
        }
        dl.usage {
            div { dt { "SMS sent" } dd { (count(u.sms_sent)) } }
            div { dt { "SMS segments" } dd { (count(u.sms_segments)) } }
            div { dt { "Calls" } dd { (count(u.calls)) } }
            div { dt { "Call minutes" } dd { (format!("{:.1}", u.call_minutes())) } }
            div.price {
                dt { "Twilio price" }
                @if u.prices.is_empty() {
                    dd.muted { "not reported by Twilio" }
                } @else {
                    @for p in &u.prices { dd { (money(p.amount)) " " (p.unit) } }
                }
            }
        }
    }
}

fn hand_calls(calls: &[HandCall], day: NaiveDate) -> Markup {
    let day = day.format("%A %-d %b %Y").to_string();
    if calls.is_empty() {
        return html! { p.empty { "Nobody to call by hand for " (day) "." } };
    }
    // Four columns, each holding what is read together, so the list fits an A4 page across.
    html! {
        p.note {
            "For " (day) ", the coming day: reminders that failed, and patients who asked to cancel."
        }
        table.calls {
            thead {
                tr {
                    th.when { "When" }
                    th.who { "Patient, appointment" }
                    th.phone { "Phone" }
                    th { "Why" }
                }
            }
            tbody {
                @for c in calls {
                    tr {
                        td {
                            (c.at_local)
                            @if let Some(site) = &c.site { span.sub { (site) } }
                        }
                        td { (c.patient_id) span.sub { (c.appointment_id) } }
                        td.phone { (c.phone) }
                        td { (state_badge(&c.state)) " " (c.why) }
                    }
                }
            }
        }
    }
}

fn state_badge(state: &str) -> Markup {
    match state {
        "failed" => html! { span.badge.bad { "Not reached" } },
        "cancel_requested" => html! { span.badge.warn { "Asked to cancel" } },
        other => html! { span.badge { (other) } },
    }
}

/// `12480` → "12,480".
pub(super) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "87.5%", "100%", or "—" when there was nothing to divide by.
pub(super) fn percent(share: Option<f64>) -> String {
    match share {
        Some(s) if s.is_finite() => {
            let text = format!("{:.1}", s * 100.0);
            format!("{}%", text.strip_suffix(".0").unwrap_or(&text))
        }
        _ => "—".to_string(),
    }
}

/// Two decimals, or four for a total under one unit (a handful of SMS costs fractions of a cent).
fn money(amount: f64) -> String {
    if !amount.is_finite() {
        "—".to_string()
    } else if amount.abs() < 1.0 && amount != 0.0 {
        format!("{amount:.4}")
    } else {
        format!("{amount:.2}")
    }
}

fn long_date(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(percent(Some(0.875)), "87.5%");
        assert_eq!(percent(Some(1.0)), "100%");
        assert_eq!(percent(Some(0.0)), "0%");
        assert_eq!(percent(None), "—");
        assert_eq!(percent(Some(f64::NAN)), "—");
        assert_eq!(money(16.4213), "16.42");
        assert_eq!(money(0.0079), "0.0079");
        assert_eq!(money(0.0), "0.00");
        assert_eq!(money(f64::INFINITY), "—");
    }
}
