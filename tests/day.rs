//! The whole day end to end: the real binary (`import --now`, `retry`, `serve-webhook`) against
//! the Twilio simulator, with scripted patients covering every outcome, through 19:00, 19:45 and
//! 09:00 — and extra retries that must contact nobody.

use std::time::{Duration, Instant};

use reminders::demo::script;
use reminders::twilio::simulator::Contacts;

use crate::common::Workdir;
use crate::common::twilio::{self, state, window};

#[test]
fn the_whole_day_reaches_everyone_it_can_exactly_as_scripted() {
    let (sim, mut w, port) = twilio::demo_day();

    let out = window(
        &mut w,
        &sim,
        port,
        script::WINDOWS[0].0,
        &["import", "--now"],
    );
    assert!(out.contains("24 to contact"), "{out}");
    let after_send = sim.total_contacts();

    // 19:10: inside the 30-minute gap. Lost callbacks are reconciled, nobody is contacted.
    let out = window(&mut w, &sim, port, "2026-11-24T19:10:00-05:00", &["retry"]);
    assert!(out.contains("0 to contact"), "{out}");
    assert_eq!(sim.total_contacts(), after_send);
    assert_eq!(state(&w, "A1013"), "reached", "lost callback reconciled");

    window(&mut w, &sim, port, script::WINDOWS[1].0, &["retry"]);
    window(&mut w, &sim, port, script::WINDOWS[2].0, &["retry"]);
    let final_contacts = sim.total_contacts();

    // 09:30: every attempt is spent or every patient settled; nobody is contacted again.
    let out = window(&mut w, &sim, port, "2026-11-25T09:30:00-05:00", &["retry"]);
    assert!(out.contains("0 to contact"), "{out}");
    assert_eq!(sim.total_contacts(), final_contacts);

    let mut wrong = Vec::new();
    for p in script::patients() {
        let got = sim.contacts(p.number);
        let want = Contacts {
            calls: p.calls,
            texts: p.texts,
        };
        for id in p.appointments {
            let got_state = state(&w, id);
            if got_state != p.final_state || got != want {
                wrong.push(format!(
                    "{id} ({}): state {got_state} (want {}), {got:?} (want {want:?})",
                    p.story, p.final_state
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        final_contacts,
        Contacts {
            calls: 23,
            texts: 6
        }
    );

    // Opt-outs from a STOP reply and from Twilio's 21610 are both on record.
    assert_eq!(
        w.count(
            "SELECT count(*) FROM opt_outs WHERE phone_number IN ('+14165550102', '+14165550120')"
        ),
        2
    );
    // Every report the listener accepted is in the audit trail, repeats included once.
    assert!(w.count("SELECT count(*) FROM webhook_events") >= 80);
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE success_at IS NOT NULL"),
        20
    );
    // The family on one number: one French text listing the three times, one shared SID, and
    // "Oui!" confirmed all three.
    let family = sim.creates_to("+14165550121");
    assert_eq!(family.len(), 1);
    let body = family[0].param("Body").unwrap().to_string();
    for time in [
        "3 rendez-vous : mer. 25 nov., 8 h;",
        "25 nov., 8 h 20;",
        "et mer. 25 nov., 8 h 40.",
    ] {
        assert!(body.contains(time), "{time}: {body}");
    }
    assert!(body.contains("ARRET"), "French opt-out line: {body}");
    assert_eq!(
        w.count(
            "SELECT count(DISTINCT l.sid) FROM appointment_logs l JOIN appointments a ON a.id = l.appointment_id WHERE a.appointment_id IN ('A1021', 'A1022', 'A1023')"
        ),
        1
    );
    // The Spanish-speaking patient: a Spanish text, and "¡Sí!" confirmed it.
    let spanish = sim.creates_to("+14165550124");
    assert_eq!(spanish.len(), 1);
    assert_eq!(
        spanish[0].param("Body").unwrap(),
        "Recordatorio de cita: mié. 25 nov., 11:00 a. m. C para confirmar, R para cancelar o cambiar, BAJA para no recibir mensajes."
    );
    assert_eq!(
        w.count(
            "SELECT count(*) FROM appointments WHERE appointment_id = 'A1024' AND language = 'es'"
        ),
        1
    );
}

#[test]
fn demo_runs_the_day_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let w = Workdir::new();
    // A clinic's pack where the demo is run from (broken, even) is not the demo's business.
    w.write("languages/xx.toml", "code = \"xx\"\n");
    let started = Instant::now();
    let out = w
        .command(&["demo"])
        .env("TMPDIR", tmp.path())
        // A real database path in the environment must not be touched by the demo.
        .env("REMINDERS_DB", w.join("mine.db"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The day runs on a simulated clock: this bound only catches a demo that waits for real
    // time (45 minutes to 19:45), never a slow machine (seconds; under load, a minute or two).
    assert!(started.elapsed() < Duration::from_secs(600));
    for heading in [
        "19:00",
        "19:45",
        "09:00 next day",
        "Where every appointment ended",
    ] {
        assert!(stdout.contains(heading), "{heading}: {stdout}");
    }
    assert!(
        stdout.contains("23 call(s) and 9 text(s) for 24 appointments and 3 waiting patients"),
        "{stdout}"
    );
    // 19:05: the slot A1004's patient gave back (pressing 2) goes to the waitlist: three
    // offers, P601's YES first, P602's OUI told it was taken.
    assert!(
        stdout.contains("the slot A1004 gave back, offered to the waitlist")
            && stdout.contains("waitlist: 3 offer(s) sent in 1 wave(s); 1 slot(s) opened."),
        "{stdout}"
    );
    let slot = stdout
        .lines()
        .find(|l| l.contains("A1004") && l.contains("taken"))
        .unwrap_or_else(|| panic!("A1004's slot in status backfill: {stdout}"));
    assert!(slot.contains("P601"), "{slot}");
    assert!(
        stdout.contains("book P601 into 2026-11-25 12:30"),
        "{stdout}"
    );
    // The Spanish-speaking patient's row in the final table: in Spanish, confirmed.
    let spanish = stdout
        .lines()
        .find(|l| l.contains("A1024"))
        .unwrap_or_else(|| panic!("A1024 in the final table: {stdout}"));
    assert!(
        spanish.contains(" es ") && spanish.contains("confirmed"),
        "{spanish}"
    );
    assert!(!stdout.contains("4165550101"), "numbers masked");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "workspace removed"
    );
    assert!(!w.join("mine.db").exists());
}
