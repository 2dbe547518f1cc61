//! `[sites.NAME]` (docs/configuration.md): each site's names in the export's clinic column, its
//! zone, sender, words and templates. Keys a site leaves out come from the top level.

use anyhow::Result;
use chrono_tz::Tz;

use super::Templates;
use super::layers::Layers;
use crate::domain::contact_hours::{ContactHours, DAY_KEYS, WEEK, parse_hours};
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
    pub hours: ContactHours,
    pub templates: Templates,
    /// `[sites.NAME.limits]`: the top level's caps, or tighter.
    pub caps: Caps,
}

/// What a site leaves out comes from: the top level's settings.
pub struct TopLevel<'a> {
    pub timezone: Tz,
    pub hours: ContactHours,
    pub identity: &'a Identity,
    pub templates: &'a Templates,
    pub languages: &'a crate::domain::languages::Languages,
    pub region: phonenumber::country::Id,
    pub caps: Caps,
}

/// The sites, each filled in from the top level where it says nothing.
pub fn load(l: &Layers<'_>, top: TopLevel<'_>) -> Result<Vec<Site>> {
    let TopLevel {
        timezone,
        hours,
        identity,
        templates,
        languages,
        region,
        caps,
    } = top;
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
        let own = Templates::load(l, &format!("sites.{key}.templates"), languages)?;
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
            hours: contact_hours(l, &format!("sites.{key}"), hours)?,
            caps: super::limits::site_caps(l, &key, caps)?,
            templates: own.or(templates),
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

/// `PREFIX.quiet_hours` and `PREFIX.hours_by_day.mon` … `sun` (`sending` or `sites.NAME`) over
/// `inherited`: a site that leaves a key out keeps the top level's hours for it, so a site with
/// its own `quiet_hours` still follows `[sending.hours_by_day] sat` on Saturdays.
pub(super) fn contact_hours(
    l: &Layers<'_>,
    prefix: &str,
    inherited: ContactHours,
) -> Result<ContactHours> {
    let every_day = l.get(
        &format!("{prefix}.quiet_hours"),
        inherited.default_hours(),
        parse_hours,
    )?;
    let mut hours = ContactHours::every_day(every_day);
    for (day, key) in WEEK.iter().zip(DAY_KEYS) {
        let own = l.get(&format!("{prefix}.hours_by_day.{key}"), None, |s| {
            parse_hours(s).map(Some)
        })?;
        if let Some(h) = own.or_else(|| inherited.own(*day)) {
            hours = hours.with_day(*day, h);
        }
    }
    Ok(hours)
}
