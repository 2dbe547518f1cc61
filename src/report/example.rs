//! A made-up month of a two-site clinic, consistent with itself (the daily rows add up to the
//! funnel, the channels and sites to the whole). The tests render it, and `demo` or the README
//! can show it without a database.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::model::{Day, FollowUps, Funnel, HandCall, OptOuts, Price, Rate, Reason, Report, Usage};

impl Report {
    pub fn example() -> Report {
        let from = NaiveDate::from_ymd_opt(2026, 11, 1).expect("a real date");
        let to = NaiveDate::from_ymd_opt(2026, 11, 30).expect("a real date");
        let daily = example_days(from, to);
        let sum = |figure: fn(&Day) -> u64| daily.iter().map(figure).sum::<u64>();
        let imported = sum(|d| d.appointments);
        let reached = sum(|d| d.reached);
        let confirmed = sum(|d| d.confirmed);
        let failed = sum(|d| d.failed);
        // Neither reached nor failed: withdrawn before a touch, expired, opted out.
        let rest = imported - reached - failed;
        let opted_out = 4.min(rest);
        let withdrawn = (rest - opted_out) / 2;
        let expired = rest - opted_out - withdrawn;
        let funnel = Funnel {
            imported,
            contacted: reached + failed + expired + opted_out,
            reached,
            confirmed,
            cancel_requested: reached.saturating_sub(confirmed) / 6,
            failed,
            expired,
            withdrawn,
            opted_out,
            no_show: imported / 40,
        };
        let whole = Rate {
            label: String::new(),
            appointments: funnel.imported,
            contacted: funnel.contacted,
            reached: funnel.reached,
            confirmed: funnel.confirmed,
        };
        let (sms, call) = split(&whole, "SMS", "Call", 65, 70, 72);
        let (bloor, danforth) = split(&whole, "Bloor", "Danforth", 58, 57, 60);
        let touch = |label: &str, share: u64, reach: u64, confirm: u64| {
            let contacted = whole.contacted * share / 100;
            let reached = contacted * reach / 100;
            Rate {
                label: label.to_string(),
                appointments: whole.appointments * share / 100,
                contacted,
                reached,
                confirmed: reached * confirm / 100,
            }
        };
        Report {
            to_call_date: to + Days::new(1),
            clinic: "Riverside Family Health".to_string(),
            site: None,
            timezone: "America/Toronto".to_string(),
            from,
            to,
            generated_at: "2026-11-30 18:05 EST".to_string(),
            funnel,
            // The appointments an opt-out stopped, and as many numbers again whose opt-out
            // came after a reminder reached them.
            opt_outs: OptOuts {
                numbers: opted_out * 2,
                after_reached: opted_out,
            },
            follow_ups: FollowUps {
                voicemail_texts: reached / 12,
                no_show_messages: imported / 40,
                clinic_notices: 3,
            },
            holds: Vec::new(),
            waitlist: super::waitlist::Waitlist {
                slots_opened: 14,
                offers_sent: 47,
                takers: 12,
                filled: 11,
                closed_unfilled: 2,
                expired: 1,
                still_open: 0,
                median_minutes_to_taken: Some(18.5),
            },
            by_channel: vec![sms, call],
            by_touch: vec![
                touch("Touch 1 (3 days before)", 100, 71, 52),
                touch("Touch 2 (1 day before)", 41, 66, 47),
            ],
            by_site: vec![bloor, danforth],
            daily,
            failure_reasons: vec![
                reason("no answer", failed * 45 / 100),
                reason("busy", failed * 15 / 100),
                reason("30006 landline or unreachable carrier", failed * 12 / 100),
                reason("voicemail (not counted as reached)", failed * 10 / 100),
                reason("30003 unreachable handset", failed * 8 / 100),
                reason("21211 invalid number", failed * 5 / 100),
                reason("call failed", failed * 5 / 100),
            ],
            usage: Usage {
                sms_sent: 812,
                sms_segments: 1009,
                calls: 301,
                call_seconds: 14_527,
                prices: vec![Price {
                    unit: "USD".to_string(),
                    amount: 16.4213,
                }],
            },
            to_call: vec![
                hand_call(
                    "A-10482",
                    "P-2291",
                    "Bloor",
                    "2026-12-01 08:30",
                    "failed",
                    "+1416***0123",
                    "no answer ×3",
                ),
                hand_call(
                    "A-10490",
                    "P-0847",
                    "Bloor",
                    "2026-12-01 09:15",
                    "cancel_requested",
                    "+1647***4410",
                    "replied: \"My daughter is sick, can we move it to Friday?\"",
                ),
                hand_call(
                    "A-10511",
                    "P-3310",
                    "Danforth",
                    "2026-12-01 10:00",
                    "failed",
                    "+1416***8802",
                    "30006 landline or unreachable carrier, then no answer ×2",
                ),
                hand_call(
                    "A-10533",
                    "P-1175",
                    "Danforth",
                    "2026-12-01 13:45",
                    "failed",
                    "+1905***2216",
                    "21211 invalid number: fix the number in the clinic's system",
                ),
                hand_call(
                    "A-10540",
                    "P-0420",
                    "Bloor",
                    "2026-12-01 15:30",
                    "cancel_requested",
                    "+1416***7731",
                    "pressed 2 (cancel or reschedule)",
                ),
            ],
        }
    }
}

/// A busy weekday clinic, a short Saturday, closed on Sundays.
fn example_days(from: NaiveDate, to: NaiveDate) -> Vec<Day> {
    let mut days = Vec::new();
    let mut date = from;
    let mut i = 0u64;
    while date <= to {
        let appointments = match date.weekday() {
            Weekday::Sun => 0,
            Weekday::Sat => 12 + i % 5,
            _ => 38 + i * 7 % 11,
        };
        let failed = if appointments == 0 { 0 } else { 1 + i * 3 % 4 };
        let reached = appointments.saturating_sub(failed + i % 3);
        days.push(Day {
            date,
            appointments,
            reached,
            confirmed: reached * (58 + i * 5 % 17) / 100,
            failed,
        });
        date = date + Days::new(1);
        i += 1;
    }
    days
}

/// `whole` split in two rows: `appointments` share, then `reach` and `confirm` shares of the
/// first row's steps; the second row gets the rest, so the rows add up to the whole.
fn split(
    whole: &Rate,
    first: &str,
    second: &str,
    share: u64,
    reach: u64,
    confirm: u64,
) -> (Rate, Rate) {
    let a = Rate {
        label: first.to_string(),
        appointments: whole.appointments * share / 100,
        contacted: whole.contacted * share / 100,
        reached: whole.reached * reach / 100,
        confirmed: whole.confirmed * confirm / 100,
    };
    let b = Rate {
        label: second.to_string(),
        appointments: whole.appointments - a.appointments,
        contacted: whole.contacted - a.contacted,
        reached: whole.reached - a.reached,
        confirmed: whole.confirmed - a.confirmed,
    };
    (a, b)
}

fn reason(reason: &str, count: u64) -> Reason {
    Reason {
        reason: reason.to_string(),
        count,
    }
}

fn hand_call(
    appointment_id: &str,
    patient_id: &str,
    site: &str,
    at_local: &str,
    state: &str,
    phone: &str,
    why: &str,
) -> HandCall {
    HandCall {
        appointment_id: appointment_id.to_string(),
        patient_id: patient_id.to_string(),
        site: Some(site.to_string()),
        at_local: at_local.to_string(),
        state: state.to_string(),
        phone: phone.to_string(),
        why: why.to_string(),
    }
}
