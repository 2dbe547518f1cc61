//! `[sites.NAME]` (docs/configuration.md): each site's names in the export's clinic column, its
//! zone, sender, words and templates. Keys a site leaves out come from the top level.

use anyhow::Result;
use chrono_tz::Tz;

use super::Templates;
use super::layers::Layers;
use crate::domain::contact_hours::{QuietHours, parse_quiet_hours};
use crate::domain::limits::Caps;
use crate::exit::usage;

/// What a clinic says about itself in reminders, per site or for the one site.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub clinic_name: Option<String>,
    pub callback_number: Option<String>,
    pub address: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Site {
    /// The name in `[sites.NAME]`: how `--site` and every view name it.
    pub key: String,
    /// Values of the export's clinic column that mean this site.
    pub names: Vec<String>,
    pub timezone: Tz,
    pub phone_number: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub identity: Identity,
    pub quiet_hours: QuietHours,
    pub templates: Templates,
    /// `[sites.NAME.limits]`: the top level's caps, or tighter.
    pub caps: Caps,
}

/// The sites, each filled in from the top level where it says nothing.
pub fn load(
    l: &Layers<'_>,
    timezone: Tz,
    quiet_hours: QuietHours,
    identity: &Identity,
    templates: &Templates,
    region: phonenumber::country::Id,
    caps: Caps,
) -> Result<Vec<Site>> {
    let mut sites = Vec::new();
    for key in l.table_names("sites") {
        let k = |name: &str| format!("sites.{key}.{name}");
        if l.value(&format!("sites.{key}"))
            .is_some_and(|(v, _)| !v.is_table())
        {
            return Err(usage(format!(
                "configuration key `sites.{key}` must be a table: [sites.{key}]"
            )));
        }
        let names = l.words(&k("names"))?.unwrap_or_default();
        let text = |name: &str| l.optional_string(&k(name));
        let template = |name: &str| {
            l.optional_string(&format!("sites.{key}.templates.{name}"))
                .map(std::path::PathBuf::from)
        };
        sites.push(Site {
            names,
            timezone: l.get(&k("timezone"), timezone, |s| {
                s.parse::<Tz>()
                    .map_err(|_| "must be an IANA time zone such as America/Vancouver".into())
            })?,
            phone_number: text("phone_number")
                .map(|n| {
                    crate::domain::phone::parse_e164(&n, region).map_err(|why| {
                        usage(format!(
                            "configuration key `sites.{key}.phone_number`: {why} (got {n:?})"
                        ))
                    })
                })
                .transpose()?,
            messaging_service_sid: text("messaging_service_sid"),
            identity: Identity {
                clinic_name: text("clinic_name").or_else(|| identity.clinic_name.clone()),
                callback_number: text("callback_number")
                    .or_else(|| identity.callback_number.clone()),
                address: text("address").or_else(|| identity.address.clone()),
            },
            quiet_hours: l.get(&k("quiet_hours"), quiet_hours, parse_quiet_hours)?,
            caps: super::limits::site_caps(l, &key, caps)?,
            templates: Templates {
                sms_en: template("sms_en").or_else(|| templates.sms_en.clone()),
                sms_fr: template("sms_fr").or_else(|| templates.sms_fr.clone()),
                voice_en: template("voice_en").or_else(|| templates.voice_en.clone()),
                voice_fr: template("voice_fr").or_else(|| templates.voice_fr.clone()),
                sms_combined_en: template("sms_combined_en")
                    .or_else(|| templates.sms_combined_en.clone()),
                sms_combined_fr: template("sms_combined_fr")
                    .or_else(|| templates.sms_combined_fr.clone()),
                voice_combined_en: template("voice_combined_en")
                    .or_else(|| templates.voice_combined_en.clone()),
                voice_combined_fr: template("voice_combined_fr")
                    .or_else(|| templates.voice_combined_fr.clone()),
            },
            key,
        });
    }
    // Two sites answering to one clinic-column value would make a row's site a coin toss.
    for (i, a) in sites.iter().enumerate() {
        for b in &sites[i + 1..] {
            let fold = |s: &String| s.trim().to_lowercase();
            let mine: Vec<String> = a.names.iter().chain([&a.key]).map(fold).collect();
            if let Some(shared) = b
                .names
                .iter()
                .chain([&b.key])
                .map(fold)
                .find(|n| mine.contains(n))
            {
                return Err(usage(format!(
                    "[sites.{}] and [sites.{}] both answer to the clinic value \"{shared}\"",
                    a.key, b.key
                )));
            }
        }
    }
    Ok(sites)
}
