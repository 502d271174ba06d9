//! Fair shares: a client at its session cap or over its message rate gets a clear error while
//! another client is still served; the client is the peer unless a proxy hop is trusted.

use serde_json::json;

use crate::as_client::{self, headers};
use crate::helpers::*;

const A: &str = "203.0.113.1";
const B: &str = "203.0.113.2";

#[actix_web::test]
async fn a_client_at_its_session_cap_is_refused_while_another_is_served() {
    let app = spawn_app_with(|a| {
        a.access.max_sessions_per_client = 2;
        a.access.trusted_proxy_hops = 1;
    })
    .await;
    let as_a = headers(Some(A), None);
    let mut first = as_client::connect(&app, "/ws", &as_a).await.unwrap();
    let mut second = as_client::connect(&app, "/ws", &as_a).await.unwrap();
    assert_eq!(first.reset(json!({"seed": 1})).await["type"], "observation");
    assert_eq!(
        second.reset(json!({"seed": 2})).await["type"],
        "observation"
    );

    let mut third = as_client::connect(&app, "/ws", &as_a).await.unwrap();
    let refused = third.recv().await;
    assert_eq!(refused["data"]["code"], "CLIENT_SESSION_LIMIT", "{refused}");
    let message = refused["data"]["message"].as_str().unwrap();
    assert!(message.contains("2 of the 2 sessions"), "{message}");
    assert!(message.contains("--max-sessions-per-client"), "{message}");
    assert!(message.contains("idle sessions close after"), "{message}");
    third.expect_closed().await;

    // The same limit on MCP: `initialize` is refused with the same code.
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}});
    let (status, body) = as_client::send(&app, "POST", "/mcp", &as_a, Some(&init)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["error"]["data"]["code"], "CLIENT_SESSION_LIMIT",
        "{body}"
    );

    // Another client is served meanwhile, on both surfaces.
    let as_b = headers(Some(B), None);
    let mut other = as_client::connect(&app, "/ws", &as_b).await.unwrap();
    assert_eq!(other.reset(json!({"seed": 3})).await["type"], "observation");
    let (_, body) = as_client::send(&app, "POST", "/mcp", &as_b, Some(&init)).await;
    assert!(body["result"]["serverInfo"].is_object(), "{body}");
    assert_eq!(app.stats().await.clients, 2);

    // A closed session gives its place back to its own client.
    first.close().await;
    app.wait_for_sessions(3).await;
    let mut again = as_client::connect(&app, "/ws", &as_a).await.unwrap();
    assert_eq!(again.reset(json!({"seed": 4})).await["type"], "observation");

    for ws in [second, other, again] {
        ws.close().await;
    }
    // The MCP session of B is the one left.
    app.wait_for_sessions(1).await;
    app.stop().await;
}

#[actix_web::test]
async fn without_a_trusted_proxy_the_forwarded_header_is_not_believed() {
    let app = spawn_app_with(|a| a.access.max_sessions_per_client = 1).await;
    let mut first = as_client::connect(&app, "/ws", &headers(Some(A), None))
        .await
        .unwrap();
    assert_eq!(first.reset(json!({"seed": 1})).await["type"], "observation");
    // A different header from the same peer is the same client.
    let mut spoofed = as_client::connect(&app, "/ws", &headers(Some(B), None))
        .await
        .unwrap();
    assert_eq!(spoofed.recv().await["data"]["code"], "CLIENT_SESSION_LIMIT");
    spoofed.expect_closed().await;
    first.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn a_client_over_its_message_rate_is_refused_while_another_is_served() {
    let app = spawn_app_with(|a| {
        a.access.client_messages_per_sec = 1;
        a.access.client_message_burst = 5;
        a.access.trusted_proxy_hops = 1;
    })
    .await;
    let mut flooder = as_client::connect(&app, "/ws", &headers(Some(A), None))
        .await
        .unwrap();
    let mut replies = Vec::new();
    for _ in 0..20 {
        replies.push(flooder.request(json!({"type": "state"})).await);
    }
    // Every frame is answered: the first few with their state, the rest with the refusal; the
    // connection stays open.
    assert_eq!(replies[0]["type"], "state", "{}", replies[0]);
    let refused: Vec<_> = replies
        .iter()
        .filter(|r| r["data"]["code"] == "RATE_LIMITED")
        .collect();
    assert!(refused.len() >= 10, "{replies:?}");
    let message = refused[0]["data"]["message"].as_str().unwrap();
    assert!(message.contains("1 messages per second"), "{message}");
    assert!(message.contains("retry in"), "{message}");

    // Its HTTP requests are refused too, with a Retry-After.
    let (status, body) =
        as_client::send(&app, "POST", "/reset", &headers(Some(A), None), None).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "RATE_LIMITED");
    assert!(body["retry_after_ms"].as_u64().unwrap() >= 1);

    // Another client plays on, and /health is never limited.
    let mut other = as_client::connect(&app, "/ws", &headers(Some(B), None))
        .await
        .unwrap();
    assert_eq!(other.reset(json!({"seed": 1})).await["type"], "observation");
    assert!(app.healthy().await);
    flooder.close().await;
    other.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}
