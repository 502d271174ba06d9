//! Starting the real server on an ephemeral port and talking to it over HTTP and WebSocket.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use awc::ws;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use sqlenv::catalog::Catalog;
use sqlenv::config::ServeArgs;
use sqlenv::load::LoadArgs;
use sqlenv::startup::Application;
use sqlenv::supervisor::messages::{GetStats, SessionStats};

/// The flags of `sqlenv load`, parsed as the command line parses them.
#[derive(clap::Parser)]
struct LoadFlags {
    #[command(flatten)]
    args: LoadArgs,
}

/// `sqlenv load` aimed at `app` with the bundled data and no progress bar, plus `extra` flags.
pub fn load_args(app: &TestApp, extra: &[&str]) -> LoadArgs {
    let url = format!("ws://127.0.0.1:{}/ws", app.port);
    let data_dir = data_dir();
    let mut argv = vec![
        "load",
        "--url",
        &url,
        "--quiet",
        "--data-dir",
        data_dir.to_str().unwrap_or_default(),
    ];
    argv.extend_from_slice(extra);
    parse_load(&argv)
}

/// `sqlenv load`'s flags from a command line (`argv[0]` is the command's name).
pub fn parse_load(argv: &[&str]) -> LoadArgs {
    <LoadFlags as clap::Parser>::parse_from(argv).args
}

/// How long a test waits for any one reply before failing.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// How many question records the bundled question files hold (db_list.json and exclusions.json
/// are not question files).
pub fn question_file_total() -> usize {
    let dir = data_dir().join("questions");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| !p.ends_with("db_list.json") && !p.ends_with("exclusions.json"))
        .map(|p| {
            let records: Vec<serde_json::Value> =
                serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            records.len()
        })
        .sum()
}

/// The bundled catalog, loaded once for the whole test binary.
pub fn catalog() -> Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Arc::new(Catalog::load(&data_dir()).expect("bundled data loads")))
        .clone()
}

/// Server flags for tests: loopback, a free port, the bundled data.
pub fn test_args() -> ServeArgs {
    use clap::Parser;
    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: ServeArgs,
    }
    let mut args = Wrapper::parse_from(["test"]).args;
    args.host = "127.0.0.1".into();
    args.port = 0;
    args.data_dir = data_dir();
    args.http_workers = Some(2);
    // Every test start proves its data; nothing is written outside the test's own files.
    args.no_proof_cache = true;
    args
}

pub struct TestApp {
    pub port: u16,
    pub app_handle: actix_web::dev::ServerHandle,
    pub services: sqlenv::session::Services,
}

impl TestApp {
    pub fn http(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let mut resp = awc::Client::default()
            .get(self.http(path))
            .send()
            .await
            .expect("GET");
        let status = resp.status().as_u16();
        let body = resp
            .json::<Value>()
            .limit(4 << 20)
            .await
            .expect("JSON body");
        (status, body)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let mut resp = awc::Client::default()
            .post(self.http(path))
            .send_json(body)
            .await
            .expect("POST");
        let status = resp.status().as_u16();
        let body = resp
            .json::<Value>()
            .limit(4 << 20)
            .await
            .expect("JSON body");
        (status, body)
    }

    /// `GET /metrics`: the content type and the exposition text.
    pub async fn metrics(&self) -> (String, String) {
        let mut resp = awc::Client::default()
            .get(self.http("/metrics"))
            .send()
            .await
            .expect("GET /metrics");
        assert_eq!(resp.status().as_u16(), 200);
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = resp.body().limit(1 << 20).await.expect("metrics body");
        (
            content_type,
            String::from_utf8(body.to_vec()).expect("UTF-8"),
        )
    }

    /// The value of one sample of `/metrics` (`name{labels}` exactly as printed), 0 if absent.
    pub async fn metric(&self, sample: &str) -> f64 {
        let (_, text) = self.metrics().await;
        metric_value(&text, sample)
    }

    /// True when `/health` says healthy.
    pub async fn healthy(&self) -> bool {
        let (status, body) = self.get_json("/health").await;
        status == 200 && body["status"] == "healthy"
    }

    pub async fn stats(&self) -> SessionStats {
        self.services
            .supervisor
            .send(GetStats)
            .await
            .expect("supervisor answers")
    }

    /// Waits until the session count is `n` (sessions deregister asynchronously).
    pub async fn wait_for_sessions(&self, n: usize) -> SessionStats {
        for _ in 0..200 {
            let stats = self.stats().await;
            if stats.active_sessions == n {
                return stats;
            }
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("session count never reached {n}: {:?}", self.stats().await);
    }

    /// Waits until `/metrics` counts `n` steps in flight (begun, not yet answered).
    pub async fn wait_for_steps_in_flight(&self, n: usize) {
        let mut seen = 0.0;
        for _ in 0..200 {
            seen = self.metric("sqlenv_steps_in_flight").await;
            if seen == n as f64 {
                return;
            }
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("steps in flight never reached {n}; last seen {seen}");
    }

    pub async fn connect(&self) -> WsClient {
        let (_, framed) = awc::Client::default()
            .ws(format!("ws://127.0.0.1:{}/ws", self.port))
            .max_frame_size(8 << 20)
            .connect()
            .await
            .expect("WebSocket connects");
        WsClient { framed }
    }

    pub async fn stop(self) {
        self.app_handle.stop(true).await;
    }
}

/// Starts a server with `configure` applied to the test flags.
pub async fn spawn_app_with(configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
    sqlenv::telemetry::init_for_tests();
    let mut args = test_args();
    configure(&mut args);
    let config = args.into_config().expect("valid test config");
    let app = Application::build_with_catalog(config, catalog()).expect("server builds");
    let port = app.port();
    let app_handle = app.handle();
    let services = app.services().clone();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        port,
        app_handle,
        services,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub struct WsClient {
    pub framed: actix_codec::Framed<awc::BoxedSocket, ws::Codec>,
}

impl WsClient {
    pub async fn send_text(&mut self, text: &str) {
        self.framed
            .send(ws::Message::Text(text.to_owned().into()))
            .await
            .expect("send frame");
    }

    pub async fn framed_send_binary(&mut self) {
        self.framed
            .send(ws::Message::Binary(vec![0u8, 159, 146, 150].into()))
            .await
            .expect("send frame");
    }

    pub async fn send(&mut self, message: &Value) {
        self.send_text(&message.to_string()).await;
    }

    /// The next frame, answering pings on the way, as the Python client does.
    pub async fn next_frame(&mut self) -> Option<ws::Frame> {
        loop {
            let frame = actix_web::rt::time::timeout(REPLY_TIMEOUT, self.framed.next())
                .await
                .expect("reply in time")?;
            match frame.ok()? {
                ws::Frame::Ping(p) => {
                    let _ = self.framed.send(ws::Message::Pong(p)).await;
                }
                other => return Some(other),
            }
        }
    }

    /// The next text frame, parsed.
    pub async fn recv(&mut self) -> Value {
        match self.next_frame().await {
            Some(ws::Frame::Text(bytes)) => serde_json::from_slice(&bytes).expect("JSON frame"),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    pub async fn request(&mut self, message: Value) -> Value {
        self.send(&message).await;
        self.recv().await
    }

    pub async fn reset(&mut self, data: Value) -> Value {
        self.request(json!({"type": "reset", "data": data})).await
    }

    pub async fn step(&mut self, action_type: &str, argument: &str) -> Value {
        self.request(
            json!({"type": "step", "data": {"action_type": action_type, "argument": argument}}),
        )
        .await
    }

    /// Sends a close frame and waits for the server's close.
    pub async fn close(mut self) {
        let _ = self.framed.send(ws::Message::Close(None)).await;
        while let Ok(Some(Ok(frame))) =
            actix_web::rt::time::timeout(REPLY_TIMEOUT, self.framed.next()).await
        {
            if matches!(frame, ws::Frame::Close(_)) {
                break;
            }
        }
    }

    /// Waits for the server to close the connection; returns the close reason text.
    pub async fn expect_closed(&mut self) -> String {
        loop {
            match self.next_frame().await {
                Some(ws::Frame::Close(reason)) => {
                    return reason.and_then(|r| r.description).unwrap_or_default()
                }
                None => return String::new(),
                Some(_) => continue,
            }
        }
    }
}

/// The value of the sample `name{labels}` in an exposition text, 0 if absent.
pub fn metric_value(text: &str, sample: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(sample)
                .and_then(|rest| rest.strip_prefix(' '))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0.0)
}

/// A served question of the bundled catalog that satisfies `pred`.
pub fn question_where(
    pred: impl Fn(&sqlenv::catalog::question::Question) -> bool,
) -> Arc<sqlenv::catalog::question::Question> {
    catalog()
        .questions()
        .served()
        .iter()
        .find(|q| pred(q))
        .cloned()
        .expect("a matching question")
}

/// Writes a gold answer the way an agent would: one value per line, cells of a row as `a | b`.
pub fn answer_text(q: &sqlenv::catalog::question::Question) -> String {
    let cell = |c: &sqlenv::database::value::Cell| c.display();
    q.gold_answer
        .iter()
        .map(|row| row.iter().map(cell).collect::<Vec<_>>().join(" | "))
        .collect::<Vec<_>>()
        .join("\n")
}
