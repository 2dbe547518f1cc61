//! What a checked row means against what is stored for its (appointment_id, patient_id)
//! (docs/behaviour.md, "Imports"; docs/exports.md, "Moved, cancelled and withdrawn"): one
//! appointment per (appointment id, patient id, instant); the same pair at another instant is the
//! appointment moved; a withdrawn one listed again comes back — unless the file listing it is one
//! imported before (`import --force` after a config fix): an old export read again is not the
//! clinic's latest word, and must not undo what later files (or an operator) withdrew. Its rows
//! already stored count as duplicates.

/// An appointment stored under the row's (appointment_id, patient_id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    /// UTC RFC 3339, as stored.
    pub at: String,
    pub withdrawn: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Store it. The appointments of the pair at other times are withdrawn as moved, and the
    /// new one remembers the time it was moved from.
    New {
        moved: Vec<i64>,
        moved_from: Option<String>,
    },
    /// Exactly an appointment already scheduled: counted, not stored again.
    Duplicate { id: i64 },
    /// Exactly a withdrawn appointment: it comes back, and what had replaced it is withdrawn.
    Reinstate { id: i64, moved: Vec<i64> },
}

/// `again`: the row's file has the content of a file imported before.
pub fn decide(at: &str, stored: &[Stored], again: bool) -> Decision {
    let others = |except: Option<i64>| -> Vec<&Stored> {
        stored
            .iter()
            .filter(|s| !s.withdrawn && Some(s.id) != except && s.at != at)
            .collect()
    };
    match stored.iter().find(|s| s.at == at) {
        Some(same) if same.withdrawn && !again => Decision::Reinstate {
            id: same.id,
            moved: others(Some(same.id)).iter().map(|s| s.id).collect(),
        },
        Some(same) => Decision::Duplicate { id: same.id },
        None => {
            let moved = others(None);
            Decision::New {
                moved_from: moved.iter().map(|s| s.at.clone()).max(),
                moved: moved.iter().map(|s| s.id).collect(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(id: i64, at: &str, withdrawn: bool) -> Stored {
        Stored {
            id,
            at: at.into(),
            withdrawn,
        }
    }

    const TEN: &str = "2026-11-25T15:00:00Z";
    const ELEVEN: &str = "2026-11-25T16:00:00Z";

    #[test]
    fn new_duplicate_moved_and_back_again() {
        assert_eq!(
            decide(TEN, &[], false),
            Decision::New {
                moved: vec![],
                moved_from: None
            }
        );
        assert_eq!(
            decide(TEN, &[s(1, TEN, false)], false),
            Decision::Duplicate { id: 1 }
        );
        assert_eq!(
            decide(ELEVEN, &[s(1, TEN, false)], false),
            Decision::New {
                moved: vec![1],
                moved_from: Some(TEN.into())
            }
        );
        // Moved back to its first time: the first comes back, the second goes.
        assert_eq!(
            decide(TEN, &[s(1, TEN, true), s(2, ELEVEN, false)], false),
            Decision::Reinstate {
                id: 1,
                moved: vec![2]
            }
        );
        // Listed again after a cancel.
        assert_eq!(
            decide(TEN, &[s(1, TEN, true)], false),
            Decision::Reinstate {
                id: 1,
                moved: vec![]
            }
        );
        // A third time, while the first two are withdrawn: only live ones are moved.
        assert_eq!(
            decide(
                "2026-11-26T15:00:00Z",
                &[s(1, TEN, true), s(2, ELEVEN, false)],
                false
            ),
            Decision::New {
                moved: vec![2],
                moved_from: Some(ELEVEN.into())
            }
        );
    }

    #[test]
    fn a_file_read_again_brings_nothing_back() {
        // The first export read again after a later one moved A1 to 11:00: 10:00 stays
        // withdrawn, and so does one withdrawn by hand or by a cancel.
        let stored = [s(1, TEN, true), s(2, ELEVEN, false)];
        assert_eq!(decide(TEN, &stored, true), Decision::Duplicate { id: 1 });
        assert_eq!(decide(ELEVEN, &stored, true), Decision::Duplicate { id: 2 });
        assert_eq!(
            decide(TEN, &[s(1, TEN, true)], true),
            Decision::Duplicate { id: 1 }
        );
    }
}
