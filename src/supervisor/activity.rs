//! A session's last-activity clock, written by the session on every client message and read by
//! the supervisor's idle sweep without a message round trip.
//!
//! It reads tokio's clock, which actix's timers (the sweep's interval among them) run on too, so
//! a test that pauses and advances that clock drives the whole idle rule in no real time. It
//! keeps the instant itself behind a lock rather than a count from some epoch: tests on paused
//! clocks run side by side in one process, each runtime with its own "now", and no shared epoch
//! fits them all. The lock is held for a load or a store, by the session and the sweep only.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::rt::time::Instant;

#[derive(Debug, Clone)]
pub struct Activity(Arc<Mutex<Instant>>);

impl Default for Activity {
    fn default() -> Self {
        Activity(Arc::new(Mutex::new(Instant::now())))
    }
}

impl Activity {
    pub fn touch(&self) {
        // A panic elsewhere while holding the lock left a valid instant behind: keep using it.
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    pub fn idle_for(&self) -> Duration {
        let last = *self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Instant::now().saturating_duration_since(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn touch_resets_idle_time() {
        tokio::time::pause();
        let a = Activity::default();
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(a.idle_for(), Duration::from_secs(90));
        a.touch();
        assert_eq!(a.idle_for(), Duration::ZERO);
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert_eq!(a.idle_for(), Duration::from_millis(1500));
    }
}
