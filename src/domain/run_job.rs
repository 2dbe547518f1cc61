//! What a recorded run did: the word `runs.kind` holds, shown in `status runs` and matched by
//! the windows a run covers.

use super::schedule::RunKind;
use super::words::words;

words! {
    /// The work of one recorded run.
    RunJob {
        /// First attempts of due touches (after importing, for a send window).
        Send = "send",
        /// Retries, and first attempts that were due and not made.
        Retry = "retry",
        /// Waves of offers of freed slots to the waitlist.
        Backfill = "backfill",
        /// Outcomes asked of Twilio for attempts that have none.
        Reconcile = "reconcile",
    }
}

impl From<RunKind> for RunJob {
    fn from(kind: RunKind) -> RunJob {
        match kind {
            RunKind::Send => RunJob::Send,
            RunKind::Retry => RunJob::Retry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_dispatching_kind_is_the_run_of_its_own_word() {
        assert_eq!(RunJob::from(RunKind::Send).as_str(), "send");
        assert_eq!(RunJob::from(RunKind::Retry).as_str(), "retry");
        for job in RunJob::ALL {
            assert_eq!(RunJob::parse(job.as_str()), Some(*job));
        }
        assert_eq!(RunJob::parse("import"), None);
    }
}
