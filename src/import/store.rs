//! The storing side of an import: each batch of checked rows against what is stored
//! (`domain::dedupe`): new appointments inserted many to a statement, duplicates counted,
//! moved ones withdrawn, withdrawn ones listed again brought back, cancelled ones withdrawn,
//! rejected rows kept with their reason. All inside the import's one transaction.

use crate::clock::Stamp;
use std::collections::HashSet;

use anyhow::Result;
use rusqlite::Connection;

use super::check::{Item, Rejected};
use super::site_days::SiteDays;
use crate::db::appointments::{self, INSERT_BATCH, NewAppointment};
use crate::db::imports::{self, RowAction};
use crate::domain::dedupe::{self, Decision};
use crate::domain::values::StatusWord;

/// The import's counts as it goes: `processed = stored + duplicates + failed + withdrawn +
/// no_show`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub counts: imports::Counts,
    /// Stored appointments per (site, local date).
    pub per_day: SiteDays,
    /// The first rejected rows' reasons, for the operator's screen (all are stored).
    pub shown: Vec<(u64, String)>,
    /// Appointments withdrawn because a row moved them (reported, not counted as rows).
    pub moved: u64,
    /// Past appointments a row said the patient did not come to (reported beside the rows).
    pub marked_no_show: u64,
}

/// How many failed-row reasons an import keeps for printing.
const SHOWN_FAILURES: usize = 10;

pub struct Store<'a> {
    pub conn: &'a Connection,
    pub batches: appointments::Batches<'a>,
    pub import_id: i64,
    pub now: Stamp,
    /// Snapshot files need to know which stored appointments they listed.
    pub snapshot: bool,
    /// The file's content was imported before (`import --force`): it brings back nothing
    /// withdrawn (`dedupe::decide`).
    pub again: bool,
    pub tally: Tally,
}

/// FNV-1a: the keys of one run of rows are hashed once each to find repeats, and std's
/// SipHash (built to resist chosen keys, which a run of 64 rows need not) cost more than the
/// lookup they save.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

impl Store<'_> {
    /// Stores a batch of items in file order. Rows stored are lent to the insert and put back,
    /// so that what the reading thread allocated goes back to it to be freed.
    pub fn batch(&mut self, items: &mut [Item]) -> Result<()> {
        let mut start = 0;
        while start < items.len() {
            // A run of rows whose keys are all different (so one lookup serves them all),
            // ending before a cancel, which must see what the rows before it stored.
            let mut keys: HashSet<_, std::hash::BuildHasherDefault<Fnv>> =
                HashSet::with_capacity_and_hasher(INSERT_BATCH, Default::default());
            let mut end = start;
            while end < items.len() && end - start < INSERT_BATCH {
                match &items[end] {
                    Item::Keep(new) => {
                        if !keys.insert((&new.appt.appointment_id, &new.appt.patient_id)) {
                            break;
                        }
                    }
                    Item::Cancel { .. } if end > start => break,
                    Item::Cancel { .. } => {
                        end += 1;
                        break;
                    }
                    Item::Reject(_) | Item::Lent => {}
                }
                end += 1;
            }
            self.run(&mut items[start..end])?;
            start = end;
        }
        Ok(())
    }

    fn run(&mut self, items: &mut [Item]) -> Result<()> {
        let keys: Vec<(&str, &str)> = items
            .iter()
            .filter_map(|i| match i {
                Item::Keep(n) => Some((n.appt.appointment_id.as_str(), n.appt.patient_id.as_str())),
                _ => None,
            })
            .collect();
        let stored = self.batches.lookup(&keys)?;
        let mut inserts: Vec<NewAppointment> = Vec::new();
        // Where each insert was lent from.
        let mut lent: Vec<usize> = Vec::new();
        let mut seen_ids = Vec::new();
        for (at, item) in items.iter_mut().enumerate() {
            self.tally.counts.total += 1;
            match item {
                Item::Keep(new) => {
                    let a = &new.appt;
                    let mine: Vec<dedupe::Stored> = stored
                        .iter()
                        .filter(|(aid, pid, _)| *aid == a.appointment_id && *pid == a.patient_id)
                        .map(|(_, _, s)| s.clone())
                        .collect();
                    match dedupe::decide(&new.at, &mine, self.again) {
                        Decision::New { moved, moved_from } => {
                            self.withdraw_moved(&moved, new)?;
                            new.moved_from = moved_from;
                            self.stored(new);
                            let Item::Keep(new) = std::mem::replace(item, Item::Lent) else {
                                unreachable!("matched as Keep above");
                            };
                            inserts.push(new);
                            lent.push(at);
                        }
                        Decision::Duplicate { id } => {
                            self.tally.counts.duplicates += 1;
                            self.event(new, Some(id), RowAction::Duplicate)?;
                            seen_ids.push(id);
                        }
                        Decision::Reinstate { id, moved } => {
                            self.withdraw_moved(&moved, new)?;
                            appointments::reinstate(self.conn, id, self.import_id, self.now)?;
                            self.event(new, Some(id), RowAction::Reinstated)?;
                            self.stored(new);
                        }
                    }
                }
                Item::Cancel {
                    appointment_id,
                    patient_id,
                    news,
                    row,
                } => {
                    let action = match news {
                        StatusWord::Cancelled => RowAction::Cancelled,
                        StatusWord::ClinicCancelled => RowAction::ClinicCancelled,
                        StatusWord::NoShow => RowAction::NoShow,
                    };
                    imports::insert_event(
                        self.conn,
                        &imports::RowEvent {
                            import_id: self.import_id,
                            appointment_id,
                            patient_id,
                            appointment: None,
                            row: *row as i64,
                            action,
                            at: self.now,
                        },
                    )?;
                    match news {
                        StatusWord::Cancelled | StatusWord::ClinicCancelled => {
                            let reason = if *news == StatusWord::Cancelled {
                                appointments::CANCELLED
                            } else {
                                appointments::CLINIC_CANCELLED
                            };
                            appointments::withdraw_pair(
                                self.conn,
                                appointment_id,
                                patient_id,
                                reason,
                                self.now,
                            )?;
                            self.tally.counts.withdrawn += 1;
                        }
                        StatusWord::NoShow => {
                            self.tally.marked_no_show += appointments::mark_no_show(
                                self.conn,
                                appointment_id,
                                patient_id,
                                self.now,
                            )? as u64;
                            self.tally.counts.no_show += 1;
                        }
                    }
                }
                Item::Reject(r) => self.reject(r)?,
                Item::Lent => unreachable!("only a run's own inserts are lent, and given back"),
            }
        }
        if !inserts.is_empty() {
            let done = self.batches.insert(&inserts, self.import_id, self.now);
            for (new, at) in inserts.into_iter().zip(lent) {
                items[at] = Item::Keep(new);
            }
            done?;
        }
        if self.snapshot && !seen_ids.is_empty() {
            appointments::mark_seen(self.conn, &seen_ids, self.import_id)?;
        }
        Ok(())
    }

    fn stored(&mut self, new: &NewAppointment) {
        self.tally.counts.successful += 1;
        self.tally.per_day.add(&new.appt.site, new.appt.local_date);
    }

    /// Withdraws the appointments `new` moved away from, recording the row against each.
    fn withdraw_moved(&mut self, ids: &[i64], new: &NewAppointment) -> Result<()> {
        if !ids.is_empty() {
            self.tally.moved += appointments::withdraw(self.conn, ids, "moved", self.now)? as u64;
        }
        for id in ids {
            self.event(new, Some(*id), RowAction::Moved)?;
        }
        Ok(())
    }

    /// What row `new` did to the stored appointment `id` (`reminders history`).
    fn event(&self, new: &NewAppointment, id: Option<i64>, action: RowAction) -> Result<()> {
        imports::insert_event(
            self.conn,
            &imports::RowEvent {
                import_id: self.import_id,
                appointment_id: &new.appt.appointment_id,
                patient_id: &new.appt.patient_id,
                appointment: id,
                row: new.row,
                action,
                at: self.now,
            },
        )
    }

    fn reject(&mut self, r: &Rejected) -> Result<()> {
        imports::insert_failed_row(self.conn, self.import_id, r.row, &r.data, &r.reason)?;
        self.tally.counts.failed += 1;
        if self.tally.shown.len() < SHOWN_FAILURES {
            self.tally.shown.push((r.row, r.reason.clone()));
        }
        Ok(())
    }
}
