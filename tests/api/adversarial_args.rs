//! Hostile arguments: table names built to inject SQL or escape the catalog, `db_id`s that
//! traverse paths, unknown or huge question ids, seeds at the edges of every integer type. Over
//! the socket, stateless HTTP and MCP alike.

use serde_json::{json, Value};

use crate::helpers::*;

/// Table names an agent might send to break out of DESCRIBE/SAMPLE.
fn hostile_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "singer; DROP TABLE singer",
        "singer'; DROP TABLE singer; --",
        "singer\" ; DELETE FROM singer; --",
        "singer` UNION SELECT * FROM sqlite_master --",
        "[singer]; ATTACH 'x' AS y",
        "sqlite_master",
        "sqlite_schema",
        "sqlite_sequence",
        "main.singer",
        "temp.singer",
        "../singer",
        "/etc/passwd",
        "singer\u{0}",
        "singer\nsinger",
        "",
        "   ",
        "'",
        "\"",
        ";",
        "%",
        "*",
        "sïngér",
        "\u{202e}regnis",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    names.push("s".repeat(100_000));
    names
}

#[actix_web::test]
async fn describe_and_sample_treat_names_as_names() {
    let app = spawn_app_with(|a| a.step_budget = 80).await;
    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "singer", "seed": 1})).await;
    for name in hostile_names() {
        for action in ["DESCRIBE", "SAMPLE"] {
            let r = ws.step(action, &name).await;
            assert_eq!(r["type"], "observation", "{action} {name:.40}: {r:.200}");
            let error = r["data"]["observation"]["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{action} {name:.40} was accepted"));
            assert!(error.contains("unknown table"), "{error:.200}");
            assert!(
                error.contains("singer"),
                "the tables are listed: {error:.200}"
            );
            // The name is echoed clipped, so a huge one does not come back whole.
            assert!(
                r.to_string().len() < 8_192,
                "{action}: {} bytes",
                r.to_string().len()
            );
        }
    }
    // The real tables still answer, in any case and quoted.
    for name in ["singer", "SINGER", "\"singer\""] {
        let r = ws.step("SAMPLE", name).await;
        assert_eq!(
            r["data"]["observation"]["error"],
            Value::Null,
            "{name}: {r}"
        );
    }
    let count = ws.step("QUERY", "SELECT count(*) FROM singer").await;
    assert!(count["data"]["observation"]["result"]
        .as_str()
        .unwrap()
        .contains("\n8\n"));
    ws.close().await;
    app.stop().await;
}

/// `db_id`s that try to leave the data directory or name something else.
fn hostile_db_ids() -> Vec<Value> {
    vec![
        json!("../databases/singer/singer"),
        json!("singer/../world_1"),
        json!("singer/singer.sqlite"),
        json!(".."),
        json!("."),
        json!("/"),
        json!("/etc/passwd"),
        json!("..\\..\\windows"),
        json!("%2e%2e%2fsinger"),
        json!("file:singer?mode=rw"),
        json!("singer\u{0}"),
        json!("SINGER"),
        json!(" singer"),
        json!(""),
        json!("x".repeat(257)),
        json!(7),
        json!(["singer"]),
        json!({"db": "singer"}),
    ]
}

#[actix_web::test]
async fn db_ids_and_question_ids_are_looked_up_never_used_as_paths() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    let long = "q".repeat(100_000);
    let mut cases: Vec<Value> = hostile_db_ids()
        .into_iter()
        .map(|db| json!({"db_id": db}))
        .collect();
    cases.extend([
        json!({"question_id": "no-such-question"}),
        json!({"question_id": "../../etc/passwd"}),
        json!({"question_id": ""}),
        json!({"question_id": long}),
        json!({"question_id": 5}),
        json!({"question_id": null, "db_id": "nope"}),
        json!({"episode_id": "e".repeat(300)}),
        json!({"split": "test"}),
        json!({"difficulty": ["easy"]}),
    ]);
    for data in &cases {
        let e = ws.reset(data.clone()).await;
        assert_eq!(e["type"], "error", "{data:.80} -> {e:.300}");
        assert_eq!(e["data"]["code"], "VALIDATION_ERROR", "{e:.300}");
        assert!(e.to_string().len() < 4_096, "the id is not echoed whole");
        // The same over stateless HTTP: 422 with a detail, never a 500.
        let (status, body) = app.post_json("/reset", data).await;
        assert_eq!(status, 422, "{data:.80} -> {body:.300}");
        assert!(body["detail"].is_array());
    }
    // MCP sessions check the same arguments.
    let (_, r) = app
        .post_json(
            "/mcp",
            &json!({"jsonrpc": "2.0", "id": 1, "method": "openenv/session/create", "params": {"db_id": "../singer"}}),
        )
        .await;
    assert!(r["error"]["code"].is_i64(), "{r}");
    assert_eq!(app.stats().await.mcp_sessions, 0);

    // A valid db_id in another case is not a different database.
    let ok = ws.reset(json!({"db_id": "singer", "seed": 1})).await;
    assert_eq!(ok["data"]["observation"]["db_id"], "singer");
    ws.close().await;
    app.wait_for_sessions(0).await;
    assert!(app.healthy().await);
    app.stop().await;
}

#[actix_web::test]
async fn seeds_at_the_edges_are_accepted_and_reproducible() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    for seed in [
        json!(0),
        json!(-1),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(-0),
    ] {
        let first = ws.reset(json!({"seed": seed})).await;
        assert_eq!(first["type"], "observation", "{seed}: {first}");
        let again = ws.reset(json!({"seed": seed})).await;
        assert_eq!(
            first["data"]["observation"]["question_id"],
            again["data"]["observation"]["question_id"],
            "{seed}"
        );
    }
    // -1 and u64::MAX are the same 64 bits, so the same question.
    let minus_one = ws.reset(json!({"seed": -1})).await;
    let max = ws.reset(json!({"seed": u64::MAX})).await;
    assert_eq!(
        minus_one["data"]["observation"]["question_id"],
        max["data"]["observation"]["question_id"]
    );
    for text in [
        r#"{"type": "reset", "data": {"seed": 18446744073709551616}}"#,
        r#"{"type": "reset", "data": {"seed": -9223372036854775809}}"#,
        r#"{"type": "reset", "data": {"seed": 1e300}}"#,
        r#"{"type": "reset", "data": {"seed": 0.5}}"#,
        r#"{"type": "reset", "data": {"seed": "7"}}"#,
        r#"{"type": "reset", "data": {"seed": true}}"#,
        r#"{"type": "reset", "data": {"seed": [1]}}"#,
        r#"{"type": "reset", "data": {"seed": 1e999}}"#,
    ] {
        ws.send_text(text).await;
        let e = ws.recv().await;
        assert_eq!(e["type"], "error", "{text}: {e}");
        assert!(
            ["VALIDATION_ERROR", "INVALID_JSON"].contains(&e["data"]["code"].as_str().unwrap()),
            "{text}: {e}"
        );
    }
    let ok = ws.reset(json!({"seed": 12})).await;
    assert_eq!(ok["type"], "observation");
    let step = ws.step("QUERY", "SELECT 1").await;
    assert_eq!(step["data"]["observation"]["error"], Value::Null);
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn answers_of_any_shape_are_judged_not_crashed_on() {
    let q = question_where(|q| q.gold_answer.len() == 1);
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    let huge = "9".repeat(70_000);
    let nested = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
    for answer in [
        "",
        "\u{0}",
        "NULL",
        "[]",
        "[[[]]]",
        nested.as_str(),
        "{\"a\": 1}",
        "1e999999",
        "-0",
        "NaN",
        "inf",
        "| | |",
        "\n\n\n",
        huge.as_str(),
        "' OR 1=1 --",
    ] {
        ws.reset(json!({"question_id": q.id})).await;
        let r = ws.step("ANSWER", answer).await;
        assert_eq!(r["type"], "observation", "{answer:.40}: {r:.300}");
        assert_eq!(r["data"]["done"], true);
        assert!(r.to_string().len() < 8_192);
    }
    ws.reset(json!({"question_id": q.id})).await;
    let right = ws.step("ANSWER", &answer_text(&q)).await;
    assert!(right["data"]["reward"].as_f64().unwrap() > 0.5, "{right}");
    ws.close().await;
    app.stop().await;
}
