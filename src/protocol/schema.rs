//! JSON Schemas of the action, observation and state, generated from the Rust types so the
//! schemas served at `/schema` cannot drift from what the server parses and sends.

use serde_json::{json, Value};

use super::action::SqlAction;
use super::observation::{EpisodeState, SqlObservation};
use super::reset::ResetParams;

pub fn action_schema() -> Value {
    json!(schemars::schema_for!(SqlAction))
}

pub fn observation_schema() -> Value {
    json!(schemars::schema_for!(SqlObservation))
}

pub fn state_schema() -> Value {
    json!(schemars::schema_for!(EpisodeState))
}

pub fn reset_schema() -> Value {
    json!(schemars::schema_for!(ResetParams))
}

/// The body of `GET /schema`.
pub fn all_schemas() -> Value {
    json!({ "action": action_schema(), "observation": observation_schema(), "state": state_schema() })
}
