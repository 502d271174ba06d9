//! Faults: clients that vanish mid-query or read slowly, a database file that disappears while
//! the server runs, and many sessions ending at once. The server keeps serving through each.

use std::path::Path;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{json, Value};
use sqlenv::catalog::Catalog;
use sqlenv::startup::Application;

use crate::helpers::*;

const FOREVER: &str =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

#[actix_web::test]
async fn a_client_gone_mid_query_cancels_it_and_frees_its_connection() {
    // A query limit far beyond any wait below: only the cancellation can end these queries.
    let app = spawn_app_with(|a| {
        a.db_workers = Some(2);
        a.query_timeout_ms = 600_000;
    })
    .await;
    let mut runaways = Vec::new();
    for seed in 0..2 {
        let mut ws = app.connect().await;
        ws.reset(json!({"db_id": "world_1", "seed": seed})).await;
        ws.send(&json!({"type": "step", "data": {"action_type": "QUERY", "argument": FOREVER}}))
            .await;
        runaways.push(ws);
    }
    // Give the workers a moment to start; a query cancelled before it starts frees the same way.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    drop(runaways);
    app.wait_for_sessions(0).await;

    // More concurrent queries than there are pooled connections: each one is served.
    let replies = join_all((0..5).map(|i| {
        let app = &app;
        async move {
            let mut ws = app.connect().await;
            ws.reset(json!({"db_id": "world_1", "seed": i})).await;
            let r = ws.step("QUERY", "SELECT count(*) FROM country").await;
            ws.close().await;
            r
        }
    }))
    .await;
    for r in &replies {
        assert!(
            r["data"]["observation"]["result"]
                .as_str()
                .unwrap_or_default()
                .contains("239"),
            "{r}"
        );
    }
    assert_eq!(
        app.metric("sqlenv_query_failures_total{reason=\"cancelled\"}")
            .await,
        2.0
    );
    assert_eq!(app.metric("sqlenv_query_timeouts_total").await, 0.0);
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn a_slow_reader_gets_every_reply_while_others_are_served() {
    let app = spawn_app_with(|a| a.step_budget = 80).await;
    let mut slow = app.connect().await;
    slow.reset(json!({"db_id": "world_1", "seed": 1})).await;
    // Large replies (20 rows of the widest table), asked for all at once, read one at a time.
    const ASKED: usize = 60;
    for i in 0..ASKED {
        let sql = format!("SELECT *, {i} FROM country");
        slow.send(&json!({"type": "step", "data": {"action_type": "QUERY", "argument": sql}}))
            .await;
    }
    let mut other = app.connect().await;
    other.reset(json!({"seed": 2})).await;
    let r = other.step("QUERY", "SELECT 1").await;
    assert_eq!(r["data"]["observation"]["error"], Value::Null);
    for i in 0..ASKED {
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        let r = slow.recv().await;
        assert_eq!(r["type"], "observation", "{r}");
        assert_eq!(r["data"]["observation"]["step_count"], i + 1);
    }
    slow.close().await;
    other.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}

/// Copies the parts of the data directory the server reads into `to`.
fn copy_data(to: &Path) {
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let data = data_dir();
    std::fs::copy(data.join("tables.json"), to.join("tables.json")).unwrap();
    copy_dir(&data.join("databases"), &to.join("databases"));
    copy_dir(&data.join("questions"), &to.join("questions"));
}

#[actix_web::test]
async fn a_database_file_that_disappears_is_a_clear_error_and_degraded_health() {
    // A private copy of the data: the bundled files are never touched.
    let dir = tempfile::tempdir().unwrap();
    copy_data(dir.path());
    sqlenv::telemetry::init_for_tests();
    let mut args = test_args();
    args.data_dir = dir.path().to_path_buf();
    let config = args.into_config().unwrap();
    let catalog = std::sync::Arc::new(Catalog::load(dir.path()).unwrap());
    let built = Application::build_with_catalog(config, catalog).unwrap();
    let app = TestApp {
        port: built.port(),
        app_handle: built.handle(),
        services: built.services().clone(),
    };
    actix_web::rt::spawn(built.run_until_stopped());

    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "singer", "seed": 1})).await;
    let before = ws.step("QUERY", "SELECT count(*) FROM singer").await;
    assert_eq!(before["data"]["observation"]["error"], Value::Null);
    assert!(app.healthy().await);

    std::fs::remove_file(dir.path().join("databases/singer/singer.sqlite")).unwrap();

    // The open session hears why its queries fail; what the server holds in memory still works.
    let after = ws.step("QUERY", "SELECT count(*) FROM singer").await;
    let error = after["data"]["observation"]["error"].as_str().unwrap();
    assert!(
        error.contains("'singer'") && error.contains("missing"),
        "{error}"
    );
    assert_eq!(after["data"]["done"], false);
    let describe = ws.step("DESCRIBE", "singer").await;
    assert_eq!(describe["data"]["observation"]["error"], Value::Null);

    let (status, health) = app.get_json("/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["unavailable_databases"], json!(["singer"]));

    // Other databases keep serving, in this session and in new ones.
    ws.reset(json!({"db_id": "world_1", "seed": 1})).await;
    let world = ws.step("QUERY", "SELECT count(*) FROM country").await;
    assert_eq!(
        world["data"]["observation"]["error"],
        Value::Null,
        "{world}"
    );
    let mut other = app.connect().await;
    other.reset(json!({"db_id": "pets_1", "seed": 1})).await;
    let pets = other.step("QUERY", "SELECT count(*) FROM pets").await;
    assert_eq!(pets["data"]["observation"]["error"], Value::Null, "{pets}");
    assert_eq!(
        app.metric("sqlenv_query_failures_total{reason=\"unavailable\"}")
            .await,
        1.0
    );
    ws.close().await;
    other.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn many_sessions_closing_at_once_all_deregister() {
    const SESSIONS: usize = 120;
    let app = spawn_app().await;
    let clients = join_all((0..SESSIONS).map(|i| {
        let app = &app;
        async move {
            let mut ws = app.connect().await;
            ws.reset(json!({"seed": i})).await;
            ws
        }
    }))
    .await;
    assert_eq!(app.stats().await.active_sessions, SESSIONS);
    assert_eq!(app.metric("sqlenv_sessions_active").await, SESSIONS as f64);

    // A third close politely, a third send a close message, a third vanish; all at once, some
    // of them with a step still in flight.
    let mut politely = Vec::new();
    let mut by_message = Vec::new();
    let mut vanish = Vec::new();
    for (i, ws) in clients.into_iter().enumerate() {
        match i % 3 {
            0 => politely.push(ws),
            1 => by_message.push(ws),
            _ => vanish.push(ws),
        }
    }
    for ws in &mut vanish {
        ws.send(&json!({"type": "step", "data": {"action_type": "QUERY", "argument": "SELECT count(*) FROM city a, city b"}}))
            .await;
    }
    drop(vanish);
    let closes = politely
        .into_iter()
        .map(|ws| Box::pin(ws.close()) as std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>);
    let messages = by_message.into_iter().map(|mut ws| {
        Box::pin(async move {
            ws.send(&json!({"type": "close"})).await;
            ws.expect_closed().await;
        }) as std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>
    });
    join_all(closes.chain(messages)).await;

    let stats = app.wait_for_sessions(0).await;
    assert_eq!(stats.sessions_started, SESSIONS as u64);
    assert_eq!(app.metric("sqlenv_sessions_active").await, 0.0);
    assert_eq!(
        app.metric("sqlenv_sessions_closed_total").await,
        SESSIONS as f64
    );
    // And the server is as good as new.
    let mut ws = app.connect().await;
    ws.reset(json!({"seed": 1})).await;
    let r = ws.step("QUERY", "SELECT 1").await;
    assert_eq!(r["data"]["observation"]["error"], Value::Null);
    ws.close().await;
    app.wait_for_sessions(0).await;
    assert!(app.healthy().await);
    app.stop().await;
}
