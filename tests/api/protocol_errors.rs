//! Malformed protocol messages get error frames with the reference server's codes, and the
//! session stays usable after each.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn error_frames_match_the_reference_and_session_survives() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;

    ws.send_text("not json").await;
    let e = ws.recv().await;
    assert_eq!(e["type"], "error");
    assert_eq!(e["data"]["code"], "INVALID_JSON");
    assert!(e["data"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid JSON"));

    let e = ws.request(json!({"type": "weird"})).await;
    assert_eq!(
        e["data"],
        json!({"message": "Unknown message type: weird", "code": "UNKNOWN_TYPE"})
    );

    let e = ws
        .request(json!({"type": "step", "data": {"action_type": "QUERY", "argument": "SELECT 1"}}))
        .await;
    assert_eq!(
        e["data"]["code"], "EXECUTION_ERROR",
        "step before reset: {e}"
    );
    assert!(e["data"]["message"].as_str().unwrap().contains("reset"));

    let state = ws.request(json!({"type": "state"})).await;
    assert_eq!(
        state["data"]["step_count"], 0,
        "state before reset: {state}"
    );
    assert_eq!(state["data"]["episode_id"], serde_json::Value::Null);

    ws.reset(json!({"seed": 3})).await;
    for bad in [
        json!({"type": "step", "data": {"action_type": "DROP", "argument": "x"}}),
        json!({"type": "step", "data": {"action_type": "QUERY"}}),
        json!({"type": "step", "data": {"action_type": "QUERY", "argument": 5}}),
        json!({"type": "step", "data": {"action_type": "QUERY", "argument": "SELECT 1", "sql": "x"}}),
        json!({"type": "step", "data": "QUERY SELECT 1"}),
        json!({"type": "step"}),
        json!([1, 2, 3]),
        json!({"type": 7}),
    ] {
        let e = ws.request(bad.clone()).await;
        assert_eq!(e["type"], "error", "{bad}");
        assert_eq!(e["data"]["code"], "VALIDATION_ERROR", "{bad} -> {e}");
        assert!(!e["data"]["errors"].as_array().unwrap().is_empty());
    }

    ws.framed_send_binary().await;
    let e = ws.recv().await;
    assert_eq!(e["data"]["code"], "INVALID_JSON", "{e}");

    // Deeply nested JSON is refused by the parser's depth limit, not by a crash.
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    ws.send_text(&nested).await;
    assert_eq!(ws.recv().await["data"]["code"], "INVALID_JSON");

    // The action schema tolerates OpenEnv's `metadata` field.
    let ok = ws.request(json!({"type": "step", "data": {"action_type": "QUERY", "argument": "SELECT 1", "metadata": {}}})).await;
    assert_eq!(ok["type"], "observation", "{ok}");
    assert_eq!(ok["data"]["observation"]["step_count"], 1);

    ws.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn oversized_frame_is_refused_and_connection_closed() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    ws.reset(json!({"seed": 1})).await;
    let huge = "x".repeat(sqlenv::session::socket::MAX_FRAME_BYTES + 1);
    ws.send_text(&huge).await;
    let e = ws.recv().await;
    assert_eq!(e["type"], "error", "{e}");
    ws.expect_closed().await;
    app.wait_for_sessions(0).await;
    // The server keeps serving others.
    let mut other = app.connect().await;
    assert_eq!(other.reset(json!({"seed": 2})).await["type"], "observation");
    other.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn client_close_message_ends_the_session() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    ws.reset(json!({})).await;
    assert_eq!(app.stats().await.active_sessions, 1);
    ws.send(&json!({"type": "close"})).await;
    ws.expect_closed().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}
