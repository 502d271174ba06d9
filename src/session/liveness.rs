//! The heartbeat's rule, apart from the socket that applies it: a peer is alive while it was
//! heard from (any frame, a pong included) within the timeout. Kept as plain code on tokio's
//! clock so the rule is tested with a paused clock; `socket` only asks for the verdict on each
//! tick of its ping interval.

use std::time::Duration;

use actix_web::rt::time::Instant;

/// What the session does on a heartbeat tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The peer was heard from recently enough: ping it again.
    Ping,
    /// Nothing heard for longer than the timeout: the peer is gone, end the session.
    Close,
}

/// When the peer was last heard from.
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    last_heard: Instant,
}

impl Liveness {
    /// A peer that has just connected counts as heard.
    pub fn new() -> Self {
        Liveness {
            last_heard: Instant::now(),
        }
    }

    /// Records that a frame (of any kind) came from the peer.
    pub fn heard(&mut self) {
        self.last_heard = Instant::now();
    }

    /// The verdict of a tick: silence of exactly `timeout` still pings, only longer closes.
    pub fn verdict(&self, timeout: Duration) -> Verdict {
        if self.last_heard.elapsed() > timeout {
            Verdict::Close
        } else {
            Verdict::Ping
        }
    }
}

impl Default for Liveness {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::advance;

    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(70);
    const TICK: Duration = Duration::from_millis(1);

    #[tokio::test(start_paused = true)]
    async fn a_new_peer_is_pinged() {
        assert_eq!(Liveness::new().verdict(TIMEOUT), Verdict::Ping);
    }

    #[tokio::test(start_paused = true)]
    async fn silence_past_the_timeout_closes() {
        let liveness = Liveness::new();
        advance(TIMEOUT + TICK).await;
        assert_eq!(liveness.verdict(TIMEOUT), Verdict::Close);
    }

    #[tokio::test(start_paused = true)]
    async fn silence_of_exactly_the_timeout_still_pings() {
        let liveness = Liveness::new();
        advance(TIMEOUT).await;
        assert_eq!(liveness.verdict(TIMEOUT), Verdict::Ping);
        advance(TICK).await;
        assert_eq!(liveness.verdict(TIMEOUT), Verdict::Close);
    }

    #[tokio::test(start_paused = true)]
    async fn a_frame_starts_the_silence_again() {
        let mut liveness = Liveness::new();
        advance(TIMEOUT - TICK).await;
        liveness.heard();
        advance(TIMEOUT).await;
        // 2 × timeout since the start, but only one since the frame.
        assert_eq!(liveness.verdict(TIMEOUT), Verdict::Ping);
        advance(TICK).await;
        assert_eq!(liveness.verdict(TIMEOUT), Verdict::Close);
    }

    #[tokio::test(start_paused = true)]
    async fn a_frame_after_the_timeout_revives_the_peer() {
        // A tick that closes ends the session; a frame that still arrives first wins.
        let mut liveness = Liveness::new();
        advance(TIMEOUT * 2).await;
        assert_eq!(liveness.verdict(TIMEOUT), Verdict::Close);
        liveness.heard();
        assert_eq!(liveness.verdict(TIMEOUT), Verdict::Ping);
    }

    #[tokio::test(start_paused = true)]
    async fn ticks_at_the_interval_ping_until_the_timeout_has_passed() {
        // The socket's real schedule: a tick every 20 s against a 70 s timeout, peer silent.
        let interval = Duration::from_secs(20);
        let liveness = Liveness::new();
        let mut verdicts = Vec::new();
        for _ in 0..4 {
            advance(interval).await;
            verdicts.push(liveness.verdict(TIMEOUT));
        }
        use Verdict::{Close, Ping};
        assert_eq!(verdicts, [Ping, Ping, Ping, Close]);
    }
}
