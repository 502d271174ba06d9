//! OpenEnv's session telemetry on `/ws`: only with the validation token, only before the first
//! operation, per socket, and its record matches the frames the client received.

use serde_json::{json, Value};

use crate::helpers::*;

const TOKEN: &str = "test-validation-token-0123456789abcdef";

fn open() -> Value {
    json!({"type": "validation_open", "data": {"schema_version": 1, "token": TOKEN}})
}

fn read(capability: &str) -> Value {
    json!({"type": "validation_read", "data": {"schema_version": 1, "capability": capability}})
}

#[actix_web::test]
async fn the_record_is_the_transcript_and_the_seed_as_asked() {
    let app = spawn_app_with(|a| a.validation_token = Some(TOKEN.into())).await;
    let mut ws = app.connect().await;
    let opened = ws.request(open()).await;
    assert_eq!(opened["type"], "validation_open", "{opened}");
    let capability = opened["data"]["capability"].as_str().unwrap().to_owned();
    let requests = [
        json!({"type": "reset", "data": {"seed": 42, "episode_id": "e-1"}}),
        json!({"type": "state"}),
        json!({"type": "step", "data": {"action_type": "QUERY", "argument": "SELECT 1"}}),
        json!({"type": "state"}),
    ];
    let mut records = Vec::new();
    for request in requests {
        let response = ws.request(request.clone()).await;
        records
            .push(json!({"operation": request["type"], "request": request, "response": response}));
    }
    let snapshot = ws.request(read(&capability)).await;
    assert_eq!(snapshot["type"], "validation");
    let data = &snapshot["data"];
    assert_eq!(
        data["seed"],
        json!({"requested": true, "value": 42, "accepted": true})
    );
    assert_eq!(data["trajectory"]["records"], Value::Array(records));
    assert_eq!(data["trajectory"]["complete"], true);
    assert_eq!(data["attribution"].as_array().unwrap().len(), 1);
    assert!(!snapshot.to_string().contains(TOKEN));

    // Another socket's capability reads nothing here, and a late open is refused.
    let mut other = app.connect().await;
    assert_eq!(other.request(read(&capability)).await["type"], "error");
    other.reset(json!({})).await;
    assert_eq!(other.request(open()).await["type"], "error");
    other.close().await;
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn without_the_token_telemetry_does_not_exist() {
    let app = spawn_app_with(|a| a.validation_token = None).await;
    let mut ws = app.connect().await;
    let refused = ws.request(open()).await;
    assert_eq!(refused["data"]["code"], "UNKNOWN_TYPE", "{refused}");
    assert!(!refused.to_string().contains(TOKEN));
    // The socket goes on as usual.
    assert_eq!(ws.reset(json!({"seed": 1})).await["type"], "observation");
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn a_socket_attached_to_an_mcp_session_has_no_telemetry() {
    let app = spawn_app_with(|a| a.validation_token = Some(TOKEN.into())).await;
    let create = json!({"jsonrpc": "2.0", "id": 1, "method": "openenv/session/create"});
    let (_, created) = app.post_json("/mcp", &create).await;
    let session = created["result"]["session_id"].as_str().unwrap().to_owned();
    let (_, framed) = awc::Client::default()
        .ws(format!(
            "ws://127.0.0.1:{}/ws?session_id={session}",
            app.port
        ))
        .connect()
        .await
        .unwrap();
    let mut ws = WsClient { framed };
    let refused = ws.request(open()).await;
    assert_eq!(refused["type"], "error", "{refused}");
    ws.close().await;
    app.stop().await;
}
