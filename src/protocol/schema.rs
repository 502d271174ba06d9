//! JSON Schemas of the action, observation and state, generated from the Rust types so the
//! schemas served at `/schema` cannot drift from what the server parses and sends.

use schemars::JsonSchema;
use serde_json::{json, Value};

use super::action::SqlAction;
use super::observation::{EpisodeState, SqlObservation, StepResult};
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

/// The body of `POST /step`, for its schema only: the handler reads `action` and ignores the
/// others, which OpenEnv clients send.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct StepRequest {
    action: SqlAction,
    timeout_s: Option<f64>,
    request_id: Option<String>,
}

pub fn step_request_schema() -> Value {
    json!(schemars::schema_for!(StepRequest))
}

pub fn step_result_schema() -> Value {
    json!(schemars::schema_for!(StepResult))
}

/// The body of `GET /schema`.
pub fn all_schemas() -> Value {
    json!({ "action": action_schema(), "observation": observation_schema(), "state": state_schema() })
}
