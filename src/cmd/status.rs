//! `reminders status`: where everything stands, as tables for people or JSON/CSV for scripts.

use anyhow::Result;

use crate::clock::local_display;
use crate::config::Config;
use crate::db;
use crate::mask;
use crate::output::{self, Format, View};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ViewName {
    #[default]
    Imports,
    FailedRows,
}

#[derive(clap::Args, Debug)]
#[command(
    about = "Show imports and rejected rows (tables; --json or --csv for scripts)",
    after_help = "Examples:\n  reminders status imports\n  reminders status failed-rows --import 3\n  reminders status imports --json"
)]
pub struct Args {
    /// What to show.
    #[arg(value_enum, default_value_t)]
    pub view: ViewName,

    /// JSON for scripts.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,

    /// CSV for spreadsheets and scripts.
    #[arg(long)]
    pub csv: bool,

    /// Only this import.
    #[arg(long, value_name = "N")]
    pub import: Option<i64>,

    /// Show phone numbers in full (they are masked by default: they are health data).
    #[arg(long)]
    pub show_phone: bool,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    let conn = db::open(&cfg.db)?;
    let format = if args.json {
        Format::Json
    } else if args.csv {
        Format::Csv
    } else {
        Format::Table
    };
    let mut out = std::io::stdout().lock();
    match args.view {
        ViewName::Imports => {
            let records = db::imports::list(&conn, None, args.import)?;
            let rows = records
                .iter()
                .map(|i| {
                    vec![
                        i.id.to_string(),
                        i.file_name.clone(),
                        i.status.clone(),
                        i.total_rows.to_string(),
                        i.successful_rows.to_string(),
                        i.duplicate_rows.to_string(),
                        i.failed_rows.to_string(),
                        i.user_id.clone(),
                        local_display(&i.started_at, cfg.timezone),
                        output::opt(&i.error),
                    ]
                })
                .collect();
            output::write(
                &mut out,
                format,
                &View {
                    title: "Imports",
                    header: &[
                        "id",
                        "file",
                        "status",
                        "rows",
                        "stored",
                        "duplicates",
                        "failed",
                        "user",
                        "started",
                        "note",
                    ],
                    rows,
                    records: &records,
                },
            )
        }
        ViewName::FailedRows => {
            let mut records = db::imports::failed_rows(&conn, args.import)?;
            if !args.show_phone {
                for r in &mut records {
                    mask_phone_fields(&mut r.data);
                }
            }
            let rows = records
                .iter()
                .map(|r| {
                    vec![
                        r.import_id.to_string(),
                        r.file_name.clone(),
                        r.row_number.to_string(),
                        r.validation_error.clone(),
                        r.data.to_string(),
                    ]
                })
                .collect();
            output::write(
                &mut out,
                format,
                &View {
                    title: "Rejected rows",
                    header: &["import", "file", "row", "reason", "data"],
                    rows,
                    records: &records,
                },
            )
        }
    }
}

/// Masks the phone column of a stored CSV row, whatever its header was called.
fn mask_phone_fields(data: &mut serde_json::Value) {
    if let Some(map) = data.as_object_mut() {
        for (key, value) in map.iter_mut() {
            if crate::domain::row::normalise_header(key).contains("phone_number")
                && let Some(s) = value.as_str()
            {
                *value = serde_json::Value::String(mask::phone(s));
            }
        }
    }
}
