//! The session lifecycle: capacity, the idle sweep, the dead-peer heartbeat, and that the
//! session count always returns to zero.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn capacity_is_enforced_and_frees_up() {
    let app = spawn_app_with(|a| a.max_sessions = 2).await;
    let mut a = app.connect().await;
    let mut b = app.connect().await;
    assert_eq!(a.reset(json!({"seed": 1})).await["type"], "observation");
    assert_eq!(b.reset(json!({"seed": 2})).await["type"], "observation");

    let mut c = app.connect().await;
    let e = c.recv().await;
    assert_eq!(e["data"]["code"], "CAPACITY_REACHED", "{e}");
    assert_eq!(e["data"]["active_sessions"], 2);
    assert_eq!(e["data"]["max_sessions"], 2);
    c.expect_closed().await;

    a.close().await;
    app.wait_for_sessions(1).await;
    let mut d = app.connect().await;
    assert_eq!(d.reset(json!({"seed": 3})).await["type"], "observation");
    b.close().await;
    d.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn idle_sessions_are_closed() {
    let app = spawn_app_with(|a| a.idle_timeout_secs = 0.5).await;
    let mut ws = app.connect().await;
    ws.reset(json!({"seed": 1})).await;
    let reason = ws.expect_closed().await;
    assert!(reason.contains("idle"), "{reason}");
    let stats = app.wait_for_sessions(0).await;
    assert_eq!(stats.sessions_reaped_idle, 1);
    app.stop().await;
}

#[actix_web::test]
async fn active_sessions_are_not_idle() {
    let app = spawn_app_with(|a| a.idle_timeout_secs = 0.6).await;
    let mut ws = app.connect().await;
    ws.reset(json!({"seed": 1})).await;
    for _ in 0..6 {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(ws.request(json!({"type": "state"})).await["type"], "state");
    }
    ws.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn peers_that_stop_answering_pings_are_dropped() {
    let app = spawn_app_with(|a| {
        a.heartbeat_interval_secs = 0.1;
        a.heartbeat_timeout_secs = 0.4;
    })
    .await;
    // A client that never reads answers no ping: like a half-open socket.
    let silent = app.connect().await;
    app.wait_for_sessions(1).await;
    actix_web::rt::time::sleep(Duration::from_millis(800)).await;
    app.wait_for_sessions(0).await;
    drop(silent);

    // One that answers pings (as the Python client does) stays.
    let mut alive = app.connect().await;
    alive.reset(json!({"seed": 1})).await;
    for _ in 0..4 {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            alive.request(json!({"type": "state"})).await["type"],
            "state"
        );
    }
    alive.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn many_sessions_open_play_and_all_deregister() {
    let app = spawn_app().await;
    let clients = join_all((0..50).map(|i| {
        let app = &app;
        async move {
            let mut ws = app.connect().await;
            ws.reset(json!({"seed": i})).await;
            ws.step("QUERY", "SELECT 1").await;
            ws
        }
    }))
    .await;
    assert_eq!(app.stats().await.active_sessions, 50);
    // Half close politely, half just drop the connection.
    let mut it = clients.into_iter();
    for ws in it.by_ref().take(25) {
        ws.close().await;
    }
    drop(it);
    let stats = app.wait_for_sessions(0).await;
    assert_eq!(stats.sessions_started, 50);
    app.stop().await;
}
