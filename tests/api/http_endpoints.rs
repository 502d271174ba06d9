//! The HTTP endpoints the OpenEnv tooling reads.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn health_metadata_schema_openapi() {
    let app = spawn_app().await;
    let (status, health) = app.get_json("/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["databases"], 159);
    let total = question_file_total() as u64;
    assert_eq!(health["questions"], total);
    assert!(health["questions_served"].as_u64().unwrap() < total);

    let (_, meta) = app.get_json("/metadata").await;
    assert_eq!(meta["name"], "sqlenv");
    assert!(
        meta["description"].is_string()
            && meta["readme_content"].is_string()
            && meta["version"].is_string()
    );

    let (_, schema) = app.get_json("/schema").await;
    let action = &schema["action"];
    assert_eq!(action["additionalProperties"], false, "{action}");
    assert_eq!(action["required"], json!(["action_type", "argument"]));
    for field in [
        "question",
        "schema_info",
        "result",
        "error",
        "step_count",
        "budget_remaining",
        "action_history",
        "tables",
        "db_id",
    ] {
        assert!(
            schema["observation"]["properties"][field].is_object(),
            "observation lacks {field}"
        );
    }
    assert!(schema["state"]["properties"]["episode_id"].is_object());

    let (_, openapi) = app.get_json("/openapi.json").await;
    assert!(openapi["info"]["version"].is_string());
    for path in ["/reset", "/step", "/state", "/health", "/mcp"] {
        assert!(openapi["paths"][path].is_object(), "missing {path}");
    }
    app.stop().await;
}

#[actix_web::test]
async fn stateless_reset_step_state() {
    let app = spawn_app().await;
    let (status, reset) = app.post_json("/reset", &json!({})).await;
    assert_eq!(status, 200);
    assert!(reset["observation"]["question"].is_string());
    assert_eq!(reset["done"], false);
    let (_, seeded) = app.post_json("/reset", &json!({"seed": 9})).await;
    let (_, again) = app.post_json("/reset", &json!({"seed": 9})).await;
    assert_eq!(
        seeded["observation"]["question_id"],
        again["observation"]["question_id"]
    );

    let (status, step) = app
        .post_json(
            "/step",
            &json!({"action": {"action_type": "QUERY", "argument": "SELECT 1"}}),
        )
        .await;
    assert_eq!(status, 200, "{step}");
    assert_eq!(step["observation"]["step_count"], 1);

    let (status, invalid) = app
        .post_json(
            "/step",
            &json!({"action": {"action_type": "NOPE", "argument": ""}}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(invalid["detail"].is_array());
    let (status, _) = app
        .post_json("/reset", &json!({"question_id": "missing"}))
        .await;
    assert_eq!(status, 422);

    let (status, state) = app.get_json("/state").await;
    assert_eq!(status, 200);
    assert_eq!(state["step_count"], 0);
    app.wait_for_sessions(0).await;
    app.stop().await;
}
