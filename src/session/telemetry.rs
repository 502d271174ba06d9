//! OpenEnv's session telemetry, for its validator only. When the server runs with a validation
//! token (`OPENENV_VALIDATION_TOKEN`), a WebSocket client that presents the token in a
//! `validation_open` frame *before its first operation* gets a capability for that one socket;
//! `validation_read` with the capability returns what the server itself recorded: the seed the
//! reset asked for and a detached copy of every reset/step/state exchange. The validator compares
//! that record with its own transcript (its trajectory-record and seed-control checks).
//!
//! Without the token the frames are unknown types, as on a server without telemetry. The record
//! is bounded (records, steps, bytes, as the reference bounds it); past a bound it stops growing
//! and says it is incomplete. MCP never sees any of this: the frames exist only on a plain `/ws`.

use serde_json::{json, Value};

use crate::protocol::messages::{ErrorBody, ErrorCode, ServerMessage};

/// Shortest and longest validation token accepted, as in the reference.
pub const MIN_TOKEN_CHARS: usize = 32;
pub const MAX_TOKEN_CHARS: usize = 256;
/// At most this many exchanges are recorded: one reset and its state, then 100 steps with theirs.
pub const MAX_RECORDS: usize = 202;
pub const MAX_STEPS: usize = 100;
/// The recorded exchanges together stay under this many bytes of JSON.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

const SCHEMA_VERSION: u64 = 1;

/// Checks a configured token's length (the flag `--validation-token`).
pub fn check_token(token: &str) -> Result<&str, String> {
    let chars = token.chars().count();
    if (MIN_TOKEN_CHARS..=MAX_TOKEN_CHARS).contains(&chars) {
        Ok(token)
    } else {
        Err(format!(
            "OPENENV_VALIDATION_TOKEN must be {MIN_TOKEN_CHARS} to {MAX_TOKEN_CHARS} characters, got {chars}"
        ))
    }
}

/// Compares secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn refused() -> ErrorBody {
    // Never echo what the client sent: it may be a credential.
    ErrorBody::new(
        ErrorCode::ValidationError,
        "session telemetry authorization refused",
    )
}

/// The one string field of a `{"schema_version": 1, "<field>": "..."}` frame, if the frame is
/// exactly that.
fn secret_field<'a>(data: &'a Option<Value>, field: &str) -> Option<&'a str> {
    let object = data.as_ref()?.as_object()?;
    let version_ok = object.get("schema_version").and_then(Value::as_u64) == Some(SCHEMA_VERSION);
    if !version_ok || object.len() != 2 {
        return None;
    }
    let secret = object.get(field)?.as_str()?;
    let chars = secret.chars().count();
    (MIN_TOKEN_CHARS..=MAX_TOKEN_CHARS)
        .contains(&chars)
        .then_some(secret)
}

/// The frame that answers a telemetry message when telemetry is off: the same as for any type
/// the server does not know.
pub fn disabled(kind: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::UnknownType,
        format!("Unknown message type: {kind}"),
    )
}

/// One socket's telemetry: its capability and what it recorded.
#[derive(Debug)]
pub struct Telemetry {
    capability: String,
    records: Vec<Value>,
    steps: usize,
    bytes: usize,
    seed: Value,
    incomplete: Option<&'static str>,
}

impl Telemetry {
    /// Answers `validation_open`: a capability if `data` carries the configured token and the
    /// socket has not done anything yet.
    pub fn open(
        configured: &str,
        data: &Option<Value>,
        operations_seen: bool,
    ) -> Result<Telemetry, ErrorBody> {
        if operations_seen {
            return Err(ErrorBody::new(
                ErrorCode::ValidationError,
                "session telemetry must be opened before the first operation",
            ));
        }
        match secret_field(data, "token") {
            Some(token) if same_secret(token, configured) => Ok(Telemetry {
                capability: format!(
                    "{}{}",
                    uuid::Uuid::new_v4().simple(),
                    uuid::Uuid::new_v4().simple()
                ),
                records: Vec::new(),
                steps: 0,
                bytes: 0,
                seed: Value::Null,
                incomplete: None,
            }),
            _ => Err(refused()),
        }
    }

    /// The reply to a successful `validation_open`.
    pub fn opened_frame(&self) -> String {
        json!({
            "type": "validation_open",
            "data": { "schema_version": SCHEMA_VERSION, "capability": self.capability },
        })
        .to_string()
    }

    /// Answers `validation_read`: the snapshot, for this socket's capability only.
    pub fn read(&self, data: &Option<Value>) -> Result<String, ErrorBody> {
        match secret_field(data, "capability") {
            Some(capability) if same_secret(capability, &self.capability) => {}
            _ => return Err(refused()),
        }
        // No rubric tree: the reward's components travel on every observation instead.
        let attribution: Vec<Value> = (0..self.steps)
            .map(|i| json!({ "step_index": i, "rubric": [] }))
            .collect();
        Ok(json!({
            "type": "validation",
            "data": {
                "schema_version": SCHEMA_VERSION,
                "seed": self.seed,
                "rubric": [],
                "rubric_error": null,
                "attribution": attribution,
                "trajectory": {
                    "schema_version": SCHEMA_VERSION,
                    "source": "openenv-server",
                    "records": self.records,
                    "complete": self.incomplete.is_none(),
                    "reason": self.incomplete,
                },
            },
        })
        .to_string())
    }

    /// Records one completed reset, step or state exchange: the client's frame as sent and the
    /// server's reply. Error replies are not operations and are not recorded.
    pub fn record(&mut self, request: &Value, reply: &ServerMessage) {
        if self.incomplete.is_some() || matches!(reply, ServerMessage::Error(_)) {
            return;
        }
        let operation = request.get("type").and_then(Value::as_str).unwrap_or("");
        if !matches!(operation, "reset" | "step" | "state") {
            return;
        }
        let Ok(response) = serde_json::to_value(reply) else {
            self.incomplete = Some("Session telemetry contains non-JSON data");
            return;
        };
        let record = json!({ "operation": operation, "request": request, "response": response });
        let size = record.to_string().len();
        let is_step = operation == "step";
        if self.records.len() >= MAX_RECORDS
            || (is_step && self.steps >= MAX_STEPS)
            || self.bytes + size > MAX_BYTES
        {
            self.incomplete = Some("Session telemetry budget exceeded");
            return;
        }
        if operation == "reset" {
            let requested = request
                .get("data")
                .and_then(|d| d.get("seed"))
                .filter(|s| !s.is_null());
            // A seed is always honoured: the same seed draws the same question.
            self.seed = json!({
                "requested": requested.is_some(),
                "value": requested.cloned().unwrap_or(Value::Null),
                "accepted": requested.is_some(),
            });
        }
        if is_step {
            self.steps += 1;
        }
        self.bytes += size;
        self.records.push(record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::observation::EpisodeState;

    const TOKEN: &str = "a-validation-token-of-at-least-32-chars";

    fn open_data(token: &str) -> Option<Value> {
        Some(json!({ "schema_version": 1, "token": token }))
    }

    fn read_data(t: &Telemetry) -> Option<Value> {
        Some(json!({ "schema_version": 1, "capability": t.capability }))
    }

    #[test]
    fn opens_only_with_the_token_and_before_any_operation() {
        assert!(Telemetry::open(TOKEN, &open_data(TOKEN), false).is_ok());
        assert!(Telemetry::open(TOKEN, &open_data(TOKEN), true).is_err());
        let wrong = format!("{TOKEN}x");
        let e = Telemetry::open(TOKEN, &open_data(&wrong), false).unwrap_err();
        assert!(!e.message.contains(&wrong));
        let bad_version = Some(json!({ "schema_version": 2, "token": TOKEN }));
        assert!(Telemetry::open(TOKEN, &bad_version, false).is_err());
        let extra = Some(json!({ "schema_version": 1, "token": TOKEN, "x": 1 }));
        assert!(Telemetry::open(TOKEN, &extra, false).is_err());
        assert!(check_token("short").is_err());
    }

    #[test]
    fn reads_need_this_sockets_capability_and_the_record_is_bounded() {
        let mut t = Telemetry::open(TOKEN, &open_data(TOKEN), false).unwrap();
        let other = Telemetry::open(TOKEN, &open_data(TOKEN), false).unwrap();
        assert!(t.read(&read_data(&other)).is_err());
        let reset = json!({ "type": "reset", "data": { "seed": 7 } });
        let state = ServerMessage::State(Box::default());
        t.record(&reset, &state);
        let error = ServerMessage::Error(ErrorBody::new(ErrorCode::InvalidJson, "x"));
        t.record(&json!({ "type": "step" }), &error);
        let snapshot: Value = serde_json::from_str(&t.read(&read_data(&t)).unwrap()).unwrap();
        let data = &snapshot["data"];
        assert_eq!(
            data["seed"],
            json!({ "requested": true, "value": 7, "accepted": true })
        );
        let records = data["trajectory"]["records"].as_array().unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0]["request"], reset);
        assert_eq!(
            records[0]["response"],
            serde_json::to_value(ServerMessage::State(Box::<EpisodeState>::default())).unwrap()
        );
        for _ in 0..MAX_STEPS + 1 {
            t.record(&json!({ "type": "step", "data": {} }), &state);
        }
        let snapshot: Value = serde_json::from_str(&t.read(&read_data(&t)).unwrap()).unwrap();
        let trajectory = &snapshot["data"]["trajectory"];
        assert_eq!(trajectory["complete"], false);
        assert_eq!(
            trajectory["records"].as_array().unwrap().len(),
            1 + MAX_STEPS
        );
        assert_eq!(
            snapshot["data"]["attribution"].as_array().unwrap().len(),
            MAX_STEPS
        );
    }
}
