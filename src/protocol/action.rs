//! The action an agent takes in one step, as the `data` of a step message.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::metrics::labels as metrics;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ActionType {
    /// Columns, types, keys and row count of a table; the argument is the table name.
    Describe,
    /// A few rows of a table; the argument is the table name.
    Sample,
    /// One read-only SQL statement; the argument is the SQL.
    Query,
    /// The final answer; ends the episode.
    Answer,
}

impl ActionType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Describe => "DESCRIBE",
            Self::Sample => "SAMPLE",
            Self::Query => "QUERY",
            Self::Answer => "ANSWER",
        }
    }
}

/// One step's action. Unknown fields are rejected, as the reference server does; `metadata` is
/// accepted because OpenEnv's base action model carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "SQLAction")]
pub struct SqlAction {
    pub action_type: ActionType,
    /// Table name (DESCRIBE, SAMPLE), SQL (QUERY) or answer text (ANSWER).
    pub argument: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl From<ActionType> for metrics::Action {
    fn from(action: ActionType) -> Self {
        match action {
            ActionType::Describe => metrics::Action::DESCRIBE,
            ActionType::Sample => metrics::Action::SAMPLE,
            ActionType::Query => metrics::Action::QUERY,
            ActionType::Answer => metrics::Action::ANSWER,
        }
    }
}
