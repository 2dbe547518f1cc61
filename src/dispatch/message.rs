//! Turning a contact — one appointment, or up to five on one number — into the exact request
//! Twilio gets: the rendered text or TwiML in the site's words and sender, and the parameters for
//! status callbacks, answering-machine detection and queue validity.

use std::collections::HashMap;

use anyhow::{Context, Result};

use crate::clock::Stamp;
use crate::config::{Config, SiteView, Templates, read_template};
use crate::db::appointments::Stored;
use crate::domain::channel::Channel;
use crate::domain::contact_kind::ContactKind;
use crate::domain::routes::Route;
use crate::domain::segments::{self, SmsShape};
use crate::domain::templates::{self, Identity, Item, MessageFacts, RenderError, follow_ups};

/// Makes Twilio retry a callback on connection failure, read timeout or a 5xx answer (three
/// times) instead of once on connection failure only. The fragment is not sent to the listener
/// and is not part of the signed URL.
pub const CALLBACK_RETRY: &str = "#rc=3&rp=ct,rt,5xx";

/// Where Twilio reports on a call or text, as every request carries it (a call also names the
/// progress events it reports).
pub fn callback_params(channel: Channel, public_url: &str) -> Vec<(&'static str, String)> {
    let route = match channel {
        Channel::Call => Route::CallStatus,
        _ => Route::SmsStatus,
    };
    let mut params = vec![(
        "StatusCallback",
        format!("{}{CALLBACK_RETRY}", route.url(public_url)),
    )];
    if channel == Channel::Call {
        params.push(("StatusCallbackMethod", "POST".into()));
        for event in ["initiated", "ringing", "answered", "completed"] {
            params.push(("StatusCallbackEvent", event.into()));
        }
    }
    params
}

/// One site's template files, read once before anyone is contacted, by key (`sms_en`,
/// `voice_combined_es`); a key not here is built in.
type SiteTexts = HashMap<String, String>;

/// Every site's texts.
#[derive(Clone, Debug, Default)]
pub struct Texts {
    by_site: HashMap<String, SiteTexts>,
}

impl Texts {
    pub fn load(cfg: &Config) -> Result<Texts> {
        let read = |t: &Templates| -> Result<SiteTexts> {
            let mut out = SiteTexts::new();
            for (key, path) in t.files() {
                if let Some(text) = read_template(&Some(path.clone()))? {
                    out.insert(key.to_string(), text);
                }
            }
            Ok(out)
        };
        let mut by_site = HashMap::new();
        by_site.insert(String::new(), read(&cfg.templates)?);
        for s in &cfg.sites {
            by_site.insert(
                s.key.clone(),
                read(&s.templates).with_context(|| format!("the templates of site {}", s.key))?,
            );
        }
        Ok(Texts { by_site })
    }

    fn template(&self, site: &str, channel: Channel, lang: &str, count: usize) -> Option<&str> {
        let t = self.by_site.get(site).or_else(|| self.by_site.get(""))?;
        let kind = match (channel, count > 1) {
            (Channel::Call, false) => "voice",
            (Channel::Call, true) => "voice_combined",
            (_, false) => "sms",
            (_, true) => "sms_combined",
        };
        t.get(&format!("{kind}_{lang}")).map(String::as_str)
    }

    /// The clinic's own file for a follow-up (`templates.sms_no_show_en`), if it has one: the
    /// whole text, or the whole TwiML of a call.
    pub(super) fn follow_up(
        &self,
        site: &str,
        kind: ContactKind,
        channel: Channel,
        lang: &str,
    ) -> Option<&str> {
        let t = self.by_site.get(site).or_else(|| self.by_site.get(""))?;
        let name = match (kind, channel) {
            (ContactKind::VoicemailText, _) => "sms_voicemail",
            (ContactKind::NoShow, Channel::Call) => "voice_no_show",
            (ContactKind::NoShow, _) => "sms_no_show",
            (ContactKind::ClinicCancelled, Channel::Call) => "voice_clinic_cancelled",
            (ContactKind::ClinicCancelled, _) => "sms_clinic_cancelled",
            (ContactKind::Offer, _) => "sms_offer",
            (ContactKind::Reminder, _) => return None,
        };
        t.get(&format!("{name}_{lang}")).map(String::as_str)
    }
}

/// What goes to Twilio for one contact.
#[derive(Clone, Debug)]
pub struct Request {
    pub channel: Channel,
    /// The SMS body or the call's TwiML.
    pub content: String,
    pub params: Vec<(&'static str, String)>,
    /// For a text: its encoding and segments.
    pub shape: Option<SmsShape>,
}

impl Request {
    /// Who it goes out as: the caller ID or SMS sender, or the messaging service.
    pub fn sender(&self) -> &str {
        self.params
            .iter()
            .find(|(k, _)| *k == "From" || *k == "MessagingServiceSid")
            .map_or("", |(_, v)| v.as_str())
    }

    /// For a text, the digest of its words that tells it from another text to the same number
    /// in Twilio's list (a call's resource does not show its script).
    pub fn sent_digest(&self) -> Option<String> {
        (self.channel == Channel::Sms).then(|| digest(&self.content))
    }
}

/// SHA-256 (hex) of a text's words.
pub fn digest(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Renders the contact for `group` (one number, one channel, one site; the first is the one the
/// keypress URL names), or says why it cannot be sent.
pub fn build(
    cfg: &Config,
    texts: &Texts,
    public_url: &str,
    group: &[Stored],
) -> Result<std::result::Result<Request, RenderError>> {
    build_kind(cfg, texts, public_url, group, ContactKind::Reminder)
}

/// [`build`] for a contact of any kind: a follow-up is one appointment's message, a text after
/// a voicemail always a text, the others on the appointment's channel.
pub fn build_kind(
    cfg: &Config,
    texts: &Texts,
    public_url: &str,
    group: &[Stored],
    kind: ContactKind,
) -> Result<std::result::Result<Request, RenderError>> {
    let lead = group.first().context("a contact with no appointment")?;
    let site: SiteView<'_> = cfg.site(&lead.site);
    // A call in a text-only language (its pack changed since the import) is said in the
    // default language, as the import would have done.
    let pack = match lead.channel {
        Channel::Call => cfg.languages.spoken(lead.language.code()),
        _ => cfg.languages.pack(lead.language),
    };
    let data: Vec<Option<serde_json::Map<String, serde_json::Value>>> =
        group.iter().map(Stored::data_object).collect();
    let mut items = Vec::with_capacity(group.len());
    for (a, data) in group.iter().zip(&data) {
        items.push(Item {
            appointment_msg: &a.message,
            appointment_id: &a.appointment_id,
            patient_id: &a.patient_id,
            at: a.at.instant(),
            moved_from: a.moved_from.map(Stamp::instant),
            data: data.as_ref(),
        });
    }
    let gather_url = format!(
        "{}?appointment={}",
        Route::VoiceGather.url(public_url),
        lead.id
    );
    let facts = MessageFacts {
        items: &items,
        tz: site.tz,
        pack,
        gather_url: &gather_url,
        identity: Identity {
            clinic_name: site.identity.clinic_name.as_deref(),
            callback_number: site.identity.callback_number.as_deref(),
            address: site.identity.address.as_deref(),
        },
    };
    let channel = match kind {
        ContactKind::VoicemailText => Channel::Sms,
        _ => lead.channel,
    };
    let clinics = texts.follow_up(site.key, kind, channel, pack.code.code());
    let follow_up = match (kind, channel) {
        (ContactKind::Reminder, _) => None,
        _ if clinics.is_some() => clinics.map(str::to_string),
        (_, Channel::Call) => Some(follow_ups::voice(kind, pack, &facts.identity)),
        _ => Some(follow_ups::sms(kind, pack, &facts.identity)),
    };
    let template = match &follow_up {
        Some(t) => Some(t.as_str()),
        None => texts.template(site.key, channel, pack.code.code(), group.len()),
    };
    let mut params: Vec<(&'static str, String)> = vec![("To", lead.phone_number.clone())];
    let (content, shape) = match channel {
        Channel::Call => {
            let twiml = match templates::render_voice(template, &facts) {
                Ok(t) => t,
                Err(why) => return Ok(Err(why)),
            };
            params.push(("From", site.phone_number.to_string()));
            params.push(("Twiml", twiml.clone()));
            params.extend(callback_params(Channel::Call, public_url));
            // Waits for the greeting's beep so a voicemail gets the whole message.
            params.push(("MachineDetection", "DetectMessageEnd".into()));
            (twiml, None)
        }
        _ => {
            let body = match templates::render_sms(template, &facts) {
                Ok(b) => b,
                Err(why) => return Ok(Err(why)),
            };
            return Ok(Ok(text(cfg, &site, &lead.phone_number, body, public_url)));
        }
    };
    Ok(Ok(Request {
        channel,
        content,
        params,
        shape,
    }))
}

/// A text of `body` to `to` from `site`'s sender, with its status callback and validity.
pub fn text(
    cfg: &Config,
    site: &SiteView<'_>,
    to: &str,
    body: String,
    public_url: &str,
) -> Request {
    let mut params: Vec<(&'static str, String)> = vec![("To", to.to_string())];
    match site.messaging_service_sid {
        Some(mg) => params.push(("MessagingServiceSid", mg.to_string())),
        None => params.push(("From", site.phone_number.to_string())),
    }
    params.push(("Body", body.clone()));
    params.extend(callback_params(Channel::Sms, public_url));
    params.push((
        "ValidityPeriod",
        (cfg.sending.sms_validity_minutes * 60).to_string(),
    ));
    let shape = segments::shape(&body);
    Request {
        channel: Channel::Sms,
        content: body,
        params,
        shape: Some(shape),
    }
}
