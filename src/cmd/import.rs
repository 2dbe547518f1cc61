//! `reminders import`: the clinic's CSV files into the store.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::importer::{self, Outcome};
use crate::{db, output};

#[derive(clap::Args, Debug)]
#[command(
    about = "Import appointment CSV files (default: every *.csv in the drop folder)",
    long_about = "Validates each file row by row, stores new appointments, counts duplicates \
(same appointment id, patient id and time, in this file or any earlier one) and rejected rows, \
then moves the file into the archive folder. A file already imported (same SHA-256) is \
recognised and not imported again. Each file is imported whole or not at all.",
    after_help = "Examples:\n  reminders import                      # every *.csv in ./csv, oldest name first\n  \
reminders import exports/2026-11-24.csv\n  reminders import --now                # import, then send right away\n\n\
Rejected rows: reminders status failed-rows --import N"
)]
pub struct Args {
    /// Files to import; default: every *.csv in the drop folder, oldest name first.
    pub files: Vec<PathBuf>,

    /// Run `send` right after importing (the manual "upload and go").
    #[arg(long)]
    pub now: bool,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    let files = if args.files.is_empty() {
        importer::drop_folder_files(&cfg.csv_dir)?
    } else {
        args.files.clone()
    };
    let mut conn = db::open(&cfg.db)?;
    let user = operator();
    let mut outcomes = Vec::new();
    let mut failed_files = 0;
    for path in &files {
        match importer::import_file(&mut conn, cfg, path, &user) {
            Ok(outcome) => {
                if outcome.status == "failed" {
                    failed_files += 1;
                }
                outcomes.push(outcome);
            }
            Err(e) => {
                failed_files += 1;
                log::error!("{:#}", e.context(format!("importing {}", path.display())));
            }
        }
    }
    print_summary(&outcomes, files.is_empty(), cfg);
    if failed_files > 0 {
        anyhow::bail!(
            "{failed_files} of {} file(s) could not be imported",
            files.len()
        );
    }
    if args.now {
        return crate::cmd::send::run_after_import(cfg).context("sending after the import");
    }
    Ok(())
}

fn print_summary(outcomes: &[Outcome], nothing_to_do: bool, cfg: &Config) {
    if nothing_to_do {
        println!("No CSV files to import in {}.", cfg.csv_dir.display());
        return;
    }
    let header = [
        "file",
        "import",
        "status",
        "rows",
        "stored",
        "duplicates",
        "failed",
        "archived as",
    ];
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            vec![
                o.file_name.clone(),
                format!("#{}", o.import_id),
                o.status.to_string(),
                o.counts.total.to_string(),
                o.counts.successful.to_string(),
                o.counts.duplicates.to_string(),
                o.counts.failed.to_string(),
                o.archived_to
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        println!("{}", output::table(&header, &rows));
    }
    for o in outcomes {
        if let Some(note) = &o.note {
            println!("{}: {}", o.file_name, note);
        }
        for (row, reason) in &o.failures {
            println!("{} row {row}: {reason}", o.file_name);
        }
        if o.counts.failed as usize > o.failures.len() {
            println!(
                "{}: {} more rejected row(s): reminders status failed-rows --import {}",
                o.file_name,
                o.counts.failed as usize - o.failures.len(),
                o.import_id
            );
        }
    }
}

/// The operating-system account running the import (the old web app's `user_id`).
fn operator() -> String {
    whoami::username()
        .ok()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".to_string())
}
