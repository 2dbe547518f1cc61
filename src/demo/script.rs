//! Who does what in the demo day (and the end-to-end test of it): one scripted patient per
//! outcome Twilio can report, with the final state and the number of calls and texts each
//! must end up with.

use crate::twilio::simulator::Step;

pub struct Patient {
    /// A family sharing one number has several appointments and gets one message for them all.
    pub appointments: &'static [&'static str],
    pub number: &'static str,
    /// One step per request Twilio receives for this number, in order.
    pub steps: Vec<Step>,
    pub story: &'static str,
    pub final_state: &'static str,
    pub calls: u32,
    pub texts: u32,
}

/// The three windows of the day: when, and what cron runs then.
pub const WINDOWS: [(&str, &str); 3] = [
    (
        "2026-11-24T19:00:00-05:00",
        "19:00 — import the day's file, then send",
    ),
    ("2026-11-24T19:45:00-05:00", "19:45 — first retry"),
    ("2026-11-25T09:00:00-05:00", "09:00 next day — final retry"),
];

pub fn patients() -> Vec<Patient> {
    use Step::*;
    let p = |appointments, number, steps, story, final_state, calls, texts| Patient {
        appointments,
        number,
        steps,
        story,
        final_state,
        calls,
        texts,
    };
    vec![
        p(
            &["A1001"],
            "+14165550101",
            vec![Deliver { reply: Some("C") }],
            "text delivered, replies C",
            "confirmed",
            0,
            1,
        ),
        p(
            &["A1002"],
            "+14165550102",
            vec![Deliver {
                reply: Some("STOP"),
            }],
            "text delivered, replies STOP (no more texts)",
            "reached",
            0,
            1,
        ),
        p(
            &["A1003"],
            "+14165550103",
            vec![Answer { press: Some("1") }],
            "answers, presses 1",
            "confirmed",
            1,
            0,
        ),
        p(
            &["A1004"],
            "+14165550104",
            vec![Answer { press: Some("2") }],
            "answers, presses 2",
            "cancel_requested",
            1,
            0,
        ),
        p(
            &["A1005"],
            "+14165550105",
            vec![Voicemail],
            "voicemail takes the message (French)",
            "reached",
            1,
            0,
        ),
        p(
            &["A1006"],
            "+14165550106",
            vec![NoAnswer, Busy, Answer { press: None }],
            "no answer, busy, answers at 09:00",
            "reached",
            3,
            0,
        ),
        p(
            &["A1007"],
            "+14165550107",
            vec![
                Refuse {
                    http: 400,
                    code: 21614,
                },
                Answer { press: None },
            ],
            "a landline: text refused (21614), called at 19:45",
            "reached",
            1,
            0,
        ),
        p(
            &["A1008"],
            "+14165550108",
            vec![NoAnswer, NoAnswer, NoAnswer],
            "never answers",
            "failed",
            3,
            0,
        ),
        p(
            &["A1009"],
            "+14165550109",
            vec![SentNoReceipt],
            "text sent, carrier gives no receipt",
            "reached",
            0,
            1,
        ),
        p(
            &["A1010"],
            "+14165550110",
            vec![CallFailed, Answer { press: Some("1") }],
            "call fails, answers at 19:45 and presses 1",
            "confirmed",
            2,
            0,
        ),
        p(
            &["A1011"],
            "+14165550111",
            vec![
                Refuse {
                    http: 429,
                    code: 20429,
                },
                Answer { press: None },
            ],
            "Twilio busy (429), retried within the run",
            "reached",
            1,
            0,
        ),
        p(
            &["A1012"],
            "+14165550112",
            vec![Refuse {
                http: 400,
                code: 21211,
            }],
            "invalid number (21211)",
            "failed",
            0,
            0,
        ),
        p(
            &["A1013"],
            "+14165550113",
            vec![LoseFinalCallback(Box::new(Answer { press: None }))],
            "answers, but the callback is lost: reconciled, not called again",
            "reached",
            1,
            0,
        ),
        p(
            &["A1014"],
            "+14165550114",
            vec![Answer { press: None }],
            "answers",
            "reached",
            1,
            0,
        ),
        p(
            &["A1015"],
            "+14165550115",
            vec![Undeliver(30006), Answer { press: None }],
            "text undelivered (30006 landline), called at 19:45",
            "reached",
            1,
            1,
        ),
        p(
            &["A1016"],
            "+14165550116",
            vec![Busy, Answer { press: None }],
            "busy, answers at 19:45",
            "reached",
            2,
            0,
        ),
        p(
            &["A1017"],
            "+14165550117",
            vec![Answer { press: None }],
            "answers",
            "reached",
            1,
            0,
        ),
        p(
            &["A1018"],
            "+14165550118",
            vec![NoAnswer, NoAnswer],
            "no answer twice; the 08:30 appointment passes before 09:00",
            "expired",
            2,
            0,
        ),
        p(
            &["A1019"],
            "+14165550119",
            vec![
                LoseFinalCallback(Box::new(NoAnswer)),
                Answer { press: None },
            ],
            "no answer, callback lost: reconciled at 19:45, then called",
            "reached",
            2,
            0,
        ),
        p(
            &["A1020"],
            "+14165550120",
            vec![Refuse {
                http: 400,
                code: 21610,
            }],
            "unsubscribed at Twilio (21610)",
            "opted_out",
            0,
            0,
        ),
        p(
            &["A1021", "A1022", "A1023"],
            "+14165550121",
            vec![Deliver {
                reply: Some("Oui!"),
            }],
            "a family on one number: one French text lists the three times; \"Oui!\" confirms all three",
            "confirmed",
            0,
            1,
        ),
        p(
            &["A1024"],
            "+14165550124",
            vec![Deliver {
                reply: Some("¡Sí!"),
            }],
            "a Spanish text (language \"Español\"), replies \"¡Sí!\"",
            "confirmed",
            0,
            1,
        ),
    ]
}

/// When the waitlist's run offers the slot A1004's patient gives back (by pressing 2 at 19:00).
pub const WAITLIST_AT: &str = "2026-11-24T19:05:00-05:00";

/// A patient on the demo's waitlist (`waitlist.csv`) and what they do with the offer.
pub struct Waiting {
    pub patient_id: &'static str,
    pub number: &'static str,
    pub steps: Vec<Step>,
    pub story: &'static str,
}

pub fn waiting() -> Vec<Waiting> {
    use Step::*;
    vec![
        Waiting {
            patient_id: "P601",
            number: "+14165550161",
            steps: vec![Deliver { reply: Some("YES") }],
            story: "on the list longest, answers YES first: gets the slot",
        },
        Waiting {
            patient_id: "P602",
            number: "+14165550162",
            steps: vec![Deliver { reply: Some("OUI") }],
            story: "answers OUI after: told in French that it was taken",
        },
        Waiting {
            patient_id: "P603",
            number: "+14165550163",
            steps: vec![Deliver { reply: None }],
            story: "does not answer",
        },
    ]
}
