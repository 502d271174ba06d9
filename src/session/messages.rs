//! Messages sessions handle besides the supervisor's `ForceClose`.

use actix::Message;

use crate::protocol::action::SqlAction;
use crate::protocol::mcp::QuestionView;
use crate::protocol::messages::ErrorBody;
use crate::protocol::observation::{EpisodeState, StepResult};
use crate::protocol::reset::ResetParams;

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
