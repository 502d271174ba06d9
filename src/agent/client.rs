//! A lean asynchronous WebSocket client for one SQLEnv session: it sends `reset`, `step`,
//! `state` and `close` frames to `/ws` and returns the typed replies. Used by `sqlenv eval` and
//! meant to be reused by a load generator, so a request costs one serialised frame and one parsed
//! reply, nothing more.
//!
//! The client answers the server's pings itself (awc does not), otherwise the server's heartbeat
//! would close a session whose agent is thinking; and it gives up on a reply after a timeout
//! rather than hanging on a stalled server.

use std::time::Duration;

use actix_codec::Framed;
use awc::error::WsProtocolError;
use awc::ws;
use awc::BoxedSocket;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};

use crate::protocol::action::SqlAction;
use crate::protocol::observation::{EpisodeState, StepResult};

mod in_place;

/// How long a request waits for its reply by default: far above any step the server takes
/// (a query's own time limit is seconds), short enough to notice a stalled server.
pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// Largest frame accepted from the server; observations are capped far below this.
const MAX_FRAME_BYTES: usize = 8 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to {url}: {message}")]
    Connect { url: String, message: String },
    #[error("cannot send to the server: {0}")]
    Send(WsProtocolError),
    #[error("WebSocket protocol error: {0}")]
    Receive(WsProtocolError),
    #[error("no reply from the server within {0:?}")]
    Timeout(Duration),
    #[error("the server closed the connection{}", .0.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Closed(Option<String>),
    #[error("unexpected {0} frame from the server")]
    UnexpectedFrame(&'static str),
    #[error("malformed reply: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("the server answered a {expected} request with a {got} reply")]
    WrongReply {
        expected: &'static str,
        got: &'static str,
    },
    #[error("server error {code}: {message}")]
    Server { code: String, message: String },
}

/// The `data` of an error frame.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ServerError {
    pub message: String,
    pub code: String,
}

/// A server frame, as the client reads it; `O` is what an observation frame's `data` is read as.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "lowercase")]
enum Reply<O = Box<StepResult>> {
    Observation(O),
    State(Box<EpisodeState>),
    Mcp(serde::de::IgnoredAny),
    Error(ServerError),
}

/// The envelope of an observation frame from any OpenEnv environment, its observation skipped:
/// enough to drive an environment whose observation type this crate does not know (the
/// reference echo environment, for the load generator's baseline).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AnyStep {
    pub reward: Option<f64>,
    pub done: bool,
}

impl<O> Reply<O> {
    fn kind(&self) -> &'static str {
        match self {
            Reply::Observation(_) => "observation",
            Reply::State(_) => "state",
            Reply::Mcp(_) => "mcp",
            Reply::Error(_) => "error",
        }
    }
}

/// A client frame; `data` borrows the caller's value so nothing is copied before serialising.
#[derive(Serialize)]
struct Request<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a T>,
}

/// One WebSocket session with the server.
pub struct EpisodeClient {
    framed: Framed<BoxedSocket, ws::Codec>,
    reply_timeout: Duration,
}

impl EpisodeClient {
    /// Opens a session at `url` (`ws://host:port/ws`).
    pub async fn connect(url: &str) -> Result<Self, ClientError> {
        let (_, framed) = awc::Client::default()
            .ws(url)
            .max_frame_size(MAX_FRAME_BYTES)
            .connect()
            .await
            .map_err(|e| ClientError::Connect {
                url: url.to_owned(),
                message: e.to_string(),
            })?;
        Ok(EpisodeClient {
            framed,
            reply_timeout: DEFAULT_REPLY_TIMEOUT,
        })
    }

    /// Sets how long a request waits for its reply.
    pub fn with_reply_timeout(mut self, timeout: Duration) -> Self {
        self.reply_timeout = timeout;
        self
    }

    /// Starts an episode; `params` are the reset keyword arguments (`seed`, `question_id`, ...).
    pub async fn reset<P: Serialize>(&mut self, params: &P) -> Result<StepResult, ClientError> {
        self.send("reset", Some(params)).await?;
        match self.receive::<Box<StepResult>>().await? {
            Reply::Observation(result) => Ok(*result),
            other => Err(unexpected("observation", other)),
        }
    }

    /// Takes one step of the current episode.
    pub async fn step(&mut self, action: &SqlAction) -> Result<StepResult, ClientError> {
        self.send("step", Some(action)).await?;
        match self.receive::<Box<StepResult>>().await? {
            Reply::Observation(result) => Ok(*result),
            other => Err(unexpected("observation", other)),
        }
    }

    /// [`EpisodeClient::step`], reading the observation into `result` (the last one): its
    /// strings and lists are refilled where they are, not allocated again.
    pub async fn step_into(
        &mut self,
        action: &SqlAction,
        result: &mut StepResult,
    ) -> Result<(), ClientError> {
        self.send("step", Some(action)).await?;
        let timeout = self.reply_timeout;
        actix_web::rt::time::timeout(
            timeout,
            self.next_frame(|text| in_place::read(text, result)),
        )
        .await
        .map_err(|_| ClientError::Timeout(timeout))?
    }

    /// Resets an environment of any type; only the reward and `done` are read.
    pub async fn reset_any<P: Serialize>(&mut self, params: &P) -> Result<AnyStep, ClientError> {
        self.send("reset", Some(params)).await?;
        match self.receive::<AnyStep>().await? {
            Reply::Observation(result) => Ok(result),
            other => Err(unexpected("observation", other)),
        }
    }

    /// Takes a step in an environment of any type, `action` being its action object.
    pub async fn step_any<A: Serialize>(&mut self, action: &A) -> Result<AnyStep, ClientError> {
        self.send("step", Some(action)).await?;
        match self.receive::<AnyStep>().await? {
            Reply::Observation(result) => Ok(result),
            other => Err(unexpected("observation", other)),
        }
    }

    /// The current episode's state.
    pub async fn state(&mut self) -> Result<EpisodeState, ClientError> {
        self.send::<()>("state", None).await?;
        match self.receive::<Box<StepResult>>().await? {
            Reply::State(state) => Ok(*state),
            other => Err(unexpected("state", other)),
        }
    }

    /// Ends the session: a `close` message, then the WebSocket close handshake.
    pub async fn close(mut self) -> Result<(), ClientError> {
        self.send::<()>("close", None).await?;
        self.framed
            .send(ws::Message::Close(None))
            .await
            .map_err(ClientError::Send)?;
        // Wait (briefly) for the server's close frame or end of stream; anything else is moot now.
        let drain = async {
            while let Some(Ok(frame)) = self.framed.next().await {
                if matches!(frame, ws::Frame::Close(_)) {
                    break;
                }
            }
        };
        let _ = actix_web::rt::time::timeout(self.reply_timeout, drain).await;
        Ok(())
    }

    async fn send<T: Serialize>(
        &mut self,
        kind: &'static str,
        data: Option<&T>,
    ) -> Result<(), ClientError> {
        let text = serde_json::to_string(&Request { kind, data })?;
        self.framed
            .send(ws::Message::Text(text.into()))
            .await
            .map_err(ClientError::Send)
    }

    /// The next reply, answering pings while waiting; an error frame becomes `Server`.
    async fn receive<O: serde::de::DeserializeOwned>(&mut self) -> Result<Reply<O>, ClientError> {
        let timeout = self.reply_timeout;
        let reply = actix_web::rt::time::timeout(
            timeout,
            self.next_frame(|text| Ok(serde_json::from_str(text)?)),
        )
        .await
        .map_err(|_| ClientError::Timeout(timeout))??;
        match reply {
            Reply::Error(e) => Err(e.into()),
            other => Ok(other),
        }
    }

    /// Reads the next text frame with `read`, answering pings while waiting.
    async fn next_frame<T>(
        &mut self,
        mut read: impl FnMut(&str) -> Result<T, ClientError>,
    ) -> Result<T, ClientError> {
        loop {
            let frame = match self.framed.next().await {
                None => return Err(ClientError::Closed(None)),
                Some(frame) => frame.map_err(ClientError::Receive)?,
            };
            match frame {
                // Checked as UTF-8 once, whole: reading from bytes checks every string again.
                ws::Frame::Text(bytes) => match std::str::from_utf8(&bytes) {
                    Ok(text) => return read(text),
                    Err(_) => return Err(ClientError::UnexpectedFrame("non-UTF-8 text")),
                },
                ws::Frame::Ping(payload) => {
                    self.framed
                        .send(ws::Message::Pong(payload))
                        .await
                        .map_err(ClientError::Send)?;
                }
                ws::Frame::Pong(_) => {}
                ws::Frame::Close(reason) => {
                    return Err(ClientError::Closed(reason.and_then(|r| r.description)))
                }
                ws::Frame::Binary(_) => return Err(ClientError::UnexpectedFrame("binary")),
                // The server sends every reply as one frame.
                ws::Frame::Continuation(_) => {
                    return Err(ClientError::UnexpectedFrame("continuation"))
                }
            }
        }
    }
}

impl From<ServerError> for ClientError {
    fn from(e: ServerError) -> Self {
        ClientError::Server {
            code: e.code,
            message: e.message,
        }
    }
}

fn unexpected<O>(expected: &'static str, got: Reply<O>) -> ClientError {
    ClientError::WrongReply {
        expected,
        got: got.kind(),
    }
}
