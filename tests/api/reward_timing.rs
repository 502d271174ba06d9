//! The reward as a client sees it over a WebSocket: nothing before the episode's end in the
//! default timing, per-step payments only when asked for, the potential gated on reading the
//! gold's data, and a reset mid-episode that ends the episode unanswered instead of re-rolling.

use serde_json::{json, Value};
use sqlenv::catalog::question::AnswerType;
use sqlenv::reward::config::RewardTiming;

use crate::helpers::*;

const EPS: f64 = 1e-9;

fn reward(frame: &Value) -> f64 {
    frame["data"]["reward"].as_f64().unwrap()
}

fn layer(frame: &Value, name: &str) -> f64 {
    frame["data"]["observation"]["reward_components"][name]
        .as_f64()
        .unwrap()
}

/// A one-integer question whose value is not a common constant, so `SELECT <value>` is a
/// guess of the gold result that reads no table.
fn integer_question() -> std::sync::Arc<sqlenv::catalog::question::Question> {
    question_where(|q| {
        q.answer_type == AnswerType::Integer
            && q.db_id == "concert_singer"
            && !q.proven.reads.is_empty()
    })
}

#[actix_web::test]
async fn the_default_timing_reveals_nothing_before_the_end() {
    let app = spawn_app().await;
    let q = integer_question();
    let mut ws = app.connect().await;
    ws.reset(json!({"question_id": q.id})).await;
    let gold = ws.step("QUERY", &q.gold_sql).await;
    let constant = ws
        .step("QUERY", &format!("SELECT {}", answer_text(&q)))
        .await;
    let failed = ws.step("QUERY", "SELECT nope FROM nowhere").await;
    for frame in [&gold, &constant, &failed] {
        assert_eq!(reward(frame), 0.0, "{frame}");
        for name in ["operational", "progress", "terminal"] {
            assert_eq!(layer(frame, name), 0.0, "{frame}");
        }
    }
    let state = ws.request(json!({"type": "state"})).await;
    assert_eq!(state["data"]["cumulative_reward"], 0.0, "{state}");
    // A wrong answer settles: the best potential's partial credit (the gold result was seen)
    // and the hygiene of three steps (one failed).
    let answer = ws.step("ANSWER", "-987654321").await;
    assert!((layer(&answer, "progress") - 0.1).abs() < EPS, "{answer}");
    assert!(
        (layer(&answer, "operational") + 0.04).abs() < EPS,
        "{answer}"
    );
    assert!((reward(&answer) - 0.06).abs() < EPS, "{answer}");
    let state = ws.request(json!({"type": "state"})).await;
    assert!((state["data"]["cumulative_reward"].as_f64().unwrap() - 0.06).abs() < EPS);
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn per_step_timing_pays_progress_only_for_queries_reading_the_gold_data() {
    let app = spawn_app_with(|a| a.reward_timing = Some(RewardTiming::PerStep)).await;
    let q = integer_question();
    let mut ws = app.connect().await;
    ws.reset(json!({"question_id": q.id})).await;
    // The gold value as a constant: the right result, but it reads nothing.
    let constant = ws
        .step("QUERY", &format!("SELECT {}", answer_text(&q)))
        .await;
    assert_eq!(layer(&constant, "progress"), 0.0, "{constant}");
    assert!((reward(&constant) + 0.01).abs() < EPS, "{constant}");
    let gold = ws.step("QUERY", &q.gold_sql).await;
    assert!((layer(&gold, "progress") - 0.1).abs() < EPS, "{gold}");
    // Only a rise of the best potential pays, once.
    let again = ws.step("QUERY", &q.gold_sql).await;
    assert_eq!(layer(&again, "progress"), 0.0, "{again}");
    assert!(
        (reward(&again) + 0.04).abs() < EPS,
        "repeat penalty: {again}"
    );
    let answer = ws.step("ANSWER", &answer_text(&q)).await;
    assert_eq!(layer(&answer, "terminal"), 1.0, "{answer}");
    let state = ws.request(json!({"type": "state"})).await;
    let total = state["data"]["cumulative_reward"].as_f64().unwrap();
    // The same return as in the default timing: correct + efficiency * (15 - 4) / 14.
    assert!((total - (1.0 + 0.1 * 11.0 / 14.0)).abs() < EPS, "{state}");
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn a_reset_mid_episode_ends_it_unanswered() {
    let app = spawn_app().await;
    let q = integer_question();
    let mut ws = app.connect().await;
    let first = ws
        .reset(json!({"question_id": q.id, "episode_id": "first"}))
        .await;
    assert!(
        first["data"]["observation"].get("metadata").is_none(),
        "{first}"
    );
    ws.step("DESCRIBE", "singer").await;
    ws.step("QUERY", &q.gold_sql).await;
    let second = ws.reset(json!({"question_id": q.id})).await;
    let abandoned = &second["data"]["observation"]["metadata"]["abandoned_episode"];
    assert_eq!(abandoned["episode_id"], "first", "{second}");
    assert_eq!(abandoned["steps"], 2, "{second}");
    // Unanswered: the partial credit of the gold result it saw, minus two step costs.
    let earned = abandoned["reward"].as_f64().unwrap();
    assert!((earned - 0.08).abs() < EPS, "{second}");
    assert_eq!(second["data"]["observation"]["step_count"], 0);
    assert_eq!(app.metric("sqlenv_episodes_abandoned_total").await, 1.0);
    assert_eq!(
        app.metric("sqlenv_episodes_finished_total{outcome=\"unanswered\"}")
            .await,
        1.0
    );
    // A reset after a finished episode abandons nothing.
    ws.step("ANSWER", "0").await;
    let third = ws.reset(json!({"question_id": q.id})).await;
    assert!(
        third["data"]["observation"].get("metadata").is_none(),
        "{third}"
    );
    assert_eq!(app.metric("sqlenv_episodes_abandoned_total").await, 1.0);
    ws.close().await;
    app.stop().await;
}

/// OpenEnv's validator checks every reward against the range the manifest declares, so the
/// manifest must declare the true range of the default configuration.
#[test]
fn the_manifest_declares_the_default_reward_range() {
    let (low, high) = sqlenv::reward::shaping::reward_range(
        &sqlenv::reward::config::RewardConfig::default(),
        sqlenv::session::episode::DEFAULT_STEP_BUDGET,
    );
    assert!(
        (low + 0.75).abs() < 1e-9 && (high - 1.1).abs() < 1e-9,
        "{low} {high}"
    );
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openenv.yaml")).unwrap();
    assert!(
        manifest.contains(&format!("range: [{low:.2}, {high:.2}]")),
        "openenv.yaml must declare range: [{low:.2}, {high:.2}]"
    );
}
