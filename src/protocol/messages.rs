//! WebSocket frames: what a client sends (`reset`, `step`, `state`, `close`, `mcp`) and what the
//! server answers (`observation`, `state`, `mcp`, `error`), with the reference server's error codes.

use serde::Serialize;
use serde_json::Value;

use crate::metrics::labels as metrics;

use super::action::SqlAction;
use super::mcp::{parse_tool_step, ToolStep};
use super::observation::{EpisodeState, StepResult};
use super::reset::ResetParams;

/// A parsed client frame.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    Reset(ResetParams),
    Step(SqlAction),
    State,
    Close,
    Mcp(Value),
    /// OpenEnv's session telemetry (see `session::telemetry`); the data as sent.
    ValidationOpen(Option<Value>),
    ValidationRead(Option<Value>),
    /// A step whose data is one of OpenEnv's tool actions (`call_tool`, `list_tools`).
    ToolStep(ToolStep),
}

/// Error codes of the OpenEnv protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    InvalidJson,
    UnknownType,
    ValidationError,
    ExecutionError,
    CapacityReached,
    FactoryError,
    SessionError,
    /// A client holds as many sessions as one client may (`--max-sessions-per-client`).
    ClientSessionLimit,
    /// A client sent messages faster than its rate; the message was not handled.
    RateLimited,
    /// A request without the server's key (`--api-key`).
    Unauthorized,
    /// A failure inside the server (an actor gone, a reply lost), not the client's doing. The
    /// reference server has no such code; before it existed these were `EXECUTION_ERROR`.
    InternalError,
}

impl ErrorCode {
    /// The JSON-RPC error code of an MCP reply carrying this error: an internal failure is
    /// JSON-RPC's internal error, anything else the invalid request MCP clients already see.
    pub fn json_rpc(self) -> i64 {
        match self {
            ErrorCode::InternalError => super::mcp::INTERNAL_ERROR,
            _ => super::mcp::INVALID_REQUEST,
        }
    }
}

/// The `data` of an error frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorBody {
    pub message: String,
    pub code: ErrorCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_sessions: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_sessions: Option<usize>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            message: message.into(),
            code,
            errors: None,
            active_sessions: None,
            max_sessions: None,
        }
    }

    /// A failure inside the server; `message` says what failed, for the log and the client.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, message)
    }

    pub fn validation(message: impl Into<String>, errors: Vec<String>) -> Self {
        ErrorBody {
            errors: Some(errors),
            ..Self::new(ErrorCode::ValidationError, message)
        }
    }
}

/// Bytes reserved up front for a serialised frame: an observation with a rendered result.
const FRAME_CAPACITY: usize = 2048;

/// A server frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "lowercase")]
pub enum ServerMessage {
    Observation(Box<StepResult>),
    State(Box<EpisodeState>),
    Mcp(Value),
    Error(ErrorBody),
    /// The observation of a tool step (see [`ToolStep`]): not an `SQLObservation`.
    #[serde(rename = "observation")]
    ToolObservation(Value),
}

impl ServerMessage {
    pub fn to_json(&self) -> String {
        // Most frames fit this, so the buffer rarely grows (and copies) while serialising.
        let mut buffer = Vec::with_capacity(FRAME_CAPACITY);
        // Serialising these plain data types cannot fail; keep a valid frame if it ever did.
        match serde_json::to_writer(&mut buffer, self) {
            // serde_json writes UTF-8 only.
            Ok(()) => String::from_utf8(buffer).unwrap_or_default(),
            Err(e) => format!(
                r#"{{"type":"error","data":{{"message":"cannot serialise reply: {e}","code":"INTERNAL_ERROR"}}}}"#
            ),
        }
    }
}

impl ClientMessage {
    /// Parses a text frame, or says which error frame answers it.
    pub fn parse(text: &str) -> Result<ClientMessage, ErrorBody> {
        match step_action(text) {
            Some(action) => Ok(ClientMessage::Step(action)),
            None => Self::parse_any(text),
        }
    }

    /// [`parse`](Self::parse) by way of a JSON tree, for every kind of frame.
    fn parse_any(text: &str) -> Result<ClientMessage, ErrorBody> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| ErrorBody::new(ErrorCode::InvalidJson, format!("Invalid JSON: {e}")))?;
        let Value::Object(mut frame) = value else {
            return Err(ErrorBody::validation(
                "Invalid message",
                vec!["a message must be a JSON object".into()],
            ));
        };
        let kind = match frame.get("type") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(ErrorBody::validation(
                    "Invalid message",
                    vec!["'type' must be a string".into()],
                ))
            }
            None => String::new(),
        };
        let data = frame.remove("data");
        match kind.as_str() {
            "reset" => ResetParams::from_value(data)
                .map(ClientMessage::Reset)
                .map_err(|e| ErrorBody::validation("Invalid reset arguments", vec![e])),
            "step" => {
                let data = data.unwrap_or(Value::Null);
                match parse_tool_step(&data) {
                    Some(tool) => Ok(ClientMessage::ToolStep(tool)),
                    None => parse_action(data).map(ClientMessage::Step),
                }
            }
            "state" => Ok(ClientMessage::State),
            "close" => Ok(ClientMessage::Close),
            "mcp" => Ok(ClientMessage::Mcp(data.unwrap_or(Value::Null))),
            "validation_open" => Ok(ClientMessage::ValidationOpen(data)),
            "validation_read" => Ok(ClientMessage::ValidationRead(data)),
            other => Err(ErrorBody::new(
                ErrorCode::UnknownType,
                format!("Unknown message type: {other}"),
            )),
        }
    }
}

/// The action of a plain step frame, `{"type": "step", "data": {action}}`, read without a JSON
/// tree: most frames are these. `None` for any other frame, and for any step frame this reading
/// is unsure of (an escaped `type`, a repeated key, a tool action, an invalid action): the tree
/// reads those, and names what is wrong. What it does return is what the tree reads too.
fn step_action(text: &str) -> Option<SqlAction> {
    #[derive(serde::Deserialize)]
    struct StepFrame<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        #[serde(borrow)]
        data: &'a serde_json::value::RawValue,
    }
    // serde also reads a struct from an array; a frame must be an object.
    let is_object = |json: &str| json.trim_start().starts_with('{');
    if !is_object(text) {
        return None;
    }
    let frame: StepFrame<'_> = serde_json::from_str(text).ok()?;
    if frame.kind != "step" || !is_object(frame.data.get()) {
        return None;
    }
    // The action rejects unknown keys, so a tool action (`"type": "call_tool"`) is never one.
    serde_json::from_str(frame.data.get()).ok()
}

/// Parses an action object, naming what is wrong with it.
pub fn parse_action(data: Value) -> Result<SqlAction, ErrorBody> {
    serde_json::from_value(data).map_err(|e| {
        ErrorBody::validation(
            format!("Invalid action: {e}"),
            vec![format!(
                "{e}; expected {{\"action_type\": \"DESCRIBE\"|\"SAMPLE\"|\"QUERY\"|\"ANSWER\", \"argument\": \"...\"}}"
            )],
        )
    })
}

impl From<ErrorCode> for metrics::Code {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::InvalidJson => metrics::Code::INVALID_JSON,
            ErrorCode::UnknownType => metrics::Code::UNKNOWN_TYPE,
            ErrorCode::ValidationError => metrics::Code::VALIDATION_ERROR,
            ErrorCode::ExecutionError => metrics::Code::EXECUTION_ERROR,
            ErrorCode::CapacityReached => metrics::Code::CAPACITY_REACHED,
            ErrorCode::FactoryError => metrics::Code::FACTORY_ERROR,
            ErrorCode::SessionError => metrics::Code::SESSION_ERROR,
            ErrorCode::InternalError => metrics::Code::INTERNAL_ERROR,
            ErrorCode::ClientSessionLimit => metrics::Code::CLIENT_SESSION_LIMIT,
            ErrorCode::RateLimited => metrics::Code::RATE_LIMITED,
            ErrorCode::Unauthorized => metrics::Code::UNAUTHORIZED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_frames_read_without_a_tree_read_as_with_one() {
        let quick = [
            r#"{"type":"step","data":{"action_type":"QUERY","argument":"SELECT 1"}}"#,
            r#" { "data" : {"argument":"a\"b\u00e9","action_type":"ANSWER"}, "type":"step", "x":[1] }"#,
            r#"{"type":"step","data":{"action_type":"DESCRIBE","argument":"t","metadata":{"k":[1,{"a":null}]}}}"#,
        ];
        for text in quick {
            let action = step_action(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(
                ClientMessage::parse_any(text),
                Ok(ClientMessage::Step(action)),
                "{text}"
            );
        }
        let general = [
            r#"["step",{"action_type":"QUERY","argument":"SELECT 1"}]"#,
            r#"{"type":"st\u0065p","data":{"action_type":"QUERY","argument":"SELECT 1"}}"#,
            r#"{"type":"step","type":"step","data":{"action_type":"QUERY","argument":"1"}}"#,
            r#"{"type":"step","data":{"action_type":"QUERY","argument":"1","argument":"2"}}"#,
            r#"{"type":"step","data":["QUERY","SELECT 1"]}"#,
            r#"{"type":"step","data":{"type":"list_tools"}}"#,
            r#"{"type":"step","data":{"type":"call_tool","tool_name":"query","arguments":{}}}"#,
            r#"{"type":"step","data":{"action_type":"QUERY","argument":"x","sql":"y"}}"#,
            r#"{"type":"step","data":{"action_type":"DROP","argument":"x"}}"#,
            r#"{"type":"step","data":null}"#,
            r#"{"type":"step"}"#,
            r#"{"type":"reset","data":{"seed":1}}"#,
            r#"{"type":"step","data":{"action_type":"QUERY","argument":"1"}} x"#,
        ];
        for text in general {
            assert_eq!(step_action(text), None, "{text}");
        }
    }

    #[test]
    fn frames_parse_like_the_reference() {
        assert_eq!(
            ClientMessage::parse("not json").unwrap_err().code,
            ErrorCode::InvalidJson
        );
        let e = ClientMessage::parse(r#"{"type":"weird"}"#).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (ErrorCode::UnknownType, "Unknown message type: weird")
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"state"}"#).unwrap(),
            ClientMessage::State
        );
        let step = ClientMessage::parse(
            r#"{"type":"step","data":{"action_type":"QUERY","argument":"SELECT 1"}}"#,
        );
        assert!(matches!(step, Ok(ClientMessage::Step(_))));
        let bad = ClientMessage::parse(
            r#"{"type":"step","data":{"action_type":"QUERY","argument":"x","sql":"y"}}"#,
        );
        assert_eq!(bad.unwrap_err().code, ErrorCode::ValidationError);
        let bad =
            ClientMessage::parse(r#"{"type":"step","data":{"action_type":"DROP","argument":"x"}}"#);
        assert_eq!(bad.unwrap_err().code, ErrorCode::ValidationError);
    }

    #[test]
    fn error_frames_have_the_reference_shape() {
        let frame = ServerMessage::Error(ErrorBody::new(
            ErrorCode::UnknownType,
            "Unknown message type: x",
        ))
        .to_json();
        assert_eq!(
            frame,
            r#"{"type":"error","data":{"message":"Unknown message type: x","code":"UNKNOWN_TYPE"}}"#
        );
    }
}
