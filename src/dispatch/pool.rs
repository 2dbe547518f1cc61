//! The workers: up to `max_in_flight` threads, each with its own connection, take contacts from
//! a short queue that the selection fills as they go (so a run never holds all its contacts in
//! memory), and run each through `attempt`, paced per channel.

use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::attempt::{self, Done};
use super::context::RunCtx;
use super::pacer::Pacer;
use super::select::{Job, Selector};
use crate::config::Config;
use crate::db;
use crate::domain::channel::Channel;
use crate::mask;

/// What became of each contact, and the contacts whose result could not be recorded.
pub struct Results {
    pub done: Vec<Done>,
    pub failures: Vec<anyhow::Error>,
}

/// Runs `first` and every contact `selector` yields after it. `progress` is told of each
/// contact (with how many appointments it was for).
pub fn run(
    cfg: &Config,
    ctx: &RunCtx<'_>,
    workers: usize,
    first: Option<Job>,
    selector: &mut Selector<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> Results {
    let call_pacer = Pacer::per_second(cfg.sending.calls_per_second);
    let sms_pacer = Pacer::per_second(cfg.sending.sms_per_second);
    let (send, receive) = std::sync::mpsc::sync_channel::<Job>(workers * 2);
    let receive = Mutex::new(receive);
    let done = Mutex::new(Vec::new());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut conn = match db::open(&cfg.db).and_then(db::for_point_writes) {
                    Ok(c) => c,
                    Err(e) => {
                        push(&failures, e);
                        return;
                    }
                };
                loop {
                    let job = receive.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok(job) = job else { break };
                    let pacer = if job.group[0].channel == Channel::Call {
                        &call_pacer
                    } else {
                        &sms_pacer
                    };
                    match attempt::run(&mut conn, ctx, pacer, &job) {
                        Ok(d) => {
                            progress(d.appointments);
                            push(&done, d);
                        }
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
                                    job.group[0].appointment_id,
                                    mask::phone(&job.group[0].phone_number)
                                )),
                            );
                        }
                    }
                }
            });
        }
        // The selection feeds the queue from this thread until it runs dry or the run stops.
        let mut next = first;
        while let Some(job) = next.take() {
            if ctx.all_sites_closed() || !offer(&send, job, ctx) {
                break;
            }
            next = match selector.next_job() {
                Ok(j) => j,
                Err(e) => {
                    push(&failures, e.context("selecting who is due"));
                    None
                }
            };
        }
        drop(send);
    });
    Results {
        done: done.into_inner().unwrap_or_else(|p| p.into_inner()),
        failures: failures.into_inner().unwrap_or_else(|p| p.into_inner()),
    }
}

/// Queues a job, waiting while the queue is full; `false` once the run has stopped.
fn offer(send: &std::sync::mpsc::SyncSender<Job>, mut job: Job, ctx: &RunCtx<'_>) -> bool {
    loop {
        if ctx.stop.load(Ordering::SeqCst) {
            return false;
        }
        match send.try_send(job) {
            Ok(()) => return true,
            Err(std::sync::mpsc::TrySendError::Full(j)) => {
                job = j;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return false,
        }
    }
}

fn push<T>(list: &Mutex<Vec<T>>, item: T) {
    list.lock().unwrap_or_else(|p| p.into_inner()).push(item);
}
