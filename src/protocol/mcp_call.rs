//! The operations an MCP session's episode accepts ([`McpCall`]) and its replies. They are
//! actor messages, not wire frames, but are made only of protocol types and sit here, below both
//! the sessions that handle them and the supervisor that hands out their recipients (`FindMcp`),
//! so neither of those modules has to depend on the other for them.

use actix::Message;

use super::action::SqlAction;
use super::mcp::QuestionView;
use super::messages::ErrorBody;
use super::observation::{EpisodeState, StepResult};
use super::reset::ResetParams;

/// What a caller asks of an MCP session's episode: a `tools/call` step, or (from the HTTP
/// `new_episode` tool and from a WebSocket attached with `/ws?session_id=`) a reset or its state.
#[derive(Debug)]
pub enum McpOp {
    Step(SqlAction),
    Reset(ResetParams),
    State,
    /// What the agent is asked (the `question` tool).
    Question,
}

#[derive(Debug)]
pub enum McpReply {
    Step(StepResult),
    State(Box<EpisodeState>),
    Question(QuestionView),
}

/// One operation on an MCP session's episode.
#[derive(Debug, Message)]
#[rtype(result = "Result<McpReply, ErrorBody>")]
pub struct McpCall {
    pub op: McpOp,
}

impl McpCall {
    pub fn step(action: SqlAction) -> Self {
        McpCall {
            op: McpOp::Step(action),
        }
    }
}

impl McpReply {
    /// The step result of a step or reset; a state is not one.
    pub fn into_step(self) -> Option<StepResult> {
        match self {
            McpReply::Step(step) => Some(step),
            McpReply::State(_) | McpReply::Question(_) => None,
        }
    }
}
