//! Who this run contacts, streamed from the database a batch at a time so that a run (or a dry
//! run) over a million due appointments holds a few thousand in memory: each candidate gets its
//! verdict (`domain::schedule`); what has passed expires and what opted out stops on the way;
//! the due ones become contacts — one appointment, or with `combine` every due appointment of
//! the same number, channel and site (up to five), in one message.

use std::collections::{HashMap, VecDeque};

use anyhow::Result;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;

use super::Options;
use super::limits;
use crate::clock::Stamp;
use crate::config::Config;
use crate::db::{self, appointments, opt_outs};
use crate::domain::channel::Channel;
use crate::domain::contact_kind::ContactKind;
use crate::domain::dates::day_bounds;
use crate::domain::limits::HoldCounts;
use crate::domain::schedule::{self, RunKind, Verdict};
use crate::domain::state::{Event, State};
use crate::domain::templates::MAX_COMBINED;
use crate::news;

/// Candidates read per query.
const BATCH: usize = 1000;

/// A contact to make: the appointments of one message (the first names the keypress URL) and
/// the touch it belongs to.
#[derive(Clone, Debug)]
pub struct Job {
    pub group: Vec<appointments::Stored>,
    pub touch: u32,
    /// A reminder, or a follow-up (`dispatch/follow_up.rs`: one appointment each), or an offer.
    pub kind: ContactKind,
    /// An offer of the slot `group[0]` freed, to a waiting patient (`dispatch/offer.rs`).
    pub offer: Option<Box<super::offer::Target>>,
}

impl Job {
    /// The number contacted: the appointments' own, or the waiting patient's for an offer.
    pub fn to(&self) -> &str {
        match &self.offer {
            Some(t) => &t.candidate.phone_number,
            None => &self.group[0].phone_number,
        }
    }

    /// The channel it goes on: a text after a voicemail and an offer are texts.
    pub fn channel(&self) -> Channel {
        match self.kind {
            ContactKind::VoicemailText | ContactKind::Offer => Channel::Sms,
            _ => self.group[0].channel,
        }
    }
}

/// What the selection set aside, for the summary.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub expired: i64,
    pub opted_out: i64,
    pub too_soon: i64,
    pub quiet_hours: i64,
    /// Appointments whose contact a rule of contact held (docs/behaviour.md, "Holds").
    pub held: HoldCounts,
}

pub struct Selector<'a> {
    cfg: &'a Config,
    conn: Connection,
    opts: Options,
    now: DateTime<Utc>,
    /// The states read, in this run's order, and where the reading is.
    states: Vec<State>,
    state: usize,
    cursor: (Stamp, i64),
    until: Stamp,
    buffer: VecDeque<appointments::Stored>,
    made: usize,
    pub counts: Counts,
    /// The run its holds are recorded for.
    run_id: Option<i64>,
    /// A dry run's contacts so far, by a hash of the number, when caps apply: what a real run
    /// would have recorded before its next contact to the number. Eight bytes and a count a
    /// number, so a dry run over a million numbers stays within its memory.
    planned: HashMap<u64, u32>,
}

/// Where a state's candidates start: waiting ones from the beginning (1970, before any stored
/// time), so that the passed ones expire (and so leave the state); reached ones from now (the
/// passed ones stay reached).
fn start(state: State, now: DateTime<Utc>) -> (Stamp, i64) {
    match state {
        State::Reached => (now.into(), 0),
        _ => (DateTime::UNIX_EPOCH.into(), 0),
    }
}

/// The states a run reads, in the order it contacts them.
fn states(kind: RunKind) -> Vec<State> {
    match kind {
        RunKind::Send => vec![State::Pending, State::Reached, State::RetryWait],
        RunKind::Retry => vec![State::RetryWait, State::Pending, State::Reached],
    }
}

impl<'a> Selector<'a> {
    pub fn new(cfg: &'a Config, opts: Options, now: DateTime<Utc>) -> Result<Self> {
        let conn = if opts.dry_run && !cfg.db.exists() {
            db::open_in_memory()?
        } else {
            db::open(&cfg.db)?
        };
        // Nothing further away than the largest touch (in the latest zone) is due.
        let until = cfg
            .site_keys()
            .iter()
            .map(|k| horizon(cfg, k, now))
            .max()
            .unwrap_or(now);
        let order = states(opts.kind);
        Ok(Selector {
            cfg,
            conn,
            opts,
            now,
            state: 0,
            cursor: start(order[0], now),
            states: order,
            until: until.into(),
            buffer: VecDeque::new(),
            made: 0,
            counts: Counts::default(),
            run_id: None,
            planned: HashMap::new(),
        })
    }

    /// Holds found at selection are recorded for run `run_id`.
    pub fn for_run(mut self, run_id: i64) -> Self {
        self.run_id = Some(run_id);
        self
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The next contact, or `None` when every candidate has been looked at.
    pub fn next_job(&mut self) -> Result<Option<Job>> {
        loop {
            if self.opts.limit.is_some_and(|l| self.made >= l) {
                return Ok(None);
            }
            let Some(appt) = self.next_candidate()? else {
                return Ok(None);
            };
            if let Some(job) = self.consider(appt)? {
                self.made += 1;
                return Ok(Some(job));
            }
        }
    }

    fn next_candidate(&mut self) -> Result<Option<appointments::Stored>> {
        while self.buffer.is_empty() {
            let Some(&state) = self.states.get(self.state) else {
                return Ok(None);
            };
            let batch = appointments::due_batch(&self.conn, state, self.cursor, self.until, BATCH)?;
            match batch.last() {
                Some(last) => self.cursor = (last.at, last.id),
                None => {
                    self.state += 1;
                    if let Some(&next) = self.states.get(self.state) {
                        self.cursor = start(next, self.now);
                    }
                }
            }
            self.buffer.extend(batch);
        }
        Ok(self.buffer.pop_front())
    }

    /// The verdict on one candidate, and its contact when it leads one.
    fn consider(&mut self, appt: appointments::Stored) -> Result<Option<Job>> {
        if !self.in_scope(&appt.site) {
            return Ok(None);
        }
        let verdict = self.verdict(&appt)?;
        match verdict {
            Verdict::Contact { touch, .. } => {
                let group = if self.cfg.schedule.combine {
                    match self.group_led_by(&appt, touch)? {
                        Some(g) => g,
                        None => return Ok(None),
                    }
                } else {
                    vec![appt]
                };
                if self.held(&group)? {
                    return Ok(None);
                }
                Ok(Some(Job {
                    group,
                    touch,
                    kind: ContactKind::Reminder,
                    offer: None,
                }))
            }
            Verdict::NotDue => Ok(None),
            Verdict::Expire => {
                self.counts.expired += 1;
                self.apply(&appt, Event::Expired)
            }
            Verdict::OptedOut => {
                self.counts.opted_out += 1;
                self.apply(&appt, Event::OptedOut)
            }
            Verdict::TooSoon => {
                self.counts.too_soon += 1;
                Ok(None)
            }
            Verdict::OutsideHours => {
                self.counts.quiet_hours += 1;
                Ok(None)
            }
        }
    }

    /// Whether the caps hold this contact (recorded, unless this is a dry run). The claim checks
    /// again just before the request; this keeps a held contact from taking a pacing slot, and
    /// gives a dry run its counts.
    fn held(&mut self, group: &[appointments::Stored]) -> Result<bool> {
        let lead = &group[0];
        if !self.cfg.site(&lead.site).caps.any() {
            return Ok(false);
        }
        let key = self.opts.dry_run.then(|| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            lead.phone_number.hash(&mut h);
            h.finish()
        });
        let planned = key.and_then(|k| self.planned.get(&k).copied()).unwrap_or(0);
        let verdict = limits::over_cap(
            self.cfg,
            &self.conn,
            &lead.site,
            &lead.phone_number,
            ContactKind::Reminder,
            self.now,
            planned,
            &[],
        )?;
        match verdict {
            Some((rule, reason)) => {
                self.counts.held.add(rule, group.len() as i64);
                if !self.opts.dry_run {
                    limits::hold(
                        &self.conn,
                        group,
                        rule,
                        &reason,
                        Stamp::from(self.now),
                        self.run_id,
                    )?;
                }
                Ok(true)
            }
            None => {
                if let Some(k) = key {
                    *self.planned.entry(k).or_default() += 1;
                }
                Ok(false)
            }
        }
    }

    fn in_scope(&self, site: &str) -> bool {
        self.opts.sites.is_empty() || self.opts.sites.iter().any(|s| s == site)
    }

    fn apply(&self, appt: &appointments::Stored, event: Event) -> Result<Option<Job>> {
        if !self.opts.dry_run {
            news::move_appointment(&self.conn, appt, event, Stamp::from(self.now))?;
        }
        Ok(None)
    }

    pub fn verdict(&self, appt: &appointments::Stored) -> Result<Verdict> {
        verdict(self.cfg, &self.conn, &self.opts, appt, self.now)
    }

    /// With `combine`: every appointment of this number, channel and site that is due the same
    /// touch, in the order the run meets them, five to a message. `appt` leads a message when it
    /// comes first in its five; otherwise the message that lists it is led by an earlier one
    /// (`None`). A family member due another touch (three days before, while this one is the
    /// day before) is never put in this message: the claim would drop it, and its own touch
    /// would go unmade. It leads (or joins) a message of its own touch.
    fn group_led_by(
        &self,
        appt: &appointments::Stored,
        touch: u32,
    ) -> Result<Option<Vec<appointments::Stored>>> {
        let mut due = Vec::new();
        for other in
            appointments::for_phone_in_states(&self.conn, &appt.phone_number, &self.states)?
        {
            if other.channel != appt.channel
                || other.site != appt.site
                || (other.id != appt.id
                    && !matches!(self.verdict(&other)?, Verdict::Contact { touch: t, .. } if t == touch))
            {
                continue;
            }
            due.push(other);
        }
        let order =
            |a: &appointments::Stored| (self.states.iter().position(|s| *s == a.state), a.at, a.id);
        due.sort_by_key(order);
        // Not among them: it changed since its batch was read, most often because the message
        // an earlier member led has just been claimed for it. It is no contact of this run (the
        // claim would drop it), and checking the caps for it would record a false hold.
        let Some(place) = due.iter().position(|a| a.id == appt.id) else {
            return Ok(None);
        };
        if place % MAX_COMBINED != 0 {
            return Ok(None);
        }
        Ok(Some(
            due.into_iter().skip(place).take(MAX_COMBINED).collect(),
        ))
    }
}

/// The verdict on `appt` at `now` for a run with `opts`.
pub fn verdict(
    cfg: &Config,
    conn: &Connection,
    opts: &Options,
    appt: &appointments::Stored,
    now: DateTime<Utc>,
) -> Result<Verdict> {
    let site = cfg.site(&appt.site);
    let at = appt.at.instant();
    let facts = schedule::AppointmentFacts {
        state: appt.state,
        at,
        local_date: at.with_timezone(&site.tz).date_naive(),
        today: today(&site.tz, now),
        channel: appt.channel,
        touch: appt.touch_days,
        touch_attempts: appt.touch_attempts,
        last_attempt_at: appt.last_attempt_at.map(Stamp::instant),
        opted_out: opt_outs::contains(conn, &appt.phone_number)?,
    };
    let rules = schedule::DueRules {
        touches: &cfg.schedule.touches,
        max_attempts: cfg.sending.max_attempts,
        min_gap: chrono::Duration::minutes(cfg.sending.min_retry_gap_minutes),
        hours: site.hours,
        tz: site.tz,
        force: opts.force,
    };
    Ok(schedule::verdict(opts.kind, &facts, now, &rules))
}

fn today(tz: &chrono_tz::Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(tz).date_naive()
}

/// The end of the last day a touch can be due for, in a site's zone.
fn horizon(cfg: &Config, site: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    let tz = cfg.site(site).tz;
    let last = today(&tz, now) + chrono::Duration::days(i64::from(cfg.schedule.touches.largest()));
    day_bounds(last, tz).1
}

/// How many contacts a run would make now, by channel (calls, texts): what the fit check and
/// "left for the next window" count. One query per site and touch, off the state and time index.
pub fn count_due(
    cfg: &Config,
    conn: &Connection,
    opts: &Options,
    now: DateTime<Utc>,
) -> Result<(u64, u64)> {
    let (mut calls, mut texts) = (0, 0);
    let keys = cfg.site_keys();
    for site in keys
        .iter()
        .filter(|k| opts.sites.is_empty() || opts.sites.iter().any(|s| s == *k))
    {
        let view = cfg.site(site);
        // Outside its contact hours a site gets nothing now (unless forced).
        if !opts.force && !view.hours.allows(view.tz, now) {
            continue;
        }
        let today = today(&view.tz, now);
        for w in cfg.schedule.touches.windows(today) {
            let from = day_bounds(w.first, view.tz).0.max(now);
            let to = day_bounds(w.last, view.tz).1;
            if from >= to {
                continue;
            }
            let retry = (opts.kind == RunKind::Retry).then(|| appointments::Retrying {
                max_attempts: cfg.sending.max_attempts,
                last_before: Stamp::from(
                    now - chrono::Duration::minutes(cfg.sending.min_retry_gap_minutes),
                ),
            });
            let (c, t) = appointments::count_due(
                conn,
                &appointments::DueWindow {
                    site,
                    touch: w.touch,
                    from: from.into(),
                    to: to.into(),
                    retry,
                },
            )?;
            calls += c;
            texts += t;
        }
    }
    Ok((calls, texts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::appointments::transitions;

    /// A family of three on one number, each failed once at the 19:00 text (one message, one
    /// SID), waiting for the 19:45 retry, under a cap of two contacts a day.
    fn family_waiting(dir: &std::path::Path) -> Config {
        let db_path = dir.join("reminders.db");
        let toml = dir.join("reminders.toml");
        std::fs::write(
            &toml,
            format!(
                "db = {:?}\n[limits]\nper_day = 2\n",
                db_path.display().to_string()
            ),
        )
        .unwrap();
        let overrides = crate::config::Overrides {
            config: Some(toml),
            ..Default::default()
        };
        let cfg = Config::load_with(&overrides, &|_| None).unwrap();
        let conn = db::open(&db_path).unwrap();
        conn.execute_batch(
            "INSERT INTO imports (id, file_name, sha256, status, user_id, started_at)
                 VALUES (1, 'day.csv', 'x', 'completed', 'ops', '2026-11-24T23:00:00Z');
             INSERT INTO runs (id, kind, started_at) VALUES (1, 'retry', '2026-11-25T00:45:00Z');",
        )
        .unwrap();
        for n in 1..=3 {
            conn.execute(
                "INSERT INTO appointments (id, appointment_id, patient_id, phone_number,
                     phone_preference, text_preference, appt_date_time, channel, status,
                     attempt_count, last_attempt_at, touch_days, touch_attempts, import_id,
                     created_at, updated_at)
                 VALUES (?1, 'F' || ?1, 'P' || ?1, '+14165550101', 0, 1,
                     '2026-11-25T1' || ?1 || ':00:00Z', 'sms', 'retry_wait', 1,
                     '2026-11-25T00:00:30Z', 1, 1, 1, '2026-11-24T23:00:00Z', '')",
                [n],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO appointment_logs (appointment_id, attempt, channel, sid, \"to\", \"from\",
                     status, error_code, created_at, updated_at)
                 VALUES (?1, 1, 'sms', 'SM1', '+14165550101', '+14165550000', 'undelivered', 30003,
                     '2026-11-25T00:00:00Z', '2026-11-25T00:00:30Z')",
                [n],
            )
            .unwrap();
        }
        cfg
    }

    fn retry() -> Options {
        Options {
            kind: RunKind::Retry,
            dry_run: false,
            force: false,
            limit: None,
            sites: Vec::new(),
            window: None,
            lock_wait: None,
        }
    }

    #[test]
    fn a_family_member_read_before_its_message_was_claimed_is_no_contact_and_no_hold() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = family_waiting(dir.path());
        let now: DateTime<Utc> = "2026-11-25T00:45:00Z".parse().unwrap();
        let mut selector = Selector::new(&cfg, retry(), now).unwrap().for_run(1);
        let job = selector.next_job().unwrap().expect("the family's message");
        let ids: Vec<&str> = job
            .group
            .iter()
            .map(|a| a.appointment_id.as_str())
            .collect();
        assert_eq!(ids, ["F1", "F2", "F3"]);

        // The message is claimed (as the dispatching side does) while F2 and F3 still sit in the
        // selector's batch as they were read: waiting for a retry.
        let conn = db::open(&cfg.db).unwrap();
        for appt in &job.group {
            let attempt =
                transitions::start_attempt(&conn, appt, job.touch, Stamp::from(now)).unwrap();
            conn.execute(
                "INSERT INTO appointment_logs (appointment_id, attempt, channel, \"to\", \"from\", status,
                     created_at, updated_at)
                 VALUES (?1, ?2, 'sms', '+14165550101', '+14165550000', 'dispatching', ?3, ?3)",
                rusqlite::params![appt.id, attempt, Stamp::from(now)],
            )
            .unwrap();
        }

        assert!(selector.next_job().unwrap().is_none());
        assert_eq!(selector.counts.held.total(), 0);
        let holds: i64 = conn
            .query_row("SELECT count(*) FROM holds", [], |r| r.get(0))
            .unwrap();
        assert_eq!(holds, 0, "the two already in the message are not held");
    }
}
