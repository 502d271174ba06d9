//! Every error body the server sends, pinned as a snapshot (tests/api/snapshots): the HTTP
//! errors (`ApiError`: status, `detail`, `code`, `message`, `type`), the WebSocket error frames
//! and the JSON-RPC errors of `/mcp`. A change to one of these is a change to the API, and shows
//! up here as a diff to review (`cargo insta review`).

use actix_web::body::MessageBody;
use actix_web::ResponseError;
use serde_json::{json, Value};
use sqlenv::http::error::ApiError;

use crate::helpers::*;

/// Sends `body` as it is (not necessarily JSON) and returns the status and the JSON answer.
async fn send(app: &TestApp, method: &str, path: &str, body: &str) -> Value {
    send_in(app, method, path, body, None).await
}

/// [`send`], with an `Mcp-Session-Id` header when `session` names one.
async fn send_in(
    app: &TestApp,
    method: &str,
    path: &str,
    body: &str,
    session: Option<&str>,
) -> Value {
    let client = awc::Client::default();
    let request = match method {
        "GET" => client.get(app.http(path)),
        "DELETE" => client.delete(app.http(path)),
        _ => client
            .post(app.http(path))
            .insert_header(("content-type", "application/json")),
    };
    let request = match session {
        Some(id) => request.insert_header(("Mcp-Session-Id", id)),
        None => request,
    };
    let mut response = request.send_body(body.to_owned()).await.expect("request");
    let status = response.status().as_u16();
    let bytes = response.body().await.expect("body");
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    json!({ "status": status, "body": body })
}

#[actix_web::test]
async fn http_error_bodies() {
    let app = spawn_app().await;
    let cases = [
        ("reset_not_json", "POST", "/reset", "not json"),
        ("reset_bad_arguments", "POST", "/reset", r#"{"seed": "x"}"#),
        (
            "reset_unknown_database",
            "POST",
            "/reset",
            r#"{"db_id": "nope"}"#,
        ),
        ("step_no_body", "POST", "/step", ""),
        ("step_no_action", "POST", "/step", r#"{"act": 1}"#),
        (
            "step_bad_action",
            "POST",
            "/step",
            r#"{"action": {"action_type": "DROP", "argument": "x"}}"#,
        ),
        ("ws_unknown_session", "GET", "/ws?session_id=nope", ""),
        ("mcp_delete_no_header", "DELETE", "/mcp", ""),
        (
            "tasks_unknown_environment",
            "POST",
            "/other/tasks",
            r#"{"split": "train"}"#,
        ),
        (
            "tasks_unknown_split",
            "POST",
            "/sqlenv/tasks",
            r#"{"split": "dev"}"#,
        ),
        (
            "tasks_bad_body",
            "POST",
            "/sqlenv/tasks",
            r#"{"splt": "train"}"#,
        ),
        (
            "task_bad_index",
            "POST",
            "/sqlenv/task",
            r#"{"split": "train", "index": 1000000}"#,
        ),
        (
            "task_range_too_large",
            "POST",
            "/sqlenv/task_range",
            r#"{"split": "train", "start": 0, "stop": 5000}"#,
        ),
    ];
    for (name, method, path, body) in cases {
        insta::assert_json_snapshot!(name, send(&app, method, path, body).await);
    }
    insta::assert_json_snapshot!(
        "mcp_delete_unknown_session",
        send_in(&app, "DELETE", "/mcp", "", Some("nope")).await
    );
    app.stop().await;
}

/// The status and the JSON body of the response `error` builds (for errors no request causes
/// with a stable body).
fn built(error: &ApiError) -> Value {
    let response = error.error_response();
    let status = response.status().as_u16();
    let bytes = response.into_body().try_into_bytes().unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    json!({ "status": status, "body": body })
}

/// With `--api-key` set, a request without it: 401 and the header saying which scheme.
#[actix_web::test]
async fn unauthorized_body() {
    let app = spawn_app_with(|a| a.access.api_key = Some("snapshot-key-0123456789".into())).await;
    let mut response = awc::Client::default()
        .get(app.http("/metadata"))
        .send()
        .await
        .expect("request");
    let scheme = response.headers().get("www-authenticate").cloned();
    assert_eq!(
        scheme.as_ref().and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let status = response.status().as_u16();
    let body: Value = serde_json::from_slice(&response.body().await.expect("body")).expect("json");
    insta::assert_json_snapshot!("unauthorized", json!({ "status": status, "body": body }));
    app.stop().await;
}

/// A client over its message rate (tests/api/fair_share.rs causes one over the wire; a body
/// built here has a fixed wait, so the snapshot is stable).
#[test]
fn rate_limited_body() {
    let limited = sqlenv::supervisor::fair_share::RateLimited {
        per_sec: 10,
        burst: 20,
        retry_after: std::time::Duration::from_millis(1500),
    };
    let error = ApiError::RateLimited(limited);
    let retry = error.error_response().headers().get("retry-after").cloned();
    assert_eq!(retry.as_ref().and_then(|v| v.to_str().ok()), Some("2"));
    insta::assert_json_snapshot!("rate_limited", built(&error));
}

/// An internal failure cannot be caused from outside; its body is built the same way.
#[test]
fn internal_error_body() {
    let error = ApiError::Internal("the supervisor is gone".into());
    insta::assert_json_snapshot!("internal", built(&error));
}

#[actix_web::test]
async fn websocket_error_frames() {
    let app = spawn_app_with(|a| a.max_sessions = 1).await;
    let mut ws = app.connect().await;
    ws.send_text("not json").await;
    insta::assert_json_snapshot!("ws_invalid_json", ws.recv().await);
    let frames = [
        ("ws_unknown_type", json!({"type": "weird"})),
        (
            "ws_step_before_reset",
            json!({"type": "step", "data": {"action_type": "QUERY", "argument": "SELECT 1"}}),
        ),
        (
            "ws_bad_action",
            json!({"type": "step", "data": {"action_type": "DROP", "argument": "x"}}),
        ),
        (
            "ws_bad_reset",
            json!({"type": "reset", "data": {"db_id": "nope"}}),
        ),
    ];
    for (name, frame) in frames {
        insta::assert_json_snapshot!(name, ws.request(frame).await);
    }
    let mut refused = app.connect().await;
    insta::assert_json_snapshot!("ws_capacity_reached", refused.recv().await);
    refused.expect_closed().await;
    ws.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn mcp_error_responses() {
    let app = spawn_app().await;
    let parse = send(&app, "POST", "/mcp", "{not json").await;
    insta::assert_json_snapshot!("mcp_parse_error", parse);
    let requests = [
        ("mcp_not_a_request", json!({"jsonrpc": "2.0", "id": 1})),
        (
            "mcp_unknown_method",
            json!({"jsonrpc": "2.0", "id": 1, "method": "nope"}),
        ),
        (
            "mcp_unknown_tool",
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "nope"}}),
        ),
        (
            "mcp_tool_needs_session",
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "question", "arguments": {}}}),
        ),
        (
            "mcp_close_unknown_session",
            json!({"jsonrpc": "2.0", "id": 1, "method": "openenv/session/close", "params": {"session_id": "nope"}}),
        ),
        (
            "mcp_bad_create",
            json!({"jsonrpc": "2.0", "id": 1, "method": "openenv/session/create", "params": {"db_id": "nope"}}),
        ),
    ];
    for (name, request) in requests {
        insta::assert_json_snapshot!(name, app.post_json("/mcp", &request).await.1);
    }
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).to_string();
    insta::assert_json_snapshot!(
        "mcp_unknown_session_header",
        send_in(&app, "POST", "/mcp", &list, Some("nope")).await
    );
    app.wait_for_sessions(0).await;
    app.stop().await;
}
