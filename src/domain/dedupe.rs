//! What a checked row means against what is stored for its (appointment_id, patient_id)
//! (SPEC 4.1, 10.3): one appointment per (appointment id, patient id, instant); the same pair at
//! another instant is the appointment moved; a withdrawn one listed again comes back.

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

pub fn decide(at: &str, stored: &[Stored]) -> Decision {
    let others = |except: Option<i64>| -> Vec<&Stored> {
        stored
            .iter()
            .filter(|s| !s.withdrawn && Some(s.id) != except && s.at != at)
            .collect()
    };
    match stored.iter().find(|s| s.at == at) {
        Some(same) if same.withdrawn => Decision::Reinstate {
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
            decide(TEN, &[]),
            Decision::New {
                moved: vec![],
                moved_from: None
            }
        );
        assert_eq!(
            decide(TEN, &[s(1, TEN, false)]),
            Decision::Duplicate { id: 1 }
        );
        assert_eq!(
            decide(ELEVEN, &[s(1, TEN, false)]),
            Decision::New {
                moved: vec![1],
                moved_from: Some(TEN.into())
            }
        );
        // Moved back to its first time: the first comes back, the second goes.
        assert_eq!(
            decide(TEN, &[s(1, TEN, true), s(2, ELEVEN, false)]),
            Decision::Reinstate {
                id: 1,
                moved: vec![2]
            }
        );
        // Listed again after a cancel.
        assert_eq!(
            decide(TEN, &[s(1, TEN, true)]),
            Decision::Reinstate {
                id: 1,
                moved: vec![]
            }
        );
        // A third time, while the first two are withdrawn: only live ones are moved.
        assert_eq!(
            decide(
                "2026-11-26T15:00:00Z",
                &[s(1, TEN, true), s(2, ELEVEN, false)]
            ),
            Decision::New {
                moved: vec![2],
                moved_from: Some(ELEVEN.into())
            }
        );
    }
}
