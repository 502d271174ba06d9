//! Starting, reaching and closing MCP sessions for the `/mcp` endpoint (and for `/ws?session_id=`
//! attaching to one). A session is an [`McpSession`] actor registered with the supervisor, so it
//! counts against the capacity and is reaped when idle like a WebSocket session.

use std::sync::Arc;

use actix::{Actor, Addr, Recipient};
use serde_json::{json, Value};

use super::error::ApiError;
use crate::protocol::mcp::{self, RpcResponse};
use crate::protocol::messages::{ErrorBody, ErrorCode};
use crate::protocol::observation::StepResult;
use crate::protocol::reset::ResetParams;
use crate::session::host;
use crate::session::mcp_session::McpSession;
use crate::session::messages::{McpCall, McpOp, McpReply};
use crate::session::Services;
use crate::supervisor::activity::Activity;
use crate::supervisor::fair_share::{ClientId, ClientSessionLimit};
use crate::supervisor::messages::{
    CloseMcp, CloseReason, FindMcp, ForceClose, Refused, Register, SessionKind,
};

/// The streamable HTTP transport's session header.
pub const SESSION_HEADER: &str = "Mcp-Session-Id";

/// Why an operation on a session failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("Unknown session_id: {0}")]
    Unknown(String),
    /// The episode refused it (an invalid reset, a step before any episode).
    #[error("{0}")]
    Episode(String),
    #[error("server at capacity ({active} of {max} sessions)")]
    Capacity { active: usize, max: usize },
    #[error(transparent)]
    ClientLimit(ClientSessionLimit),
    #[error("session unavailable: {0}")]
    Unavailable(String),
}

/// How an HTTP endpoint answers a session error: an unknown session is 404 with the protocol's
/// `SESSION_ERROR`, a refused reset 422, a full server 400 with `CAPACITY_REACHED` (as a
/// WebSocket client is told) and a client at its share 400 with `CLIENT_SESSION_LIMIT`, a lost session the server's failure.
impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::Unknown(_) => ApiError::NotFound {
                code: ErrorCode::SessionError,
                message: error.to_string(),
            },
            SessionError::Capacity { .. } => ApiError::BadRequest {
                code: ErrorCode::CapacityReached,
                message: error.to_string(),
            },
            SessionError::ClientLimit(_) => ApiError::BadRequest {
                code: ErrorCode::ClientSessionLimit,
                message: error.to_string(),
            },
            SessionError::Episode(message) => {
                ApiError::Invalid(ErrorBody::validation(message.clone(), vec![message]))
            }
            SessionError::Unavailable(_) => ApiError::Internal(error.to_string()),
        }
    }
}

impl SessionError {
    /// The JSON-RPC error answering request `id`.
    pub fn to_rpc(&self, id: Value) -> RpcResponse {
        let code = match self {
            SessionError::Unknown(_) | SessionError::Episode(_) => mcp::INVALID_PARAMS,
            SessionError::Capacity { .. } | SessionError::ClientLimit(_) => mcp::SERVER_ERROR,
            SessionError::Unavailable(_) => mcp::INTERNAL_ERROR,
        };
        let response = RpcResponse::error(id, code, self.to_string());
        match self {
            SessionError::Capacity { active, max } => {
                response.with_data(json!({ "active_sessions": active, "max_sessions": max }))
            }
            SessionError::ClientLimit(limit) => response.with_data(json!({
                "code": ErrorCode::ClientSessionLimit,
                "active_sessions": limit.active,
                "max_sessions_per_client": limit.max,
            })),
            _ => response,
        }
    }
}

/// Starts a session of `client` whose episode is reset with `params`; its id and first
/// observation.
pub async fn start(
    services: &Services,
    client: ClientId,
    params: &ResetParams,
) -> Result<(String, StepResult), SessionError> {
    let episode = host::reset(services, params).map_err(|b| SessionError::Episode(b.message))?;
    let session_id = uuid::Uuid::new_v4().to_string();
    let activity = Activity::default();
    let first = episode.reset_result();
    let session = McpSession::new(
        session_id.clone(),
        Arc::new(services.clone()),
        episode,
        activity.clone(),
        true,
    );
    let addr: Addr<McpSession> = session.start();
    let register = Register {
        id: session_id.clone(),
        kind: SessionKind::Mcp,
        client,
        closer: addr.clone().recipient(),
        activity,
        mcp: Some(addr.clone().recipient()),
    };
    match services.supervisor.send(register).await {
        Ok(Ok(())) => Ok((session_id, first)),
        Ok(Err(refused)) => {
            addr.do_send(ForceClose {
                reason: CloseReason::Requested,
            });
            Err(match refused {
                Refused::Capacity(full) => SessionError::Capacity {
                    active: full.active,
                    max: full.max,
                },
                Refused::ClientLimit(limit) => SessionError::ClientLimit(limit),
            })
        }
        Err(e) => Err(SessionError::Unavailable(e.to_string())),
    }
}

/// The session's mailbox, if it is live.
pub async fn find(services: &Services, id: &str) -> Result<Recipient<McpCall>, SessionError> {
    services
        .supervisor
        .send(FindMcp { id: id.to_owned() })
        .await
        .map_err(|e| SessionError::Unavailable(e.to_string()))?
        .ok_or_else(|| SessionError::Unknown(id.to_owned()))
}

/// Runs one operation on a session's episode.
pub async fn call(services: &Services, id: &str, op: McpOp) -> Result<McpReply, SessionError> {
    find(services, id)
        .await?
        .send(McpCall { op })
        .await
        .map_err(|e| SessionError::Unavailable(e.to_string()))?
        .map_err(|b| SessionError::Episode(b.message))
}

/// Ends a session; false if there was none of that id.
pub async fn close(services: &Services, id: &str) -> Result<bool, String> {
    services
        .supervisor
        .send(CloseMcp { id: id.to_owned() })
        .await
        .map_err(|e| e.to_string())
}
