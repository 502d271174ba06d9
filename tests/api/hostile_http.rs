//! The hostile suite on the stateless HTTP endpoints (`/reset`, `/step`, `/state`) and the Task
//! API: broken and oversized bodies, wrong types, deep nesting, hostile SQL. Each gets a clear
//! reply (422 with FastAPI's `detail` list, 413 for a body over the limit, or an observation
//! that says what is wrong), and afterwards the server is healthy and no database changed.

use serde_json::{json, Value};

use crate::as_client::{self, send, send_bytes};
use crate::helpers::*;
use crate::hostile::{assert_unharmed, database_digests};

/// A 422 in FastAPI's shape: a non-empty `detail` list of `{msg, type}`.
fn assert_unprocessable(what: &str, status: u16, reply: &Value) {
    assert_eq!(status, 422, "{what}: {reply}");
    let detail = reply["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: {reply}"));
    assert!(!detail.is_empty(), "{what}: {reply}");
    assert!(
        detail.iter().all(|d| d["msg"].is_string()),
        "{what}: {reply}"
    );
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

#[actix_web::test]
async fn broken_bodies_get_422_on_every_stateless_endpoint() {
    let app = spawn_app().await;
    let before = database_digests();
    let broken: Vec<String> = vec![
        "{".into(),
        "\u{0}".into(),
        "[1, 2".into(),
        "\"reset\"".into(),
        "42".into(),
        "[]".into(),
        nested(10_000),
        format!(r#"{{"seed": {}}}"#, nested(5_000)),
    ];
    for body in &broken {
        let shown = &body[..body.len().min(60)];
        let (status, reply) = send_bytes(&app, "POST", "/reset", &[], body.clone().into()).await;
        assert_unprocessable(&format!("/reset {shown}"), status, &reply);
        let (status, reply) = send_bytes(&app, "POST", "/step", &[], body.clone().into()).await;
        assert_unprocessable(&format!("/step {shown}"), status, &reply);
    }
    assert_unharmed(&app, &before, 0).await;
    app.stop().await;
}

#[actix_web::test]
async fn wrong_reset_arguments_get_422() {
    let app = spawn_app().await;
    for body in [
        json!({"seed": "seven"}),
        json!({"seed": 1.5}),
        json!({"seed": [1]}),
        json!({"difficulty": 5}),
        json!({"difficulty": "impossible"}),
        json!({"split": "test"}),
        json!({"question_id": "no-such-question"}),
        json!({"db_id": "../../etc/passwd"}),
        json!({"db_id": "singer'; DROP TABLE singer; --"}),
        json!({"split": "eval", "index": -1}),
        json!({"split": "eval", "index": u64::MAX}),
    ] {
        let (status, reply) = send(&app, "POST", "/reset", &[], Some(&body)).await;
        assert_unprocessable(&body.to_string(), status, &reply);
    }
    // A huge seed that fits in 64 bits is a seed.
    let (status, reply) = send(
        &app,
        "POST",
        "/reset",
        &[],
        Some(&json!({"seed": u64::MAX})),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    app.stop().await;
}

#[actix_web::test]
async fn wrong_step_requests_get_422() {
    let app = spawn_app().await;
    for body in [
        json!({}),
        json!({"action": null}),
        json!({"action": "QUERY SELECT 1"}),
        json!({"action": {"action_type": "DROP", "argument": "singer"}}),
        json!({"action": {"action_type": "QUERY", "argument": 5}}),
        json!({"action": {"action_type": "QUERY"}}),
        json!({"action": {"action_type": ["QUERY"], "argument": "SELECT 1"}}),
        json!({"actions": {"action_type": "QUERY", "argument": "SELECT 1"}}),
    ] {
        let (status, reply) = send(&app, "POST", "/step", &[], Some(&body)).await;
        assert_unprocessable(&body.to_string(), status, &reply);
    }
    let (status, reply) = send_bytes(&app, "POST", "/step", &[], Vec::new()).await;
    assert_unprocessable("empty /step", status, &reply);
    app.stop().await;
}

#[actix_web::test]
async fn hostile_sql_over_http_is_an_observation_and_changes_nothing() {
    let app = spawn_app().await;
    let before = database_digests();
    let long = format!("SELECT '{}'", "a".repeat(200_000));
    for sql in [
        "DROP TABLE singer",
        "DELETE FROM singer",
        "INSERT INTO singer VALUES (1)",
        "ATTACH DATABASE '/tmp/evil.sqlite' AS evil",
        "PRAGMA journal_mode = WAL",
        "SELECT load_extension('/tmp/evil')",
        "SELECT 1; DROP TABLE singer",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        long.as_str(),
    ] {
        let body = json!({"action": {"action_type": "QUERY", "argument": sql}});
        let (status, reply) = send(&app, "POST", "/step", &[], Some(&body)).await;
        let shown = &sql[..sql.len().min(60)];
        assert_eq!(status, 200, "{shown}: {reply}");
        let error = reply["observation"]["error"].as_str();
        assert!(error.is_some_and(|e| !e.is_empty()), "{shown}: {reply}");
    }
    assert_unharmed(&app, &before, 0).await;
    app.stop().await;
}

#[actix_web::test]
async fn oversized_bodies_get_413_and_the_server_goes_on() {
    let app = spawn_app().await;
    let before = database_digests();
    for path in ["/reset", "/step", "/sqlenv/tasks", "/mcp"] {
        let status = as_client::oversized_post(&app, path).await;
        assert!(status.starts_with("HTTP/1.1 413"), "{path}: {status}");
    }
    let (status, _) = send(&app, "POST", "/reset", &[], Some(&json!({"seed": 3}))).await;
    assert_eq!(status, 200);
    assert_unharmed(&app, &before, 0).await;
    app.stop().await;
}

#[actix_web::test]
async fn the_task_api_refuses_wrong_arguments() {
    let app = spawn_app().await;
    for (path, body) in [
        ("/sqlenv/task", json!({"split": "eval", "index": "zero"})),
        ("/sqlenv/task", json!({"split": "eval", "index": u64::MAX})),
        (
            "/sqlenv/task_range",
            json!({"split": "eval", "start": 5, "end": 1}),
        ),
        ("/sqlenv/tasks", json!({"split": [1]})),
        ("/sqlenv/num_tasks", json!({"split": null})),
    ] {
        let (status, reply) = send(&app, "POST", path, &[], Some(&body)).await;
        assert_unprocessable(&format!("{path} {body}"), status, &reply);
    }
    // A well-formed request naming no split is a 400 that lists the splits.
    let body = json!({"split": "nope", "index": 0});
    let (status, reply) = send(&app, "POST", "/sqlenv/task", &[], Some(&body)).await;
    assert_eq!(status, 400, "{reply}");
    assert!(
        reply["detail"].as_str().unwrap().contains("train, eval"),
        "{reply}"
    );
    assert!(app.healthy().await);
    app.stop().await;
}
