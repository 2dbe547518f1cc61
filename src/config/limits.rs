//! `[limits]` (docs/configuration.md): the caps per number, the `us-health`
//! profile, and each site's own caps, which may only tighten what applies to every site.

use anyhow::Result;

use super::layers::Layers;
use super::sites::{Identity, Site};
use super::values::whole;
use crate::domain::limits::{Caps, Profile};
use crate::exit::usage;

#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    pub profile: Profile,
    /// The caps of every site that sets none of its own (the profile's, or tighter).
    pub caps: Caps,
}

/// The caps read from `prefix.per_day` and `prefix.per_week`, each checked against `outer`
/// (a value left out is `outer`'s).
fn caps(l: &Layers<'_>, prefix: &str, outer: Caps, what: &str) -> Result<Caps> {
    let read =
        |name: &str, default: u32| l.get(&format!("{prefix}.{name}"), default, whole(0u32, 1000));
    let mine = Caps {
        per_day: read("per_day", outer.per_day)?,
        per_week: read("per_week", outer.per_week)?,
    };
    mine.tightens(&outer)
        .map_err(|why| usage(format!("configuration `[{prefix}]`: {why} ({what})")))?;
    Ok(mine)
}

pub(super) fn load(l: &Layers<'_>) -> Result<Limits> {
    let profile = l.get("limits.profile", Profile::None, |s| {
        Profile::parse(s).ok_or_else(|| "must be \"\" or \"us-health\"".to_string())
    })?;
    let what = match profile {
        Profile::None => "no profile",
        Profile::UsHealth => "the us-health profile sets per_day 1 and per_week 3",
    };
    Ok(Limits {
        profile,
        caps: caps(l, "limits", profile.caps(), what)?,
    })
}

/// A site's caps: `[sites.NAME.limits]`, tightening the top level's.
pub(super) fn site_caps(l: &Layers<'_>, key: &str, top: Caps) -> Result<Caps> {
    caps(
        l,
        &format!("sites.{key}.limits"),
        top,
        "the top level's [limits]",
    )
}

/// The profile's demands on who the clinic says it is: `us-health` wants every message to name
/// the clinic and a number to call back.
pub(super) fn check_identity(limits: &Limits, identity: &Identity, sites: &[Site]) -> Result<()> {
    if limits.profile != Profile::UsHealth {
        return Ok(());
    }
    let missing = |id: &Identity| {
        let mut m = Vec::new();
        if id.clinic_name.is_none() {
            m.push("clinic_name");
        }
        if id.callback_number.is_none() {
            m.push("callback_number");
        }
        m
    };
    let mut problems = Vec::new();
    if sites.is_empty() {
        let m = missing(identity);
        if !m.is_empty() {
            problems.push(format!("the top level lacks {}", m.join(" and ")));
        }
    }
    for s in sites {
        let m = missing(&s.identity);
        if !m.is_empty() {
            problems.push(format!("[sites.{}] lacks {}", s.key, m.join(" and ")));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(usage(format!(
            "limits.profile = \"us-health\" requires clinic_name and callback_number on every site: {}",
            problems.join("; ")
        )))
    }
}
