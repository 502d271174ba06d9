//! Sessions: the actors that own an episode. A WebSocket connection is one session
//! ([`socket::WsSession`]); an MCP session over HTTP is another ([`mcp_session::McpSession`]).
//! Both play episodes through [`host`], whose [`host::step`] is a step from action to
//! observation: the episode rules of [`episode`], the query of [`crate::database`], the score of
//! the reward actor.

pub mod episode;
pub mod fragments;
pub mod host;
pub mod liveness;
pub mod mcp_session;
pub mod messages;
pub mod metered;
pub mod socket;
pub mod telemetry;
pub mod watch;

use std::sync::Arc;
use std::time::Duration;

use actix::Addr;

use crate::catalog::Catalog;
use crate::database::Databases;
use crate::metrics::Metrics;
use crate::reward::actor::RewardActor;
use crate::reward::config::RewardConfig;
use crate::supervisor::EpisodeSupervisor;
use episode::EpisodeRules;

/// Everything a session talks to; cheap to clone (handles and shared pointers).
#[derive(Clone)]
pub struct Services {
    pub catalog: Arc<Catalog>,
    /// Runs QUERYs: a short one on the session's thread, a longer one on the database workers.
    pub db: Databases,
    /// The reward actor of the thread the session runs on.
    pub reward: Addr<RewardActor>,
    pub supervisor: Addr<EpisodeSupervisor>,
    pub rules: Arc<EpisodeRules>,
    pub reward_config: Arc<RewardConfig>,
    pub heartbeat: Heartbeat,
    pub metrics: Metrics,
    /// The token that unlocks session telemetry on `/ws` (see [`telemetry`]); none in production.
    pub validation_token: Option<Arc<str>>,
}

/// How a WebSocket session finds out its peer is gone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heartbeat {
    /// A ping is sent this often.
    pub interval: Duration,
    /// With nothing heard from the peer for this long (not even a pong), the session ends.
    pub timeout: Duration,
}

/// Pings go out every 20 s, like the Python client's own keep-alive.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(20);
/// Three missed pongs and a bit: a peer whose TCP connection died half-open is dropped within a
/// minute, while a client busy generating still answers pings from its I/O thread.
pub const DEFAULT_HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(70);

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat {
            interval: DEFAULT_HEARTBEAT_INTERVAL,
            timeout: DEFAULT_HEARTBEAT_TIMEOUT,
        }
    }
}
