//! `status backfill`: the freed slots offered to the waitlist, one line each — when and where,
//! what freed it, how its offers stand, who took it and whether the clinic booked them.
//! `--json` adds each slot's offers. Numbers are masked in every format: the waiting patients
//! reach this view only as offers, never as the operator's own list.

use std::io::Write;

use anyhow::Result;
use rusqlite::Connection;

use super::{Args, Scope};
use crate::backfill_file::local_time;
use crate::config::Config;
use crate::db::backfill::{self, Filter, Slot};
use crate::domain::slot_states::SlotState;
use crate::output::{self, Format, View};

/// A slot's state in words: a closed slot says why.
pub(crate) fn state_words(s: &Slot) -> String {
    match (&s.closed_reason, s.state) {
        (Some(why), SlotState::Closed | SlotState::Expired) if !why.trim().is_empty() => {
            format!("{} ({why})", s.state.as_str())
        }
        _ => s.state.as_str().to_string(),
    }
}

pub(super) fn run(
    cfg: &Config,
    conn: &Connection,
    args: &Args,
    scope: &Scope,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let mut records = backfill::slots(
        conn,
        &Filter {
            date: scope.date.map(|d| d.to_string()),
            site: scope.site.clone(),
            state: args.state.as_deref().and_then(SlotState::parse),
            limit: args.limit,
        },
    )?;
    if format == Format::Json {
        for s in &mut records {
            let mut offers = backfill::offers_of(conn, s.id)?;
            for o in &mut offers {
                o.phone_number = crate::mask::phone(&o.phone_number);
            }
            s.offers = Some(offers);
        }
    }
    let with_sites = !cfg.sites.is_empty();
    let rows = records
        .iter()
        .map(|s| {
            let tz = cfg.site(&s.site).tz;
            let mut row = vec![s.local_date.clone(), local_time(s.starts_at, tz)];
            if with_sites {
                row.push(s.site.clone());
            }
            row.extend([
                output::opt(&s.provider),
                output::opt(&s.visit_type),
                s.freed_by.clone(),
                state_words(s),
                s.offers_sent.to_string(),
                s.offers_open.to_string(),
                s.offers_declined.to_string(),
                s.offers_lost.to_string(),
                output::opt(&s.taker_patient_id),
                output::opt(&s.taker_moves_from),
                s.taken_at.map(|t| t.local(tz)).unwrap_or_default(),
                if s.booked_at.is_some() { "yes" } else { "no" }.to_string(),
            ]);
            row
        })
        .collect();
    let mut header = vec!["date", "time"];
    if with_sites {
        header.push("site");
    }
    header.extend([
        "provider",
        "visit type",
        "freed by",
        "state",
        "sent",
        "open",
        "declined",
        "lost",
        "taker",
        "moves from",
        "taken at",
        "booked",
    ]);
    output::write(
        out,
        format,
        &View {
            title: "Freed slots",
            header: &header,
            rows,
            records: &records,
            hide: &[
                "lost",
                "declined",
                "open",
                "visit type",
                "provider",
                "taken at",
                "site",
                "sent",
            ],
        },
    )
}
