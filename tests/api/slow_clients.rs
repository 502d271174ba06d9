//! Slow clients do not starve the others: while many connections send nothing, send an HTTP
//! request one byte a second, or stop halfway through a WebSocket frame, another client still
//! plays whole episodes on the WebSocket and over HTTP. Nothing here is timed: the test shows
//! the episodes complete, then lets the slow ones go and checks the session count returns to 0.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

/// Connections that open and never send a byte.
const SILENT: usize = 100;
/// Connections that trickle an HTTP request, one byte a second.
const TRICKLING: usize = 16;
/// WebSocket sessions that send the first two bytes of a frame header and stop.
const HALF_FRAMES: usize = 16;

/// Trickles `request` into a new connection a byte a second until `stop` (at most its length).
fn trickle(port: u16, request: &'static [u8], stop: Arc<AtomicBool>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
            return;
        };
        for byte in request {
            if stop.load(Ordering::Relaxed) || stream.write_all(&[*byte]).is_err() {
                return;
            }
            thread::sleep(Duration::from_secs(1));
        }
    })
}

/// Opens a WebSocket by hand, then sends the first two bytes of a masked text frame of 100
/// bytes and nothing more; the socket is returned still open.
fn half_frame(port: u16) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(REPLY_TIMEOUT)).unwrap();
    let upgrade = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
                   Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                   Sec-WebSocket-Version: 13\r\n\r\n";
    stream.write_all(upgrade.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    stream.write_all(&[0x81, 0x80 | 100]).unwrap();
    stream
}

/// One whole episode on a fresh WebSocket: reset to a known question, answer it, done.
async fn ws_episode(app: &TestApp, seed: u64) {
    let q = question_where(|q| q.db_id == "singer");
    let mut ws = app.connect().await;
    let first = ws.reset(json!({"question_id": q.id, "seed": seed})).await;
    assert_eq!(first["type"], "observation", "{first}");
    let rows = ws.step("QUERY", &q.gold_sql).await;
    assert_eq!(
        rows["data"]["observation"]["error"],
        serde_json::Value::Null,
        "{rows}"
    );
    let last = ws.step("ANSWER", &answer_text(&q)).await;
    assert_eq!(last["data"]["done"], true, "{last}");
    assert!(last["data"]["reward"].as_f64().unwrap() > 0.0, "{last}");
    ws.close().await;
}

#[actix_web::test]
async fn slow_and_silent_clients_do_not_stop_others_from_playing() {
    let app = spawn_app().await;
    let stop = Arc::new(AtomicBool::new(false));

    let silent: Vec<TcpStream> = (0..SILENT)
        .map(|_| TcpStream::connect(("127.0.0.1", app.port)).unwrap())
        .collect();
    let trickling: Vec<_> = (0..TRICKLING)
        .map(|_| {
            trickle(
                app.port,
                b"GET /metadata HTTP/1.1\r\nHost: x\r\n\r\n",
                stop.clone(),
            )
        })
        .collect();
    let port = app.port;
    // By hand on another thread: the test's own thread runs the supervisor, which must go on.
    let half_frames: Vec<TcpStream> = actix_web::rt::task::spawn_blocking(move || {
        (0..HALF_FRAMES).map(|_| half_frame(port)).collect()
    })
    .await
    .unwrap();
    app.wait_for_sessions(HALF_FRAMES).await;

    for seed in 0..3 {
        ws_episode(&app, seed).await;
    }
    let step =
        json!({"action": {"action_type": "QUERY", "argument": "SELECT count(*) FROM singer"}});
    let (status, reply) = app.post_json("/step", &step).await;
    assert_eq!(status, 200, "{reply}");
    assert!(app.healthy().await);

    stop.store(true, Ordering::Relaxed);
    drop(silent);
    drop(half_frames);
    for handle in trickling {
        handle.join().unwrap();
    }
    app.wait_for_sessions(0).await;
    app.stop().await;
}
