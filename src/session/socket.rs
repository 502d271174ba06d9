//! The WebSocket session actor: one connection, one episode. This is the only module that knows
//! about `actix-web-actors`; it turns frames into [`ClientMessage`]s and replies into frames, keeps
//! the connection alive with pings, and registers with the supervisor for its whole life.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use actix::{
    Actor, ActorContext, ActorFutureExt, AsyncContext, Handler, Recipient, StreamHandler,
    WrapFuture,
};
use actix_http::ws::Item;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use serde_json::{json, Value};

use super::episode::Episode;
use super::fragments::{Assembled, Kind, Reassembly};
use super::host::{self, EpisodeHost};
use super::messages::{McpCall, McpOp, McpReply};
use super::metered;
use super::telemetry::{self, Telemetry};
use super::watch::{self, Watcher};
use super::Services;
use crate::protocol::mcp::{self, RpcRequest, RpcResponse, ToolCall};
use crate::protocol::messages::{ClientMessage, ErrorBody, ErrorCode, ServerMessage};
use crate::protocol::observation::StepResult;
use crate::supervisor::activity::Activity;
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
    services: Services,
    attached: Option<Recipient<McpCall>>,
) -> Result<HttpResponse, actix_web::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let (payload, watcher) = watch::watch(stream);
    let session = WsSession {
        watcher,
        span: tracing::info_span!("session", id = %id, transport = "ws"),
        id,
        services,
        episode: None,
        activity: Activity::default(),
        cancel: Arc::default(),
        last_heard: Instant::now(),
        registered: false,
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
    /// Every log line of the session carries its id.
    span: tracing::Span,
    services: Services,
    episode: Option<Episode>,
    activity: Activity,
    cancel: Arc<AtomicBool>,
    last_heard: Instant,
    registered: bool,
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

impl Actor for WsSession {
    type Context = Ctx;

    fn started(&mut self, ctx: &mut Ctx) {
        let _entered = self.span.clone().entered();
        let register = Register {
            id: self.id.clone(),
            kind: SessionKind::WebSocket,
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
                        act.registered = true;
                        act.span.in_scope(|| tracing::debug!("session started"));
                    }
                    Ok(Err(full)) => {
                        let mut body = ErrorBody::new(
                            ErrorCode::CapacityReached,
                            format!(
                                "server at capacity ({} of {} sessions); retry later",
                                full.active, full.max
                            ),
                        );
                        body.active_sessions = Some(full.active);
                        body.max_sessions = Some(full.max);
                        act.send(ctx, &ServerMessage::Error(body));
                        ctx.close(Some(ws::CloseReason {
                            code: ws::CloseCode::Again,
                            description: Some("capacity reached".into()),
                        }));
                        ctx.stop();
                    }
                    Err(e) => {
                        act.send(
                            ctx,
                            &ServerMessage::Error(ErrorBody::new(
                                ErrorCode::SessionError,
                                e.to_string(),
                            )),
                        );
                        ctx.stop();
                    }
                }),
        );
        let heartbeat = self.services.heartbeat;
        ctx.run_interval(heartbeat.interval, move |act, ctx| {
            if act.last_heard.elapsed() > heartbeat.timeout {
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
        if self.registered {
            self.services.supervisor.do_send(Unregister {
                id: self.id.clone(),
            });
        }
        self.span.in_scope(|| tracing::debug!("session ended"));
    }
}

impl EpisodeHost for WsSession {
    fn services(&self) -> &Services {
        &self.services
    }

    fn episode_mut(&mut self) -> Option<&mut Episode> {
        self.episode.as_mut()
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
        if let Some(session) = self.attached.clone() {
            return self.on_attached(session, message, request, ctx);
        }
        match message {
            ClientMessage::Reset(params) => {
                let reply = host::reset(&self.services, &params).map(|episode| {
                    let result = episode.reset_result();
                    self.episode = Some(episode);
                    result
                });
                self.reply(ctx, request.as_ref(), &observation_or_error(reply));
            }
            ClientMessage::Step(action) => {
                let span = self.span.clone();
                let step = metered::step(self, action, span).map(move |reply, act, ctx| {
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
            ClientMessage::ValidationOpen(_) | ClientMessage::ValidationRead(_) => {}
        }
    }

    /// A socket attached to an MCP session: its operations go to that session's episode, one
    /// at a time (`wait` holds the next frame back until the session has answered).
    fn on_attached(
        &mut self,
        session: Recipient<McpCall>,
        message: ClientMessage,
        request: Option<Value>,
        ctx: &mut Ctx,
    ) {
        let op = match message {
            ClientMessage::Reset(params) => McpOp::Reset(params),
            ClientMessage::Step(action) => McpOp::Step(action),
            ClientMessage::State => McpOp::State,
            ClientMessage::Close => {
                ctx.close(Some(ws::CloseCode::Normal.into()));
                return ctx.stop();
            }
            ClientMessage::Mcp(rpc) => return self.on_attached_mcp(session, rpc, ctx),
            ClientMessage::ValidationOpen(_) | ClientMessage::ValidationRead(_) => return,
        };
        let reply = session
            .send(McpCall { op })
            .into_actor(self)
            .map(move |reply, act, ctx| {
                let message = match reply {
                    Ok(Ok(McpReply::Step(step))) => ServerMessage::Observation(Box::new(step)),
                    Ok(Ok(McpReply::State(state))) => ServerMessage::State(state),
                    Ok(Ok(McpReply::Question(_))) => ServerMessage::Error(ErrorBody::new(
                        ErrorCode::ExecutionError,
                        "unexpected reply from the MCP session",
                    )),
                    Ok(Err(body)) => ServerMessage::Error(body),
                    Err(e) => ServerMessage::Error(ErrorBody::new(
                        ErrorCode::SessionError,
                        format!("the MCP session has ended: {e}"),
                    )),
                };
                act.reply(ctx, request.as_ref(), &message);
            });
        ctx.wait(reply);
    }

    /// `mcp` frames on an attached socket: its tools act on the MCP session's episode too.
    fn on_attached_mcp(&mut self, session: Recipient<McpCall>, request: Value, ctx: &mut Ctx) {
        let request = match RpcRequest::parse(request) {
            Ok(r) => r,
            Err(response) => return self.send(ctx, &ServerMessage::Mcp(response.to_value())),
        };
        let id = request.id.clone();
        let op = match request.method.as_str() {
            "tools/list" => {
                let list = RpcResponse::success(id, mcp::tool_list());
                return self.send(ctx, &ServerMessage::Mcp(list.to_value()));
            }
            "tools/call" => match mcp::parse_tool_call(&request.params) {
                Ok(ToolCall::Action(action)) => McpOp::Step(action),
                Ok(ToolCall::Question) => McpOp::Question,
                Ok(ToolCall::NewEpisode(params)) => McpOp::Reset(params),
                Err(message) => {
                    let e = RpcResponse::error(id, mcp::INVALID_PARAMS, message);
                    return self.send(ctx, &ServerMessage::Mcp(e.to_value()));
                }
            },
            other => {
                let e = RpcResponse::error(
                    id,
                    mcp::METHOD_NOT_FOUND,
                    format!("Method not found: {other}"),
                );
                return self.send(ctx, &ServerMessage::Mcp(e.to_value()));
            }
        };
        let reply = session
            .send(McpCall { op })
            .into_actor(self)
            .map(move |reply, act, ctx| {
                let response = match reply {
                    Ok(Ok(McpReply::Step(step))) => {
                        RpcResponse::success(id, mcp::tool_result(&step))
                    }
                    Ok(Ok(McpReply::Question(q))) => {
                        RpcResponse::success(id, mcp::question_result(&q))
                    }
                    Ok(Ok(McpReply::State(_))) => {
                        RpcResponse::error(id, mcp::INTERNAL_ERROR, "unexpected state reply")
                    }
                    Ok(Err(body)) => RpcResponse::error(id, mcp::INVALID_REQUEST, body.message),
                    Err(e) => RpcResponse::error(
                        id,
                        mcp::INTERNAL_ERROR,
                        format!("session unavailable: {e}"),
                    ),
                };
                act.send(ctx, &ServerMessage::Mcp(response.to_value()));
            });
        ctx.wait(reply);
    }

    fn open_telemetry(&mut self, data: &Option<Value>, ctx: &mut Ctx) {
        let opened = match (&self.services.validation_token, &self.attached) {
            (Some(token), None) if self.telemetry.is_none() => {
                Telemetry::open(token, data, self.operations_seen)
            }
            (Some(_), _) => Err(ErrorBody::new(
                ErrorCode::ValidationError,
                "session telemetry is not available on this socket",
            )),
            (None, _) => Err(telemetry::disabled("validation_open")),
        };
        match opened {
            Ok(t) => {
                ctx.text(t.opened_frame());
                self.telemetry = Some(t);
            }
            Err(body) => self.send(ctx, &ServerMessage::Error(body)),
        }
    }

    fn read_telemetry(&mut self, data: &Option<Value>, ctx: &mut Ctx) {
        let read = match (&self.services.validation_token, &self.telemetry) {
            (Some(_), Some(t)) => t.read(data),
            (Some(_), None) => Err(ErrorBody::new(
                ErrorCode::ValidationError,
                "session telemetry authorization refused",
            )),
            (None, _) => Err(telemetry::disabled("validation_read")),
        };
        match read {
            Ok(frame) => ctx.text(frame),
            Err(body) => self.send(ctx, &ServerMessage::Error(body)),
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

    /// MCP over the socket: the tools act on this session's own episode.
    fn on_mcp(&mut self, request: Value, ctx: &mut Ctx) {
        let request = match RpcRequest::parse(request) {
            Ok(r) => r,
            Err(response) => return self.send(ctx, &ServerMessage::Mcp(response.to_value())),
        };
        let id = request.id.clone();
        let immediate = match request.method.as_str() {
            "tools/list" => RpcResponse::success(id, mcp::tool_list()),
            "openenv/session/create" => RpcResponse::success(id, json!({ "session_id": self.id })),
            "openenv/session/close" => RpcResponse::error(
                id,
                mcp::INVALID_REQUEST,
                "Cannot close active WebSocket-managed session via MCP method",
            ),
            "tools/call" => match mcp::parse_tool_call(&request.params) {
                Err(message) => RpcResponse::error(id, mcp::INVALID_PARAMS, message),
                Ok(ToolCall::Question) => match &self.episode {
                    Some(episode) => RpcResponse::success(
                        id,
                        mcp::question_result(&host::question_view(&self.services, episode)),
                    ),
                    None => RpcResponse::error(
                        id,
                        mcp::INVALID_REQUEST,
                        "no episode yet: send reset first",
                    ),
                },
                Ok(ToolCall::NewEpisode(params)) => match host::reset(&self.services, &params) {
                    Ok(episode) => {
                        let view = host::question_view(&self.services, &episode);
                        self.episode = Some(episode);
                        RpcResponse::success(id, mcp::question_result(&view))
                    }
                    Err(body) => RpcResponse::error(id, mcp::INVALID_PARAMS, body.message),
                },
                Ok(ToolCall::Action(action)) => {
                    let span = self.span.clone();
                    let reply = metered::step(self, action, span).map(move |reply, act, ctx| {
                        let response = match reply {
                            Ok(step) => RpcResponse::success(id, mcp::tool_result(&step)),
                            Err(body) => RpcResponse::error(id, mcp::INVALID_REQUEST, body.message),
                        };
                        act.send(ctx, &ServerMessage::Mcp(response.to_value()));
                    });
                    ctx.wait(self.watcher.guard(Box::pin(reply), self.cancel.clone()));
                    return;
                }
            },
            other => RpcResponse::error(
                id,
                mcp::METHOD_NOT_FOUND,
                format!("Method not found: {other}"),
            ),
        };
        self.send(ctx, &ServerMessage::Mcp(immediate.to_value()));
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
        let _entered = self.span.clone().entered();
        self.last_heard = Instant::now();
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
