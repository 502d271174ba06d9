//! Hostile frames beyond `protocol_errors`: empty and odd frames, fragmented messages, invalid
//! UTF-8, a flood of pipelined messages. Each gets a clear error (or a clean reply) and the
//! session and the server go on.

use std::io::{Read, Write};
use std::net::TcpStream;

use actix_http::ws::Item;
use awc::ws;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};

use crate::helpers::*;

/// A valid step still works: the session survived whatever came before.
async fn still_works(ws: &mut WsClient) {
    let ok = ws.step("QUERY", "SELECT 1").await;
    assert_eq!(ok["type"], "observation", "{ok}");
    assert_eq!(ok["data"]["observation"]["error"], Value::Null, "{ok}");
}

#[actix_web::test]
async fn empty_and_odd_frames_get_errors_and_the_session_goes_on() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    ws.reset(json!({"seed": 11})).await;

    for (text, code) in [
        ("", "INVALID_JSON"),
        ("   ", "INVALID_JSON"),
        ("{", "INVALID_JSON"),
        ("\u{0}", "INVALID_JSON"),
        ("null", "VALIDATION_ERROR"),
        ("\"step\"", "VALIDATION_ERROR"),
        ("42", "VALIDATION_ERROR"),
        ("{\"type\": null}", "VALIDATION_ERROR"),
        ("{\"type\": \"\"}", "UNKNOWN_TYPE"),
        ("{\"type\": \"STEP\"}", "UNKNOWN_TYPE"),
        ("{\"type\": \"step\", \"data\": []}", "VALIDATION_ERROR"),
        (
            "{\"type\": \"step\", \"data\": {\"action_type\": \"query\", \"argument\": \"SELECT 1\"}}",
            "VALIDATION_ERROR",
        ),
        (
            "{\"type\": \"step\", \"data\": {\"action_type\": \"QUERY\", \"argument\": null}}",
            "VALIDATION_ERROR",
        ),
        ("{\"type\": \"reset\", \"data\": \"seed=1\"}", "VALIDATION_ERROR"),
        ("{\"type\": \"reset\", \"data\": {\"seed\": 1e300}}", "VALIDATION_ERROR"),
        ("{\"type\": \"reset\", \"data\": {\"db_id\": 7}}", "VALIDATION_ERROR"),
    ] {
        ws.send_text(text).await;
        let e = ws.recv().await;
        assert_eq!(e["type"], "error", "{text:?} -> {e}");
        assert_eq!(e["data"]["code"], code, "{text:?} -> {e}");
        assert!(!e["data"]["message"].as_str().unwrap().is_empty());
    }
    still_works(&mut ws).await;

    // Empty and non-UTF-8 binary frames: the same clear refusal as any binary frame.
    for payload in [
        Vec::new(),
        vec![0xff, 0xfe, 0x00],
        b"{\"type\":\"state\"}".to_vec(),
    ] {
        ws.framed
            .send(ws::Message::Binary(payload.into()))
            .await
            .unwrap();
        let e = ws.recv().await;
        assert_eq!(e["data"]["code"], "INVALID_JSON", "{e}");
        assert!(e["data"]["message"].as_str().unwrap().contains("binary"));
    }

    // Fields the frame does not define are ignored, like the reference server does.
    let state = ws
        .request(json!({"type": "state", "data": {"x": 1}, "extra": [1, 2]}))
        .await;
    assert_eq!(state["type"], "state", "{state}");

    // MCP garbage over the socket is a JSON-RPC error, not a dead session.
    for data in [
        json!("tools/list"),
        json!({}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "drop_table"}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "nope"}),
    ] {
        let r = ws.request(json!({"type": "mcp", "data": data})).await;
        assert_eq!(r["type"], "mcp", "{r}");
        assert!(r["data"]["error"]["code"].is_i64(), "{r}");
    }

    // Pings are answered and change nothing.
    ws.framed.send(ws::Message::Ping("x".into())).await.unwrap();
    match ws.framed.next().await {
        Some(Ok(ws::Frame::Pong(p))) => assert_eq!(&p[..], b"x"),
        other => panic!("expected a pong, got {other:?}"),
    }
    still_works(&mut ws).await;
    ws.close().await;
    app.wait_for_sessions(0).await;
    assert!(app.healthy().await);
    app.stop().await;
}

#[actix_web::test]
async fn a_step_after_the_answer_is_told_the_episode_is_over() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    ws.reset(json!({"seed": 4})).await;
    let answered = ws
        .step("ANSWER", "certainly not the answer 123456789")
        .await;
    assert_eq!(answered["data"]["done"], true, "{answered}");
    for action in ["QUERY", "DESCRIBE", "ANSWER"] {
        let after = ws.step(action, "SELECT 1").await;
        assert_eq!(after["type"], "observation", "{after}");
        assert_eq!(after["data"]["done"], true);
        assert!(
            after["data"]["observation"]["error"]
                .as_str()
                .unwrap()
                .contains("episode is over"),
            "{after}"
        );
        assert!(after["data"]["reward"].as_f64().unwrap() < 0.0);
    }
    let state = ws.request(json!({"type": "state"})).await;
    assert_eq!(state["data"]["done"], true);
    ws.reset(json!({"seed": 4})).await;
    still_works(&mut ws).await;
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn fragmented_messages_are_joined_and_bounded() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    ws.reset(json!({"seed": 2})).await;

    // A message in three fragments is one message.
    let frame =
        json!({"type": "step", "data": {"action_type": "QUERY", "argument": "SELECT 40 + 2"}})
            .to_string();
    let (a, rest) = frame.split_at(10);
    let (b, c) = rest.split_at(20);
    for item in [
        Item::FirstText(a.to_owned().into()),
        Item::Continue(b.to_owned().into()),
        Item::Last(c.to_owned().into()),
    ] {
        ws.framed
            .send(ws::Message::Continuation(item))
            .await
            .unwrap();
    }
    let r = ws.recv().await;
    assert!(
        r["data"]["observation"]["result"]
            .as_str()
            .unwrap()
            .contains("42"),
        "{r}"
    );

    // A fragmented binary message is refused like a binary frame.
    for item in [
        Item::FirstBinary(vec![1u8, 2].into()),
        Item::Last(vec![3u8].into()),
    ] {
        ws.framed
            .send(ws::Message::Continuation(item))
            .await
            .unwrap();
    }
    assert_eq!(ws.recv().await["data"]["code"], "INVALID_JSON");
    still_works(&mut ws).await;

    // (A continuation with no message begun is refused by the client library before it is
    // sent; the server's answer to it is unit-tested in `session::fragments`.)
    ws.close().await;

    // Invalid UTF-8 in a fragmented text message: error, then close (RFC 6455 §8.1).
    let mut bad = app.connect().await;
    for item in [
        Item::FirstText(vec![b'{', 0xc3].into()),
        Item::Last(vec![0x28, b'}'].into()),
    ] {
        bad.framed
            .send(ws::Message::Continuation(item))
            .await
            .unwrap();
    }
    let e = bad.recv().await;
    assert_eq!(e["data"]["code"], "INVALID_JSON", "{e}");
    assert!(
        e["data"]["message"].as_str().unwrap().contains("UTF-8"),
        "{e}"
    );
    bad.expect_closed().await;
    // Gone on our side too, or the server's graceful stop would wait for it.
    drop(bad);

    // Fragments add up to the frame limit, not past it: 2.5 MB in 512 KiB parts.
    let mut big = app.connect().await;
    let chunk = "x".repeat(512 * 1024);
    let mut parts = vec![Item::FirstText(chunk.clone().into())];
    parts.extend((0..4).map(|_| Item::Continue(chunk.clone().into())));
    for item in parts {
        big.framed
            .send(ws::Message::Continuation(item))
            .await
            .unwrap();
    }
    let refused = big.recv().await;
    assert!(
        refused["data"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than"),
        "{refused}"
    );
    big.expect_closed().await;
    drop(big);

    app.wait_for_sessions(0).await;
    assert!(app.healthy().await);
    app.stop().await;
}

/// Opens a WebSocket by hand and sends one text frame whose payload is `payload` as is, which
/// no client library will do with bytes that are not UTF-8. Returns the server's frames as
/// (opcode, payload) until it closes.
fn raw_text_frame(port: u16, payload: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(REPLY_TIMEOUT)).unwrap();
    write!(
        s,
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert!(head.len() < 4096, "no end of the handshake");
        s.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    // FIN + text opcode, masked with a zero key so the payload goes as is.
    assert!(payload.len() < 126);
    let mut frame = vec![0x81, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(payload);
    s.write_all(&frame).unwrap();

    let mut frames = Vec::new();
    for _ in 0..16 {
        let mut header = [0u8; 2];
        if s.read_exact(&mut header).is_err() {
            break;
        }
        let opcode = header[0] & 0x0f;
        let len = match header[1] & 0x7f {
            126 => {
                let mut ext = [0u8; 2];
                s.read_exact(&mut ext).unwrap();
                u16::from_be_bytes(ext) as usize
            }
            127 => panic!("unexpectedly long frame"),
            n => n as usize,
        };
        let mut body = vec![0u8; len];
        s.read_exact(&mut body).unwrap();
        frames.push((opcode, body));
        if opcode == 0x8 {
            break;
        }
    }
    frames
}

#[actix_web::test]
async fn invalid_utf8_in_a_text_frame_is_an_error_and_a_close() {
    let app = spawn_app().await;
    let port = app.port;
    let frames = actix_web::rt::task::spawn_blocking(move || {
        raw_text_frame(port, &[b'{', 0xff, 0xfe, b'}'])
    })
    .await
    .unwrap();
    let text = frames
        .iter()
        .find(|(op, _)| *op == 0x1)
        .map(|(_, body)| serde_json::from_slice::<Value>(body).unwrap())
        .expect("an error frame");
    assert_eq!(text["data"]["code"], "INVALID_JSON", "{text}");
    assert!(
        frames.iter().any(|(op, _)| *op == 0x8),
        "closed: {frames:?}"
    );
    app.wait_for_sessions(0).await;

    // The same path with valid bytes is an ordinary session.
    let frames =
        actix_web::rt::task::spawn_blocking(move || raw_text_frame(port, br#"{"type":"state"}"#))
            .await
            .unwrap();
    let (op, body) = &frames[0];
    assert_eq!(*op, 0x1);
    assert_eq!(
        serde_json::from_slice::<Value>(body).unwrap()["type"],
        "state"
    );

    let mut ws = app.connect().await;
    ws.reset(json!({"seed": 1})).await;
    still_works(&mut ws).await;
    ws.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn a_flood_of_pipelined_messages_is_answered_in_order() {
    const FLOOD: usize = 3_000;
    let app = spawn_app().await;
    let ws = app.connect().await;
    let (mut sink, mut stream) = ws.framed.split();

    let reset = json!({"type": "reset", "data": {"seed": 9}}).to_string();
    sink.send(ws::Message::Text(reset.into())).await.unwrap();
    // Steps, states and garbage, sent without reading a single reply; the budget runs out
    // early, so most steps are cheap "episode over" replies and a few run queries.
    let sender = actix_web::rt::spawn(async move {
        for i in 0..FLOOD {
            let text = match i % 3 {
                0 => json!({"type": "step", "data": {"action_type": "QUERY", "argument": format!("SELECT {i}")}}).to_string(),
                1 => json!({"type": "state"}).to_string(),
                _ => "not json".to_owned(),
            };
            sink.send(ws::Message::Text(text.into())).await.unwrap();
        }
        sink
    });

    // Meanwhile the server serves others.
    let mut other = app.connect().await;
    other.reset(json!({"seed": 3})).await;
    still_works(&mut other).await;
    assert!(app.healthy().await);

    // Every reply comes, in order, and nothing else.
    let mut kinds = Vec::with_capacity(FLOOD + 1);
    while kinds.len() < FLOOD + 1 {
        let frame = actix_web::rt::time::timeout(REPLY_TIMEOUT, stream.next())
            .await
            .expect("reply in time")
            .expect("connection open")
            .unwrap();
        match frame {
            ws::Frame::Text(t) => {
                let v: Value = serde_json::from_slice(&t).unwrap();
                kinds.push(v["type"].as_str().unwrap().to_owned());
            }
            ws::Frame::Ping(_) | ws::Frame::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
    assert_eq!(kinds[0], "observation");
    for (i, kind) in kinds[1..].iter().enumerate() {
        let expected = ["observation", "state", "error"][i % 3];
        assert_eq!(kind, expected, "reply {i}");
    }
    let sink = sender.await.unwrap();
    let mut ws = WsClient {
        framed: sink.reunite(stream).unwrap(),
    };
    ws.reset(json!({"seed": 9})).await;
    still_works(&mut ws).await;
    ws.close().await;
    other.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn oversized_http_bodies_are_refused_and_the_server_goes_on() {
    let app = spawn_app().await;
    let body = vec![b' '; 1 << 20];
    for path in ["/reset", "/step", "/mcp"] {
        let resp = awc::Client::default()
            .post(app.http(path))
            .insert_header(("content-type", "application/json"))
            .send_body(body.clone())
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 413, "{path}");
    }
    let (status, r) = app.post_json("/reset", &json!({"seed": 1})).await;
    assert_eq!(status, 200, "{r}");
    assert!(app.healthy().await);
    app.stop().await;
}
