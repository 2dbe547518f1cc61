//! The `imports` and `failed_import_rows` tables.

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, named_params};
use serde::Serialize;

use crate::clock::Stamp;
use crate::domain::words::words;

words! {
    /// How an import ended.
    ImportStatus {
        Completed = "completed",
        /// The file could not be read as an appointment list (recorded with the reason).
        Failed = "failed",
        /// The same content was imported before.
        Skipped = "skipped",
    }
}

words! {
    /// What a file was: the clinic's appointments, or its waitlist.
    ImportKind {
        Appointments = "appointments",
        Waitlist = "waitlist",
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub total: i64,
    pub successful: i64,
    pub duplicates: i64,
    pub failed: i64,
    /// Rows whose status said cancelled: they withdraw what is stored and are not stored.
    pub withdrawn: i64,
    /// Rows whose status said the patient did not come: they mark what is stored (a past
    /// appointment) and are not stored.
    pub no_show: i64,
}

impl Counts {
    pub fn processed(&self) -> i64 {
        self.successful + self.duplicates + self.failed + self.withdrawn + self.no_show
    }
}

pub struct NewImport<'a> {
    pub kind: ImportKind,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub user_id: &'a str,
    pub started_at: Stamp,
}

/// Starts an import record (inside the caller's transaction); `finish` completes it.
pub fn insert(conn: &Connection, new: &NewImport<'_>, status: ImportStatus) -> Result<i64> {
    conn.execute(
        "INSERT INTO imports (kind, file_name, sha256, status, user_id, started_at)
         VALUES (:kind, :file_name, :sha256, :status, :user_id, :started_at)",
        named_params! {
            ":kind": new.kind.as_str(),
            ":file_name": new.file_name, ":sha256": new.sha256, ":status": status.as_str(),
            ":user_id": new.user_id, ":started_at": new.started_at,
        },
    )?;
    Ok(conn.last_insert_rowid())
}

/// The names of the columns an import keeps in each row's `data`, in order (a JSON array).
pub fn set_data_keys(conn: &Connection, id: i64, keys: &[&str]) -> Result<()> {
    conn.execute(
        "UPDATE imports SET data_keys = ?2 WHERE id = ?1",
        rusqlite::params![id, serde_json::to_string(keys)?],
    )?;
    Ok(())
}

/// The last completed import: its file's name and the columns its rows keep for templates
/// besides the usual ones (none when it kept none).
pub fn last_columns(conn: &Connection) -> Result<Option<(String, Vec<String>)>> {
    let row = conn
        .query_row(
            "SELECT file_name, data_keys FROM imports
             WHERE status = 'completed' AND kind = 'appointments'
             ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)),
        )
        .optional()?;
    Ok(row.map(|(file, keys)| {
        let keys = keys
            .and_then(|k| serde_json::from_str::<Vec<String>>(&k).ok())
            .unwrap_or_default();
        (file, keys)
    }))
}

pub struct Finish<'a> {
    pub status: ImportStatus,
    pub counts: &'a Counts,
    pub file_path: Option<&'a str>,
    pub finished_at: Stamp,
    pub error: Option<&'a str>,
    /// What the import learned (dates, slash order, languages), as JSON.
    pub summary: Option<&'a str>,
}

pub fn finish(conn: &Connection, id: i64, f: &Finish<'_>) -> Result<()> {
    conn.execute(
        "UPDATE imports SET status = :status, total_rows = :total, processed_rows = :processed,
             successful_rows = :ok, duplicate_rows = :dup, failed_rows = :failed,
             withdrawn_rows = :withdrawn, no_show_rows = :no_show, file_path = :path,
             finished_at = :finished,
             error = :error, summary = :summary
         WHERE id = :id",
        named_params! {
            ":status": f.status.as_str(), ":total": f.counts.total,
            ":processed": f.counts.processed(), ":ok": f.counts.successful,
            ":dup": f.counts.duplicates, ":failed": f.counts.failed,
            ":withdrawn": f.counts.withdrawn, ":no_show": f.counts.no_show,
            ":path": f.file_path, ":finished": f.finished_at,
            ":error": f.error, ":summary": f.summary, ":id": id,
        },
    )?;
    Ok(())
}

/// The completed import that already holds a file with this content, if any.
pub fn completed_with_sha(conn: &Connection, sha256: &str) -> Result<Option<(i64, String)>> {
    Ok(conn
        .query_row(
            "SELECT id, file_name FROM imports WHERE sha256 = ?1 AND status = 'completed'
             ORDER BY id LIMIT 1",
            [sha256],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Records where the file went once it is archived.
pub fn set_archived(conn: &Connection, id: i64, path: &str) -> Result<()> {
    conn.execute(
        "UPDATE imports SET file_path = ?1 WHERE id = ?2",
        rusqlite::params![path, id],
    )?;
    Ok(())
}

pub fn insert_failed_row(
    conn: &Connection,
    import_id: i64,
    row_number: u64,
    data: &str,
    error: &str,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO failed_import_rows (import_id, row_number, data, validation_error)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    stmt.execute(rusqlite::params![import_id, row_number as i64, data, error])?;
    Ok(())
}

pub use crate::domain::history::RowAction;

/// What one row of an import did to an appointment, other than storing it.
pub struct RowEvent<'a> {
    pub import_id: i64,
    pub appointment_id: &'a str,
    pub patient_id: &'a str,
    /// The stored appointment it touched; none for a cancel (it names a pair).
    pub appointment: Option<i64>,
    pub row: i64,
    pub action: RowAction,
    pub at: crate::clock::Stamp,
}

pub fn insert_event(conn: &Connection, e: &RowEvent<'_>) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO import_events
             (import_id, appointment_id, patient_id, appointment, row_number, action, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    stmt.execute(rusqlite::params![
        e.import_id,
        e.appointment_id,
        e.patient_id,
        e.appointment,
        e.row,
        e.action.as_str(),
        e.at
    ])?;
    Ok(())
}

#[derive(Clone, Debug, Serialize)]
pub struct ImportRow {
    pub id: i64,
    pub kind: ImportKind,
    pub file_name: String,
    pub file_path: Option<String>,
    pub sha256: String,
    pub status: ImportStatus,
    pub total_rows: i64,
    pub processed_rows: i64,
    pub successful_rows: i64,
    pub duplicate_rows: i64,
    pub failed_rows: i64,
    pub withdrawn_rows: i64,
    pub user_id: String,
    pub started_at: Stamp,
    pub finished_at: Option<Stamp>,
    pub error: Option<String>,
    /// Dates and counts, slash order, unrecognised languages (JSON object), when recorded.
    pub summary: Option<serde_json::Value>,
}

/// Imports, newest first.
pub fn list(conn: &Connection, limit: Option<i64>, only: Option<i64>) -> Result<Vec<ImportRow>> {
    let mut stmt = conn.prepare(
        "SELECT id, file_name, file_path, sha256, status, total_rows, processed_rows,
                successful_rows, duplicate_rows, failed_rows, user_id, started_at, finished_at,
                error, withdrawn_rows, summary, kind
         FROM imports WHERE (:only IS NULL OR id = :only) ORDER BY id DESC LIMIT :limit",
    )?;
    let rows = stmt.query_map(
        named_params! {":only": only, ":limit": limit.unwrap_or(-1)},
        |r| {
            Ok(ImportRow {
                id: r.get(0)?,
                file_name: r.get(1)?,
                file_path: r.get(2)?,
                sha256: r.get(3)?,
                status: r.get(4)?,
                total_rows: r.get(5)?,
                processed_rows: r.get(6)?,
                successful_rows: r.get(7)?,
                duplicate_rows: r.get(8)?,
                failed_rows: r.get(9)?,
                user_id: r.get(10)?,
                started_at: r.get(11)?,
                finished_at: r.get(12)?,
                error: r.get(13)?,
                withdrawn_rows: r.get(14)?,
                summary: r
                    .get::<_, Option<String>>(15)?
                    .and_then(|s| serde_json::from_str(&s).ok()),
                kind: r.get(16)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[derive(Clone, Debug, Serialize)]
pub struct FailedRow {
    pub import_id: i64,
    pub file_name: String,
    pub row_number: i64,
    pub data: serde_json::Value,
    pub validation_error: String,
}

pub fn failed_rows(conn: &Connection, import: Option<i64>) -> Result<Vec<FailedRow>> {
    let mut stmt = conn.prepare(
        "SELECT f.import_id, i.file_name, f.row_number, f.data, f.validation_error
         FROM failed_import_rows f JOIN imports i ON i.id = f.import_id
         WHERE (:import IS NULL OR f.import_id = :import)
         ORDER BY f.import_id DESC, f.row_number",
    )?;
    let rows = stmt.query_map(named_params! {":import": import}, |r| {
        let data: String = r.get(3)?;
        Ok(FailedRow {
            import_id: r.get(0)?,
            file_name: r.get(1)?,
            row_number: r.get(2)?,
            data: serde_json::from_str(&data).unwrap_or(serde_json::Value::String(data)),
            validation_error: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
