//! Faults during a soak (`sqlenv load --faults N`): beside the well-behaved sessions, N workers
//! keep misbehaving until the run ends. Each round a worker opens a connection and does one of:
//! drop it in the middle of a step (the step is sent, the reply never read), send garbage frames
//! (broken JSON, binary, unknown types, a large junk text) and leave without a close, or reset
//! an episode and abandon the session. What the faults meet is counted apart from the
//! well-behaved sessions' figures, which must stay free of errors. At the end the server's
//! session count is read from its `/metrics`, which must be back to 0.

use std::cell::RefCell;
use std::time::Duration;

use actix_codec::Framed;
use awc::ws;
use awc::BoxedSocket;
use futures_util::{future, SinkExt, StreamExt};
use serde::Serialize;

/// How long a fault waits for a reply it reads before giving up on it.
const FAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the server to notice the last dropped connections: its session count is
/// read every [`SETTLE_POLL`] until it is 0 or this has passed.
pub const SETTLE: Duration = Duration::from_secs(15);
const SETTLE_POLL: Duration = Duration::from_millis(250);

/// One kind of misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    DropMidStep,
    Garbage,
    Abandon,
}

const ROUND: [Fault; 3] = [Fault::DropMidStep, Fault::Garbage, Fault::Abandon];

/// What the faults did and met.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FaultReport {
    pub workers: usize,
    pub dropped_mid_step: u64,
    pub garbage_connections: u64,
    pub garbage_frames: u64,
    /// Garbage frames the server answered with an error frame, as it should.
    pub garbage_errors_answered: u64,
    pub abandoned_sessions: u64,
    /// Faults that could not even connect or send (refused, reset): expected under load.
    pub fault_transport_errors: u64,
    /// The server's `sqlenv_sessions_active` after the run: the first 0 read, or the last
    /// value read when it was not 0 within [`SETTLE`]; `None` when `/metrics` could not be read.
    pub server_sessions_after: Option<f64>,
    /// Seconds from the end of the run until that value was read.
    pub settle_secs: f64,
}

type Socket = Framed<BoxedSocket, ws::Codec>;

async fn open(url: &str) -> Option<Socket> {
    let connect = awc::Client::default().ws(url).connect();
    match actix_web::rt::time::timeout(FAULT_REPLY_TIMEOUT, connect).await {
        Ok(Ok((_, framed))) => Some(framed),
        _ => None,
    }
}

/// The next text frame, answering pings on the way; `None` when the connection ends or stalls.
async fn next_text(socket: &mut Socket) -> Option<serde_json::Value> {
    loop {
        let frame = actix_web::rt::time::timeout(FAULT_REPLY_TIMEOUT, socket.next())
            .await
            .ok()??
            .ok()?;
        match frame {
            ws::Frame::Text(bytes) => return serde_json::from_slice(&bytes).ok(),
            ws::Frame::Ping(p) => socket.send(ws::Message::Pong(p)).await.ok()?,
            ws::Frame::Close(_) => return None,
            _ => {}
        }
    }
}

async fn send_text(socket: &mut Socket, text: &str) -> Option<()> {
    socket
        .send(ws::Message::Text(text.to_owned().into()))
        .await
        .ok()
}

const RESET: &str = r#"{"type": "reset", "data": {}}"#;
/// A step that makes the server do real work: the step is running when the connection drops.
const SLOW_STEP: &str = r#"{"type": "step", "data": {"action_type": "QUERY", "argument": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 200000) SELECT count(*) FROM r"}}"#;

/// Frames no client should send, each answered with an error frame.
fn garbage() -> Vec<ws::Message> {
    vec![
        ws::Message::Text("{".into()),
        ws::Message::Text(r#"{"type": "step", "data": []}"#.into()),
        ws::Message::Text(r#"{"type": "launch_missiles"}"#.into()),
        ws::Message::Binary(vec![0xde, 0xad, 0xbe, 0xef].into()),
        ws::Message::Text("x".repeat(64 * 1024).into()),
        ws::Message::Text(format!("{}{}", "[".repeat(5_000), "]".repeat(5_000)).into()),
    ]
}

/// Plays one fault on a fresh connection to `url`; false when it could not be played.
async fn play(fault: Fault, url: &str, report: &RefCell<FaultReport>) -> bool {
    let Some(mut socket) = open(url).await else {
        return false;
    };
    match fault {
        Fault::DropMidStep => {
            if send_text(&mut socket, RESET).await.is_none()
                || next_text(&mut socket).await.is_none()
            {
                return false;
            }
            if send_text(&mut socket, SLOW_STEP).await.is_none() {
                return false;
            }
            drop(socket);
            report.borrow_mut().dropped_mid_step += 1;
        }
        Fault::Garbage => {
            let frames = garbage();
            let sent = frames.len() as u64;
            for frame in frames {
                if socket.send(frame).await.is_err() {
                    return false;
                }
            }
            let mut answered = 0;
            for _ in 0..sent {
                match next_text(&mut socket).await {
                    Some(reply) if reply["type"] == "error" => answered += 1,
                    Some(_) => {}
                    None => break,
                }
            }
            drop(socket);
            let mut r = report.borrow_mut();
            r.garbage_connections += 1;
            r.garbage_frames += sent;
            r.garbage_errors_answered += answered;
        }
        Fault::Abandon => {
            if send_text(&mut socket, RESET).await.is_none()
                || next_text(&mut socket).await.is_none()
            {
                return false;
            }
            drop(socket);
            report.borrow_mut().abandoned_sessions += 1;
        }
    }
    true
}

/// Runs `workers` fault workers over `urls` for ever (the caller drops the future when the
/// well-behaved sessions are done).
pub async fn inject(urls: &[String], workers: usize, report: &RefCell<FaultReport>) {
    report.borrow_mut().workers = workers;
    let worker = |w: usize| async move {
        for round in w.. {
            let url = &urls[round % urls.len()];
            if !play(ROUND[round % ROUND.len()], url, report).await {
                report.borrow_mut().fault_transport_errors += 1;
                // A refused connection comes back at once; do not spin on it.
                actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    future::join_all((0..workers).map(worker)).await;
}

/// Reads the servers' session count until it is 0 or [`SETTLE`] has passed; the last value read
/// and when.
pub async fn settled_sessions(urls: &[String]) -> (Option<f64>, f64) {
    let started = std::time::Instant::now();
    loop {
        let count = sessions_active(urls).await;
        let waited = started.elapsed();
        if count == Some(0.0) || waited >= SETTLE {
            return (count, waited.as_secs_f64());
        }
        actix_web::rt::time::sleep(SETTLE_POLL).await;
    }
}

/// The sum of `sqlenv_sessions_active` over the servers of `urls` (each `/metrics` beside its
/// `/ws`), or `None` if any cannot be read.
pub async fn sessions_active(urls: &[String]) -> Option<f64> {
    let mut total = 0.0;
    for url in urls {
        let base = url
            .replacen("ws://", "http://", 1)
            .replacen("wss://", "https://", 1);
        let metrics = match base.rfind("/ws") {
            Some(i) => format!("{}/metrics", &base[..i]),
            None => format!("{base}/metrics"),
        };
        let mut response = awc::Client::default().get(metrics).send().await.ok()?;
        let body = response.body().await.ok()?;
        let text = String::from_utf8_lossy(&body);
        total += text.lines().find_map(|line| {
            line.strip_prefix("sqlenv_sessions_active ")
                .and_then(|v| v.trim().parse::<f64>().ok())
        })?;
    }
    Some(total)
}
