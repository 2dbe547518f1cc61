//! Keeps requests to Twilio at or under a configured rate: each request takes the next free
//! slot, slots spaced 1/rate apart, so no burst ever exceeds the rate however many workers wait.

use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    pub fn per_second(rate: f64) -> Pacer {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / rate),
            next: Mutex::new(None),
        }
    }

    /// Blocks until this caller's slot; returns when it may send.
    pub fn wait_turn(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = match *next {
                Some(n) if n > now => n,
                _ => now,
            };
            *next = Some(slot + self.interval);
            slot
        };
        let now = Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn concurrent_callers_are_spaced_by_the_interval() {
        let pacer = Arc::new(Pacer::per_second(200.0));
        let times = Arc::new(Mutex::new(Vec::new()));
        std::thread::scope(|s| {
            for _ in 0..8 {
                let (pacer, times) = (pacer.clone(), times.clone());
                s.spawn(move || {
                    for _ in 0..5 {
                        pacer.wait_turn();
                        times.lock().unwrap().push(Instant::now());
                    }
                });
            }
        });
        let mut times = times.lock().unwrap().clone();
        times.sort();
        assert_eq!(times.len(), 40);
        // 40 slots 5 ms apart take at least 195 ms.
        assert!(times[39] - times[0] >= Duration::from_millis(195));
    }
}
