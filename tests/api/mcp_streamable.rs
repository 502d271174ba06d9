//! MCP's streamable HTTP transport: an `Mcp-Session-Id` session is one episode; notifications,
//! GET and DELETE as the transport says; idle sessions reaped; `/ws?session_id=` attaching to a
//! session as OpenEnv's `MCPToolClient` does.

use serde_json::{json, Value};

use crate::helpers::*;

const HEADER: &str = "mcp-session-id";

/// POSTs to `/mcp` with an optional session header: status, the session header of the reply,
/// and the body (`Null` when empty).
async fn post(app: &TestApp, session: Option<&str>, body: &Value) -> (u16, Option<String>, Value) {
    let mut request = awc::Client::default()
        .post(app.http("/mcp"))
        .insert_header(("accept", "application/json, text/event-stream"));
    if let Some(id) = session {
        request = request.insert_header((HEADER, id));
    }
    let mut resp = request.send_json(body).await.expect("POST /mcp");
    let header = resp
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.body().await.expect("body");
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON body")
    };
    (resp.status().as_u16(), header, value)
}

fn call(id: i64, name: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": arguments}})
}

async fn initialize(app: &TestApp) -> (String, Value) {
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}});
    let (status, header, body) = post(app, None, &init).await;
    assert_eq!(status, 200, "{body}");
    (header.expect("initialize issues a session id"), body)
}

#[actix_web::test]
async fn a_session_header_is_one_episode_from_question_to_answer() {
    let app = spawn_app().await;
    let (session, init) = initialize(&app).await;
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    let instructions = init["result"]["instructions"].as_str().unwrap().to_owned();
    assert!(instructions.contains("Question: "), "{instructions}");

    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let (status, _, body) = post(&app, Some(&session), &note).await;
    assert_eq!((status, body), (202, Value::Null));

    let (_, _, asked) = post(&app, Some(&session), &call(1, "question", json!({}))).await;
    let view = asked["result"]["structuredContent"].clone();
    // The instructions showed this very question.
    assert!(instructions.contains(view["question"].as_str().unwrap()));
    let q = sqlenv::catalog::question::Question::clone(
        &app.services
            .catalog
            .questions()
            .get(view["question_id"].as_str().unwrap())
            .unwrap(),
    );
    let table = view["tables"][0].as_str().unwrap();
    let (_, _, described) = post(
        &app,
        Some(&session),
        &call(2, "describe", json!({"table_name": table})),
    )
    .await;
    assert_eq!(described["result"]["isError"], false, "{described}");
    let (_, _, queried) = post(
        &app,
        Some(&session),
        &call(3, "query", json!({"sql": q.gold_sql})),
    )
    .await;
    assert_eq!(
        queried["result"]["structuredContent"]["step_count"], 2,
        "{queried}"
    );
    let (_, _, answered) = post(
        &app,
        Some(&session),
        &call(4, "answer", json!({"value": answer_text(&q)})),
    )
    .await;
    let text = answered["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("Correct"), "{answered}");
    assert_eq!(answered["result"]["structuredContent"]["done"], true);
    assert!(!answered.to_string().contains("reward"), "{answered}");

    // A new episode in the same session.
    let (_, _, fresh) = post(
        &app,
        Some(&session),
        &call(5, "new_episode", json!({"question_id": q.id})),
    )
    .await;
    assert_eq!(
        fresh["result"]["structuredContent"]["step_count"], 0,
        "{fresh}"
    );
    assert_eq!(fresh["result"]["structuredContent"]["done"], false);

    // GET opens no stream; DELETE ends the session; the header then names nothing.
    let get = awc::Client::default()
        .get(app.http("/mcp"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let deleted = awc::Client::default()
        .delete(app.http("/mcp"))
        .insert_header((HEADER, session.as_str()))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    app.wait_for_sessions(0).await;
    let (status, _, gone) = post(&app, Some(&session), &call(6, "question", json!({}))).await;
    assert_eq!(status, 404, "{gone}");
    let again = awc::Client::default()
        .delete(app.http("/mcp"))
        .insert_header((HEADER, session.as_str()))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 404);
    app.stop().await;
}

#[actix_web::test]
async fn idle_mcp_sessions_are_reaped() {
    let app = spawn_app_with(|a| a.idle_timeout_secs = 0.3).await;
    let (session, _) = initialize(&app).await;
    assert_eq!(app.stats().await.mcp_sessions, 1);
    app.wait_for_sessions(0).await;
    assert_eq!(app.stats().await.sessions_reaped_idle, 1);
    let (status, _, _) = post(&app, Some(&session), &call(1, "question", json!({}))).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[actix_web::test]
async fn a_socket_attached_with_session_id_plays_the_mcp_sessions_episode() {
    let app = spawn_app().await;
    let q = question_where(|q| q.db_id == "singer");
    let create = json!({"jsonrpc": "2.0", "id": 1, "method": "openenv/session/create"});
    let (_, _, created) = post(&app, None, &create).await;
    let session = created["result"]["session_id"].as_str().unwrap().to_owned();
    let (_, framed) = awc::Client::default()
        .ws(format!(
            "ws://127.0.0.1:{}/ws?session_id={session}",
            app.port
        ))
        .connect()
        .await
        .expect("attached socket connects");
    let mut ws = WsClient { framed };
    let reset = ws.reset(json!({"question_id": q.id})).await;
    assert_eq!(reset["data"]["observation"]["question_id"], q.id.as_str());
    // A tool over HTTP acts on the episode the socket reset.
    let mut describe = call(2, "describe", json!({"table_name": "singer"}));
    describe["params"]["session_id"] = json!(session);
    let (_, _, described) = post(&app, None, &describe).await;
    assert_eq!(
        described["result"]["structuredContent"]["question_id"],
        q.id.as_str()
    );
    let state = ws.request(json!({"type": "state"})).await;
    assert_eq!(state["data"]["step_count"], 1, "{state}");
    let step = ws.step("QUERY", "SELECT count(*) FROM singer").await;
    assert_eq!(step["data"]["observation"]["step_count"], 2, "{step}");
    // Closing the socket leaves the MCP session, which the client closes itself.
    ws.close().await;
    let stats = app.wait_for_sessions(1).await;
    assert_eq!(stats.mcp_sessions, 1);
    let close = json!({"jsonrpc": "2.0", "id": 3, "method": "openenv/session/close", "params": {"session_id": session}});
    let (_, _, closed) = post(&app, None, &close).await;
    assert_eq!(closed["result"]["closed"], true);
    app.wait_for_sessions(0).await;

    let refused = awc::Client::default()
        .ws(format!("ws://127.0.0.1:{}/ws?session_id=nope", app.port))
        .connect()
        .await;
    assert!(refused.is_err(), "an unknown session is refused");
    app.stop().await;
}

#[actix_web::test]
async fn initialize_beyond_capacity_is_an_error_and_no_session() {
    let app = spawn_app_with(|a| a.max_sessions = 1).await;
    let (_first, _) = initialize(&app).await;
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}});
    let (status, header, body) = post(&app, None, &init).await;
    assert_eq!((status, header), (200, None));
    assert_eq!(body["error"]["data"]["max_sessions"], 1, "{body}");
    assert_eq!(app.wait_for_sessions(1).await.mcp_sessions, 1);
    app.stop().await;
}

#[actix_web::test]
async fn question_and_new_episode_work_on_a_plain_socket_too() {
    let app = spawn_app().await;
    let q = question_where(|q| q.db_id == "pets_1");
    let mut ws = app.connect().await;
    let rpc = |id: i64, name: &str, arguments: Value| json!({"type": "mcp", "data": call(id, name, arguments)});
    let fresh = ws
        .request(rpc(1, "new_episode", json!({"question_id": q.id})))
        .await;
    let view = &fresh["data"]["result"]["structuredContent"];
    assert_eq!(view["question_id"], q.id.as_str(), "{fresh}");
    assert!(view["tables"].as_array().unwrap().contains(&json!("Pets")));
    let asked = ws.request(rpc(2, "question", json!({}))).await;
    let text = asked["data"]["result"]["content"][0]["text"]
        .as_str()
        .unwrap();
    assert!(text.contains(q.question.as_str()), "{asked}");
    let state = ws.request(json!({"type": "state"})).await;
    assert_eq!(state["data"]["question_id"], q.id.as_str());
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn openenv_tool_actions_step_a_socket_episode() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "singer", "seed": 3})).await;
    let listed = ws
        .request(json!({"type": "step", "data": {"type": "list_tools"}}))
        .await;
    assert_eq!(listed["type"], "observation");
    assert_eq!(
        listed["data"]["observation"]["tools"][0]["name"],
        "describe"
    );
    let step = json!({"type": "step", "data": {"type": "call_tool", "tool_name": "describe", "arguments": {"table_name": "singer"}}});
    let described = ws.request(step).await;
    let observation = &described["data"]["observation"];
    assert_eq!(observation["tool_name"], "describe", "{described}");
    assert_eq!(observation["error"], Value::Null);
    assert!(described["data"]["reward"].is_number());
    assert!(!observation["result"].to_string().contains("reward"));
    let unknown = json!({"type": "step", "data": {"type": "call_tool", "tool_name": "drop", "arguments": {}}});
    let refused = ws.request(unknown).await;
    assert_eq!(
        refused["data"]["observation"]["error"]["error_type"],
        "tool_not_found"
    );
    let state = ws.request(json!({"type": "state"})).await;
    assert_eq!(state["data"]["step_count"], 1);
    ws.close().await;
    app.stop().await;
}
