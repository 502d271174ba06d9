//! Fair shares on a public server: who a client is, how many sessions it may hold at once, and
//! how many messages it may send per second. The session cap is applied by the supervisor when a
//! session registers (it owns the registry); the message rate by [`ClientShare::take_message`],
//! called once per WebSocket frame and once per HTTP request.
//!
//! A client is its peer address, or, behind proxies the operator trusts
//! (`--trusted-proxy-hops`), the address those proxies recorded in `X-Forwarded-For`.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::ops::Add;
use std::sync::Arc;
use std::time::Duration;

use actix_rt::time::Instant;
use actix_web::dev::ServiceRequest;
use actix_web::{HttpMessage, HttpRequest};
use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::protocol::messages::{ErrorBody, ErrorCode};

/// Sessions one client may hold at once. A GRPO trainer opens one connection per generation,
/// so hundreds from one address must fit; half the default server capacity still leaves room
/// for others. Raise it with `--max-sessions-per-client` for a private deployment.
pub const DEFAULT_MAX_SESSIONS_PER_CLIENT: usize = 512;
/// Messages (WebSocket frames and HTTP requests) one client may send per second, sustained. A
/// trainer with 512 sessions each stepping 10 times a second sends 5,120, while its model's
/// generation keeps it far below that; a flood of cheap frames goes far beyond it. About half of
/// what a 2-vCPU server steps per second (docs/performance.md), so one client cannot take it all;
/// `sqlenv load` benchmarks beyond it raise `--client-messages-per-sec`.
pub const DEFAULT_CLIENT_MESSAGES_PER_SEC: u32 = 10_000;
/// Messages a client may send at once above the sustained rate (a trainer resetting every
/// session together).
pub const DEFAULT_CLIENT_MESSAGE_BURST: u32 = 20_000;

/// Who a client is: the address its sessions and its message rate are counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(Arc<str>);

impl ClientId {
    pub fn new(address: impl Into<Arc<str>>) -> Self {
        ClientId(address.into())
    }

    /// The client of a request: the peer address, or with `trusted_hops` proxies in front the
    /// address the outermost trusted proxy saw. Each proxy appends the address it received the
    /// request from to `X-Forwarded-For`, so that one is `trusted_hops` from the right; entries
    /// further left were written by the client and are not believed.
    pub fn from_parts(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted_hops: u8) -> Self {
        let peer = peer.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        if trusted_hops == 0 {
            return ClientId::new(peer);
        }
        let entries: Vec<&str> = forwarded_for
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        // Fewer entries than trusted hops: the request skipped a proxy; the leftmost entry is
        // still one a trusted proxy wrote.
        let index = entries.len().saturating_sub(usize::from(trusted_hops));
        match entries.get(index) {
            Some(entry) => match entry.parse::<IpAddr>() {
                Ok(ip) => ClientId::new(ip.to_string()),
                // Not an address (a proxy that writes names): keep it, bounded.
                Err(_) => ClientId::new(entry.chars().take(64).collect::<String>()),
            },
            None => ClientId::new(peer),
        }
    }

    /// The client a request came from, as the access layer recorded it (see
    /// `crate::http::access`); the peer address for a request that did not pass through it.
    pub fn of(req: &HttpRequest) -> ClientId {
        ClientShare::of(req).id
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A client on the server's own host (127.0.0.0/8, ::1).
    pub fn is_loopback(&self) -> bool {
        self.0.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The limits of one client, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FairShareLimits {
    pub max_sessions_per_client: usize,
    pub messages_per_sec: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Default for FairShareLimits {
    fn default() -> Self {
        FairShareLimits {
            max_sessions_per_client: DEFAULT_MAX_SESSIONS_PER_CLIENT,
            messages_per_sec: NonZeroU32::new(DEFAULT_CLIENT_MESSAGES_PER_SEC)
                .unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(DEFAULT_CLIENT_MESSAGE_BURST).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// Tokio's clock for governor, so a paused test clock drives the rate limit too.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

/// An instant of [`TokioClock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokioInstant(Instant);

impl Add<Nanos> for TokioInstant {
    type Output = Self;

    fn add(self, other: Nanos) -> Self {
        TokioInstant(self.0 + Duration::from(other))
    }
}

impl Reference for TokioInstant {
    fn duration_since(&self, earlier: Self) -> Nanos {
        self.0.saturating_duration_since(earlier.0).into()
    }

    fn saturating_sub(&self, duration: Nanos) -> Self {
        TokioInstant(
            self.0
                .checked_sub(Duration::from(duration))
                .unwrap_or(self.0),
        )
    }
}

impl Clock for TokioClock {
    type Instant = TokioInstant;

    fn now(&self) -> TokioInstant {
        TokioInstant(Instant::now())
    }
}

type KeyedLimiter = RateLimiter<
    ClientId,
    DefaultKeyedStateStore<ClientId>,
    TokioClock,
    NoOpMiddleware<TokioInstant>,
>;

/// The message rate of every client: one GCRA cell per client, shared by all HTTP workers.
pub struct MessageRates {
    limiter: KeyedLimiter,
    limits: FairShareLimits,
}

impl MessageRates {
    pub fn new(limits: FairShareLimits) -> Arc<Self> {
        let quota = Quota::per_second(limits.messages_per_sec).allow_burst(limits.burst);
        Arc::new(MessageRates {
            limiter: RateLimiter::dashmap_with_clock(quota, TokioClock),
            limits,
        })
    }

    /// Takes one message from `client`'s allowance, or says how long until the next is allowed.
    pub fn take(&self, client: &ClientId) -> Result<(), RateLimited> {
        self.limiter.check_key(client).map_err(|not_until| {
            let wait = not_until.wait_time_from(TokioClock.now());
            RateLimited {
                per_sec: self.limits.messages_per_sec.get(),
                burst: self.limits.burst.get(),
                retry_after: wait,
            }
        })
    }

    /// Forgets clients whose allowance is full again, so the table holds only recent senders.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    pub fn limits(&self) -> FairShareLimits {
        self.limits
    }
}

/// A client and its message allowance, as a session keeps them.
#[derive(Clone)]
pub struct ClientShare {
    pub id: ClientId,
    rates: Option<Arc<MessageRates>>,
}

impl ClientShare {
    pub fn new(id: ClientId, rates: Arc<MessageRates>) -> Self {
        ClientShare {
            id,
            rates: Some(rates),
        }
    }

    /// A client whose messages are not counted.
    pub fn unlimited(id: ClientId) -> Self {
        ClientShare { id, rates: None }
    }

    /// The share the access layer recorded on a request; without one (a server built without
    /// it), the peer address with no message limit.
    pub fn of(req: &HttpRequest) -> ClientShare {
        if let Some(share) = req.extensions().get::<ClientShare>() {
            return share.clone();
        }
        ClientShare {
            id: ClientId::from_parts(req.peer_addr().map(|a| a.ip()), None, 0),
            rates: None,
        }
    }

    /// Records the share on a request for the handlers after the access layer.
    pub fn attach(self, req: &ServiceRequest) {
        req.extensions_mut().insert(self);
    }

    /// Counts one message of this client against its rate.
    pub fn take_message(&self) -> Result<(), RateLimited> {
        match &self.rates {
            Some(rates) => rates.take(&self.id),
            None => Ok(()),
        }
    }
}

/// A client sent more messages than its rate allows; the message was not handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "rate limit: this client may send {per_sec} messages per second (bursts of {burst}); \
     message refused, retry in {} ms",
    retry_after.as_millis().max(1)
)]
pub struct RateLimited {
    pub per_sec: u32,
    pub burst: u32,
    pub retry_after: Duration,
}

impl RateLimited {
    pub fn error_body(&self) -> ErrorBody {
        ErrorBody::new(ErrorCode::RateLimited, self.to_string())
    }

    /// Whole seconds for a `Retry-After` header (at least 1).
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }
}

/// A client already holds as many sessions as it may.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "client session limit: {client} holds {active} of the {max} sessions one client may hold \
     (--max-sessions-per-client); close one first, or wait until one ends (idle sessions close \
     after {idle_secs} s)"
)]
pub struct ClientSessionLimit {
    pub client: ClientId,
    pub active: usize,
    pub max: usize,
    pub idle_secs: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_sec: u32, burst: u32) -> FairShareLimits {
        FairShareLimits {
            max_sessions_per_client: 1,
            messages_per_sec: NonZeroU32::new(per_sec).unwrap(),
            burst: NonZeroU32::new(burst).unwrap(),
        }
    }

    #[test]
    fn the_peer_is_the_client_unless_proxies_are_trusted() {
        let peer = Some("10.0.0.9".parse().unwrap());
        let header = Some("1.2.3.4, 5.6.7.8");
        assert_eq!(ClientId::from_parts(peer, header, 0).as_str(), "10.0.0.9");
        assert_eq!(ClientId::from_parts(peer, header, 1).as_str(), "5.6.7.8");
        assert_eq!(ClientId::from_parts(peer, header, 2).as_str(), "1.2.3.4");
        // A client-written prefix cannot push the trusted entry aside.
        assert_eq!(
            ClientId::from_parts(peer, Some("6.6.6.6, 1.2.3.4, 5.6.7.8"), 1).as_str(),
            "5.6.7.8"
        );
        assert_eq!(ClientId::from_parts(peer, header, 5).as_str(), "1.2.3.4");
        assert_eq!(ClientId::from_parts(peer, None, 1).as_str(), "10.0.0.9");
        assert_eq!(ClientId::from_parts(None, None, 0).as_str(), "unknown");
    }

    #[test]
    fn loopback_clients_are_recognised() {
        assert!(ClientId::new("127.0.0.1").is_loopback());
        assert!(ClientId::new("127.8.0.3").is_loopback());
        assert!(ClientId::new("::1").is_loopback());
        assert!(!ClientId::new("203.0.113.1").is_loopback());
        assert!(!ClientId::new("unknown").is_loopback());
    }

    #[actix::test]
    async fn a_client_over_its_rate_waits_and_others_are_not_affected() {
        tokio_pause();
        let rates = MessageRates::new(limits(10, 3));
        let a = ClientId::new("a");
        let b = ClientId::new("b");
        for _ in 0..3 {
            rates.take(&a).unwrap();
        }
        let refused = rates.take(&a).unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_millis(100));
        assert!(refused.to_string().contains("retry in 100 ms"), "{refused}");
        rates.take(&b).unwrap();

        tokio::time::advance(Duration::from_millis(100)).await;
        rates.take(&a).unwrap();
        assert!(rates.take(&a).is_err());
    }

    #[actix::test]
    async fn idle_clients_are_forgotten() {
        tokio_pause();
        let rates = MessageRates::new(limits(10, 2));
        rates.take(&ClientId::new("a")).unwrap();
        assert_eq!(rates.limiter.len(), 1);
        tokio::time::advance(Duration::from_secs(1)).await;
        rates.forget_idle();
        assert_eq!(rates.limiter.len(), 0);
    }

    /// Pauses tokio's clock (actix-rt runs on a current-thread tokio runtime).
    fn tokio_pause() {
        tokio::time::pause();
    }
}
