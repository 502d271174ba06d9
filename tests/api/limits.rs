//! Query time limits, result truncation and the step budget.

use serde_json::json;

use crate::helpers::*;

const FOREVER: &str =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

#[actix_web::test]
async fn runaway_query_is_interrupted_and_session_keeps_working() {
    let app = spawn_app_with(|a| a.query_timeout_ms = 300).await;
    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "world_1", "seed": 1})).await;
    let started = std::time::Instant::now();
    let r = ws.step("QUERY", FOREVER).await;
    assert_eq!(
        r["data"]["observation"]["error"], "query timed out after 300 ms",
        "{r}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let cartesian = ws
        .step("QUERY", "SELECT count(*) FROM city a, city b, city c")
        .await;
    assert_eq!(
        cartesian["data"]["observation"]["error"], "query timed out after 300 ms",
        "{cartesian}"
    );
    let ok = ws.step("QUERY", "SELECT count(*) FROM city").await;
    assert!(
        ok["data"]["observation"]["result"]
            .as_str()
            .unwrap()
            .contains("4079"),
        "{ok}"
    );
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn million_rows_come_back_truncated_and_small() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "world_1", "seed": 1})).await;
    let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000000) SELECT x, 'row ' || x FROM c";
    let frame = ws.step("QUERY", sql).await;
    let result = frame["data"]["observation"]["result"].as_str().unwrap();
    assert!(
        result.ends_with("(1000000 rows; showing the first 20)"),
        "{result}"
    );
    assert!(
        frame.to_string().len() < 8_000,
        "reply is {} bytes",
        frame.to_string().len()
    );
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn step_budget_ends_the_episode() {
    let app = spawn_app_with(|a| a.step_budget = 3).await;
    let mut ws = app.connect().await;
    let r = ws.reset(json!({"seed": 5})).await;
    assert_eq!(r["data"]["observation"]["budget_remaining"], 3);
    ws.step("QUERY", "SELECT 1").await;
    let second = ws.step("QUERY", "SELECT 2").await;
    assert_eq!(second["data"]["done"], false);
    assert_eq!(second["data"]["observation"]["budget_remaining"], 1);
    let last = ws.step("QUERY", "SELECT 3").await;
    assert_eq!(last["data"]["done"], true, "{last}");
    assert_eq!(last["data"]["observation"]["budget_remaining"], 0);
    assert!(
        last["data"]["observation"]["result"]
            .as_str()
            .unwrap()
            .contains("step budget of 3"),
        "{last}"
    );
    let after = ws.step("ANSWER", "1").await;
    assert!(
        after["data"]["observation"]["error"]
            .as_str()
            .unwrap()
            .contains("over"),
        "{after}"
    );
    assert!(after["data"]["reward"].as_f64().unwrap() < 0.0);
    // A reset starts afresh.
    let fresh = ws.reset(json!({"seed": 5})).await;
    assert_eq!(fresh["data"]["done"], false);
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn episode_time_limit_ends_the_episode() {
    let app = spawn_app_with(|a| a.episode_time_limit_secs = 0.2).await;
    let mut ws = app.connect().await;
    ws.reset(json!({"seed": 5})).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    let r = ws.step("QUERY", "SELECT 1").await;
    assert_eq!(r["data"]["done"], true, "{r}");
    assert!(
        r["data"]["observation"]["error"]
            .as_str()
            .unwrap()
            .contains("time limit"),
        "{r}"
    );
    ws.close().await;
    app.stop().await;
}
