//! JSON-RPC 2.0 for MCP: request parsing, responses, and the four actions exposed as tools.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::action::{ActionType, SqlAction};
use super::observation::StepResult;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// JSON-RPC's range for implementation-defined server errors (capacity, unknown session).
pub const SERVER_ERROR: i64 = -32000;

/// The MCP protocol revision the `initialize` answer announces.
pub const MCP_PROTOCOL_VERSION: &str = "2025-06-18";

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RpcRequest {
    pub jsonrpc: String,
    pub method: String,
    #[serde(default)]
    pub params: Value,
    #[serde(default)]
    pub id: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RpcResponse {
    pub jsonrpc: &'static str,
    pub id: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RpcError>,
}

impl RpcResponse {
    pub fn success(id: Value, result: Value) -> Self {
        RpcResponse {
            jsonrpc: "2.0",
            id,
            result: Some(result),
            error: None,
        }
    }

    pub fn error(id: Value, code: i64, message: impl Into<String>) -> Self {
        RpcResponse {
            jsonrpc: "2.0",
            id,
            result: None,
            error: Some(RpcError {
                code,
                message: message.into(),
                data: None,
            }),
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        if let Some(e) = self.error.as_mut() {
            e.data = Some(data);
        }
        self
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl RpcRequest {
    /// Parses a JSON-RPC request, or the error response that answers it.
    pub fn parse(value: Value) -> Result<RpcRequest, Box<RpcResponse>> {
        let id = value.get("id").cloned().unwrap_or(Value::Null);
        let invalid =
            |message: String| Box::new(RpcResponse::error(id.clone(), INVALID_REQUEST, message));
        let request: RpcRequest =
            serde_json::from_value(value).map_err(|e| invalid(format!("Invalid request: {e}")))?;
        if request.jsonrpc != "2.0" {
            return Err(invalid("Invalid request: jsonrpc must be \"2.0\"".into()));
        }
        Ok(request)
    }

    /// A string parameter, if present.
    pub fn param_str(&self, key: &str) -> Option<&str> {
        self.params.get(key).and_then(Value::as_str)
    }
}

/// The tools `tools/list` announces: one per action.
pub fn tool_list() -> Value {
    let tool = |name: &str, description: &str, arg: &str, arg_description: &str| {
        json!({
            "name": name,
            "description": description,
            "inputSchema": {
                "type": "object",
                "properties": { arg: { "type": "string", "description": arg_description } },
                "required": [arg],
                "additionalProperties": false
            }
        })
    };
    json!({ "tools": [
        tool("describe", "Show a table's columns, types, keys and row count.", "table_name", "A table name from the observation's tables."),
        tool("sample", "Show a few rows of a table.", "table_name", "A table name from the observation's tables."),
        tool("query", "Run one read-only SQL statement (SQLite) and show its result.", "sql", "One SELECT statement."),
        tool("answer", "Give the final answer to the question; ends the episode.", "value", "The answer: a value, a comma-separated list, or rows as `a | b` lines."),
    ]})
}

/// Turns a `tools/call` into the action it stands for.
pub fn tool_call_action(params: &Value) -> Result<SqlAction, String> {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or("params.name must name a tool")?;
    let (action_type, arg) = match name {
        "describe" => (ActionType::Describe, "table_name"),
        "sample" => (ActionType::Sample, "table_name"),
        "query" => (ActionType::Query, "sql"),
        "answer" => (ActionType::Answer, "value"),
        other => {
            return Err(format!(
                "unknown tool '{other}'; tools are describe, sample, query, answer"
            ))
        }
    };
    let arguments = params.get("arguments").cloned().unwrap_or(Value::Null);
    let argument = match arguments.get(arg) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if action_type == ActionType::Answer => n.to_string(),
        _ => return Err(format!("tool '{name}' needs the string argument '{arg}'")),
    };
    Ok(SqlAction {
        action_type,
        argument,
        metadata: None,
    })
}

/// The `tools/call` result of a step: the observation's text for a model to read, and the whole
/// step result for a program.
pub fn tool_result(step: &StepResult) -> Value {
    let obs = &step.observation;
    let text = match &obs.error {
        Some(error) => format!("Error: {error}"),
        None => obs.result.clone(),
    };
    json!({
        "content": [{ "type": "text", "text": text }],
        "structuredContent": step,
        "isError": obs.error.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_calls_map_to_actions() {
        let a =
            tool_call_action(&json!({"name": "query", "arguments": {"sql": "SELECT 1"}})).unwrap();
        assert_eq!(
            (a.action_type, a.argument.as_str()),
            (ActionType::Query, "SELECT 1")
        );
        assert!(tool_call_action(&json!({"name": "drop", "arguments": {}})).is_err());
        assert!(tool_call_action(&json!({"name": "describe", "arguments": {"sql": "x"}})).is_err());
    }

    #[test]
    fn empty_object_is_an_invalid_request() {
        let e = RpcRequest::parse(json!({})).unwrap_err();
        assert_eq!(e.error.map(|e| e.code), Some(INVALID_REQUEST));
        assert_eq!(e.jsonrpc, "2.0");
    }
}
