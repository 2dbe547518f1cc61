//! How the domain's words are stored: a state, a channel, a run's outcome or a language is its
//! word in the database, and a word the program does not know is an error when read, never a
//! guess.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::domain::channel::Channel;
use crate::domain::languages::code::Language;
use crate::domain::run_outcome::RunOutcome;
use crate::domain::state::State;

fn word<T>(value: ValueRef<'_>, parse: impl Fn(&str) -> Option<T>, what: &str) -> FromSqlResult<T> {
    let text = value.as_str()?;
    parse(text).ok_or_else(|| FromSqlError::Other(format!("{text:?} is not a known {what}").into()))
}

impl ToSql for State {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl FromSql for State {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        word(value, State::parse, "appointment state")
    }
}

impl ToSql for Channel {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl FromSql for Channel {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        word(value, Channel::parse, "channel")
    }
}

impl ToSql for RunOutcome {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl FromSql for RunOutcome {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        word(value, RunOutcome::parse, "run outcome")
    }
}

impl ToSql for Language {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.code().into())
    }
}

impl FromSql for Language {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        word(value, Language::new, "language code")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_unknown_words_are_errors() {
        let conn = crate::db::open_memory();
        let back: State = conn
            .query_row("SELECT ?1", [State::CancelRequested], |r| r.get(0))
            .unwrap();
        assert_eq!(back, State::CancelRequested);
        let back: Channel = conn
            .query_row("SELECT ?1", [Channel::Sms], |r| r.get(0))
            .unwrap();
        assert_eq!(back, Channel::Sms);
        let back: Language = conn
            .query_row("SELECT ?1", [Language::FR], |r| r.get(0))
            .unwrap();
        assert_eq!(back, Language::FR);
        let bad: rusqlite::Result<Language> = conn.query_row("SELECT ''", [], |r| r.get(0));
        assert!(format!("{}", bad.unwrap_err()).contains("\"\" is not a known language code"));
        let bad: rusqlite::Result<State> = conn.query_row("SELECT 'scheduled'", [], |r| r.get(0));
        assert!(
            format!("{}", bad.unwrap_err())
                .contains("\"scheduled\" is not a known appointment state")
        );
    }
}
