//! "Now": the real clock, or the instant in `REMINDERS_NOW` (tests, the demo, catch-up runs).
//! `REMINDERS_NOW` sets the instant the process starts at; time then moves on with the real
//! clock, so a run started at 20:59:55 sees 21:00 come, as a real one would.
//!
//! For tests only, `REMINDERS_CLOCK_FILE` names a file holding the instant: "now" is what it
//! says, read again whenever the file changes, and does not move by itself. A test writes
//! 20:59:50, lets the run make a few contacts, writes 21:00:05, and the run sees contact hours
//! end at that moment, however loaded the machine is. Pacing, retries' pauses and lock waits
//! keep to the real (monotonic) clock either way: those are real durations, not the hour.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};

#[derive(Clone, Debug)]
pub struct Clock {
    source: Source,
}

#[derive(Clone, Debug)]
enum Source {
    Real,
    StartingAt(DateTime<Utc>, Instant),
    File(Arc<FileClock>),
}

impl Clock {
    pub fn real() -> Self {
        Clock {
            source: Source::Real,
        }
    }

    /// A clock that reads `at` now and moves on in real time from here.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Clock {
            source: Source::StartingAt(at, Instant::now()),
        }
    }

    /// A clock that reads the instant in `path` (RFC 3339), again each time the file changes
    /// (tests move time by replacing it). The file must hold a valid instant to begin with.
    pub fn from_file(path: &Path) -> Result<Self> {
        let (stamp, at) = read_instant(path)?;
        Ok(Clock {
            source: Source::File(Arc::new(FileClock {
                path: path.to_path_buf(),
                seen: Mutex::new(Seen {
                    stamp,
                    at,
                    warned: None,
                }),
            })),
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.source {
            Source::StartingAt(at, since) => {
                *at + chrono::Duration::from_std(since.elapsed()).unwrap_or_default()
            }
            Source::Real => Utc::now(),
            Source::File(f) => f.now(),
        }
    }
}

#[derive(Debug)]
struct FileClock {
    path: PathBuf,
    seen: Mutex<Seen>,
}

#[derive(Debug)]
struct Seen {
    stamp: FileStamp,
    at: DateTime<Utc>,
    /// The version of the file last found unreadable, so it is reported once.
    warned: Option<FileStamp>,
}

/// What tells one version of the file from the next without reading it: a test that writes a
/// new file and renames it over the old one changes the inode, one that rewrites it in place
/// the size or the modification time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
}

impl FileClock {
    /// A stat per call; the file is read only when it changed. A file found missing or not an
    /// instant (half written by a test that does not rename) leaves the last instant read.
    fn now(&self) -> DateTime<Utc> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let stamp = match std::fs::metadata(&self.path) {
            Ok(m) => stamp(&m),
            Err(e) => {
                log::debug!("clock file {}: {e}", self.path.display());
                return seen.at;
            }
        };
        if stamp == seen.stamp || seen.warned == Some(stamp) {
            return seen.at;
        }
        match read_instant(&self.path) {
            Ok((stamp, at)) => {
                seen.stamp = stamp;
                seen.at = at;
            }
            Err(e) => {
                log::warn!("{e:#}; the clock stays at {}", db_time(seen.at));
                seen.warned = Some(stamp);
            }
        }
        seen.at
    }
}

fn stamp(m: &std::fs::Metadata) -> FileStamp {
    use std::os::unix::fs::MetadataExt;
    FileStamp {
        dev: m.dev(),
        ino: m.ino(),
        len: m.len(),
        modified: m.modified().ok(),
    }
}

/// The file's instant, and the version of the file it was read from (taken from the open
/// file, so a replacement racing the read is seen as a change next time).
fn read_instant(path: &Path) -> Result<(FileStamp, DateTime<Utc>)> {
    use std::io::Read;
    let what = || format!("clock file {} (REMINDERS_CLOCK_FILE)", path.display());
    let mut file = std::fs::File::open(path).with_context(what)?;
    let stamp = stamp(&file.metadata().with_context(what)?);
    let mut text = String::new();
    // An instant is some 30 bytes: anything much longer is not one.
    (&mut file)
        .take(256)
        .read_to_string(&mut text)
        .with_context(what)?;
    let at = DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| {
            format!(
                "{}: {:?} is not an RFC 3339 instant such as 2026-11-24T19:00:00-05:00",
                what(),
                text.trim()
            )
        })?;
    Ok((stamp, at))
}

/// An instant as the store keeps it: UTC, whole seconds, written `2026-11-24T00:30:00Z`
/// (`db_time`). Bound into SQL as that text — what every stored time is — so that comparisons in
/// SQL stay comparisons of stored text; typed everywhere else, so that no function takes "now"
/// as a string it has to trust.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp(DateTime<Utc>);

impl Stamp {
    pub fn instant(self) -> DateTime<Utc> {
        self.0
    }

    /// As the clinic reads it: `2026-11-24 19:00` in its zone.
    pub fn local(self, tz: chrono_tz::Tz) -> String {
        local_minutes(self.0, tz)
    }
}

impl From<DateTime<Utc>> for Stamp {
    fn from(at: DateTime<Utc>) -> Stamp {
        // Whole seconds, as stored: two stamps that print alike compare alike.
        Stamp(at - chrono::Duration::nanoseconds(i64::from(at.timestamp_subsec_nanos())))
    }
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&db_time(self.0))
    }
}

impl rusqlite::ToSql for Stamp {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(db_time(self.0)))
    }
}

/// Printed (`--json`, `--csv`) as the stored text.
impl serde::Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&db_time(self.0))
    }
}

impl rusqlite::types::FromSql for Stamp {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let text = value.as_str()?;
        parse_db_time(text).map(Stamp::from).ok_or_else(|| {
            rusqlite::types::FromSqlError::Other(format!("{text:?} is not a stored time").into())
        })
    }
}

/// A stored time written as text (tests): `stored_at("2026-11-25T00:00:00Z")`.
#[cfg(test)]
pub fn stored_at(text: &str) -> Stamp {
    Stamp::from(parse_db_time(text).unwrap_or_else(|| panic!("{text:?} is not a time")))
}

/// The one timestamp format stored in the database: UTC, whole seconds, `Z`.
pub fn db_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn parse_db_time(s: &str) -> Option<DateTime<Utc>> {
    stored_form(s).or_else(|| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// [`db_time`]'s own form (`2026-11-24T19:00:00Z`) read by hand: the results file and the report
/// read a million of these, and chrono's RFC 3339 parser took a tenth of the time. Anything else
/// (another offset, fractions, a leap second) is `None`, for the full parser.
fn stored_form(s: &str) -> Option<DateTime<Utc>> {
    let [y, mo, d, h, mi, sec] = stored_fields(s)?;
    let date = chrono::NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    let time = chrono::NaiveTime::from_hms_opt(h, mi, sec)?;
    Some(date.and_time(time).and_utc())
}

/// The six numbers of a time in [`db_time`]'s form (year, month, day, hour, minute, second), not
/// checked as a date; `None` for text of any other shape.
pub fn stored_fields(s: &str) -> Option<[u32; 6]> {
    let b: &[u8; 20] = s.as_bytes().try_into().ok()?;
    let form = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'Z'),
    ];
    if form.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let n = |at: usize, len: usize| {
        b[at..at + len].iter().try_fold(0u32, |acc, &c| {
            let d = c.wrapping_sub(b'0');
            (d < 10).then(|| acc * 10 + u32::from(d))
        })
    };
    Some([
        n(0, 4)?,
        n(5, 2)?,
        n(8, 2)?,
        n(11, 2)?,
        n(14, 2)?,
        n(17, 2)?,
    ])
}

/// A stored UTC timestamp as the clinic reads it: `2026-11-24 19:00` in its own zone (text
/// that is not a stored time is shown as it is).
pub fn local_display(stored: &str, tz: chrono_tz::Tz) -> String {
    match parse_db_time(stored) {
        Some(t) => local_minutes(t, tz),
        None => stored.to_string(),
    }
}

/// An instant as the clinic reads it: `2026-11-24 19:00` in its own zone.
fn local_minutes(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    use chrono::{Datelike, Timelike};
    let l = t.with_timezone(&tz);
    if !(0..=9999).contains(&l.year()) {
        return l.format("%Y-%m-%d %H:%M").to_string();
    }
    // By hand: chrono's formatter re-read the pattern for every cell.
    let mut s = String::with_capacity(16);
    let y = l.year() as u32;
    for (sep, n) in [
        ("", y / 100),
        ("", y % 100),
        ("-", l.month()),
        ("-", l.day()),
        (" ", l.hour()),
        (":", l.minute()),
    ] {
        s.push_str(sep);
        s.push(char::from(b'0' + (n / 10) as u8));
        s.push(char::from(b'0' + (n % 10) as u8));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_is_bound_and_read_as_the_stored_text_in_whole_seconds() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-24T19:30:00.750-05:00")
            .unwrap()
            .with_timezone(&Utc);
        let stamp = Stamp::from(at);
        assert_eq!(stamp.to_string(), "2026-11-25T00:30:00Z");
        let (text, back): (String, Stamp) = conn
            .query_row("SELECT ?1, ?1", [stamp], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(text, "2026-11-25T00:30:00Z");
        assert_eq!(back, stamp);
        // Compared in SQL as stored text compares: a stored time a second later is later.
        let later: bool = conn
            .query_row("SELECT '2026-11-25T00:30:01Z' > ?1", [stamp], |r| r.get(0))
            .unwrap();
        assert!(later);
        let bad = conn.query_row("SELECT 'tomorrow'", [], |r| r.get::<_, Stamp>(0));
        assert!(bad.is_err());
    }

    #[test]
    fn a_set_start_moves_on_in_real_time() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T20:59:59-05:00")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::starting_at(at);
        let first = clock.now();
        assert!(first >= at && first - at < chrono::Duration::seconds(1));
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now() > first);
    }

    /// Writes `text` as the test harness does: a new file renamed over the old one.
    fn replace(path: &Path, text: &str) {
        let next = path.with_extension("next");
        std::fs::write(&next, text).unwrap();
        std::fs::rename(&next, path).unwrap();
    }

    #[test]
    fn a_clock_file_is_now_until_it_changes_and_then_its_new_instant() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("now");
        replace(&path, "2026-11-24T20:59:50-05:00\n");
        let clock = Clock::from_file(&path).unwrap();
        let copy = clock.clone();
        let before = DateTime::parse_from_rfc3339("2026-11-25T01:59:50Z").unwrap();
        // It does not move by itself (a clock that did would read later each time, to the
        // nanosecond).
        assert_eq!(clock.now(), before);
        assert_eq!(clock.now(), before);
        // The same length of text, written in the same instant: the rename is still seen.
        replace(&path, "2026-11-24T21:00:05-05:00\n");
        let after = DateTime::parse_from_rfc3339("2026-11-25T02:00:05Z").unwrap();
        assert_eq!(clock.now(), after);
        assert_eq!(copy.now(), after, "every copy of the clock reads the file");
        // Rewritten in place, longer.
        std::fs::write(&path, "2026-11-25T09:00:00.000-05:00").unwrap();
        assert_eq!(
            clock.now(),
            DateTime::parse_from_rfc3339("2026-11-25T14:00:00Z").unwrap()
        );
    }

    #[test]
    fn a_clock_file_that_is_not_an_instant_is_refused_at_first_and_ignored_later() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("now");
        let err = Clock::from_file(&path).unwrap_err();
        assert!(
            format!("{err:#}").contains("REMINDERS_CLOCK_FILE"),
            "{err:#}"
        );
        replace(&path, "tomorrow");
        let err = format!("{:#}", Clock::from_file(&path).unwrap_err());
        assert!(
            err.contains(&path.display().to_string()) && err.contains("\"tomorrow\""),
            "{err}"
        );
        replace(&path, "2026-11-24T20:00:00Z");
        let clock = Clock::from_file(&path).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-24T20:00:00Z").unwrap();
        replace(&path, "half writ");
        assert_eq!(clock.now(), at);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(clock.now(), at);
        replace(&path, "2026-11-24T20:00:01Z");
        assert_eq!(clock.now(), at + chrono::Duration::seconds(1));
    }

    #[test]
    fn the_stored_form_is_read_as_the_full_parser_reads_it() {
        let full = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        for s in [
            "2026-11-24T19:00:00Z",
            "2026-02-28T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "2026-11-24T19:00:00.5Z",
            "2026-11-24T19:00:00-05:00",
            "2016-12-31T23:59:60Z",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-24T24:00:00Z",
            "2026-11-24 19:00:00Z",
            "2026-1a-24T19:00:00Z",
            "2026-11-24T19:00:00z",
            "",
            "garbage",
        ] {
            assert_eq!(parse_db_time(s), full(s), "{s}");
        }
        assert_eq!(stored_form("2026-11-24T19:00:00-05:00"), None);
    }

    #[test]
    fn local_display_is_minutes_in_the_zone() {
        let tz = chrono_tz::America::Toronto;
        for (stored, shown) in [
            ("2026-11-25T00:30:59Z", "2026-11-24 19:30"),
            ("2026-07-01T04:05:00Z", "2026-07-01 00:05"),
            ("0001-01-01T12:00:00Z", "0001-01-01 06:42"),
            ("not a time", "not a time"),
        ] {
            assert_eq!(local_display(stored, tz), shown, "{stored}");
            if let Some(t) = parse_db_time(stored) {
                assert_eq!(
                    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
                    shown
                );
            }
        }
    }

    #[test]
    fn db_time_round_trips_in_utc_seconds() {
        let t = DateTime::parse_from_rfc3339("2026-11-24T19:00:00.750-05:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(db_time(t), "2026-11-25T00:00:00Z");
        assert_eq!(
            parse_db_time("2026-11-25T00:00:00Z").unwrap(),
            t - chrono::Duration::milliseconds(750)
        );
    }
}
