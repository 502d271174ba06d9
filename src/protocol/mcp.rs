//! JSON-RPC 2.0 for MCP: request parsing, responses, and the four actions exposed as tools.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::action::{ActionType, SqlAction};
use super::observation::StepResult;
use super::reset::ResetParams;

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

/// What the `question` and `new_episode` tools show: the task, without anything about rewards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionView {
    pub question: String,
    pub db_id: String,
    pub tables: Vec<String>,
    pub question_id: String,
    pub difficulty: String,
    pub step_count: u32,
    pub budget_remaining: u32,
    pub done: bool,
}

impl QuestionView {
    /// The view of the episode a step (or reset) result belongs to.
    pub fn of_step(step: &StepResult) -> Self {
        let obs = &step.observation;
        QuestionView {
            question: obs.question.clone(),
            db_id: obs.db_id.clone(),
            tables: obs.tables.clone(),
            question_id: obs.question_id.clone(),
            difficulty: obs.difficulty.clone(),
            step_count: obs.step_count,
            budget_remaining: obs.budget_remaining,
            done: step.done,
        }
    }

    /// The question as a model reads it.
    pub fn text(&self) -> String {
        let status = if self.done {
            "This episode is over; call new_episode to play another.".to_owned()
        } else {
            format!(
                "Steps left: {}. Explore with describe, sample and query; finish with answer.",
                self.budget_remaining
            )
        };
        format!(
            "Question: {}\nDatabase: {} (tables: {})\n{status}",
            self.question,
            self.db_id,
            self.tables.join(", ")
        )
    }
}

/// The `initialize` instructions of a session: how to play, and its first question (clients
/// put the instructions in front of the model).
pub fn instructions(first: &QuestionView) -> String {
    format!(
        "This MCP session is one episode of SQLEnv: answer a question about a SQLite database. \
         Use describe and sample on its tables and run read-only SQL with query, then call answer \
         once (it ends the episode). Call question to see the question again and new_episode to \
         start another one.\n\n{}",
        first.text()
    )
}

/// The protocol revisions this server speaks, newest first; `initialize` answers with the
/// client's revision when it is one of them.
pub const SUPPORTED_PROTOCOL_VERSIONS: [&str; 4] = [
    "2025-11-25",
    MCP_PROTOCOL_VERSION,
    "2025-03-26",
    "2024-11-05",
];

/// The revision to answer an `initialize` with.
pub fn negotiate_version(params: &Value) -> &'static str {
    let asked = params.get("protocolVersion").and_then(Value::as_str);
    SUPPORTED_PROTOCOL_VERSIONS
        .into_iter()
        .find(|v| Some(*v) == asked)
        .unwrap_or(MCP_PROTOCOL_VERSION)
}

/// The tools `tools/list` announces: one per action, then `question` and `new_episode`.
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
    let text = |description: &str| json!({ "type": "string", "description": description });
    json!({ "tools": [
        tool("describe", "Show a table's columns, types, keys and row count.", "table_name", "A table name from the observation's tables."),
        tool("sample", "Show a few rows of a table.", "table_name", "A table name from the observation's tables."),
        tool("query", "Run one read-only SQL statement (SQLite) and show its result.", "sql", "One SELECT statement."),
        tool("answer", "Give the final answer to the question; ends the episode.", "value", "The answer: a value, a comma-separated list, or rows as `a | b` lines."),
        {
            "name": "question",
            "description": "Show this episode's question, its database and tables, and the steps left.",
            "inputSchema": { "type": "object", "properties": {}, "additionalProperties": false }
        },
        {
            "name": "new_episode",
            "description": "End this episode and start another one; shows its question. All arguments are optional.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "seed": { "type": "integer", "description": "The same seed picks the same question." },
                    "question_id": text("Play this question."),
                    "db_id": text("Pick a question on this database."),
                    "difficulty": { "type": "string", "enum": ["easy", "medium", "hard", "extra"] },
                    "split": { "type": "string", "enum": ["train", "eval"] },
                    "index": { "type": "integer", "minimum": 0, "description": "With split: the task of that index (see the Task API)." }
                },
                "additionalProperties": false
            }
        },
    ]})
}

/// What a `tools/call` asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolCall {
    Action(SqlAction),
    Question,
    NewEpisode(ResetParams),
}

/// Turns a `tools/call` into what it stands for.
pub fn parse_tool_call(params: &Value) -> Result<ToolCall, String> {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or("params.name must name a tool")?;
    let arguments = params.get("arguments").cloned().unwrap_or(Value::Null);
    let (action_type, arg) = match name {
        "describe" => (ActionType::Describe, "table_name"),
        "sample" => (ActionType::Sample, "table_name"),
        "query" => (ActionType::Query, "sql"),
        "answer" => (ActionType::Answer, "value"),
        "question" => return Ok(ToolCall::Question),
        "new_episode" => {
            return ResetParams::from_tool_arguments(arguments)
                .map(ToolCall::NewEpisode)
                .map_err(|e| format!("tool 'new_episode': {e}"))
        }
        other => {
            return Err(format!(
                "unknown tool '{other}'; tools are describe, sample, query, answer, question, new_episode"
            ))
        }
    };
    let argument = match arguments.get(arg) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if action_type == ActionType::Answer => n.to_string(),
        _ => return Err(format!("tool '{name}' needs the string argument '{arg}'")),
    };
    Ok(ToolCall::Action(SqlAction {
        action_type,
        argument,
        metadata: None,
    }))
}

/// The `tools/call` result of a step: what a model should read and nothing more. The reward
/// and its components are the trainer's (over `/ws` or HTTP), never the policy's input.
pub fn tool_result(step: &StepResult) -> Value {
    let obs = &step.observation;
    let mut text = match &obs.error {
        Some(error) => format!("Error: {error}"),
        None => obs.result.clone(),
    };
    if step.done {
        text.push_str("\n\nThis episode is over; call new_episode to play another.");
    }
    json!({
        "content": [{ "type": "text", "text": text }],
        "structuredContent": {
            "result": obs.result,
            "error": obs.error,
            "step_count": obs.step_count,
            "budget_remaining": obs.budget_remaining,
            "done": step.done,
            "question_id": obs.question_id,
            "db_id": obs.db_id,
        },
        "isError": obs.error.is_some(),
    })
}

/// OpenEnv's tool actions sent as a `step` (its `MCPToolClient.step(CallToolAction(...))` and
/// `ListToolsAction`): `{"type": "call_tool", "tool_name", "arguments"}` or `{"type": "list_tools"}`.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolStep {
    List,
    /// The tool's name, and what it asks for or why it cannot be called.
    Call {
        tool_name: String,
        call: Result<ToolCall, ToolStepError>,
    },
}

/// Why a tool step cannot run; OpenEnv's `ToolError` names the kind.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolStepError {
    pub error_type: &'static str,
    pub message: String,
}

/// A step's data as a tool action, if it is one (a `type` of `call_tool` or `list_tools`).
pub fn parse_tool_step(data: &Value) -> Option<ToolStep> {
    match data.get("type").and_then(Value::as_str)? {
        "list_tools" => Some(ToolStep::List),
        "call_tool" => {
            let tool_name = data
                .get("tool_name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let arguments = data.get("arguments").cloned().unwrap_or(json!({}));
            let known = tool_list()["tools"]
                .as_array()
                .is_some_and(|tools| tools.iter().any(|t| t["name"] == tool_name.as_str()));
            let call = if known {
                parse_tool_call(&json!({ "name": tool_name, "arguments": arguments })).map_err(
                    |message| ToolStepError {
                        error_type: "invalid_args",
                        message,
                    },
                )
            } else {
                Err(ToolStepError {
                    error_type: "tool_not_found",
                    message: format!("unknown tool '{tool_name}'"),
                })
            };
            Some(ToolStep::Call { tool_name, call })
        }
        _ => None,
    }
}

/// The observation of a tool step: OpenEnv's `CallToolObservation` (`tool_name`, `result`,
/// `error`) or `ListToolsObservation` (`tools`), with the reward and `done` beside it as for
/// any step (a trainer on `/ws` reads them; the `result` a model reads has no reward).
pub fn tool_step_observation(observation: Value, reward: Option<f64>, done: bool) -> Value {
    json!({ "observation": observation, "reward": reward, "done": done })
}

pub fn call_observation(tool_name: &str, result: Value, error: Option<&ToolStepError>) -> Value {
    json!({
        "tool_name": tool_name,
        "result": result,
        "error": error.map(|e| json!({ "error_type": e.error_type, "message": e.message })),
    })
}

/// The `tools/call` result of `question` and `new_episode`.
pub fn question_result(view: &QuestionView) -> Value {
    json!({
        "content": [{ "type": "text", "text": view.text() }],
        "structuredContent": view,
        "isError": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_calls_map_to_actions() {
        let a = parse_tool_call(&json!({"name": "query", "arguments": {"sql": "SELECT 1"}}));
        let Ok(ToolCall::Action(a)) = a else {
            panic!("{a:?}")
        };
        assert_eq!(
            (a.action_type, a.argument.as_str()),
            (ActionType::Query, "SELECT 1")
        );
        assert!(parse_tool_call(&json!({"name": "drop", "arguments": {}})).is_err());
        assert!(parse_tool_call(&json!({"name": "describe", "arguments": {"sql": "x"}})).is_err());
        assert_eq!(
            parse_tool_call(&json!({"name": "question"})),
            Ok(ToolCall::Question)
        );
        let reset = parse_tool_call(&json!({"name": "new_episode", "arguments": {"seed": 3}}));
        assert!(matches!(reset, Ok(ToolCall::NewEpisode(p)) if p.seed == Some(3)));
        let typo = parse_tool_call(&json!({"name": "new_episode", "arguments": {"sede": 3}}));
        assert!(typo.is_err());
    }

    #[test]
    fn tool_steps_parse_like_openenvs_mcp_actions() {
        assert_eq!(
            parse_tool_step(&json!({"type": "list_tools"})),
            Some(ToolStep::List)
        );
        let call = parse_tool_step(
            &json!({"type": "call_tool", "tool_name": "query", "arguments": {"sql": "SELECT 1"}}),
        );
        assert!(matches!(
            call,
            Some(ToolStep::Call {
                call: Ok(ToolCall::Action(_)),
                ..
            })
        ));
        let unknown = parse_tool_step(&json!({"type": "call_tool", "tool_name": "drop"}));
        let Some(ToolStep::Call { call: Err(e), .. }) = unknown else {
            panic!("{unknown:?}")
        };
        assert_eq!(e.error_type, "tool_not_found");
        let bad = parse_tool_step(&json!({"type": "call_tool", "tool_name": "query"}));
        let Some(ToolStep::Call { call: Err(e), .. }) = bad else {
            panic!("{bad:?}")
        };
        assert_eq!(e.error_type, "invalid_args");
        assert_eq!(
            parse_tool_step(&json!({"action_type": "QUERY", "argument": "x"})),
            None
        );
    }

    #[test]
    fn initialize_answers_the_clients_revision_when_known() {
        assert_eq!(
            negotiate_version(&json!({"protocolVersion": "2025-03-26"})),
            "2025-03-26"
        );
        assert_eq!(
            negotiate_version(&json!({"protocolVersion": "1999-01-01"})),
            MCP_PROTOCOL_VERSION
        );
    }

    #[test]
    fn empty_object_is_an_invalid_request() {
        let e = RpcRequest::parse(json!({})).unwrap_err();
        assert_eq!(e.error.map(|e| e.code), Some(INVALID_REQUEST));
        assert_eq!(e.jsonrpc, "2.0");
    }
}
