//! `GET /metrics`: Prometheus text whose counters follow what the server did.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn counters_move_with_an_episode() {
    let app = spawn_app_with(|a| a.query_timeout_ms = 200).await;
    let (content_type, text) = app.metrics().await;
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert!(
        text.contains("# TYPE sqlenv_step_duration_seconds histogram"),
        "{text}"
    );
    assert!(text.contains("# TYPE sqlenv_sessions_active gauge"));
    assert_eq!(
        metric_value(&text, "sqlenv_steps_total{action=\"QUERY\"}"),
        0.0
    );
    assert_eq!(metric_value(&text, "sqlenv_sessions_active"), 0.0);

    let q = question_where(|q| q.db_id == "world_1");
    let mut ws = app.connect().await;
    ws.reset(json!({"question_id": q.id})).await;
    ws.step("DESCRIBE", "city").await;
    ws.step("QUERY", "SELECT count(*) FROM city").await;
    ws.step(
        "QUERY",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    )
    .await;
    ws.step("QUERY", "DELETE FROM city").await;
    ws.send_text("not json").await;
    ws.recv().await;
    ws.request(json!({"type": "nope"})).await;
    assert_eq!(app.metric("sqlenv_sessions_active").await, 1.0);
    ws.step("ANSWER", &answer_text(&q)).await;

    let (_, text) = app.metrics().await;
    let value = |sample: &str| metric_value(&text, sample);
    assert_eq!(
        value("sqlenv_steps_total{action=\"DESCRIBE\"}"),
        1.0,
        "{text}"
    );
    assert_eq!(value("sqlenv_steps_total{action=\"QUERY\"}"), 3.0);
    assert_eq!(value("sqlenv_steps_total{action=\"ANSWER\"}"), 1.0);
    assert_eq!(
        value("sqlenv_step_duration_seconds_count{action=\"QUERY\"}"),
        3.0
    );
    assert!(value("sqlenv_step_duration_seconds_sum{action=\"QUERY\"}") > 0.1);
    assert_eq!(value("sqlenv_query_timeouts_total"), 1.0);
    assert_eq!(
        value("sqlenv_query_failures_total{reason=\"timeout\"}"),
        1.0
    );
    assert_eq!(
        value("sqlenv_query_failures_total{reason=\"refused\"}"),
        1.0
    );
    assert_eq!(value("sqlenv_errors_total{code=\"INVALID_JSON\"}"), 1.0);
    assert_eq!(value("sqlenv_errors_total{code=\"UNKNOWN_TYPE\"}"), 1.0);
    assert_eq!(value("sqlenv_episodes_started_total"), 1.0);
    assert_eq!(
        value("sqlenv_episodes_finished_total{outcome=\"correct\"}"),
        1.0
    );
    assert_eq!(value("sqlenv_sessions_opened_total"), 1.0);

    ws.close().await;
    app.wait_for_sessions(0).await;
    assert_eq!(app.metric("sqlenv_sessions_active").await, 0.0);
    assert_eq!(app.metric("sqlenv_sessions_closed_total").await, 1.0);
    app.stop().await;
}

#[actix_web::test]
async fn refusals_and_unanswered_episodes_are_counted() {
    let app = spawn_app_with(|a| {
        a.max_sessions = 1;
        a.step_budget = 2;
    })
    .await;
    let mut ws = app.connect().await;
    ws.reset(json!({"seed": 1})).await;
    let mut refused = app.connect().await;
    assert_eq!(refused.recv().await["data"]["code"], "CAPACITY_REACHED");
    refused.expect_closed().await;
    ws.step("QUERY", "SELECT 1").await;
    let last = ws.step("QUERY", "SELECT 2").await;
    assert_eq!(last["data"]["done"], true);
    let (_, text) = app.metrics().await;
    assert_eq!(metric_value(&text, "sqlenv_sessions_refused_total"), 1.0);
    assert_eq!(
        metric_value(&text, "sqlenv_errors_total{code=\"CAPACITY_REACHED\"}"),
        1.0
    );
    assert_eq!(
        metric_value(
            &text,
            "sqlenv_episodes_finished_total{outcome=\"unanswered\"}"
        ),
        1.0
    );
    ws.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}
