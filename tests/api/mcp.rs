//! MCP's JSON-RPC over HTTP and over the socket.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn mcp_over_http() {
    let app = spawn_app().await;
    let (status, empty) = app.post_json("/mcp", &json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(empty["jsonrpc"], "2.0");
    assert_eq!(empty["error"]["code"], -32600);

    let (_, list) = app
        .post_json(
            "/mcp",
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        )
        .await;
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "describe",
            "sample",
            "query",
            "answer",
            "question",
            "new_episode"
        ]
    );
    assert!(list["result"]["tools"][2]["inputSchema"]["properties"]["sql"].is_object());

    let (_, unknown) = app
        .post_json(
            "/mcp",
            &json!({"jsonrpc": "2.0", "id": 2, "method": "nope"}),
        )
        .await;
    assert_eq!(unknown["error"]["code"], -32601);

    let q = question_where(|q| q.db_id == "pets_1");
    let (_, created) = app
        .post_json("/mcp", &json!({"jsonrpc": "2.0", "id": 3, "method": "openenv/session/create", "params": {"question_id": q.id}}))
        .await;
    let session_id = created["result"]["session_id"].as_str().unwrap().to_owned();
    assert_eq!(
        created["result"]["observation"]["observation"]["question"],
        q.question.as_str()
    );
    assert_eq!(app.stats().await.mcp_sessions, 1);

    let call = |id: i64, name: &str, arguments: serde_json::Value| json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": arguments, "session_id": session_id}});
    let (_, described) = app
        .post_json("/mcp", &call(4, "describe", json!({"table_name": "Pets"})))
        .await;
    assert_eq!(described["result"]["isError"], false, "{described}");
    assert!(
        described["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("PetID"),
        "{described}"
    );
    let (_, queried) = app
        .post_json("/mcp", &call(5, "query", json!({"sql": q.gold_sql})))
        .await;
    assert_eq!(
        queried["result"]["structuredContent"]["step_count"], 2,
        "{queried}"
    );
    let (_, bad) = app
        .post_json("/mcp", &call(6, "drop_table", json!({})))
        .await;
    assert_eq!(bad["error"]["code"], -32602);
    let (_, answered) = app
        .post_json(
            "/mcp",
            &call(7, "answer", json!({"value": answer_text(&q)})),
        )
        .await;
    assert_eq!(
        answered["result"]["structuredContent"]["done"], true,
        "{answered}"
    );
    let text = answered["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("Correct"), "{answered}");
    // What a model reads carries no reward: trainers take it from /ws or HTTP.
    assert!(
        !answered["result"].to_string().contains("reward"),
        "{answered}"
    );

    let close = json!({"jsonrpc": "2.0", "id": 8, "method": "openenv/session/close", "params": {"session_id": session_id}});
    let (_, closed) = app.post_json("/mcp", &close).await;
    assert_eq!(closed["result"]["closed"], true);
    let (_, again) = app.post_json("/mcp", &close).await;
    assert_eq!(again["error"]["code"], -32602);
    app.wait_for_sessions(0).await;

    // Without a session id a tool runs on a one-shot episode.
    let (_, one_shot) = app
        .post_json("/mcp", &json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "query", "arguments": {"sql": "SELECT 1"}}}))
        .await;
    assert_eq!(one_shot["result"]["isError"], false, "{one_shot}");
    app.stop().await;
}

#[actix_web::test]
async fn mcp_over_the_socket_uses_the_session_episode() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "singer", "seed": 1})).await;
    let list = ws
        .request(
            json!({"type": "mcp", "data": {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}}),
        )
        .await;
    assert_eq!(list["type"], "mcp");
    assert_eq!(list["data"]["result"]["tools"].as_array().unwrap().len(), 6);
    let call = json!({"type": "mcp", "data": {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "sample", "arguments": {"table_name": "song"}}}});
    let r = ws.request(call).await;
    assert!(
        r["data"]["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Sample of song"),
        "{r}"
    );
    let state = ws.request(json!({"type": "state"})).await;
    assert_eq!(state["data"]["step_count"], 1);
    ws.close().await;
    app.stop().await;
}
