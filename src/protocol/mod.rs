//! The OpenEnv wire protocol as the official Python client speaks it: frames, actions,
//! observations, state, reset arguments, MCP's JSON-RPC, and the JSON Schemas of all of them.
//! Plain serde types; nothing here knows about actors or SQLite.

pub mod action;
pub mod mcp;
pub mod mcp_call;
pub mod messages;
pub mod observation;
pub mod reset;
pub mod schema;
