//! The WebSocket session actor: one connection, one episode. This is the only module that knows
//! about `actix-web-actors`; it turns frames into [`ClientMessage`]s and replies into frames, keeps
//! the connection alive with pings, and registers with the supervisor for its whole life.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use actix::{
    Actor, ActorContext, ActorFutureExt, AsyncContext, Handler, StreamHandler, WrapFuture,
};
use actix_http::ws::Item;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use serde_json::{json, Value};

use super::episode::Episode;
use super::fragments::{Assembled, Kind, Reassembly};
use super::host::{self, EpisodeHost};
use super::metered;
use super::watch::{self, Watcher};
use super::Services;
use crate::protocol::mcp::{self, RpcRequest, RpcResponse};
use crate::protocol::messages::{ClientMessage, ErrorBody, ErrorCode, ServerMessage};
use crate::protocol::observation::StepResult;
use crate::supervisor::activity::Activity;
use crate::supervisor::messages::{ForceClose, Register, SessionKind, Unregister};

/// Largest frame a client may send. A 64 KiB SQL text fits many times over, and a larger QUERY
/// still reaches the session and gets a clear "too long" observation; past this the frame is
/// refused and the connection closed, so no client can make the server buffer much.
pub const MAX_FRAME_BYTES: usize = 2 * 1024 * 1024;

/// Upgrades an HTTP request on `/ws` to a session.
pub fn start(
    req: &HttpRequest,
    stream: web::Payload,
    services: Services,
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

    fn on_text(&mut self, text: &str, ctx: &mut Ctx) {
        match ClientMessage::parse(text) {
            Err(body) => self.send(ctx, &ServerMessage::Error(body)),
            Ok(ClientMessage::Reset(params)) => {
                let _entered = self.span.enter();
                let reply =
                    host::reset_over(&self.services, &self.id, self.episode.as_mut(), &params).map(
                        |(episode, result)| {
                            self.episode = Some(episode);
                            result
                        },
                    );
                self.send(ctx, &observation_or_error(reply));
            }
            Ok(ClientMessage::Step(action)) => {
                let span = self.span.clone();
                let step = metered::step(self, action, span)
                    .map(|reply, act, ctx| act.send(ctx, &observation_or_error(reply)));
                ctx.wait(self.watcher.guard(Box::pin(step), self.cancel.clone()));
            }
            Ok(ClientMessage::State) => {
                let state = self
                    .episode
                    .as_ref()
                    .map(Episode::state)
                    .unwrap_or_default();
                self.send(ctx, &ServerMessage::State(Box::new(state)));
            }
            Ok(ClientMessage::Close) => {
                ctx.close(Some(ws::CloseCode::Normal.into()));
                ctx.stop();
            }
            Ok(ClientMessage::Mcp(request)) => self.on_mcp(request, ctx),
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
            "tools/call" => match mcp::tool_call_action(&request.params) {
                Err(message) => RpcResponse::error(id, mcp::INVALID_PARAMS, message),
                Ok(action) => {
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
