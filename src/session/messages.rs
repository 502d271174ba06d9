//! Messages sessions handle besides the supervisor's `ForceClose`. The MCP operations are defined
//! in `protocol::mcp_call`, below the supervisor, which hands out their recipients.

pub use crate::protocol::mcp_call::{McpCall, McpOp, McpReply};
