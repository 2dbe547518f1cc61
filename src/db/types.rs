//! How the domain's words are stored: a state, a channel, a run's outcome, a language, an
//! import's status or kind, a slot's or an offer's state is its word in the database, and a
//! word the program does not know is an error when read, never a guess.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::db::imports::{ImportKind, ImportStatus};
use crate::domain::channel::Channel;
use crate::domain::languages::code::Language;
use crate::domain::run_job::RunJob;
use crate::domain::run_outcome::RunOutcome;
use crate::domain::slot_states::{OfferState, SlotState};
use crate::domain::state::State;

fn word<T>(value: ValueRef<'_>, parse: impl Fn(&str) -> Option<T>, what: &str) -> FromSqlResult<T> {
    let text = value.as_str()?;
    parse(text).ok_or_else(|| FromSqlError::Other(format!("{text:?} is not a known {what}").into()))
}

/// `$ty` stored as the word `$as_word` gives and read back through `$parse`; `$what` names it in
/// the error for a word that is not one.
macro_rules! stored_as_word {
    ($ty:ty, $as_word:ident, $parse:path, $what:literal) => {
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(self.$as_word().into())
            }
        }

        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                word(value, $parse, $what)
            }
        }
    };
}

stored_as_word!(State, as_str, State::parse, "appointment state");
stored_as_word!(Channel, as_str, Channel::parse, "channel");
stored_as_word!(RunOutcome, as_str, RunOutcome::parse, "run outcome");
stored_as_word!(Language, code, Language::new, "language code");
stored_as_word!(ImportStatus, as_str, ImportStatus::parse, "import status");
stored_as_word!(ImportKind, as_str, ImportKind::parse, "import kind");
stored_as_word!(SlotState, as_str, SlotState::parse, "slot state");
stored_as_word!(OfferState, as_str, OfferState::parse, "offer state");
stored_as_word!(RunJob, as_str, RunJob::parse, "kind of run");

#[cfg(test)]
mod tests {
    use super::*;

    /// `value` bound into SQL and read back.
    fn round_trip<T: ToSql + FromSql>(conn: &rusqlite::Connection, value: T) -> T {
        conn.query_row("SELECT ?1", [value], |r| r.get(0)).unwrap()
    }

    #[test]
    fn words_round_trip_and_unknown_words_are_errors() {
        let conn = crate::db::open_memory();
        assert_eq!(
            round_trip(&conn, State::CancelRequested),
            State::CancelRequested
        );
        assert_eq!(round_trip(&conn, Channel::Sms), Channel::Sms);
        assert_eq!(round_trip(&conn, Language::FR), Language::FR);
        assert_eq!(
            round_trip(&conn, ImportStatus::Skipped),
            ImportStatus::Skipped
        );
        let bad: rusqlite::Result<ImportKind> = conn.query_row("SELECT 'export'", [], |r| r.get(0));
        assert!(format!("{}", bad.unwrap_err()).contains("\"export\" is not a known import kind"));
        let bad: rusqlite::Result<Language> = conn.query_row("SELECT ''", [], |r| r.get(0));
        assert!(format!("{}", bad.unwrap_err()).contains("\"\" is not a known language code"));
        let bad: rusqlite::Result<State> = conn.query_row("SELECT 'scheduled'", [], |r| r.get(0));
        assert!(
            format!("{}", bad.unwrap_err())
                .contains("\"scheduled\" is not a known appointment state")
        );
    }
}
