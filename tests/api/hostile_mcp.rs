//! The hostile suite on `POST /mcp`: batches, wrong types, huge ids, unknown methods, deep
//! nesting, 10 MB bodies, session ids that do not exist or are not MCP sessions, and SQL that
//! tries to write. Each gets a clear reply (a JSON-RPC error, or an HTTP status with a reason),
//! and afterwards the server is healthy, holds no stray session and no database changed.

use serde_json::{json, Value};

use crate::as_client::{self, send, send_bytes};
use crate::helpers::*;
use crate::hostile::{assert_unharmed, database_digests};

/// The JSON-RPC error code of a reply, if it is an error.
fn rpc_code(reply: &Value) -> Option<i64> {
    reply["error"]["code"].as_i64()
}

/// Posts raw bytes to `/mcp`.
async fn post_raw(app: &TestApp, body: impl Into<Vec<u8>>) -> (u16, Value) {
    send_bytes(app, "POST", "/mcp", &[], body.into()).await
}

#[actix_web::test]
async fn malformed_rpc_gets_json_rpc_errors() {
    let app = spawn_app().await;
    let before = database_digests();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_params = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{}1{}}}"#,
        "{\"a\":".repeat(5_000),
        "}".repeat(5_000)
    );
    // (body, expected JSON-RPC error code)
    let cases: Vec<(String, i64)> = vec![
        ("".into(), -32700),
        ("{".into(), -32700),
        ("\u{feff}{}".into(), -32700),
        (deep, -32700),
        (deep_params, -32700),
        // Batches: answered as one invalid request, never partly run.
        (r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]"#.into(), -32600),
        ("[]".into(), -32600),
        // Wrong types.
        ("null".into(), -32600),
        ("42".into(), -32600),
        (r#""initialize""#.into(), -32600),
        (r#"{"jsonrpc":"2.0","id":1,"method":5}"#.into(), -32600),
        (r#"{"jsonrpc":"2.0","id":1,"method":null}"#.into(), -32600),
        (r#"{"jsonrpc":2.0,"id":1,"method":"ping"}"#.into(), -32600),
        (r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#.into(), -32600),
        (r#"{"jsonrpc":"2.0","id":1}"#.into(), -32600),
        (r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"describe"}"#.into(), -32602),
        (r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}}"#.into(), -32602),
        (r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"query","arguments":{"sql":5}}}"#.into(), -32602),
        (r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"query","arguments":"SELECT 1"}}"#.into(), -32602),
        (r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"drop_table"}}"#.into(), -32602),
        (r#"{"jsonrpc":"2.0","id":1,"method":"openenv/session/create","params":{"seed":"x"}}"#.into(), -32602),
        (r#"{"jsonrpc":"2.0","id":1,"method":"openenv/session/close","params":{}}"#.into(), -32602),
        // Unknown methods.
        (r#"{"jsonrpc":"2.0","id":1,"method":"tools/cal"}"#.into(), -32601),
        (r#"{"jsonrpc":"2.0","id":1,"method":""}"#.into(), -32601),
        (r#"{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}"#.into(), -32601),
        (format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{}"}}"#, "m".repeat(100_000)), -32601),
    ];
    for (body, code) in &cases {
        let (status, reply) = post_raw(&app, body.clone()).await;
        let shown = &body[..body.len().min(80)];
        assert_eq!(status, 200, "{shown}: {reply}");
        assert_eq!(rpc_code(&reply), Some(*code), "{shown}: {reply}");
        assert!(
            !reply["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{shown}: {reply}"
        );
    }
    assert_unharmed(&app, &before, 0).await;
    app.stop().await;
}

#[actix_web::test]
async fn any_id_is_echoed_back() {
    let app = spawn_app().await;
    let long = "i".repeat(100_000);
    for id in [
        json!(i64::MAX),
        json!(u64::MAX),
        json!(-1),
        json!(1.5e300),
        json!(long),
        json!(""),
        Value::Null,
    ] {
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "ping"});
        let (status, reply) = send(&app, "POST", "/mcp", &[], Some(&request)).await;
        assert_eq!(status, 200);
        assert_eq!(
            reply["id"],
            id,
            "{}",
            &reply.to_string()[..80.min(reply.to_string().len())]
        );
        assert_eq!(reply["result"], json!({}));
    }
    // An integer too large for 64 bits still gets an answer (as a float), not a failure.
    let (status, reply) = post_raw(
        &app,
        r#"{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"ping"}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert!(reply["id"].is_number(), "{reply}");
    app.stop().await;
}

#[actix_web::test]
async fn a_10_mb_body_is_refused_and_the_server_goes_on() {
    let app = spawn_app().await;
    let before = database_digests();
    let status = as_client::oversized_post(&app, "/mcp").await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    // A normal request right after is served.
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    let (_, reply) = send(&app, "POST", "/mcp", &[], Some(&ping)).await;
    assert_eq!(reply["id"], 2);
    assert_unharmed(&app, &before, 0).await;
    app.stop().await;
}

#[actix_web::test]
async fn session_ids_that_are_not_live_mcp_sessions_are_refused() {
    let app = spawn_app().await;
    let before = database_digests();
    let call = |session: Option<&str>| {
        let mut params = json!({"name": "query", "arguments": {"sql": "SELECT 1"}});
        if let Some(id) = session {
            params["session_id"] = json!(id);
        }
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": params})
    };
    let header = |id: &str| {
        vec![(
            awc::http::header::HeaderName::from_static("mcp-session-id"),
            awc::http::header::HeaderValue::from_str(id).unwrap(),
        )]
    };

    // A WebSocket session is not an MCP session, whatever its id.
    let mut ws = app.connect().await;
    ws.reset(json!({"seed": 1})).await;
    let socket_id = app.stats().await;
    assert_eq!(socket_id.websocket_sessions, 1);

    // An MCP session, then closed: its id is dead from then on.
    let create =
        json!({"jsonrpc": "2.0", "id": 1, "method": "openenv/session/create", "params": {}});
    let (_, created) = send(&app, "POST", "/mcp", &[], Some(&create)).await;
    let closed = created["result"]["session_id"].as_str().unwrap().to_owned();
    let close = json!({"jsonrpc": "2.0", "id": 2, "method": "openenv/session/close", "params": {"session_id": closed}});
    let (_, reply) = send(&app, "POST", "/mcp", &[], Some(&close)).await;
    assert_eq!(reply["result"]["closed"], true, "{reply}");

    let long = "s".repeat(4_000);
    for id in [
        "no-such-session",
        "",
        "../../etc/passwd",
        "' OR 1=1 --",
        &long,
        &closed,
    ] {
        let (status, reply) = send(&app, "POST", "/mcp", &[], Some(&call(Some(id)))).await;
        assert_eq!(status, 200);
        assert_eq!(rpc_code(&reply), Some(-32602), "{reply}");
        assert!(reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unknown session_id"));
        if !id.is_empty() {
            let (status, reply) = send(&app, "POST", "/mcp", &header(id), Some(&call(None))).await;
            assert_eq!(status, 404, "{reply}");
            let (status, _) = send(&app, "DELETE", "/mcp", &header(id), None).await;
            assert_eq!(status, 404);
        }
        // Attaching a socket to it is refused before any upgrade.
        let path = format!("/ws?session_id={}", urlish(id));
        let (status, reply) = as_client::send(&app, "GET", &path, &[], None).await;
        assert_eq!(status, 404, "{reply}");
    }
    // Not a string at all.
    let mut odd = call(None);
    odd["params"]["session_id"] = json!({"$ne": null});
    let (_, reply) = send(&app, "POST", "/mcp", &[], Some(&odd)).await;
    assert!(
        reply["error"].is_object() || reply["result"].is_object(),
        "{reply}"
    );

    ws.close().await;
    assert_unharmed(&app, &before, 0).await;
    app.stop().await;
}

#[actix_web::test]
async fn writes_through_mcp_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let before = database_digests();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}});
    let (status, body) = send(&app, "POST", "/mcp", &[], Some(&init)).await;
    assert_eq!(status, 200, "{body}");
    let create = json!({"jsonrpc": "2.0", "id": 1, "method": "openenv/session/create", "params": {"db_id": "singer"}});
    let (_, created) = send(&app, "POST", "/mcp", &[], Some(&create)).await;
    let session = created["result"]["session_id"].as_str().unwrap().to_owned();
    for sql in [
        "DROP TABLE singer",
        "DELETE FROM singer",
        "UPDATE singer SET name = 'x'",
        "ATTACH DATABASE '/tmp/x.sqlite' AS x",
        "PRAGMA writable_schema = ON",
        "SELECT 1; DROP TABLE singer",
    ] {
        let request = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {
            "session_id": session, "name": "query", "arguments": {"sql": sql}}});
        let (status, reply) = send(&app, "POST", "/mcp", &[], Some(&request)).await;
        assert_eq!(status, 200);
        // A refused statement is an observation of the episode, reported as a tool error.
        assert_eq!(reply["result"]["isError"], true, "{sql}: {reply}");
    }
    let close = json!({"jsonrpc": "2.0", "id": 2, "method": "openenv/session/close", "params": {"session_id": session}});
    send(&app, "POST", "/mcp", &[], Some(&close)).await;
    // The `initialize` session stays until it is closed or idle.
    assert_unharmed(&app, &before, 1).await;
    app.stop().await;
}

/// `id` made safe for a query string (percent-encoding of what a test id may hold).
fn urlish(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
