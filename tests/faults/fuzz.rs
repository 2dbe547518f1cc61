//! Fuzzing, bounded to a few seconds each and seeded so a failure can be replayed: mutated CSV
//! bytes through the import (no panic; every row accounted for), and random form bodies and
//! signatures at the real listener (no panic; nothing written without a valid signature).
//!
//! A small xorshift generator rather than a fuzzing crate: the inputs that matter here are
//! structural (quotes, delimiters, line ends, BOMs, bytes that are not UTF-8, invisible
//! characters) and a few lines of mutation cover them; the failing seed and input are printed.

use std::path::Path;
use std::time::{Duration, Instant};

use reminders::config::{Config, Overrides};
use reminders::import::{self, Attempt, Options};

use crate::common::EVENING;
use crate::common::listener::{Listener, PUBLIC, attempt, encode, imported, sign};

/// Seeded xorshift64*: the same seed, the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SEEDS: &[&[u8]] = &[
    b"appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,appointment_msg,language\nA1,P1,416-555-0101,y,n,2026-11-25 10:00,\"Bloor, 2nd floor\",en\nA2,P2,(613) 555-0102,n,y,11/25/2026 9:30 AM,,fr\nA1,P1,416-555-0101,y,n,2026-11-25 10:00,dup,en\n",
    b"\xef\xbb\xbfAppt Date/Time;Appointment ID;Patient ID;Phone Number;Phone Preference;Text Preference\r\n25/11/2026 14:00;B1;Q1;4165550103;oui;non\r\n2026-11-25T15:00;B2;Q2;+1 416 555 0104;1;0\r\n",
    b"Report title\n\nappointment_id\tpatient_id\tphone_number\tphone_preference\ttext_preference\tappt_date_time\tstatus\nC1\tR1\t4165550105\tY\tN\t2026-11-25 09:00\tcancelled\nC2\tR2\t1.41656E+10\tY\tN\t46351.5\tbooked\n",
    b"appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\nD1,S1,416-555-0106,y,n,2026-11-25 10:00\nD1,S1,416-555-0106,y,n,2026-11-26 10:00\n",
];

/// Bytes that change how a CSV reads.
const SHARP: &[&[u8]] = &[
    b"\"",
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xe9",
    b"\xe2\x80\x8b",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"=",
    b"'",
    b"\"\"",
    b"2026-11-25 10:00",
    b"416-555-0199",
    b"y",
    b"",
    b"cancelled",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    for _ in 0..=rng.below(8) {
        let at = rng.below(input.len() + 1);
        match rng.below(6) {
            0 if !input.is_empty() => {
                let i = at.min(input.len() - 1);
                input[i] ^= 1 << rng.below(8);
            }
            1 => {
                let bytes = rng.pick(SHARP).to_vec();
                input.splice(at..at, bytes);
            }
            2 if !input.is_empty() => {
                let end = (at + rng.below(16)).min(input.len());
                input.drain(at.min(end)..end);
            }
            3 => {
                // Repeat a stretch (a line twice, a field twice).
                let end = (at + rng.below(64)).min(input.len());
                let copy = input[at.min(end)..end].to_vec();
                input.splice(end..end, copy);
            }
            4 => {
                let b = (rng.next() & 0xff) as u8;
                input.insert(at, b);
            }
            _ => {
                // Cut the file short (an upload that stopped).
                input.truncate(at);
            }
        }
    }
}

fn config(dir: &Path) -> Config {
    let toml = dir.join("reminders.toml");
    std::fs::write(&toml, "").unwrap();
    let values = [
        ("REMINDERS_NOW", EVENING.to_string()),
        ("REMINDERS_DB", dir.join("unused.db").display().to_string()),
        ("REMINDERS_CSV_DIR", dir.join("csv").display().to_string()),
        (
            "REMINDERS_ARCHIVE_DIR",
            dir.join("archive").display().to_string(),
        ),
    ];
    let env = |name: &str| {
        values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    };
    Config::load_with(
        &Overrides {
            config: Some(toml),
            ..Overrides::default()
        },
        &env,
    )
    .expect("a configuration")
}

/// Mutated export files through the real import, into one database: no panic, and every row
/// of every file is stored, a duplicate, failed or a withdrawal — in the counts, in the
/// `imports` row and in the tables.
#[test]
fn fuzzed_csv_bytes_never_panic_and_every_row_is_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let mut conn = reminders::db::open_in_memory().unwrap();
    let file = dir.path().join("fuzz.csv");
    let mut rng = Rng(0x5eed_0f1a_2b3c_4d5e);
    let started = Instant::now();
    let mut tried = 0;
    // A few seconds, but at least 30 inputs however busy the machine is.
    while tried < 30 || (started.elapsed() < Duration::from_secs(4) && tried < 5000) {
        tried += 1;
        let seed = rng.0;
        let mut input = rng.pick(SEEDS).to_vec();
        mutate(&mut rng, &mut input);
        std::fs::write(&file, &input).unwrap();
        let before: (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM appointments), (SELECT count(*) FROM failed_import_rows)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let context = || {
            format!(
                "seed {seed:#x}, input {:?}",
                String::from_utf8_lossy(&input)
            )
        };
        // Every other input as a dry run: the same reading and counting, faster (nothing
        // stored, nothing archived), so more inputs fit in the time.
        let dry_run = tried % 2 == 0;
        let opts = Options {
            dry_run,
            force: true,
            progress: None,
        };
        let outcome = match import::import_file(
            &mut conn,
            &cfg,
            &file,
            import::Origin {
                listed: false,
                in_drop_folder: false,
            },
            "fuzz",
            opts,
        ) {
            Ok(Attempt::Done(o)) => o,
            Ok(Attempt::NotNow(why)) => panic!("left for later ({why:?}): {}", context()),
            Err(e) => panic!("import failed: {e:#}\n{}", context()),
        };
        let c = &outcome.counts;
        assert_eq!(
            c.total,
            c.successful + c.duplicates + c.failed + c.withdrawn,
            "{c:?}: {}",
            context()
        );
        let Some(id) = outcome.import_id else {
            assert!(dry_run, "no import recorded: {}", context());
            continue;
        };
        let (total, processed, stored): (i64, i64, i64) = conn
            .query_row(
                "SELECT total_rows, successful_rows + duplicate_rows + failed_rows + withdrawn_rows,
                        (SELECT count(*) FROM appointments)
                 FROM imports WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(total, processed, "the imports row: {}", context());
        // A row that brings back a withdrawn appointment is stored without a new row.
        assert!(
            stored - before.0 <= c.successful,
            "appointments: {}",
            context()
        );
        let (failed, all_failed): (i64, i64) = conn
            .query_row(
                "SELECT count(*) FILTER (WHERE import_id = ?1), count(*) FROM failed_import_rows",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(failed, c.failed, "failed rows kept: {}", context());
        assert_eq!(all_failed, before.1 + failed, "{}", context());
    }
}

/// Random requests at the real listener — bodies of random bytes or random parameters, signed
/// wrongly, not at all, for another body, or rightly — and nothing is written without a valid
/// signature: every stored event is one of the validly signed requests answered 200.
#[test]
fn fuzzed_webhook_requests_never_write_without_a_valid_signature() {
    let wd = imported();
    attempt(&wd, "A1001", "call", "CA99999999999999999999999999999999");
    let l = Listener::start(&wd);
    let routes = [
        "/twilio/call-status",
        "/twilio/sms-status",
        "/twilio/voice-gather?appointment=1",
        "/twilio/sms-inbound",
    ];
    let names = [
        "CallSid",
        "CallStatus",
        "SequenceNumber",
        "MessageSid",
        "MessageStatus",
        "From",
        "Body",
        "Digits",
        "To",
        "ErrorCode",
        "OptOutType",
        "CallDuration",
        "Timestamp",
        "AnsweredBy",
    ];
    let values = [
        "completed",
        "ringing",
        "delivered",
        "STOP",
        "1",
        "2",
        "-1",
        "99999999999999999999",
        "+14165550101",
        "",
        "oui!",
        "ARRÊT",
        "<Say>",
        "%",
        "&",
        "=",
        "\u{0}",
        "🙂",
        "Wed, 25 Nov 2026 00:00:05 +0000",
        "human",
    ];
    let mut rng = Rng(0xfeed_beef_dead_cafe);
    // Every request carries its own number, so each stored event says which request it was.
    let mut stored_ok = std::collections::HashSet::new();
    let mut sent = 0u64;
    let started = Instant::now();
    // A few seconds, but at least 100 requests however busy the machine is.
    while sent < 100 || (started.elapsed() < Duration::from_secs(3) && sent < 3000) {
        sent += 1;
        let seed = rng.0;
        let route = *rng.pick(&routes);
        // Random parameters; each request its own SID so no two are one event.
        let mut params: Vec<(String, String)> = (0..rng.below(8))
            .map(|_| {
                let v = if rng.below(3) == 0 {
                    format!("{}{}", rng.pick(&values), rng.next())
                } else {
                    rng.pick(&values).to_string()
                };
                (rng.pick(&names).to_string(), v)
            })
            .collect();
        params.sort_by(|a, b| a.0.cmp(&b.0));
        params.dedup_by(|a, b| a.0 == b.0);
        params.push(("Nonce".into(), sent.to_string()));
        if rng.below(2) == 0 {
            params.retain(|(k, _)| k != "CallSid" && k != "MessageSid");
            let sid = format!("{:032x}", rng.next());
            params.push(("CallSid".into(), format!("CA{sid}")));
            params.push(("MessageSid".into(), format!("SM{sid}")));
        }
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut body = encode(&pairs);
        let good = sign(&format!("{PUBLIC}{route}"), &pairs);
        let (signature, valid) = match rng.below(6) {
            0 => (None, false),
            1 => (Some(format!("{:x}", rng.next())), false),
            2 => (Some(sign(&format!("{PUBLIC}/other"), &pairs)), false),
            3 => {
                // Signed, then the body is changed on the way.
                let mut bytes = body.clone().into_bytes();
                mutate(&mut rng, &mut bytes);
                body = String::from_utf8_lossy(&bytes).into_owned();
                let unchanged = body == encode(&pairs);
                (Some(good), unchanged)
            }
            4 => (Some(good.replace('A', "B")), !good.contains('A')),
            _ => (Some(good), true),
        };
        let (status, _) = l.post_with(route, &body, signature.as_deref());
        let context = format!("seed {seed:#x}: {route} {body:?} signed {valid}: {status}");
        assert!(status < 500, "{context}");
        if valid {
            assert!(status == 200 || status == 400, "{context}");
            if status == 200 {
                stored_ok.insert(sent.to_string());
            }
        } else {
            assert!(status == 403 || status == 400, "{context}");
        }
    }
    l.stop();
    let db = wd.db();
    let mut stmt = db.prepare("SELECT params FROM webhook_events").unwrap();
    let stored: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        !stored.is_empty(),
        "some validly signed requests were stored"
    );
    for params in stored {
        let json: serde_json::Value = serde_json::from_str(&params).unwrap();
        let nonce = json["Nonce"].as_str().unwrap_or("none").to_string();
        assert!(
            stored_ok.contains(&nonce),
            "stored without a valid signature: {params}"
        );
    }
}
