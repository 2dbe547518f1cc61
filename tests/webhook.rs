//! `reminders serve-webhook` end to end: the real binary on a free loopback port, the database
//! built by the real `import`, attempts standing in for `send`, and requests signed as Twilio
//! signs them for the public URL https://example.org (the listener is "behind a proxy").

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::listener::{Listener, PUBLIC, attempt, encode, imported, sign, state};
use crate::faults::wait_until;

const CA1: &str = "CA11111111111111111111111111111111";
const SM1: &str = "SM11111111111111111111111111111111";

fn call_status<'a>(sid: &'a str, status: &'a str, seq: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("AccountSid", "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        ("CallSid", sid),
        ("CallStatus", status),
        ("SequenceNumber", seq),
        ("To", "+14165550101"),
        ("From", "+14165550000"),
    ]
}

#[test]
fn status_callbacks_move_forward_only_and_repeats_are_stored_once() {
    let wd = imported();
    let id = attempt(&wd, "A1001", "call", CA1);
    let sms = attempt(&wd, "A1002", "sms", SM1);
    let l = Listener::start(&wd);

    let mut done = call_status(CA1, "completed", "3");
    done.extend([("CallDuration", "23"), ("AnsweredBy", "human")]);
    assert_eq!(l.post("/twilio/call-status", &done).0, 200);
    assert_eq!(state(&wd, id), "reached");

    // A late `ringing` after `completed` does not go backwards.
    assert_eq!(
        l.post("/twilio/call-status", &call_status(CA1, "ringing", "1"))
            .0,
        200
    );
    assert_eq!(state(&wd, id), "reached");
    let log_status: String = wd
        .db()
        .query_row(
            "SELECT status FROM appointment_logs WHERE sid = ?1",
            [CA1],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(log_status, "completed");

    // The same (CallSid, SequenceNumber) again: 200, stored once.
    assert_eq!(l.post("/twilio/call-status", &done).0, 200);
    assert_eq!(
        wd.count(&format!(
            "SELECT count(*) FROM webhook_events WHERE sid = '{CA1}'"
        )),
        2
    );

    let delivered = [
        ("MessageSid", SM1),
        ("MessageStatus", "delivered"),
        ("To", "+14165550102"),
    ];
    assert_eq!(l.post("/twilio/sms-status", &delivered).0, 200);
    assert_eq!(l.post("/twilio/sms-status", &delivered).0, 200);
    assert_eq!(state(&wd, sms), "reached");
    assert_eq!(
        wd.count(&format!(
            "SELECT count(*) FROM webhook_events WHERE sid = '{SM1}'"
        )),
        1
    );

    // Unknown SID: 200 so Twilio stops, and kept in the audit trail.
    let unknown = call_status("CA99999999999999999999999999999999", "completed", "2");
    assert_eq!(l.post("/twilio/call-status", &unknown).0, 200);
    assert_eq!(
        wd.count(
            "SELECT count(*) FROM webhook_events WHERE sid = 'CA99999999999999999999999999999999'"
        ),
        1
    );
    let params: String = wd
        .db()
        .query_row(
            "SELECT params FROM webhook_events WHERE kind = 'call-status' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(params.contains("\"CallStatus\":\"completed\""), "{params}");

    let log = l.log();
    assert!(
        !log.contains(crate::common::listener::TOKEN),
        "token in the log"
    );
    assert!(
        !log.contains("+14165550101"),
        "unmasked phone in the log:\n{log}"
    );
}

#[test]
fn bad_or_missing_signatures_are_403_and_write_nothing() {
    let wd = imported();
    let id = attempt(&wd, "A1001", "call", CA1);
    let l = Listener::start(&wd);
    let params = call_status(CA1, "completed", "3");
    let good = sign(&format!("{PUBLIC}/twilio/call-status"), &params);

    // Changed after signing.
    let mut changed = params.clone();
    changed[2] = ("CallStatus", "busy");
    assert_eq!(
        l.post_with("/twilio/call-status", &encode(&changed), Some(&good))
            .0,
        403
    );
    // Missing, garbage, and signed for the listener's own address instead of the public URL.
    assert_eq!(
        l.post_with("/twilio/call-status", &encode(&params), None).0,
        403
    );
    assert_eq!(
        l.post_with("/twilio/call-status", &encode(&params), Some("AAAA"))
            .0,
        403
    );
    let host_url = sign(&format!("http://{}/twilio/call-status", l.addr), &params);
    assert_eq!(
        l.post_with("/twilio/call-status", &encode(&params), Some(&host_url))
            .0,
        403
    );
    // Signed for another path or query.
    let other = sign(&format!("{PUBLIC}/twilio/sms-status"), &params);
    assert_eq!(
        l.post_with("/twilio/call-status", &encode(&params), Some(&other))
            .0,
        403
    );
    assert_eq!(
        l.post_with("/twilio/call-status?x=1", &encode(&params), Some(&good))
            .0,
        403
    );

    assert_eq!(wd.count("SELECT count(*) FROM webhook_events"), 0);
    assert_eq!(state(&wd, id), "in_flight");

    // The public URL with its default port is accepted too (Twilio signs either form).
    let with_port = sign("https://example.org:443/twilio/call-status", &params);
    assert_eq!(
        l.post_with("/twilio/call-status", &encode(&params), Some(&with_port))
            .0,
        200
    );
    assert_eq!(state(&wd, id), "reached");
}

#[test]
fn sizes_shapes_routes_and_health() {
    let wd = imported();
    let l = Listener::start(&wd);
    assert_eq!(l.get("/healthz").0, 200);
    assert_eq!(l.get("/nope").0, 404);
    assert_eq!(l.get("/twilio/call-status").0, 405);
    assert_eq!(l.post_with("/healthz", "", None).0, 405);

    // Declared too large: refused before reading.
    let big = "a=".to_string() + &"x".repeat(70 * 1024);
    assert_eq!(l.post_with("/twilio/sms-inbound", &big, None).0, 413);
    // Chunked, no length: refused while reading.
    let mut chunked = b"POST /twilio/sms-inbound HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..20 {
        chunked.extend_from_slice(format!("1000\r\n{}\r\n", "y".repeat(0x1000)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(l.raw(&chunked).0, 413);

    // Not urlencoded UTF-8: 400. Signed but without its SID: 400.
    assert_eq!(
        l.post_with("/twilio/call-status", "CallSid=%zz", Some("x"))
            .0,
        400
    );
    assert_eq!(
        l.post_with("/twilio/call-status", "Body=%ff%fe", Some("x"))
            .0,
        400
    );
    assert_eq!(
        l.post("/twilio/call-status", &[("CallStatus", "completed")])
            .0,
        400
    );
    assert_eq!(l.post("/twilio/sms-inbound", &[("Body", "C")]).0, 400);
    assert_eq!(wd.count("SELECT count(*) FROM webhook_events"), 0);
}

fn reply(l: &Listener, from: &str, body: &str, sid: &str) -> String {
    // Twilio's default opt-out handling marks the words it acted on.
    let handled = match body.trim().to_uppercase().as_str() {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" => Some("STOP"),
        "START" | "UNSTOP" => Some("START"),
        "HELP" | "INFO" => Some("HELP"),
        _ => None,
    };
    let mut params = vec![
        ("MessageSid", sid),
        ("From", from),
        ("To", "+14165550000"),
        ("Body", body),
    ];
    if let Some(h) = handled {
        params.push(("OptOutType", h));
    }
    let (code, xml) = l.post("/twilio/sms-inbound", &params);
    assert_eq!(code, 200, "{body}: {xml}");
    xml
}

#[test]
fn text_replies() {
    let wd = imported();
    let a = attempt(&wd, "A1001", "sms", "SM01");
    let b = attempt(&wd, "A1002", "sms", "SM02");
    let fr = attempt(&wd, "A1005", "call", "CA05");
    let stop = attempt(&wd, "A1006", "sms", "SM06");
    let cancel_word = attempt(&wd, "A1007", "sms", "SM07");
    let l = Listener::start(&wd);

    let xml = reply(&l, "+14165550101", " yes ", "SMr1");
    assert!(
        xml.contains("<Message>Thank you, your appointment is confirmed.</Message>"),
        "{xml}"
    );
    assert_eq!(state(&wd, a), "confirmed");
    // The same message posted again changes nothing and is stored once.
    reply(&l, "+14165550101", " yes ", "SMr1");
    assert_eq!(
        wd.count("SELECT count(*) FROM webhook_events WHERE sid = 'SMr1'"),
        1
    );

    let xml = reply(&l, "+14165550102", "r", "SMr2");
    assert!(xml.contains("reschedule"), "{xml}");
    assert_eq!(state(&wd, b), "cancel_requested");

    let xml = reply(&l, "+14165550105", "C", "SMr3");
    assert!(
        xml.contains("Merci, votre rendez-vous est confirmé."),
        "{xml}"
    );
    assert_eq!(state(&wd, fr), "confirmed");

    // STOP and CANCEL are Twilio opt-out words: recorded; Twilio itself answers.
    let xml = reply(&l, "+14165550106", "STOP", "SMr4");
    assert!(xml.contains("<Response/>"), "{xml}");
    assert_eq!(state(&wd, stop), "opted_out");
    let xml = reply(&l, "+14165550107", "cancel", "SMr5");
    assert!(xml.contains("<Response/>"), "{xml}");
    assert_eq!(state(&wd, cancel_word), "opted_out");
    assert_eq!(wd.count("SELECT count(*) FROM opt_outs"), 2);

    // START lifts it; contact resumes where it stopped (one attempt made: retry_wait).
    let params = [
        ("MessageSid", "SMr6"),
        ("From", "+14165550106"),
        ("Body", "Start"),
        ("OptOutType", "START"),
    ];
    let (code, xml) = l.post("/twilio/sms-inbound", &params);
    assert_eq!((code, xml.contains("<Response/>")), (200, true), "{xml}");
    // The history keeps both events; the latest decides.
    assert_eq!(
        wd.count(
            "SELECT group_concat(event) = 'opt_out,opt_in' FROM opt_outs WHERE phone_number = '+14165550106'"
        ),
        1
    );
    assert_eq!(state(&wd, stop), "retry_wait");

    // HELP: Twilio answers it; AIDE (French) Twilio does not know: the listener answers.
    let xml = reply(&l, "+14165550105", "help", "SMr7");
    assert!(xml.contains("<Response/>"), "{xml}");
    let xml = reply(&l, "+14165550105", "Aide.", "SMr7b");
    assert!(xml.contains("Rappels de rendez-vous"), "{xml}");
    // Free text: kept for the clinic, answered once (not an error).
    let xml = reply(&l, "+14165550101", "what time is it?", "SMr8");
    assert!(xml.contains("passed on to the clinic"), "{xml}");
    let xml = reply(&l, "+14165550101", "hello??", "SMr8b");
    assert!(xml.contains("<Response/>"), "answered once: {xml}");
    assert_eq!(
        wd.count("SELECT count(*) FROM replies WHERE kind = 'other' AND body = 'what time is it?'"),
        1
    );
    let xml = reply(&l, "+14165559999", "C", "SMr9");
    assert!(xml.contains("no upcoming appointment"), "{xml}");
}

#[test]
fn keypresses_confirm_cancel_and_ask_once_more() {
    let wd = imported();
    let one = attempt(&wd, "A1004", "call", "CA04");
    let two = attempt(&wd, "A1005", "call", "CA05");
    let l = Listener::start(&wd);
    let press = |id: i64, digits: &str, repeat: bool| {
        let pq = format!(
            "/twilio/voice-gather?appointment={id}{}",
            if repeat { "&repeat=1" } else { "" }
        );
        let call = if id == one { "CA04" } else { "CA05" };
        let (code, xml) = l.post(
            &pq,
            &[
                ("CallSid", call),
                ("Digits", digits),
                ("CallStatus", "in-progress"),
            ],
        );
        assert_eq!(code, 200, "{xml}");
        xml
    };
    let xml = press(one, "1", false);
    assert!(
        xml.contains(r#"<Say language="en-CA">Thank you. Your appointment is confirmed."#),
        "{xml}"
    );
    assert_eq!(state(&wd, one), "confirmed");

    let xml = press(two, "2", false);
    assert!(
        xml.contains(r#"language="fr-CA""#) && xml.contains("<Hangup/>"),
        "{xml}"
    );
    assert_eq!(state(&wd, two), "cancel_requested");

    let xml = press(one, "7", false);
    let action = format!("action=\"{PUBLIC}/twilio/voice-gather?appointment={one}&amp;repeat=1\"");
    assert!(xml.contains("<Gather") && xml.contains(&action), "{xml}");
    let xml = press(one, "", true);
    assert!(
        !xml.contains("<Gather") && xml.contains("<Hangup/>"),
        "{xml}"
    );
    assert_eq!(state(&wd, one), "confirmed");
}

#[test]
fn stalled_clients_do_not_block_a_real_callback() {
    let wd = imported();
    let id = attempt(&wd, "A1001", "call", CA1);
    let l = Listener::start(&wd);
    let mut stalled = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(l.addr).expect("connect");
        let _ = s.write_all(b"POST /twilio/call-status HTTP/1.1\r\nHost: x\r\nContent-Le");
        stalled.push(s);
    }
    let started = Instant::now();
    let (code, _) = l.post("/twilio/call-status", &call_status(CA1, "completed", "3"));
    assert_eq!(code, 200);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(state(&wd, id), "reached");
}

/// An answer's status line and headers, read up to the blank line (and no further).
fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).expect("an answer");
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[test]
fn sigterm_answers_the_request_in_flight_then_exits_0() {
    let wd = imported();
    let id = attempt(&wd, "A1001", "call", CA1);
    let mut l = Listener::start(&wd);
    let params = call_status(CA1, "completed", "3");
    let body = encode(&params);
    let sig = sign(&format!("{PUBLIC}/twilio/call-status"), &params);
    let mut s = TcpStream::connect(l.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // Asking to continue, as a client with a large body may: the listener says "100 Continue"
    // when its handler starts reading the body, which tells the test the request is in flight.
    let head = format!(
        "POST /twilio/call-status HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: {sig}\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let interim = read_head(&mut s);
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim:?}");
    let (first, rest) = body.split_at(body.len() / 2);
    s.write_all(first.as_bytes()).unwrap();
    let pid = l.child.id();
    crate::common::terminate(pid);
    wait_until(
        Duration::from_secs(60),
        "the listener to take the signal",
        || l.log().contains("SIGTERM: no longer accepting"),
    );
    s.write_all(rest.as_bytes()).unwrap();
    let (code, _) = crate::common::listener::read_response(&mut s);
    assert_eq!(code, 200, "{}", l.log());
    let status = l.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{}", l.log());
    assert_eq!(state(&wd, id), "reached");
    assert!(l.log().contains("SIGTERM"), "{}", l.log());
}

#[test]
fn missing_settings_are_usage_errors() {
    let mut wd = crate::common::Workdir::new();
    let run = wd.run(&["serve-webhook"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains("TWILIO_AUTH_TOKEN"),
        "{}",
        run.stderr()
    );
    wd.env("TWILIO_AUTH_TOKEN", "t");
    let run = wd.run(&["serve-webhook"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("REMINDERS_PUBLIC_URL"),
        "{}",
        run.stderr()
    );
    wd.env("REMINDERS_PUBLIC_URL", PUBLIC);
    let run = wd.run(&["serve-webhook", "--listen", "not-an-address"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
}
