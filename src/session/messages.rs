//! Messages sessions handle besides the supervisor's `ForceClose`.

use actix::Message;

use crate::protocol::action::SqlAction;
use crate::protocol::messages::ErrorBody;
use crate::protocol::observation::StepResult;

/// One step of an MCP session's episode (a `tools/call`).
#[derive(Debug, Message)]
#[rtype(result = "Result<StepResult, ErrorBody>")]
pub struct McpCall {
    pub action: SqlAction,
}
