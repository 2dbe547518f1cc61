use super::*;
use crate::report::days::{day_of, time_key};

const TZ: Tz = chrono_tz::America::Toronto;

fn settings() -> Settings {
    Settings {
        tz: TZ,
        from: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        voicemail_counts: true,
    }
}

fn span(first: i64, last: i64) -> Span {
    Span {
        count: last - first + 1,
        first,
        last,
    }
}

fn appt<'a>(id: i64, status: &'a str, channel: &'a str, at: &'a str) -> AppointmentRow<'a> {
    AppointmentRow {
        id,
        status: State::parse(status).unwrap(),
        channel: Channel::parse(channel).unwrap(),
        site: "",
        at,
        contacted: true,
        reached: matches!(status, "reached" | "confirmed" | "cancel_requested"),
        created_at: "2026-11-20T23:00:00Z",
    }
}

fn attempt<'a>(appointment: i64, touch: i64, channel: &'a str, status: &'a str) -> AttemptRow<'a> {
    AttemptRow {
        appointment,
        touch_days: Some(touch),
        channel: Channel::parse(channel).unwrap(),
        status,
        answered_by: (status == "completed").then_some("human"),
        error_code: None,
        sid: None,
        duration: None,
        num_segments: None,
        price: None,
        price_unit: None,
        kind: None,
    }
}

fn rows(r: &[Rate]) -> Vec<(&str, u64, u64, u64, u64)> {
    r.iter()
        .map(|r| {
            (
                r.label.as_str(),
                r.appointments,
                r.contacted,
                r.reached,
                r.confirmed,
            )
        })
        .collect()
}

#[test]
fn the_funnel_channels_days_and_reasons_of_the_period() {
    let mut t = Tally::new(settings(), &span(1, 4));
    t.add_appointment(&appt(1, "confirmed", "sms", "2026-11-25T14:30:00Z"));
    t.add_appointment(&appt(2, "failed", "call", "2026-11-25T15:30:00Z"));
    // 23:30 on the 25th in Toronto is the 26th in UTC.
    t.add_appointment(&AppointmentRow {
        contacted: false,
        created_at: "2026-11-19T23:00:00Z",
        ..appt(3, "withdrawn", "call", "2026-11-26T04:30:00Z")
    });
    assert_eq!(t.first_import(), Some("2026-11-19T23:00:00Z"));
    for a in [
        attempt(1, 1, "sms", "delivered"),
        attempt(2, 1, "call", "no-answer"),
        attempt(2, 1, "call", "busy"),
        attempt(2, 1, "call", "no-answer"),
        // Not the period's appointment (4 is in the span but was not read; 9 is outside it).
        attempt(4, 1, "call", "busy"),
        attempt(9, 1, "call", "busy"),
        // Never left: neither a reason nor a touch.
        attempt(2, 1, "call", "not-sent"),
    ] {
        t.add_attempt(&a);
    }
    let f = t.finish(|k| k.to_string());
    assert_eq!(
        f.funnel,
        Funnel {
            imported: 3,
            contacted: 2,
            reached: 1,
            confirmed: 1,
            failed: 1,
            withdrawn: 1,
            ..Funnel::default()
        }
    );
    assert_eq!(
        rows(&f.by_channel),
        [("SMS", 1, 1, 1, 1), ("Call", 2, 1, 0, 0)]
    );
    assert_eq!(rows(&f.by_site), [("", 3, 2, 1, 1)]);
    let reasons: Vec<(&str, u64)> = f
        .failure_reasons
        .iter()
        .map(|r| (r.reason.as_str(), r.count))
        .collect();
    assert_eq!(reasons, [("no answer", 2), ("busy", 1)]);
    let days: Vec<(String, u64, u64, u64, u64)> = f
        .daily
        .iter()
        .map(|d| {
            (
                d.date.to_string(),
                d.appointments,
                d.reached,
                d.confirmed,
                d.failed,
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-11-24".to_string(), 0, 0, 0, 0),
            ("2026-11-25".to_string(), 3, 1, 1, 1),
            ("2026-11-26".to_string(), 0, 0, 0, 0)
        ]
    );
    assert_eq!(rows(&f.by_touch), [("1 day before", 2, 2, 1, 1)]);
}

#[test]
fn touches_count_appointments_once_and_a_confirmation_goes_to_the_touch_that_reached() {
    let mut t = Tally::new(settings(), &span(1, 3));
    // 1: reached three days before, not one day before (no answer twice), confirmed.
    t.add_appointment(&appt(1, "confirmed", "call", "2026-11-25T15:00:00Z"));
    // 2: not delivered three days before; one day before still queued, and the patient
    // replied C: that touch counts as reached.
    t.add_appointment(&appt(2, "confirmed", "sms", "2026-11-25T16:00:00Z"));
    // 3: reached at both touches, not confirmed.
    t.add_appointment(&appt(3, "reached", "sms", "2026-11-25T17:00:00Z"));
    for a in [
        attempt(1, 3, "call", "completed"),
        attempt(2, 3, "sms", "undelivered"),
        attempt(3, 3, "sms", "delivered"),
        attempt(1, 1, "call", "no-answer"),
        attempt(2, 1, "sms", "queued"),
        attempt(3, 1, "sms", "delivered"),
        attempt(1, 1, "call", "no-answer"),
    ] {
        t.add_attempt(&a);
    }
    let f = t.finish(|k| k.to_string());
    assert_eq!(
        rows(&f.by_touch),
        [("3 days before", 3, 3, 2, 1), ("1 day before", 3, 3, 2, 1)]
    );
}

#[test]
fn a_combined_message_is_counted_once_and_priced_as_a_cost() {
    let mut t = Tally::new(settings(), &span(1, 3));
    for id in 1..=3 {
        t.add_appointment(&appt(id, "reached", "sms", "2026-11-25T15:00:00Z"));
    }
    let sent = |appointment, sid, channel, price: Option<f64>| AttemptRow {
        sid: Some(sid),
        duration: (channel == "call").then_some(61),
        num_segments: (channel == "sms").then_some(2),
        price,
        price_unit: price.map(|_| "USD"),
        ..attempt(appointment, 1, channel, "delivered")
    };
    for a in [
        // One text about the three appointments of a family.
        sent(1, "SM1", "sms", Some(-0.0158)),
        sent(2, "SM1", "sms", Some(-0.0158)),
        sent(3, "SM1", "sms", Some(-0.0158)),
        sent(1, "CA1", "call", Some(-0.028)),
        sent(2, "SM2", "sms", None),
        sent(3, "CA2", "call", None),
    ] {
        t.add_attempt(&a);
    }
    let f = t.finish(|k| k.to_string());
    let u = f.usage;
    assert_eq!(
        (u.sms_sent, u.sms_segments, u.calls, u.call_seconds),
        (2, 4, 2, 122)
    );
    assert_eq!(u.prices.len(), 1);
    assert_eq!(u.prices[0].unit, "USD");
    assert!((u.prices[0].amount - 0.0438).abs() < 1e-9);
    // Each appointment was contacted by its touch once.
    assert_eq!(rows(&f.by_touch), [("1 day before", 3, 3, 3, 0)]);
}

#[test]
fn sites_are_counted_apart_however_their_rows_interleave() {
    let mut t = Tally::new(settings(), &span(1, 7));
    for (id, site, status) in [
        (1, "east", "confirmed"),
        (2, "east", "pending"),
        (3, "", "pending"),
        (4, "west", "confirmed"),
        (5, "east", "reached"),
        (6, "", "confirmed"),
        (7, "west", "pending"),
    ] {
        t.add_appointment(&AppointmentRow {
            site,
            ..appt(id, status, "sms", "2026-11-25T15:00:00Z")
        });
    }
    let f = t.finish(|k| k.to_uppercase());
    assert_eq!(
        rows(&f.by_site),
        [("", 2, 2, 1, 1), ("EAST", 3, 3, 2, 1), ("WEST", 2, 2, 1, 1)]
    );
}

#[test]
fn an_empty_period_has_every_day_and_nothing_else() {
    let t = Tally::new(settings(), &Span::default());
    let f = t.finish(|k| k.to_string());
    assert_eq!(f.funnel, Funnel::default());
    assert_eq!(f.daily.len(), 3);
    assert!(f.by_channel.is_empty() && f.by_touch.is_empty() && f.by_site.is_empty());
    assert!(f.failure_reasons.is_empty());
}

#[test]
fn a_stored_times_key_orders_as_its_text() {
    assert_eq!(time_key("2026-11-25T13:07:09Z"), Some(20261125130709));
    assert_eq!(time_key("0000-01-01T00:00:00Z"), Some(101000000));
    let times = [
        "0999-12-31T23:59:59Z",
        "2026-11-24T23:59:59Z",
        "2026-11-25T00:00:00Z",
        "2026-11-25T00:00:01Z",
        "2026-11-25T05:00:00Z",
        "2026-12-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ];
    for pair in times.windows(2) {
        assert!(pair[0] < pair[1]);
        assert!(time_key(pair[0]) < time_key(pair[1]), "{pair:?}");
    }
    // Any other text has none (and is compared as text), without a panic.
    for other in [
        "",
        "2026-11-25",
        "2026-11-25T13:00:00",
        "2026-11-25T13:00:00+00:00",
        "2026-11-25T13:00:00.000Z",
        "2026-11-25 13:00:00Z",
        "2026-11-25T13:00:0xZ",
        "+2026-11-25T13:00:00Z",
        "2026-1-250T13:00:00Z",
        "２026-11-25T13:00:0Z",
        "2026-11-25T13:00:00Zé",
    ] {
        assert_eq!(time_key(other), None, "{other}");
    }
}

#[test]
fn a_time_falls_on_the_day_whose_bounds_hold_it_as_text_or_as_key() {
    let starts = [
        "2026-11-24T05:00:00Z",
        "2026-11-25T05:00:00Z",
        "2026-11-26T05:00:00Z",
    ];
    let keys: Vec<u64> = starts.iter().map(|t| time_key(t).unwrap()).collect();
    for (at, day) in [
        ("2026-11-24T04:59:59Z", None),
        ("2026-11-24T05:00:00Z", Some(0)),
        ("2026-11-25T04:59:59Z", Some(0)),
        ("2026-11-25T05:00:00Z", Some(1)),
        // The period's end, and after it: no day of the period.
        ("2026-11-26T05:00:00Z", Some(2)),
        ("2027-01-01T00:00:00Z", Some(2)),
    ] {
        for last in 0..3 {
            assert_eq!(day_of(&starts, at, last), day, "{at} {last}");
            assert_eq!(day_of(&keys, &time_key(at).unwrap(), last), day);
        }
    }
    // A time not in the stored form is placed by its text.
    let mut t = Tally::new(settings(), &span(1, 2));
    t.add_appointment(&appt(1, "pending", "sms", "2026-11-25T14:30:00.5Z"));
    t.add_appointment(&appt(2, "pending", "sms", "2026-11-25 14:30"));
    let f = t.finish(|k| k.to_string());
    let days: Vec<u64> = f.daily.iter().map(|d| d.appointments).collect();
    // "2026-11-25 14:30" sorts before "2026-11-25T05:00:00Z": the 24th, as text has it.
    assert_eq!(days, [1, 1, 0]);
}

#[test]
fn the_first_import_is_the_earliest_by_key_or_by_text() {
    let mut t = Tally::new(settings(), &span(1, 4));
    for (id, created_at) in [
        (1, "2026-11-20T23:00:00Z"),
        (2, "2026-11-19T23:00:00Z"),
        (3, "2026-11-21T23:00:00Z"),
    ] {
        t.add_appointment(&AppointmentRow {
            created_at,
            ..appt(id, "pending", "sms", "2026-11-25T15:00:00Z")
        });
    }
    assert_eq!(t.first_import(), Some("2026-11-19T23:00:00Z"));
    // Not in the stored form: compared as text.
    t.add_appointment(&AppointmentRow {
        created_at: "2026-11-19 12:00",
        ..appt(4, "pending", "sms", "2026-11-25T15:00:00Z")
    });
    assert_eq!(t.first_import(), Some("2026-11-19 12:00"));
}

#[test]
fn touch_labels() {
    assert_eq!(touch_label(Some(3)), "3 days before");
    assert_eq!(touch_label(Some(1)), "1 day before");
    assert_eq!(touch_label(Some(0)), "On the day");
    assert_eq!(touch_label(None), "Touch not recorded");
}

#[test]
fn an_offer_of_a_freed_slot_is_a_text_paid_for_but_no_touch_or_failure() {
    let mut t = Tally::new(settings(), &span(1, 1));
    t.add_appointment(&appt(1, "cancel_requested", "sms", "2026-11-25T15:00:00Z"));
    for (sid, status) in [("SM1", "delivered"), ("SM2", "undelivered")] {
        t.add_attempt(&AttemptRow {
            sid: Some(sid),
            num_segments: Some(2),
            touch_days: None,
            kind: Some("offer"),
            ..attempt(1, 1, "sms", status)
        });
    }
    let f = t.finish(|k| k.to_string());
    assert!(f.by_touch.is_empty(), "{:?}", f.by_touch);
    assert!(f.failure_reasons.is_empty(), "{:?}", f.failure_reasons);
    assert_eq!((f.usage.sms_sent, f.usage.sms_segments), (2, 4));
}
