//! The workers: up to `max_in_flight` threads, each with its own connection, take prepared
//! contacts from one queue and run them through `attempt`, paced per channel.

use std::sync::Mutex;

use super::attempt::{self, Sent};
use super::context::RunCtx;
use super::pacer::Pacer;
use super::select::Job;
use crate::config::Config;
use crate::db;
use crate::domain::channel::Channel;
use crate::mask;

/// What became of each contact, and the contacts whose result could not be recorded.
pub struct Results {
    pub sent: Vec<(Channel, Sent)>,
    pub failures: Vec<anyhow::Error>,
}

/// Runs every job; `progress` is told of each one done.
pub fn run(
    cfg: &Config,
    ctx: &RunCtx<'_>,
    jobs: impl Iterator<Item = Job> + Send,
    workers: usize,
    progress: &(dyn Fn() + Sync),
) -> Results {
    let call_pacer = Pacer::per_second(cfg.sending.calls_per_second);
    let sms_pacer = Pacer::per_second(cfg.sending.sms_per_second);
    let queue = Mutex::new(jobs);
    let sent = Mutex::new(Vec::new());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| {
                let mut conn = match db::open(&cfg.db) {
                    Ok(c) => c,
                    Err(e) => {
                        push(&failures, e);
                        return;
                    }
                };
                loop {
                    let job = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let Some(job) = job else { break };
                    let outcome = match &job.request {
                        Ok(req) => {
                            let pacer = if req.channel == Channel::Call {
                                &call_pacer
                            } else {
                                &sms_pacer
                            };
                            attempt::run(&mut conn, ctx, pacer, job.appt.id, req)
                        }
                        Err(why) => attempt::record_unbuildable(&mut conn, ctx, job.appt.id, why),
                    };
                    match outcome {
                        Ok(done) => push(&sent, (job.appt.channel, done)),
                        Err(e) => {
                            // A full disk stays full: contacting more patients whose attempts
                            // cannot be recorded helps nobody.
                            if db::fault::classify(&e, &cfg.db) == Some(db::fault::Fault::Full) {
                                ctx.stop_with(
                                    "the disk is full (or a file size limit was reached): no new contacts",
                                );
                            }
                            push(
                                &failures,
                                e.context(format!(
                                    "appointment {} ({})",
                                    job.appt.appointment_id,
                                    mask::phone(&job.appt.phone_number)
                                )),
                            );
                        }
                    }
                    progress();
                }
            });
        }
    });
    Results {
        sent: sent.into_inner().unwrap_or_else(|p| p.into_inner()),
        failures: failures.into_inner().unwrap_or_else(|p| p.into_inner()),
    }
}

fn push<T>(list: &Mutex<Vec<T>>, item: T) {
    list.lock().unwrap_or_else(|p| p.into_inner()).push(item);
}
