//! The optional key: with `--api-key` set nothing but `/health` answers without
//! `Authorization: Bearer <key>`, on HTTP, MCP and the WebSocket upgrade alike.

use serde_json::json;

use crate::as_client::{self, headers};
use crate::helpers::*;

const KEY: &str = "test-key-0123456789abcdef";

/// Every route of the route table, with the method it answers (the Task API under `sqlenv`).
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/metadata"),
    ("GET", "/schema"),
    ("GET", "/openapi.json"),
    ("GET", "/metrics"),
    ("POST", "/reset"),
    ("POST", "/step"),
    ("GET", "/state"),
    ("POST", "/mcp"),
    ("DELETE", "/mcp"),
    ("GET", "/mcp"),
    ("GET", "/"),
    ("GET", "/web"),
    ("GET", "/web/playground.js"),
    ("GET", "/web/catalog"),
    ("GET", "/list_environments"),
    ("GET", "/sqlenv/splits"),
    ("POST", "/sqlenv/tasks"),
    ("POST", "/sqlenv/num_tasks"),
    ("POST", "/sqlenv/task"),
    ("POST", "/sqlenv/task_range"),
    ("GET", "/no/such/route"),
];

#[actix_web::test]
async fn without_the_key_nothing_but_health_answers() {
    let app = spawn_app_with(|a| a.access.api_key = Some(KEY.into())).await;
    let wrong = headers(None, Some("test-key-0123456789abcdeX"));
    for (method, path) in ROUTES {
        for offered in [&headers(None, None), &wrong] {
            let body = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
            let (status, reply) = as_client::send(&app, method, path, offered, Some(&body)).await;
            assert_eq!(status, 401, "{method} {path}: {reply}");
            assert_eq!(reply["code"], "UNAUTHORIZED", "{method} {path}: {reply}");
        }
    }
    assert_eq!(as_client::connect(&app, "/ws", &[]).await.err(), Some(401));
    assert_eq!(
        as_client::connect(&app, "/ws", &wrong).await.err(),
        Some(401)
    );
    // The platform's probe still works, and no session was opened by any of it.
    assert!(app.healthy().await);
    assert_eq!(app.stats().await.sessions_started, 0);
    app.stop().await;
}

#[actix_web::test]
async fn with_the_key_every_surface_is_served() {
    let app = spawn_app_with(|a| a.access.api_key = Some(KEY.into())).await;
    let keyed = headers(None, Some(KEY));
    let (status, metadata) = as_client::send(&app, "GET", "/metadata", &keyed, None).await;
    assert_eq!(status, 200, "{metadata}");
    let (status, reset) = as_client::send(&app, "POST", "/reset", &keyed, Some(&json!({}))).await;
    assert_eq!(status, 200, "{reset}");
    let ping = json!({"jsonrpc": "2.0", "id": 7, "method": "ping"});
    let (_, pong) = as_client::send(&app, "POST", "/mcp", &keyed, Some(&ping)).await;
    assert_eq!(pong["id"], 7, "{pong}");

    let mut ws = as_client::connect(&app, "/ws", &keyed).await.unwrap();
    assert_eq!(ws.reset(json!({"seed": 1})).await["type"], "observation");
    ws.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn a_weak_key_is_refused_at_start() {
    let mut args = test_args();
    args.access.api_key = Some("short".into());
    let error = args.into_config().unwrap_err();
    assert!(
        error.to_string().contains("at least 16 characters"),
        "{error}"
    );
}
