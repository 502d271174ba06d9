//! Whole episodes over a real WebSocket.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn oracle_episode_describe_sample_query_answer() {
    let app = spawn_app().await;
    let q = question_where(|q| q.db_id == "concert_singer" && q.gold_answer.len() > 1);
    let mut ws = app.connect().await;

    let reset = ws
        .reset(json!({"question_id": q.id, "episode_id": "ep-1"}))
        .await;
    assert_eq!(reset["type"], "observation", "{reset}");
    let obs = &reset["data"]["observation"];
    assert_eq!(obs["question"], q.question.as_str());
    assert_eq!(obs["db_id"], "concert_singer");
    assert_eq!(obs["budget_remaining"], 15);
    assert!(
        obs["tables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "singer"),
        "{obs}"
    );
    assert_eq!(reset["data"]["done"], false);

    let d = ws.step("DESCRIBE", "singer").await;
    let obs = &d["data"]["observation"];
    assert!(obs["result"].as_str().unwrap().contains("Singer_ID"), "{d}");
    assert!(
        obs["schema_info"].as_str().unwrap().contains("singer("),
        "{d}"
    );
    assert_eq!(obs["error"], serde_json::Value::Null);
    assert_eq!(obs["step_count"], 1);

    let s = ws.step("SAMPLE", "singer").await;
    assert!(
        s["data"]["observation"]["result"]
            .as_str()
            .unwrap()
            .starts_with("Sample of singer"),
        "{s}"
    );

    let r = ws.step("QUERY", &q.gold_sql).await;
    let obs = &r["data"]["observation"];
    assert_eq!(obs["error"], serde_json::Value::Null, "{r}");
    assert!(
        obs["result"]
            .as_str()
            .unwrap()
            .contains(&format!("({} rows)", q.gold_answer.len())),
        "{r}"
    );
    // The default timing pays nothing before the episode's last step.
    assert_eq!(r["data"]["reward"], 0.0, "{r}");
    assert_eq!(
        r["data"]["observation"]["reward_components"],
        json!({"operational": 0.0, "progress": 0.0, "terminal": 0.0}),
        "{r}"
    );

    let a = ws.step("ANSWER", &answer_text(&q)).await;
    assert_eq!(a["data"]["done"], true, "{a}");
    // correct + efficiency * (B - k) / (B - 1), answered at step 4 of 15.
    let expected = 1.0 + 0.1 * 11.0 / 14.0;
    let paid = a["data"]["reward"].as_f64().unwrap();
    assert!((paid - expected).abs() < 1e-9, "{a}");
    assert_eq!(
        a["data"]["observation"]["reward_components"]["terminal"],
        1.0
    );
    assert!(
        a["data"]["observation"]["result"]
            .as_str()
            .unwrap()
            .starts_with("Correct"),
        "{a}"
    );

    let state = ws.request(json!({"type": "state"})).await;
    assert_eq!(state["type"], "state");
    assert_eq!(state["data"]["episode_id"], "ep-1");
    assert_eq!(state["data"]["step_count"], 4);
    assert_eq!(state["data"]["done"], true);
    assert_eq!(state["data"]["question_id"], q.id.as_str());
    assert!(
        state["data"]["cumulative_reward"].as_f64().unwrap() > 1.0,
        "{state}"
    );

    // After the end: a clear error and the penalty, never a reward.
    let after = ws.step("QUERY", "SELECT 1").await;
    assert!(
        after["data"]["observation"]["error"]
            .as_str()
            .unwrap()
            .contains("episode is over"),
        "{after}"
    );
    assert!(after["data"]["reward"].as_f64().unwrap() < 0.0, "{after}");

    ws.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn wrong_answer_ends_episode_without_reward() {
    let app = spawn_app().await;
    let q = question_where(|q| q.answer_type == sqlenv::catalog::question::AnswerType::Integer);
    let mut ws = app.connect().await;
    ws.reset(json!({"question_id": q.id})).await;
    let a = ws.step("ANSWER", "-987654321").await;
    assert_eq!(a["data"]["done"], true);
    assert_eq!(a["data"]["reward"], 0.0, "{a}");
    assert!(
        a["data"]["observation"]["result"]
            .as_str()
            .unwrap()
            .starts_with("Incorrect"),
        "{a}"
    );
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn seeded_resets_are_reproducible_and_filters_apply() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    let first = ws
        .reset(json!({"seed": 42, "difficulty": "hard", "split": "eval"}))
        .await;
    let again = ws
        .reset(json!({"seed": 42, "difficulty": "hard", "split": "eval"}))
        .await;
    let id = first["data"]["observation"]["question_id"].clone();
    assert_eq!(id, again["data"]["observation"]["question_id"]);
    assert_eq!(first["data"]["observation"]["difficulty"], "hard");
    let q = catalog().questions().get(id.as_str().unwrap()).unwrap();
    assert_eq!(q.split, sqlenv::catalog::question::Split::Eval);

    let by_db = ws.reset(json!({"db_id": "world_1", "seed": -7})).await;
    assert_eq!(by_db["data"]["observation"]["db_id"], "world_1");
    let mut drawn = std::collections::HashSet::new();
    for seed in 0..10 {
        let r = ws.reset(json!({"seed": seed})).await;
        drawn.insert(
            r["data"]["observation"]["question_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert!(drawn.len() > 1, "different seeds draw different questions");
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn bad_reset_arguments_are_errors_and_session_survives() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    for data in [
        json!({"question_id": "no-such-question"}),
        json!({"db_id": "../../etc/passwd"}),
        json!({"difficulty": "impossible"}),
        json!({"seed": "seven"}),
    ] {
        let e = ws.reset(data.clone()).await;
        assert_eq!(e["type"], "error", "{data} -> {e}");
        assert_eq!(e["data"]["code"], "VALIDATION_ERROR", "{e}");
    }
    let ok = ws.reset(json!({"seed": 1})).await;
    assert_eq!(ok["type"], "observation");
    ws.close().await;
    app.stop().await;
}
