//! A session's last-activity clock, written by the session on every client message and read by
//! the supervisor's idle sweep without a message round trip.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64
}

#[derive(Debug, Clone)]
pub struct Activity(Arc<AtomicU64>);

impl Default for Activity {
    fn default() -> Self {
        Activity(Arc::new(AtomicU64::new(now_ms())))
    }
}

impl Activity {
    pub fn touch(&self) {
        self.0.store(now_ms(), Ordering::Relaxed);
    }

    pub fn idle_for(&self) -> Duration {
        Duration::from_millis(now_ms().saturating_sub(self.0.load(Ordering::Relaxed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_resets_idle_time() {
        let a = Activity::default();
        std::thread::sleep(Duration::from_millis(20));
        assert!(a.idle_for() >= Duration::from_millis(20));
        a.touch();
        assert!(a.idle_for() < Duration::from_millis(20));
    }
}
