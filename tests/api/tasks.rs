//! The Task API and `reset(split, index)`.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn tasks_are_the_served_questions_of_a_split_in_a_stable_order() {
    let app = spawn_app().await;
    let (_, names) = app.get_json("/list_environments").await;
    assert_eq!(names, json!(["sqlenv"]));
    let (status, splits) = app.get_json("/sqlenv/splits").await;
    assert_eq!(status, 200);
    assert_eq!(splits[0], json!({"name": "train", "type": "train"}));
    let (status, _) = app.get_json("/othername/splits").await;
    assert_eq!(status, 404);

    for split in ["train", "eval"] {
        let (_, count) = app
            .post_json("/sqlenv/num_tasks", &json!({"split": split}))
            .await;
        let n = count["num_tasks"].as_u64().unwrap() as usize;
        // A split's tasks are what a reset naming the split and no set draws from.
        let split_value: sqlenv::catalog::question::Split =
            serde_json::from_value(json!(split)).unwrap();
        let served = app
            .services
            .catalog
            .questions()
            .served_in(split_value, None)
            .len();
        assert_eq!(n, served);
        if n == 0 {
            continue;
        }
        let (_, listed) = app
            .post_json("/sqlenv/tasks", &json!({"split": split}))
            .await;
        assert_eq!(listed["tasks"].as_array().unwrap().len(), n.min(1000));
        let last = n - 1;
        let (_, task) = app
            .post_json("/sqlenv/task", &json!({"split": split, "index": last}))
            .await;
        let task = &task["task"];
        assert_eq!(task["index"], last);
        assert!(task.get("gold_sql").is_none() && task.get("gold_answer").is_none());
        let (_, range) = app
            .post_json("/sqlenv/task_range", &json!({"split": split, "start": -1}))
            .await;
        assert_eq!(range["tasks"][0], *task);

        // reset(split, index) plays that task, on every transport.
        let mut ws = app.connect().await;
        let r = ws
            .reset(json!({"split": split, "index": last, "seed": 5}))
            .await;
        assert_eq!(r["data"]["observation"]["question_id"], task["id"], "{r}");
        ws.close().await;
        let (_, r) = app
            .post_json("/reset", &json!({"split": split, "index": last}))
            .await;
        assert_eq!(r["observation"]["question_id"], task["id"]);
        let (status, _) = app
            .post_json("/reset", &json!({"split": split, "index": n}))
            .await;
        assert_eq!(status, 422);
        let (status, bad) = app
            .post_json("/sqlenv/task", &json!({"split": split, "index": n}))
            .await;
        assert_eq!(
            (status, bad["detail"].as_str()),
            (400, Some("Invalid task index"))
        );
    }
    let (status, _) = app.post_json("/reset", &json!({"index": 0})).await;
    assert_eq!(status, 422, "an index needs a split");
    let (status, _) = app
        .post_json("/sqlenv/num_tasks", &json!({"split": "train", "extra": 1}))
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .post_json("/sqlenv/num_tasks", &json!({"split": "test"}))
        .await;
    assert_eq!(status, 400);
    app.stop().await;
}

#[actix_web::test]
async fn openapi_names_the_openenv_api_revision_and_the_task_routes() {
    let app = spawn_app().await;
    let (_, openapi) = app.get_json("/openapi.json").await;
    // The validator reads its profile (openenv-http/1.x) from this.
    assert_eq!(openapi["info"]["version"], "1.0.0");
    for path in [
        "/list_environments",
        "/{env_name}/num_tasks",
        "/{env_name}/task",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path}");
    }
    app.stop().await;
}
