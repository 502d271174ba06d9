//! Graceful shutdown: every session gets a close frame with the shutdown reason, an in-flight
//! step still gets its reply, the server stops within the grace period and refuses new
//! connections; and a real SIGTERM makes the `sqlenv` binary exit 0 the same way.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use awc::ws;
use futures_util::SinkExt;
use serde_json::json;
use sqlenv::startup::Application;

use crate::helpers::*;

const GRACE_SECS: u64 = 3;
/// A query that never ends by itself: it runs until the query time limit interrupts it.
const ENDLESS_SQL: &str =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
const SHUTDOWN_REASON: &str = "server shutting down";

/// Reads frames until the close frame and answers it as a well-behaved client does (a close
/// frame back, then the end of its side of the TCP connection: the server waits for that, within
/// the grace period); returns the frames before it and the close reason.
async fn frames_until_close(
    ws: &mut WsClient,
) -> (Vec<serde_json::Value>, Option<ws::CloseReason>) {
    let mut texts = Vec::new();
    loop {
        match ws.next_frame().await {
            Some(ws::Frame::Text(bytes)) => texts.push(serde_json::from_slice(&bytes).unwrap()),
            Some(ws::Frame::Close(reason)) => {
                let _ = ws.framed.send(ws::Message::Close(reason.clone())).await;
                let _ = ws.framed.close().await;
                return (texts, reason);
            }
            Some(_) => continue,
            None => panic!("connection ended without a close frame after {texts:?}"),
        }
    }
}

fn assert_shutdown_close(reason: Option<ws::CloseReason>) {
    let reason = reason.expect("the close frame carries a reason");
    assert_eq!(reason.code, ws::CloseCode::Away);
    assert_eq!(reason.description.as_deref(), Some(SHUTDOWN_REASON));
}

#[actix_web::test]
async fn shutdown_closes_every_session_and_stops_within_the_grace_period() {
    sqlenv::telemetry::init_for_tests();
    let mut args = test_args();
    args.shutdown_grace_secs = GRACE_SECS;
    args.query_timeout_ms = 800;
    let app = Application::build_with_catalog(args.into_config().unwrap(), catalog()).unwrap();
    let shutdown = app.shutdown_handle();
    let test_app = TestApp {
        port: app.port(),
        app_handle: app.handle(),
        services: app.services().clone(),
    };
    let server = actix_web::rt::spawn(app.run_until_stopped());

    // Two sessions between steps, one in the middle of a step, one MCP session.
    let mut idle = Vec::new();
    for seed in 1..=2 {
        let mut ws = test_app.connect().await;
        assert_eq!(ws.reset(json!({"seed": seed})).await["type"], "observation");
        ws.step("SAMPLE", "singer").await;
        idle.push(ws);
    }
    let mut busy = test_app.connect().await;
    busy.reset(json!({"db_id": "singer", "seed": 3})).await;
    busy.send(&json!({"type": "step", "data": {"action_type": "QUERY", "argument": ENDLESS_SQL}}))
        .await;
    let (_, created) = test_app
        .post_json(
            "/mcp",
            &json!({"jsonrpc": "2.0", "id": 1, "method": "openenv/session/create", "params": {"seed": 4}}),
        )
        .await;
    assert!(created["result"]["session_id"].is_string(), "{created}");
    test_app.wait_for_sessions(4).await;
    // The busy session has picked its step up (so the shutdown's close queues behind it).
    test_app.wait_for_steps_in_flight(1).await;

    let shutting_down = actix_web::rt::spawn(async move {
        let started = Instant::now();
        let notice = shutdown.shutdown().await;
        (notice, started.elapsed())
    });

    // The step in flight was finished (the query ran into its time limit) and answered first.
    let (before_close, reason) = frames_until_close(&mut busy).await;
    assert_eq!(before_close.len(), 1, "{before_close:?}");
    assert_eq!(before_close[0]["type"], "observation", "{before_close:?}");
    assert!(
        before_close[0]["data"]["observation"]["error"].is_string(),
        "{before_close:?}"
    );
    assert_shutdown_close(reason);
    for mut ws in idle {
        let (before_close, reason) = frames_until_close(&mut ws).await;
        assert!(before_close.is_empty(), "{before_close:?}");
        assert_shutdown_close(reason);
    }
    let (notice, took) = shutting_down.await.unwrap();
    assert_eq!((notice.told, notice.unreachable), (4, 0));
    assert!(
        took < Duration::from_secs(GRACE_SECS),
        "shutdown took {took:?}, grace is {GRACE_SECS} s"
    );
    actix_web::rt::time::timeout(Duration::from_secs(1), server)
        .await
        .expect("the server future completes once shut down")
        .unwrap()
        .unwrap();
    test_app.wait_for_sessions(0).await;

    // The listener is gone.
    let refused = std::net::TcpStream::connect(("127.0.0.1", test_app.port));
    assert!(
        refused.is_err(),
        "a new connection was accepted after shutdown"
    );
}

/// Kills the child if the test fails half-way, so no server outlives it.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[actix_web::test]
async fn sigterm_shuts_the_binary_down_cleanly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sqlenv"))
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--http-workers",
            "1",
        ])
        .arg("--data-dir")
        .arg(data_dir())
        .args(["--shutdown-grace-secs", &GRACE_SECS.to_string()])
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let child = ChildGuard(child);

    // The port is in the start-up log line; keep draining stderr so the child never blocks.
    let (port_tx, port_rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut log = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on 127.0.0.1:").nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                let _ = port_tx.send(digits.parse::<u16>().unwrap());
            }
            log.push(line);
        }
        log
    });
    let port = port_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server logs its port");

    let (_, framed) = awc::Client::default()
        .ws(format!("ws://127.0.0.1:{port}/ws"))
        .connect()
        .await
        .unwrap();
    let mut ws = WsClient { framed };
    assert_eq!(ws.reset(json!({"seed": 1})).await["type"], "observation");

    let pid = child.0.id().to_string();
    let started = Instant::now();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());

    let (before_close, reason) = frames_until_close(&mut ws).await;
    assert!(before_close.is_empty(), "{before_close:?}");
    assert_shutdown_close(reason);

    let mut child = child;
    let exit = loop {
        if let Some(exit) = child.0.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(GRACE_SECS + 2),
            "still running {:?} after SIGTERM",
            started.elapsed()
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    };
    let took = started.elapsed();
    // The child has exited, so its stderr is at its end and the reader finishes.
    let log = reader.join().unwrap();
    assert!(exit.success(), "exit {exit:?}; log:\n{}", log.join("\n"));
    assert!(took < Duration::from_secs(GRACE_SECS), "took {took:?}");
    assert!(
        log.iter().any(|l| l.contains("server stopped")),
        "log:\n{}",
        log.join("\n")
    );
}

#[test]
fn a_zero_grace_period_is_refused() {
    let mut args = test_args();
    args.shutdown_grace_secs = 0;
    let error = args.into_config().unwrap_err().to_string();
    assert!(error.contains("--shutdown-grace-secs"), "{error}");
}
