//! Patients who call back: a call to one of the clinic's numbers is answered by the real
//! listener, which says which clinic this is — in the caller's language when their number is on
//! an appointment — and puts the call through to that site's call-back number, or says how to
//! reach the clinic when it has none. The calls come from the simulator, signed as Twilio signs
//! them; the TwiML is read back as XML.

use crate::common::listener::{Listener, encode, sign};
use crate::common::twilio::{FROM, clinic};
use crate::common::twiml::{self, Element};

/// Three sites: two with a call-back number (one written the local way), one with only an
/// address; the clinic's own number (FROM) has neither.
const SITES: &str = "\n\
[sites.bloor]\n\
names = [\"Bloor\"]\n\
phone_number = \"+14165550900\"\n\
clinic_name = \"Bloor Street Clinic\"\n\
callback_number = \"+14165550901\"\n\n\
[sites.west]\n\
names = [\"Kitsilano\"]\n\
timezone = \"America/Vancouver\"\n\
phone_number = \"+16045550900\"\n\
clinic_name = \"Clinique Kitsilano\"\n\
callback_number = \"604-555-0901\"\n\n\
[sites.danforth]\n\
names = [\"Danforth\"]\n\
phone_number = \"+14165550700\"\n\
clinic_name = \"Danforth & Pape Clinic\"\n\
address = \"1 Danforth Ave, Toronto\"\n";

/// The verbs of the answer (the children of `Response`), as (name, text).
fn verbs(doc: &[Element]) -> Vec<(&str, &str)> {
    assert_eq!(doc.first().map(|e| e.name.as_str()), Some("Response"));
    doc.iter()
        .filter(|e| e.depth == 1)
        .map(|e| (e.name.as_str(), e.text.as_str()))
        .collect()
}

fn say_language(doc: &[Element]) -> &str {
    doc.iter()
        .find(|e| e.name == "Say")
        .and_then(|e| e.attr("language"))
        .expect("a Say with a language")
}

#[test]
fn a_call_to_a_sites_number_hears_its_clinic_and_is_put_through_to_its_call_back_number() {
    let (w, sim, port) = clinic(SITES);
    w.write(
        "csv/day.csv",
        "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,clinic,language\n\
         W1,P1,604-555-0202,n,y,2026-11-25 09:00,Kitsilano,fr\n\
         B1,P2,416-555-0201,n,y,2026-11-25 09:00,Bloor,en\n",
    );
    w.run(&["import"]).ok();
    let public = format!("http://127.0.0.1:{port}");
    let l = Listener::start_on(&w, port);

    // A French patient of the west site calls its number: French, its clinic, its number.
    let (code, xml) = sim
        .incoming_call(&public, "+16045550202", "+16045550900")
        .unwrap();
    assert_eq!(code, 200, "{xml}");
    let doc = twiml::parse(&xml);
    let said = verbs(&doc);
    assert_eq!(said.len(), 2, "{xml}");
    assert_eq!(said[0].0, "Say");
    assert!(said[0].1.contains("Clinique Kitsilano"), "{xml}");
    assert_eq!(say_language(&doc), "fr-CA");
    assert_eq!(said[1], ("Dial", "+16045550901"), "{xml}");

    // A number no appointment has, calling the Bloor site: English, Bloor, Bloor's number.
    let (code, xml) = sim
        .incoming_call(&public, "+14165559999", "+14165550900")
        .unwrap();
    assert_eq!(code, 200, "{xml}");
    let doc = twiml::parse(&xml);
    let said = verbs(&doc);
    assert!(said[0].1.contains("Bloor Street Clinic"), "{xml}");
    assert_eq!(say_language(&doc), "en-CA");
    assert_eq!(said[1], ("Dial", "+14165550901"), "{xml}");

    // A site with no call-back number: its name and address, then the call ends.
    let (_, xml) = sim
        .incoming_call(&public, "+14165550201", "+14165550700")
        .unwrap();
    let doc = twiml::parse(&xml);
    let said = verbs(&doc);
    assert_eq!(
        said.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        ["Say", "Hangup"],
        "{xml}"
    );
    assert!(
        said[0].1.contains("Danforth & Pape Clinic") && said[0].1.contains("1 Danforth Ave"),
        "{xml}"
    );

    // The clinic's own number (no site has it) and a withheld caller ID: the top level's words.
    let (_, xml) = sim.incoming_call(&public, "anonymous", FROM).unwrap();
    let doc = twiml::parse(&xml);
    assert_eq!(say_language(&doc), "en-CA");
    assert!(!verbs(&doc).iter().any(|(v, _)| *v == "Dial"), "{xml}");

    // Every call is kept like any request; numbers are masked in the log.
    assert_eq!(
        w.count("SELECT count(*) FROM webhook_events WHERE kind = 'voice-inbound'"),
        4
    );
    let log = l.log();
    assert!(log.contains("voice-inbound"), "{log}");
    assert!(!log.contains("+16045550202"), "unmasked number:\n{log}");
}

#[test]
fn an_unsigned_or_badly_signed_incoming_call_is_403_and_writes_nothing() {
    let (w, _sim, port) = clinic(SITES);
    w.run(&["import"]).ok();
    let l = Listener::start_on(&w, port);
    let params = [
        ("CallSid", "CA00000000000000000000000000000001"),
        ("From", "+14165550201"),
        ("To", "+14165550900"),
    ];
    let (code, body) = l.post_with("/twilio/voice-inbound", &encode(&params), None);
    assert_eq!(code, 403, "{body}");
    assert!(!body.contains("<Dial"), "{body}");
    // Signed for another route: not this one's signature.
    let other = sign(
        &format!("http://127.0.0.1:{port}/twilio/sms-inbound"),
        &params,
    );
    let (code, _) = l.post_with("/twilio/voice-inbound", &encode(&params), Some(&other));
    assert_eq!(code, 403);
    assert_eq!(w.count("SELECT count(*) FROM webhook_events"), 0);
    // The same request signed properly goes through.
    let good = sign(
        &format!("http://127.0.0.1:{port}/twilio/voice-inbound"),
        &params,
    );
    let (code, xml) = l.post_with("/twilio/voice-inbound", &encode(&params), Some(&good));
    assert_eq!(code, 200);
    assert!(verbs(&twiml::parse(&xml)).contains(&("Dial", "+14165550901")));
}
