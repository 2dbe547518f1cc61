//! `reminders withdraw`: takes an appointment out of the schedule by hand.

use anyhow::Result;

use crate::clock::Stamp;
use crate::config::Config;
use crate::db::{self, appointments};
use crate::exit::usage;

#[derive(clap::Args, Debug)]
#[command(
    about = "Take an appointment out of the schedule by hand (never contacted again)",
    long_about = "Withdraws the appointment with this id (the clinic's appointment id): it is \
never contacted again, an attempt already out finishes and is recorded, and every view and \
the results file show it as withdrawn with the reason. When the same appointment id belongs to \
several patients, --patient says which. Exit 1 when nothing matches, 2 when the id is \
ambiguous without --patient.",
    after_help = "Examples:\n  reminders withdraw A1042 --reason \"patient called to cancel\"\n  \
reminders withdraw A1042 --patient P503"
)]
pub struct Args {
    /// The clinic's appointment id.
    pub appointment_id: String,

    /// The patient id, when the appointment id alone is not unique.
    #[arg(long, value_name = "ID")]
    pub patient: Option<String>,

    /// Why, in a few words (shown in every view and the results file).
    #[arg(long, value_name = "TEXT", default_value = "withdrawn by hand")]
    pub reason: String,
}

/// An appointment id names one patient's appointment, or `--patient` must say whose (exit 2):
/// shared by `withdraw` and `history`.
pub fn one_patient(id: &str, patients: &[&str]) -> Result<()> {
    if patients.len() > 1 {
        return Err(usage(format!(
            "appointment id {id} belongs to {} patients ({}): say which with --patient",
            patients.len(),
            patients.join(", ")
        )));
    }
    Ok(())
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    let mut conn = db::open(&cfg.db)?;
    crate::dispatch::lock::close_dead_runs(&conn, &cfg.lock_path(), Stamp::from(cfg.now()));
    let id = crate::domain::row::clean_id(&args.appointment_id);
    let patient = args.patient.as_deref().map(crate::domain::row::clean_id);
    let tx = db::begin(&mut conn)?;
    let found = appointments::scheduled_by_id(&tx, &id, patient.as_deref())?;
    let mut patients: Vec<&str> = found.iter().map(|a| a.patient_id.as_str()).collect();
    patients.dedup();
    match (found.len(), patients.len()) {
        (0, _) => anyhow::bail!(
            "no appointment {id}{} is in the schedule (withdrawn, or never imported?): see `reminders status appointments --search {id}`",
            patient
                .as_deref()
                .map(|p| format!(" of patient {p}"))
                .unwrap_or_default()
        ),
        _ => one_patient(&id, &patients)?,
    }
    let ids: Vec<i64> = found.iter().map(|a| a.id).collect();
    let reason = args.reason.trim();
    appointments::withdraw(&tx, &ids, reason, Stamp::from(cfg.now()))?;
    tx.commit()?;
    for a in &found {
        println!(
            "withdrawn: appointment {} (patient {}) at {}, was {}: {reason}",
            a.appointment_id,
            a.patient_id,
            a.at.local(cfg.timezone),
            a.state.as_str()
        );
    }
    Ok(())
}
