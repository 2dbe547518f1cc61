//! How a dispatching or reconciling run ended, stored in `runs.outcome` as its word.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// Everything due was dealt with.
    Completed,
    /// An error stopped it (`runs.error` says which), or no contact could be made.
    Failed,
    /// SIGINT or SIGTERM: no new contacts, those in flight finished and were recorded.
    Interrupted,
    /// Contact hours ended during the run; the rest are due at the next window.
    StoppedAtContactHours,
    /// Refused before it contacted anyone (missing credentials, a template error).
    Refused,
    /// It never recorded its end (killed, crashed, the machine stopped); the next command to
    /// open the database closed it with how far it had got.
    Died,
}

pub const ALL: [RunOutcome; 6] = [
    RunOutcome::Completed,
    RunOutcome::Failed,
    RunOutcome::Interrupted,
    RunOutcome::StoppedAtContactHours,
    RunOutcome::Refused,
    RunOutcome::Died,
];

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Completed => "completed",
            RunOutcome::Failed => "failed",
            RunOutcome::Interrupted => "interrupted",
            RunOutcome::StoppedAtContactHours => "stopped at the end of contact hours",
            RunOutcome::Refused => "refused",
            RunOutcome::Died => "died",
        }
    }

    pub fn parse(s: &str) -> Option<RunOutcome> {
        ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// A window's run that ended this way has done the window (a refused, interrupted or dead
    /// run has not: the window is still to run, or listed as missed).
    pub fn did_the_window(self) -> bool {
        matches!(
            self,
            RunOutcome::Completed | RunOutcome::Failed | RunOutcome::StoppedAtContactHours
        )
    }
}

/// As its word, in `--json` views.
impl serde::Serialize for RunOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for o in ALL {
            assert_eq!(RunOutcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(RunOutcome::parse("killed"), None);
    }
}
