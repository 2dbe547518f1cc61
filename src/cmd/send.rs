//! `reminders send`: the first attempt for every appointment due one. Also the printing every
//! dispatching command shares (`retry` and `import --now` come through here).

use std::io::Write;

use anyhow::Result;

use crate::config::Config;
use crate::dispatch::{self, ChannelTally, Options, Plan, Summary, Watch};
use crate::domain::contact_hours::day_name;
use crate::domain::run_job::RunJob;
use crate::domain::schedule::RunKind;
use crate::{mask, output};

#[derive(clap::Args, Debug)]
#[command(
    about = "Call or text every patient due a first reminder",
    long_about = "Contacts every pending appointment still in the future, by SMS or call as the \
patient prefers, paced at the configured calls/SMS per second. Appointments already passed \
become `expired`; opted-out numbers are never contacted; nobody is contacted outside the \
configured contact hours unless --force. Only one send/retry runs at a time.",
    after_help = "Examples:\n  reminders send --dry-run           # print every message, contact nobody\n  \
reminders send\n  reminders send --limit 5           # at most five contacts\n  \
reminders send --force             # outside contact hours (think twice)"
)]
pub struct Args {
    #[command(flatten)]
    pub run: RunArgs,

    /// Contact at most N appointments (messages) in this run.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// What `send` and `retry` both take.
#[derive(clap::Args, Debug, Default)]
pub struct RunArgs {
    /// List the contacts a run would make now (one line each) and contact nobody; changes nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// With --dry-run: also print each message in full (the text, or the call's TwiML).
    #[arg(long, requires = "dry_run")]
    pub show_messages: bool,

    /// Contact even outside the configured contact hours (`sending.quiet_hours`).
    #[arg(long)]
    pub force: bool,

    /// Only this site's appointments (repeatable); default: every site.
    #[arg(long = "site", value_name = "NAME")]
    pub sites: Vec<String>,
}

/// Runs `kind` with the shared flags, then prints what it did.
pub fn run_kind(cfg: &Config, kind: RunKind, args: &RunArgs, limit: Option<usize>) -> Result<()> {
    dispatch_and_print(
        cfg,
        Options {
            kind,
            dry_run: args.dry_run,
            force: args.force,
            limit,
            sites: check_sites(cfg, &args.sites)?,
            window: None,
            lock_wait: None,
        },
        args.show_messages,
    )
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    run_kind(cfg, RunKind::Send, &args.run, args.limit)
}

/// `--site` values must name configured sites.
pub fn check_sites(cfg: &Config, sites: &[String]) -> Result<Vec<String>> {
    for s in sites {
        if !cfg.sites.iter().any(|k| &k.key == s) {
            let known: Vec<&str> = cfg.sites.iter().map(|k| k.key.as_str()).collect();
            return Err(crate::exit::usage(if known.is_empty() {
                format!("--site {s}: no [sites] are configured")
            } else {
                format!(
                    "--site {s}: not a configured site (sites: {})",
                    known.join(", ")
                )
            }));
        }
    }
    Ok(sites.to_vec())
}

/// `import --now`: send right after importing, with the default options.
pub fn run_after_import(cfg: &Config, sites: &[String]) -> Result<()> {
    let args = RunArgs {
        sites: sites.to_vec(),
        ..RunArgs::default()
    };
    run_kind(cfg, RunKind::Send, &args, None)
}

/// A run (or a dry run) of `opts.kind`, with what it did printed on stdout.
pub fn dispatch_and_print(cfg: &Config, opts: Options, show_messages: bool) -> Result<()> {
    if opts.dry_run {
        return print_dry_run(cfg, opts, show_messages);
    }
    let terminal = Terminal::new(cfg, opts.kind);
    let sites = opts.sites.clone();
    let summary = dispatch::run(cfg, opts, &terminal);
    terminal.done();
    let summary = summary?;
    print_summary(&summary);
    print_selection(cfg, &summary);
    // The clinic's results files, whatever the run's outcome: what it did is recorded.
    for (path, rows) in crate::outbox::after_run(cfg, summary.run_id, &sites) {
        println!("results: {} ({rows} appointment(s))", path.display());
    }
    match summary.error {
        Some(why) => Err(anyhow::anyhow!(why)),
        None => Ok(()),
    }
}

/// The line before the first contact and, on a terminal, a progress bar.
struct Terminal<'a> {
    cfg: &'a Config,
    kind: RunKind,
    bar: std::sync::Mutex<indicatif::ProgressBar>,
}

impl<'a> Terminal<'a> {
    fn new(cfg: &'a Config, kind: RunKind) -> Self {
        Terminal {
            cfg,
            kind,
            bar: std::sync::Mutex::new(indicatif::ProgressBar::hidden()),
        }
    }

    fn done(&self) {
        self.bar
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .finish_and_clear();
    }
}

impl Watch for Terminal<'_> {
    fn planned(&self, plan: Plan, capacity: Option<&str>) {
        announce(self.cfg, plan, self.kind);
        if let Some(warning) = capacity {
            log::warn!("{warning}");
        }
        if plan.calls + plan.texts > 0 {
            let bar =
                crate::progress::bar(crate::progress::CONTACTS, Some(plan.calls + plan.texts));
            *self.bar.lock().unwrap_or_else(|p| p.into_inner()) = bar;
        }
    }

    fn contacted(&self, appointments: usize) {
        self.bar
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .inc(appointments as u64);
    }
}

fn announce(cfg: &Config, plan: Plan, kind: RunKind) {
    let s = &cfg.sending;
    let seconds =
        (plan.calls as f64 / s.calls_per_second).max(plan.texts as f64 / s.sms_per_second);
    println!(
        "{}: {} to contact — {} call(s) at {}/s, {} text(s) at {}/s: about {}.",
        RunJob::from(kind),
        plan.calls + plan.texts,
        plan.calls,
        s.calls_per_second,
        plan.texts,
        s.sms_per_second,
        dispatch::human_duration(seconds)
    );
}

fn print_dry_run(cfg: &Config, opts: Options, show_messages: bool) -> Result<()> {
    println!("Dry run: nobody is contacted and nothing is changed.");
    let kind = opts.kind;
    let mut messages = 0;
    let counts = dispatch::dry_run(
        cfg,
        opts,
        &mut |plan, capacity| {
            announce(cfg, plan, kind);
            if let Some(warning) = capacity {
                log::warn!("{warning}");
            }
        },
        &mut |job, req| {
            messages += 1;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", dry_run_line(cfg, job, req.as_ref()))?;
            if show_messages {
                match &req {
                    Ok(r) => writeln!(out, "{}\n", r.content.trim_end())?,
                    Err(why) if why.starts_with("held:") => writeln!(out, "  {why}\n")?,
                    Err(why) => writeln!(out, "  NOT SENDABLE: {why}\n")?,
                }
            }
            Ok(())
        },
    )?;
    println!("{messages} message(s) listed.");
    print_counts(
        cfg,
        counts.expired,
        counts.opted_out,
        counts.too_soon,
        counts.quiet_hours,
        true,
    );
    print_held(cfg, &counts.held, true);
    Ok(())
}

/// One message of a dry run: channel, masked number, appointments, local times, language and,
/// for a text, its encoding and segments.
pub fn dry_run_line(
    cfg: &Config,
    job: &crate::dispatch::select::Job,
    req: std::result::Result<&crate::dispatch::message::Request, &String>,
) -> String {
    let lead = &job.group[0];
    let tz = cfg.site(&lead.site).tz;
    let times: Vec<String> = job
        .group
        .iter()
        .map(|a| format!("{} {}", a.appointment_id, a.at.local(tz)))
        .collect();
    let site = if lead.site.is_empty() {
        String::new()
    } else {
        format!(" [{}]", lead.site)
    };
    let tail = match req {
        Ok(r) => match r.shape {
            Some(shape) => format!(
                "{}, {} chars",
                crate::domain::segments::describe(shape),
                r.content.chars().count()
            ),
            None => "call".to_string(),
        },
        // A rule of contact holds it: not sent now, still due.
        Err(why) if why.starts_with("held:") => format!("HELD{}", &why["held".len()..]),
        Err(why) => format!("NOT SENDABLE: {why}"),
    };
    let (channel, what) = match job.kind {
        crate::domain::contact_kind::ContactKind::Reminder => (lead.channel, String::new()),
        kind => (
            req.map_or(lead.channel, |r| r.channel),
            format!(" ({})", kind.describe()),
        ),
    };
    format!(
        "{}{what} {} {}{site} — {} — {}",
        channel.as_str(),
        mask::phone(&lead.phone_number),
        lead.language,
        times.join(", "),
        tail
    )
}

pub fn print_summary(s: &Summary) {
    let row = |name: &str, t: &ChannelTally| {
        vec![
            name.to_string(),
            t.dispatched.to_string(),
            t.messages.to_string(),
            t.refused.to_string(),
            t.unanswered.to_string(),
            t.skipped.to_string(),
        ]
    };
    println!(
        "{}",
        output::table(
            &[
                "channel",
                "reached out",
                "messages",
                "refused",
                "no answer",
                "skipped"
            ],
            &[row("calls", &s.calls), row("texts", &s.sms)]
        )
    );
    if s.sms.segments > 0 {
        println!("{} SMS segment(s) sent", s.sms.segments);
    }
    let mut notes = Vec::new();
    let st = &s.settled;
    if st.adopted + st.undone > 0 {
        notes.push(format!(
            "interrupted earlier run: {} attempt(s) had reached Twilio and were kept, {} had not and were redone",
            st.adopted, st.undone
        ));
    }
    if st.updated > 0 {
        notes.push(format!(
            "{} outcome(s) fetched from Twilio (callbacks that never arrived)",
            st.updated
        ));
    }
    for (n, what) in [
        (
            s.unresolved,
            "attempt(s) got no answer from Twilio: the next run checks them",
        ),
        (
            st.unresolved as i64,
            "attempt(s) could not be checked with Twilio: left as they are",
        ),
    ] {
        if n > 0 {
            notes.push(format!("{n} {what}"));
        }
    }
    if !s.closed_sites.is_empty() {
        let which = if s.closed_sites == [String::new()] {
            String::new()
        } else {
            format!(" ({})", s.closed_sites.join(", "))
        };
        notes.push(format!(
            "contact hours ended during the run{which}: no new contacts; {} left for the next window",
            s.left_for_next
        ));
        log::warn!(
            "contact hours ended during the run{which}: {} contact(s) left for the next window",
            s.left_for_next
        );
    }
    if s.interrupted {
        notes.push(format!(
            "interrupted: contacts in flight finished and were recorded; {} left for the next run",
            s.left_for_next
        ));
    }
    if let Some(id) = s.run_id {
        notes.push(format!("run #{id}; details: reminders status runs"));
    }
    for n in notes {
        println!("{n}");
    }
}

/// What a run's summary ends with.
pub fn print_selection(cfg: &Config, s: &Summary) {
    let c = &s.selection;
    print_counts(
        cfg,
        c.expired,
        c.opted_out,
        c.too_soon,
        c.quiet_hours,
        false,
    );
    print_held(cfg, &s.held, false);
}

/// How many appointments the rules of contact held, by rule: never a silent drop.
fn print_held(cfg: &Config, held: &crate::domain::limits::HoldCounts, dry: bool) {
    if held.total() == 0 {
        return;
    }
    let verb = if dry { "would be held" } else { "held" };
    println!(
        "{} appointment(s) {verb} by the rules of contact ({}): still due, tried again at a later window; `reminders status appointments` says why",
        held.total(),
        held.describe(cfg.limits.caps)
    );
}

fn print_counts(
    cfg: &Config,
    expired: i64,
    opted_out: i64,
    too_soon: i64,
    quiet_hours: i64,
    dry: bool,
) {
    if quiet_hours > 0 {
        let now = cfg.now();
        let described = |k: &&str| {
            let s = cfg.site(k);
            let (day, hours) = s.hours.at(s.tz, now);
            format!(
                "{} is outside the contact hours on {}, {} ({})",
                now.with_timezone(&s.tz).format("%H:%M"),
                day_name(day),
                hours.label(),
                s.tz.name()
            )
        };
        let keys = cfg.site_keys();
        // The sites closed now are the ones that held contacts back.
        let closed: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| {
                let s = cfg.site(k);
                !s.hours.allows(s.tz, now)
            })
            .collect();
        let named = if closed.is_empty() { &keys } else { &closed };
        let hours: Vec<String> = named.iter().map(described).collect();
        log::warn!(
            "{quiet_hours} appointment(s) not contacted: {}; they are due at the next window (--force overrides)",
            hours.join("; ")
        );
    }
    let verb = if dry { "would be" } else { "" };
    for (n, what) in [
        (
            expired,
            format!("appointment(s) already passed: {verb} expired"),
        ),
        (opted_out, "opted-out number(s): not contacted".to_string()),
        (
            too_soon,
            "last attempt too recent: left for a later retry".to_string(),
        ),
        (
            quiet_hours,
            "outside contact hours: not contacted".to_string(),
        ),
    ] {
        if n > 0 {
            println!("{n} {}", what.replace("  ", " "));
        }
    }
}
