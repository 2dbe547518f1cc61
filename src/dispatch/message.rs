//! Turning an appointment into the exact request Twilio gets: the rendered text or TwiML and the
//! parameters for status callbacks, answering-machine detection and queue validity.

use anyhow::{Context, Result};

use crate::clock::parse_db_time;
use crate::config::{Config, read_template};
use crate::db::appointments::Stored;
use crate::domain::channel::Channel;
use crate::domain::row::Language;
use crate::domain::templates::{self, Facts};
use crate::webhook::routes::Route;

/// Makes Twilio retry a callback on connection failure, read timeout or a 5xx answer (three
/// times) instead of once on connection failure only. The fragment is not sent to the listener
/// and is not part of the signed URL.
pub const CALLBACK_RETRY: &str = "#rc=3&rp=ct,rt,5xx";

/// The four texts, from the clinic's files or built in; checked once before anyone is contacted.
#[derive(Clone, Debug)]
pub struct Texts {
    sms_en: String,
    sms_fr: String,
    voice_en: String,
    voice_fr: String,
}

impl Texts {
    pub fn load(cfg: &Config) -> Result<Texts> {
        let t = &cfg.templates;
        let texts = Texts {
            sms_en: read_template(&t.sms_en)?.unwrap_or_else(|| templates::SMS_EN.into()),
            sms_fr: read_template(&t.sms_fr)?.unwrap_or_else(|| templates::SMS_FR.into()),
            voice_en: read_template(&t.voice_en)?.unwrap_or_else(|| templates::VOICE_EN.into()),
            voice_fr: read_template(&t.voice_fr)?.unwrap_or_else(|| templates::VOICE_FR.into()),
        };
        for (key, text) in [
            ("templates.sms_en", &texts.sms_en),
            ("templates.sms_fr", &texts.sms_fr),
            ("templates.voice_en", &texts.voice_en),
            ("templates.voice_fr", &texts.voice_fr),
        ] {
            templates::fill(text, |name| {
                templates::PLACEHOLDERS.contains(&name).then(String::new)
            })
            .map_err(|why| crate::exit::usage(format!("template `{key}`: {why}")))?;
        }
        Ok(texts)
    }
}

/// What goes to Twilio for one attempt.
#[derive(Clone, Debug)]
pub struct Request {
    pub channel: Channel,
    /// The SMS body or the call's TwiML.
    pub content: String,
    pub params: Vec<(&'static str, String)>,
}

impl Request {
    /// Who it goes out as: the caller ID or SMS sender, or the messaging service.
    pub fn sender(&self) -> &str {
        self.params
            .iter()
            .find(|(k, _)| *k == "From" || *k == "MessagingServiceSid")
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Renders the attempt for `appt`, or says why it cannot be sent (too long for Twilio).
pub fn build(
    cfg: &Config,
    texts: &Texts,
    public_url: &str,
    from: &str,
    appt: &Stored,
) -> Result<std::result::Result<Request, String>> {
    let at = parse_db_time(&appt.at).context("reading a stored appointment time")?;
    let language = Language::from_code(&appt.language);
    let gather_url = format!(
        "{}?appointment={}",
        Route::VoiceGather.url(public_url),
        appt.id
    );
    let voice = match language {
        Language::En => cfg.sending.say_voice_en.as_deref(),
        Language::Fr => cfg.sending.say_voice_fr.as_deref(),
    };
    let facts = Facts {
        appointment_msg: &appt.message,
        appointment_id: &appt.appointment_id,
        patient_id: &appt.patient_id,
        at,
        tz: cfg.timezone,
        language,
        gather_url: &gather_url,
        voice,
    };
    let mut params: Vec<(&'static str, String)> = vec![("To", appt.phone_number.clone())];
    let content = match appt.channel {
        Channel::Call => {
            let template = match language {
                Language::En => &texts.voice_en,
                Language::Fr => &texts.voice_fr,
            };
            let twiml = match templates::render_voice(template, &facts) {
                Ok(t) => t,
                Err(why) => return Ok(Err(why)),
            };
            params.push(("From", from.to_string()));
            params.push(("Twiml", twiml.clone()));
            params.push((
                "StatusCallback",
                format!("{}{CALLBACK_RETRY}", Route::CallStatus.url(public_url)),
            ));
            params.push(("StatusCallbackMethod", "POST".into()));
            for event in ["initiated", "ringing", "answered", "completed"] {
                params.push(("StatusCallbackEvent", event.into()));
            }
            // Waits for the greeting's beep so a voicemail gets the whole message.
            params.push(("MachineDetection", "DetectMessageEnd".into()));
            twiml
        }
        _ => {
            let template = match language {
                Language::En => &texts.sms_en,
                Language::Fr => &texts.sms_fr,
            };
            let body = match templates::render_sms(template, &facts) {
                Ok(b) => b,
                Err(why) => return Ok(Err(why)),
            };
            match &cfg.twilio.messaging_service_sid {
                Some(mg) => params.push(("MessagingServiceSid", mg.clone())),
                None => params.push(("From", from.to_string())),
            }
            params.push(("Body", body.clone()));
            params.push((
                "StatusCallback",
                format!("{}{CALLBACK_RETRY}", Route::SmsStatus.url(public_url)),
            ));
            params.push((
                "ValidityPeriod",
                (cfg.sending.sms_validity_minutes * 60).to_string(),
            ));
            body
        }
    };
    Ok(Ok(Request {
        channel: appt.channel,
        content,
        params,
    }))
}
