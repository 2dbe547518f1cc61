//! Languages as packs (docs/languages.md), end to end: Spanish built in, a clinic's own packs
//! written from `languages --template` (one spoken, one text-only), and the configuration
//! errors a broken pack gives — the real binary, the simulator and the real listener.

use reminders::twilio::simulator::Step;

use crate::common::listener::{Listener, encode, sign};
use crate::common::twilio::{clinic, state, window};
use crate::common::twiml::parse;
use crate::common::{EVENING, Workdir};

const HEADER: &str = "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,language\n";

/// A text from `from` to the clinic's number, as Twilio posts it to the listener; its answer.
fn text_in(w: &Workdir, port: u16, sid: &str, from: &str, body: &str) -> String {
    let l = Listener::start_on(w, port);
    let params = [
        ("MessageSid", sid),
        ("From", from),
        ("To", "+16135550000"),
        ("Body", body),
    ];
    let url = format!("http://127.0.0.1:{port}/twilio/sms-inbound");
    let (code, answer) = l.post_with(
        "/twilio/sms-inbound",
        &encode(&params),
        Some(&sign(&url, &params)),
    );
    l.stop();
    assert_eq!(code, 200, "{answer}");
    answer
}

/// The text of every `<Say>` of a call's TwiML, with its language attribute.
fn says(twiml: &str) -> Vec<(String, String)> {
    parse(twiml)
        .into_iter()
        .filter(|e| e.name == "Say")
        .map(|e| (e.attr("language").unwrap_or("").to_string(), e.text))
        .collect()
}

#[test]
fn spanish_rows_get_spanish_texts_calls_and_answers() {
    let (mut w, sim, port) = clinic("");
    sim.script("+14165550101", vec![Step::Deliver { reply: Some("Sí") }]);
    sim.script("+14165550102", vec![Step::Answer { press: Some("1") }]);
    sim.script("+14165550103", vec![Step::Deliver { reply: Some("SI") }]);
    sim.script("+14165550104", vec![Step::Deliver { reply: Some("NO") }]);
    w.write(
        "csv/day.csv",
        format!(
            "{HEADER}S1,P1,416-555-0101,n,y,2026-11-25 09:00,Español\n\
             S2,P2,416-555-0102,y,n,2026-11-25 09:30,es-MX\n\
             S3,P3,416-555-0103,n,y,2026-11-25 10:00,spa\n\
             S4,P4,416-555-0104,n,y,2026-11-25 11:00,es\n\
             S5,P5,416-555-0104,n,y,2026-11-25 11:30,es\n"
        ),
    );
    let out = window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    assert!(!out.contains("not recognised"), "{out}");
    assert_eq!(
        w.count("SELECT count(*) FROM appointments WHERE language = 'es'"),
        5
    );

    let text = sim.creates_to("+14165550101");
    assert_eq!(
        text[0].param("Body").unwrap(),
        "Recordatorio de cita: mié. 25 nov., 9:00 a. m. C para confirmar, R para cancelar o cambiar, BAJA para no recibir mensajes."
    );
    // The call: every <Say> in Mexican Spanish, the date in full.
    let call = sim.creates_to("+14165550102");
    let said = says(call[0].param("Twiml").unwrap());
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(said.iter().all(|(lang, _)| lang == "es-MX"), "{said:?}");
    assert_eq!(
        said[0].1,
        "Le recordamos su cita del miércoles 25 de noviembre, 9:30 a. m."
    );
    assert_eq!(
        said[1].1,
        "Oprima 1 para confirmar su cita, o 2 para cancelarla o cambiarla."
    );
    // A family of two on one number: one Spanish text listing both.
    let family = sim.creates_to("+14165550104");
    assert_eq!(family.len(), 1);
    assert_eq!(
        family[0].param("Body").unwrap(),
        "Recordatorio, 2 citas: mié. 25 nov., 11:00 a. m.; y mié. 25 nov., 11:30 a. m. C para confirmar todas, R para cancelar o cambiar, BAJA para no recibir mensajes."
    );
    // "Sí", a keypress 1 and "SI" confirm; "NO" asks to cancel or reschedule both.
    for (id, want) in [
        ("S1", "confirmed"),
        ("S2", "confirmed"),
        ("S3", "confirmed"),
        ("S4", "cancel_requested"),
        ("S5", "cancel_requested"),
    ] {
        assert_eq!(state(&w, id), want, "{id}");
    }

    // The listener answers in Spanish: a Spanish word, or a word of no one language from a
    // Spanish-speaking patient's number.
    w.env("REMINDERS_NOW", "2026-11-24T20:00:00-05:00");
    let help = text_in(
        &w,
        port,
        "SMin0000000000000000000000000001",
        "+14165550103",
        "¡Ayuda!",
    );
    assert!(
        help.contains("<Message>Recordatorios de citas: responda C para confirmar"),
        "{help}"
    );
    let seen = text_in(
        &w,
        port,
        "SMin0000000000000000000000000002",
        "+14165550103",
        "gracias, ahi estare",
    );
    assert!(
        seen.contains("<Message>Gracias. Su mensaje fue enviado al consultorio.</Message>"),
        "{seen}"
    );
    let stop = text_in(
        &w,
        port,
        "SMin0000000000000000000000000003",
        "+14165550101",
        "baja",
    );
    assert!(stop.contains("<Message>Usted ya no va a recibir"), "{stop}");
    assert_eq!(
        w.count("SELECT count(*) FROM opt_outs WHERE phone_number = '+14165550101' AND event = 'opt_out' AND words = 'baja'"),
        1
    );
    // "SÍ" from a number of an English appointment confirms it too, and the answer says so in
    // Spanish, the language the word tells.
    w.write(
        "csv/later.csv",
        format!("{HEADER}E1,P9,416-555-0109,n,y,2026-11-26 09:00,en\n"),
    );
    window(
        &mut w,
        &sim,
        port,
        "2026-11-25T19:00:00-05:00",
        &["import", "--now"],
    );
    w.env("REMINDERS_NOW", "2026-11-25T19:30:00-05:00");
    let yes = text_in(
        &w,
        port,
        "SMin0000000000000000000000000004",
        "+14165550109",
        "SÍ",
    );
    assert!(
        yes.contains("<Message>Gracias, confirmamos su cita.</Message>"),
        "{yes}"
    );
    assert_eq!(state(&w, "E1"), "confirmed");
}

/// A clinic's pack written from the template, as the docs say: the English pack with its code,
/// names, `<Say>` language, some texts and its own reply words changed.
fn pack_from_template(template: &str, code: &str, names: &str, say: &str, confirm: &str) -> String {
    template
        .replace("code = \"en\"", &format!("code = \"{code}\""))
        .replace("name = \"English\"", &format!("name = \"{code} (clinic)\""))
        .replace(
            "names = [\"en\", \"eng\", \"english\", \"anglais\", \"en-*\"]",
            &format!("names = [{names}]"),
        )
        .replace(
            "say_language = \"en-CA\"",
            &format!("say_language = \"{say}\""),
        )
        .replace(
            "confirm = [\"C\", \"CONFIRM\", \"YES\", \"1\"]",
            &format!("confirm = [\"C\", \"1\", {confirm}]"),
        )
}

const CLINIC_PACKS: &str = "\n[languages]\ndir = \"packs\"\n\n[csv]\ncall_only = [\"Home\"]\n\n[csv.columns]\n\
    appointment_id = \"Id\"\npatient_id = \"Patient\"\nphone_number = [\"Cell\", \"Home\"]\n\
    phone_preference = \"Phone\"\ntext_preference = \"Text\"\nappt_date_time = \"When\"\nlanguage = \"Language\"\n";

#[test]
fn a_clinics_own_packs_from_the_template_a_spoken_one_and_a_text_only_one() {
    let (mut w, sim, port) = clinic(CLINIC_PACKS);
    let template = w.run(&["languages", "--template"]).ok();
    assert!(
        template.contains("code = \"en\"") && template.contains("[texts]"),
        "{template}"
    );
    let pt = pack_from_template(
        &template,
        "pt",
        "\"pt\", \"português\", \"pt-*\"",
        "pt-BR",
        "\"SIM\"",
    )
    .replace(
        "sms_reminder = \"Appointment reminder: {when}.\"",
        "sms_reminder = \"Lembrete da sua consulta: {when}.\"",
    )
    .replace(
        "voice_reminder = \"This is a reminder of your appointment on {when}.\"",
        "voice_reminder = \"Lembramos a sua consulta de {when}.\"",
    )
    .replace(
        "sms_confirmed = \"Thank you, your appointment is confirmed.\"",
        "sms_confirmed = \"Obrigado, consulta confirmada.\"",
    );
    // Text-only: Twilio cannot speak it, so it leaves out what only a call says.
    let pa: String = pack_from_template(&template, "pa", "\"pa\", \"punjabi\"", "", "\"HAAN\"")
        .replace(
            "sms_reminder = \"Appointment reminder: {when}.\"",
            "sms_reminder = \"ਮੁਲਾਕਾਤ ਦੀ ਯਾਦ: {when}.\"",
        )
        .lines()
        .filter(|l| !l.starts_with("call_") && !l.starts_with("inbound_"))
        .map(|l| format!("{l}\n"))
        .collect();
    w.write("packs/pt.toml", &pt);
    w.write("packs/pa.toml", &pa);
    let listed = w.run(&["languages"]).ok();
    assert!(
        listed.contains(
            "pt      pt (clinic): says pt-BR; export values pt, português, pt-*; from packs/pt.toml"
        ),
        "{listed}"
    );
    assert!(
        listed.contains("pa      pa (clinic): text-only;"),
        "{listed}"
    );

    sim.script(
        "+14165550201",
        vec![Step::Deliver {
            reply: Some("Sim!"),
        }],
    );
    sim.script(
        "+14165550203",
        vec![Step::Deliver {
            reply: Some("haan"),
        }],
    );
    w.write(
        "csv/day.csv",
        "Id,Patient,Cell,Home,Phone,Text,When,Language\n\
         T1,P1,416-555-0201,,n,y,2026-11-25 09:00,Português\n\
         T2,P2,416-555-0202,,y,n,2026-11-25 09:30,pt-BR\n\
         T3,P3,416-555-0203,,y,n,2026-11-25 10:00,Punjabi\n\
         T4,P4,,416-555-0204,y,n,2026-11-25 10:30,pa\n",
    );
    let out = window(&mut w, &sim, port, EVENING, &["import", "--now"]);
    assert!(
        out.contains("day.csv: pa is text-only (no say_language in its pack): 1 call(s) sent as texts instead"),
        "{out}"
    );
    assert!(
        out.contains("day.csv: pa is text-only (no say_language in its pack): 1 number(s) that take no texts called in en instead"),
        "{out}"
    );
    // Portuguese: its own words by text and by call, and its reply word understood.
    let t1 = sim.creates_to("+14165550201");
    assert!(
        t1[0]
            .param("Body")
            .unwrap()
            .starts_with("Lembrete da sua consulta: Wed Nov 25, 9:00 AM."),
        "{:?}",
        t1[0].param("Body")
    );
    assert_eq!(state(&w, "T1"), "confirmed");
    let said = says(sim.creates_to("+14165550202")[0].param("Twiml").unwrap());
    assert_eq!(
        said[0],
        (
            "pt-BR".to_string(),
            "Lembramos a sua consulta de Wednesday, November 25 at 9:30 AM.".to_string()
        )
    );
    // Punjabi, text-only: the patient who asked for a call gets a text (in Punjabi, two UCS-2
    // segments), the landline a call in English.
    let t3 = sim.creates_to("+14165550203");
    assert!(
        t3[0]
            .param("Body")
            .unwrap()
            .starts_with("ਮੁਲਾਕਾਤ ਦੀ ਯਾਦ: Wed Nov 25, 10:00 AM."),
        "{:?}",
        t3[0].param("Body")
    );
    assert_eq!(
        state(&w, "T3"),
        "confirmed",
        "HAAN is a confirm word of the pa pack"
    );
    let rows: Vec<(String, String, String)> = {
        let db = w.db();
        let mut stmt = db
            .prepare("SELECT appointment_id, channel, language FROM appointments ORDER BY appointment_id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let row = |a: &str, c: &str, l: &str| (a.to_string(), c.to_string(), l.to_string());
    assert_eq!(
        rows,
        [
            row("T1", "sms", "pt"),
            row("T2", "call", "pt"),
            row("T3", "sms", "pa"),
            row("T4", "call", "en"),
        ]
    );
    let t4 = says(sim.creates_to("+14165550204")[0].param("Twiml").unwrap());
    assert_eq!(t4[0].0, "en-CA");
    assert!(
        t4[0]
            .1
            .starts_with("This is a reminder of your appointment"),
        "{t4:?}"
    );
}

#[test]
fn a_broken_pack_stops_every_command_naming_the_file_and_the_key() {
    let (w, _sim, _port) = clinic(CLINIC_PACKS);
    let template = w.run(&["languages", "--template"]).ok();
    let pt = pack_from_template(&template, "pt", "\"pt\"", "pt-BR", "\"SIM\"");

    w.write("packs/pt.toml", pt.replace("sms_seen = ", "# sms_seen = "));
    for args in [&["import"][..], &["status"], &["languages"]] {
        let run = w.run(args);
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
        assert!(
            run.stderr()
                .contains("packs/pt.toml: missing key `texts.sms_seen`"),
            "{}",
            run.stderr()
        );
    }
    // Twilio unsubscribes whoever texts STOP: it cannot confirm an appointment.
    w.write("packs/pt.toml", pt.replace("\"SIM\"", "\"SIM\", \"Stop\""));
    let run = w.run(&["import"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains(
            "packs/pt.toml: key `words.confirm`: Stop is one of Twilio's own opt-out words"
        ),
        "{}",
        run.stderr()
    );
    assert!(!w.join("reminders.db").exists(), "nothing created");
    // The template needs no configuration: it prints even now.
    assert_eq!(w.run(&["languages", "--template"]).ok(), template);
    // A dir the configuration names must exist.
    w.write("reminders.toml", "[languages]\ndir = \"nowhere\"\n");
    let run = w.run(&["languages"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr()
            .contains("cannot read the language packs folder nowhere"),
        "{}",
        run.stderr()
    );
}
