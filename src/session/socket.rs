//! The WebSocket session actor: one connection, one episode. This is the only module that knows
//! about `actix-web-actors`; it turns frames into [`ClientMessage`]s and replies into frames, keeps
//! the connection alive with pings, and registers with the supervisor for its whole life.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix::{
    Actor, ActorContext, ActorFutureExt, AsyncContext, Handler, Recipient, StreamHandler,
    WrapFuture,
};
use actix_http::ws::Item;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use serde_json::Value;

use super::episode::Episode;
use super::fragments::{Assembled, Kind, Reassembly};
use super::host::{self, EpisodeHost};
use super::liveness::{Liveness, Verdict};
use super::messages::McpCall;
use super::telemetry::Telemetry;
use super::watch::{self, Watcher};
use super::Services;
use crate::protocol::messages::{ClientMessage, ErrorBody, ErrorCode, ServerMessage};
use crate::protocol::observation::StepResult;
use crate::supervisor::activity::Activity;
use crate::supervisor::fair_share::ClientShare;
use crate::supervisor::messages::{ForceClose, Register, SessionKind, Unregister};

/// Largest frame a client may send. A 64 KiB SQL text fits many times over, and a larger QUERY
/// still reaches the session and gets a clear "too long" observation; past this the frame is
/// refused and the connection closed, so no client can make the server buffer much.
pub const MAX_FRAME_BYTES: usize = 2 * 1024 * 1024;

/// Upgrades an HTTP request on `/ws` to a session. With `attached`, the socket plays the episode
/// of that MCP session (`/ws?session_id=`, as OpenEnv's `MCPToolClient` connects) instead of one
/// of its own; closing the socket leaves the MCP session open.
pub fn start(
    req: &HttpRequest,
    stream: web::Payload,
    services: Arc<Services>,
    attached: Option<Recipient<McpCall>>,
) -> Result<HttpResponse, actix_web::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let (payload, watcher) = watch::watch(stream);
    let session = WsSession {
        watcher,
        span: Rc::new(tracing::info_span!("session", id = %id, transport = "ws")),
        id,
        client: ClientShare::of(req),
        services,
        episode: None,
        activity: Activity::default(),
        cancel: Arc::default(),
        liveness: Liveness::new(),
        fragments: Reassembly::new(MAX_FRAME_BYTES),
        attached,
        telemetry: None,
        operations_seen: false,
    };
    ws::WsResponseBuilder::new(session, req, payload)
        .frame_size(MAX_FRAME_BYTES)
        .start()
}

pub struct WsSession {
    id: String,
    /// Whose session share and message rate this connection counts against.
    client: ClientShare,
    /// Every log line of the session carries its id. Shared by a count, not the subscriber's:
    /// each frame enters it, and a step holds it.
    span: Rc<tracing::Span>,
    services: Arc<Services>,
    episode: Option<Episode>,
    activity: Activity,
    cancel: Arc<AtomicBool>,
    liveness: Liveness,
    fragments: Reassembly,
    /// Reads the socket while a step holds the session, to cancel it if the client leaves.
    watcher: Watcher,
    /// The MCP session whose episode this socket plays, if attached to one.
    attached: Option<Recipient<McpCall>>,
    /// Opened by the validator's `validation_open` (see [`telemetry`](super::telemetry)).
    telemetry: Option<Telemetry>,
    /// Whether any frame besides telemetry has come; telemetry opens only before that.
    operations_seen: bool,
}

type Ctx = ws::WebsocketContext<WsSession>;

mod attached;
mod mcp_frames;
mod tool_steps;
mod validation;

impl Actor for WsSession {
    type Context = Ctx;

    fn started(&mut self, ctx: &mut Ctx) {
        let span = self.span.clone();
        let _entered = span.enter();
        let register = Register {
            id: self.id.clone(),
            kind: SessionKind::WebSocket,
            client: self.client.id.clone(),
            closer: ctx.address().recipient(),
            activity: self.activity.clone(),
            mcp: None,
        };
        // `wait` holds every frame back until the supervisor has said yes or no.
        ctx.wait(
            self.services
                .supervisor
                .send(register)
                .into_actor(self)
                .map(|answer, act, ctx| match answer {
                    Ok(Ok(())) => {
                        act.span.in_scope(|| tracing::debug!("session started"));
                    }
                    Ok(Err(refused)) => {
                        act.send(ctx, &ServerMessage::Error(refused.error_body()));
                        ctx.close(Some(ws::CloseReason {
                            code: ws::CloseCode::Again,
                            description: Some("capacity reached".into()),
                        }));
                        ctx.stop();
                    }
                    Err(e) => {
                        act.send(
                            ctx,
                            // The supervisor's mailbox is closed: the server's failure.
                            &ServerMessage::Error(ErrorBody::internal(e.to_string())),
                        );
                        ctx.stop();
                    }
                }),
        );
        let heartbeat = self.services.heartbeat;
        ctx.run_interval(heartbeat.interval, move |act, ctx| {
            if act.liveness.verdict(heartbeat.timeout) == Verdict::Close {
                act.span
                    .in_scope(|| tracing::info!("peer stopped answering pings; closing"));
                ctx.stop();
            } else {
                ctx.ping(b"");
            }
        });
    }

    fn stopped(&mut self, _: &mut Ctx) {
        self.cancel.store(true, Ordering::Relaxed);
        // Always, even when the supervisor's answer to `Register` never came: a client that
        // resets the connection while that answer is on its way drops this actor before the
        // `wait` in `started` has run, yet the supervisor has (or will have) registered it, and
        // without this `Unregister` the session would stay counted for ever. `Register` was
        // queued first on the same mailbox, so this arrives after it; for a refused or never
        // delivered `Register` the id is unknown and the supervisor ignores it.
        self.services.supervisor.do_send(Unregister {
            id: self.id.clone(),
        });
        self.span.in_scope(|| tracing::debug!("session ended"));
    }
}

impl EpisodeHost for WsSession {
    fn services(&self) -> &Arc<Services> {
        &self.services
    }

    fn episode_slot(&mut self) -> &mut Option<Episode> {
        &mut self.episode
    }

    fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }
}

impl WsSession {
    fn send(&self, ctx: &mut Ctx, message: &ServerMessage) {
        if let ServerMessage::Error(body) = message {
            self.services.metrics.error(body.code);
            self.span
                .in_scope(|| tracing::debug!(code = ?body.code, "error frame"));
        }
        ctx.text(message.to_json());
    }

    /// Sends a reply to an operation, recording the exchange when telemetry is open.
    fn reply(&mut self, ctx: &mut Ctx, request: Option<&Value>, message: &ServerMessage) {
        if let (Some(t), Some(request)) = (self.telemetry.as_mut(), request) {
            t.record(request, message);
        }
        self.send(ctx, message);
    }

    fn on_text(&mut self, text: &str, ctx: &mut Ctx) {
        if let Err(limited) = self.client.take_message() {
            return self.send(ctx, &ServerMessage::Error(limited.error_body()));
        }
        let message = match ClientMessage::parse(text) {
            Err(body) => {
                self.operations_seen = true;
                return self.send(ctx, &ServerMessage::Error(body));
            }
            Ok(ClientMessage::ValidationOpen(data)) => return self.open_telemetry(&data, ctx),
            Ok(ClientMessage::ValidationRead(data)) => return self.read_telemetry(&data, ctx),
            Ok(message) => message,
        };
        self.operations_seen = true;
        // Parsed again only for the record, and only while telemetry is open.
        let request: Option<Value> = self
            .telemetry
            .as_ref()
            .and_then(|_| serde_json::from_str(text).ok());
        if let ClientMessage::ToolStep(tool) = message {
            return self.on_tool_step(tool, request, ctx);
        }
        if let Some(session) = self.attached.clone() {
            return self.on_attached(session, message, request, ctx);
        }
        match message {
            ClientMessage::Reset(params) => {
                let span = self.span.clone();
                let _entered = span.enter();
                let reply =
                    host::reset_over(&self.services, &self.id, self.episode.as_mut(), &params).map(
                        |(episode, result)| {
                            self.episode = Some(episode);
                            result
                        },
                    );
                self.reply(ctx, request.as_ref(), &observation_or_error(reply));
            }
            ClientMessage::Step(action) => {
                let span = self.span.clone();
                let step = host::hosted_step(self, action, span).map(move |reply, act, ctx| {
                    act.reply(ctx, request.as_ref(), &observation_or_error(reply))
                });
                ctx.wait(self.watcher.guard(Box::pin(step), self.cancel.clone()));
            }
            ClientMessage::State => {
                let state = self
                    .episode
                    .as_ref()
                    .map(Episode::state)
                    .unwrap_or_default();
                self.reply(
                    ctx,
                    request.as_ref(),
                    &ServerMessage::State(Box::new(state)),
                );
            }
            ClientMessage::Close => {
                ctx.close(Some(ws::CloseCode::Normal.into()));
                ctx.stop();
            }
            ClientMessage::Mcp(request) => self.on_mcp(request, ctx),
            // Handled above (tool steps) and in `on_text`'s first match (telemetry).
            ClientMessage::ToolStep(_)
            | ClientMessage::ValidationOpen(_)
            | ClientMessage::ValidationRead(_) => {}
        }
    }

    fn refuse_binary(&self, ctx: &mut Ctx) {
        let body = ErrorBody::new(
            ErrorCode::InvalidJson,
            "Invalid JSON: binary frames are not accepted; send JSON text frames",
        );
        self.send(ctx, &ServerMessage::Error(body));
    }

    /// A fragmented message is handled like one frame once complete; a broken one ends the
    /// connection with an error frame first, as a broken single frame does.
    fn on_assembled(&mut self, assembled: Assembled, ctx: &mut Ctx) {
        let (message, code) = match assembled {
            Assembled::Pending => return,
            Assembled::Text(text) => return self.on_text(&text, ctx),
            Assembled::Binary(_) => return self.refuse_binary(ctx),
            Assembled::TooLarge => (
                format!("message larger than {MAX_FRAME_BYTES} bytes"),
                ws::CloseCode::Size,
            ),
            Assembled::InvalidUtf8 => (
                "text message is not valid UTF-8".to_owned(),
                ws::CloseCode::Invalid,
            ),
            Assembled::OutOfOrder => (
                "continuation frame out of order".to_owned(),
                ws::CloseCode::Protocol,
            ),
        };
        let body = ErrorBody::new(
            ErrorCode::InvalidJson,
            format!("WebSocket protocol error: {message}"),
        );
        self.send(ctx, &ServerMessage::Error(body));
        ctx.close(Some(ws::CloseReason {
            code,
            description: Some(message),
        }));
        ctx.stop();
    }
}

fn observation_or_error(reply: Result<StepResult, ErrorBody>) -> ServerMessage {
    match reply {
        Ok(result) => ServerMessage::Observation(Box::new(result)),
        Err(body) => ServerMessage::Error(body),
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for WsSession {
    fn handle(&mut self, frame: Result<ws::Message, ws::ProtocolError>, ctx: &mut Ctx) {
        let span = self.span.clone();
        let _entered = span.enter();
        self.liveness.heard();
        match frame {
            Ok(ws::Message::Text(text)) => {
                self.activity.touch();
                self.on_text(&text, ctx);
            }
            Ok(ws::Message::Binary(_)) => {
                self.activity.touch();
                self.refuse_binary(ctx);
            }
            Ok(ws::Message::Continuation(item)) => {
                self.activity.touch();
                let assembled = match item {
                    Item::FirstText(b) => self.fragments.first(Kind::Text, &b),
                    Item::FirstBinary(b) => self.fragments.first(Kind::Binary, &b),
                    Item::Continue(b) => self.fragments.append(&b, false),
                    Item::Last(b) => self.fragments.append(&b, true),
                };
                self.on_assembled(assembled, ctx);
            }
            Ok(ws::Message::Ping(payload)) => ctx.pong(&payload),
            Ok(ws::Message::Pong(_)) | Ok(ws::Message::Nop) => {}
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Err(e) => {
                let body = ErrorBody::new(
                    ErrorCode::InvalidJson,
                    format!("WebSocket protocol error: {e}"),
                );
                self.send(ctx, &ServerMessage::Error(body));
                let code = match e {
                    ws::ProtocolError::Overflow => ws::CloseCode::Size,
                    _ => ws::CloseCode::Protocol,
                };
                ctx.close(Some(ws::CloseReason {
                    code,
                    description: Some(e.to_string()),
                }));
                ctx.stop();
            }
        }
    }
}

impl Handler<ForceClose> for WsSession {
    type Result = ();

    fn handle(&mut self, msg: ForceClose, ctx: &mut Ctx) {
        let reason = msg.reason.describe();
        self.span
            .in_scope(|| tracing::info!(%reason, "closing session"));
        ctx.close(Some(ws::CloseReason {
            code: ws::CloseCode::Away,
            description: Some(reason),
        }));
        ctx.stop();
    }
}
