//! Messages between sessions and the supervisor.

use actix::{Message, MessageResponse, Recipient};

use super::activity::Activity;
use super::fair_share::{ClientId, ClientSessionLimit};
use crate::protocol::mcp_call::McpCall;
use crate::protocol::messages::{ErrorBody, ErrorCode};

/// How a session is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    WebSocket,
    Mcp,
}

/// Asks for a place among the active sessions.
#[derive(Message)]
#[rtype(result = "Result<(), Refused>")]
pub struct Register {
    pub id: String,
    pub kind: SessionKind,
    /// Whose share of the sessions this one counts against.
    pub client: ClientId,
    pub closer: Recipient<ForceClose>,
    pub activity: Activity,
    /// For MCP sessions: where `tools/call` with this session id goes.
    pub mcp: Option<Recipient<McpCall>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityReached {
    pub active: usize,
    pub max: usize,
}

/// Why a session was not registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("server at capacity ({} of {} sessions); retry later", .0.active, .0.max)]
    Capacity(CapacityReached),
    #[error(transparent)]
    ClientLimit(ClientSessionLimit),
}

impl Refused {
    /// The error frame telling the client why.
    pub fn error_body(&self) -> ErrorBody {
        match self {
            Refused::Capacity(full) => {
                let mut body = ErrorBody::new(ErrorCode::CapacityReached, self.to_string());
                body.active_sessions = Some(full.active);
                body.max_sessions = Some(full.max);
                body
            }
            Refused::ClientLimit(limit) => {
                let mut body = ErrorBody::new(ErrorCode::ClientSessionLimit, self.to_string());
                body.active_sessions = Some(limit.active);
                body.max_sessions = Some(limit.max);
                body
            }
        }
    }
}

/// A session has ended; sent from its `stopped`, so it is sent however the session ended.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unregister {
    pub id: String,
}

/// The supervisor ends a session.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct ForceClose {
    pub reason: CloseReason,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CloseReason {
    Idle { limit_secs: u64 },
    Requested,
    Shutdown,
}

impl CloseReason {
    pub fn describe(&self) -> String {
        match self {
            CloseReason::Idle { limit_secs } => {
                format!("session closed: idle for more than {limit_secs} s")
            }
            CloseReason::Requested => "session closed on request".into(),
            CloseReason::Shutdown => "server shutting down".into(),
        }
    }
}

/// Starts the shutdown: every registered session is told to close (with
/// [`CloseReason::Shutdown`]) and any session that registers from now on is closed at once.
/// Answers how many sessions were told.
#[derive(Debug, Message)]
#[rtype(result = "ShutdownNotice")]
pub struct BeginShutdown;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, MessageResponse)]
pub struct ShutdownNotice {
    /// Sessions the close was delivered to.
    pub told: usize,
    /// Sessions whose mailbox was already gone (logged and forgotten).
    pub unreachable: usize,
}

/// Finds an MCP session by id.
#[derive(Message)]
#[rtype(result = "Option<Recipient<McpCall>>")]
pub struct FindMcp {
    pub id: String,
}

/// Closes an MCP session by id (`openenv/session/close`).
#[derive(Message)]
#[rtype(result = "bool")]
pub struct CloseMcp {
    pub id: String,
}

/// How many sessions there are.
#[derive(Message)]
#[rtype(result = "SessionStats")]
pub struct GetStats;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, MessageResponse)]
pub struct SessionStats {
    pub active_sessions: usize,
    pub websocket_sessions: usize,
    pub mcp_sessions: usize,
    pub max_sessions: usize,
    pub max_sessions_per_client: usize,
    /// Clients holding at least one session.
    pub clients: usize,
    pub sessions_started: u64,
    pub sessions_reaped_idle: u64,
}
