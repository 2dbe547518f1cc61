//! `reminders history`: one appointment's whole story, in time order, in the clinic's zone.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::config::Config;
use crate::db;
use crate::domain::history::{self, Event};
use crate::output;

#[derive(clap::Args, Debug)]
#[command(
    about = "One appointment's whole story: imports, moves, attempts, callbacks, replies, holds, results",
    long_about = "Everything that happened to the appointment with this id (the clinic's \
appointment id), in time order and in the clinic's time: every row of every import that \
touched it (file, row, and what it did: stored, duplicate, moved, reinstated, cancelled, \
cancelled by the clinic, missed), withdrawals with their reason, each reminder touch, each \
attempt and each message after the reminder (channel, masked number, SID, Twilio's outcome and \
error in words, duration, price), the callbacks Twilio sent for them, the patient's replies with \
their text, contacts the rules of contact held and why, opt-outs and opt-ins of the number, the \
slot it gave back when that was offered to the waitlist (its opening, each offer, the taker, the \
booking or the closing), and the row the results file has for it. Phone numbers are masked. Exit 1 when nothing matches, 2 when the id belongs \
to several patients and --patient does not say which.",
    after_help = "Examples:\n  reminders history A1042\n  reminders history A1042 --patient P503 --json"
)]
pub struct Args {
    /// The clinic's appointment id.
    pub appointment_id: String,

    /// The patient id, when the appointment id alone is not unique.
    #[arg(long, value_name = "ID")]
    pub patient: Option<String>,

    /// JSON for scripts instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Story<'a> {
    appointment_id: &'a str,
    patient_id: &'a str,
    timezone: &'a str,
    events: Vec<Told<'a>>,
}

#[derive(Serialize)]
struct Told<'a> {
    /// The event's instant in UTC (none for the results row).
    at: Option<String>,
    /// The same in the clinic's zone, as the table shows it.
    local: String,
    what: String,
    detail: String,
    #[serde(flatten)]
    event: &'a Event,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    // Like `status`: reads, and never creates a database.
    let (conn, _) = db::open_to_read(&cfg.db)?;
    let id = crate::domain::row::clean_id(&args.appointment_id);
    let patient = args.patient.as_deref().map(crate::domain::row::clean_id);
    let patients = db::history::patients_with(&conn, &id, patient.as_deref())?;
    let names: Vec<&str> = patients.iter().map(String::as_str).collect();
    crate::cmd::withdraw::one_patient(&id, &names)?;
    let Some(patient_id) = patients.first() else {
        anyhow::bail!(
            "no appointment {id}{} was ever imported: see `reminders status appointments --search {id}`",
            patient
                .as_deref()
                .map(|p| format!(" of patient {p}"))
                .unwrap_or_default()
        );
    };
    let zone = |site: &str| cfg.site(site).tz;
    let rules = db::history::StoryContext {
        zone: &zone,
        touches: &cfg.schedule.touches,
        voicemail_counts_as_reached: cfg.sending.voicemail_counts_as_reached,
    };
    let mut events = db::history::gather(&conn, &id, patient_id, &rules)?;
    history::sort(&mut events);
    let site = db::history::site_of(&conn, &id, patient_id)?;
    let tz = cfg.site(&site).tz;
    let told: Vec<Told<'_>> = events
        .iter()
        .map(|e| {
            let (what, detail) = history::describe(e);
            Told {
                at: e.at.map(crate::clock::db_time),
                local: history::when(e, tz),
                what,
                detail,
                event: e,
            }
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        let story = Story {
            appointment_id: &id,
            patient_id,
            timezone: tz.name(),
            events: told,
        };
        serde_json::to_writer_pretty(&mut out, &story)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "appointment {id}, patient {patient_id} (times in {})",
        tz.name()
    )?;
    let rows: Vec<Vec<String>> = told
        .into_iter()
        .map(|t| vec![t.local, t.what, t.detail])
        .collect();
    writeln!(out, "{}", output::table(&["when", "what", "detail"], &rows))?;
    Ok(())
}
