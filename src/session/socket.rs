//! The WebSocket session actor: one connection, one episode. This is the only module that knows
//! about `actix-web-actors`; it turns frames into [`ClientMessage`]s and replies into frames, keeps
//! the connection alive with pings, and registers with the supervisor for its whole life.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use actix::{
    Actor, ActorContext, ActorFutureExt, AsyncContext, Handler, StreamHandler, WrapFuture,
};
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use serde_json::{json, Value};

use super::episode::Episode;
use super::host::{self, EpisodeHost};
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
    let session = WsSession {
        id: uuid::Uuid::new_v4().to_string(),
        services,
        episode: None,
        activity: Activity::default(),
        cancel: Arc::default(),
        last_heard: Instant::now(),
        registered: false,
    };
    ws::WsResponseBuilder::new(session, req, stream)
        .frame_size(MAX_FRAME_BYTES)
        .start()
}

pub struct WsSession {
    id: String,
    services: Services,
    episode: Option<Episode>,
    activity: Activity,
    cancel: Arc<AtomicBool>,
    last_heard: Instant,
    registered: bool,
}

type Ctx = ws::WebsocketContext<WsSession>;

impl Actor for WsSession {
    type Context = Ctx;

    fn started(&mut self, ctx: &mut Ctx) {
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
                        tracing::debug!(session = %act.id, "session started");
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
                tracing::info!(session = %act.id, "peer stopped answering pings; closing");
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
        tracing::debug!(session = %self.id, "session ended");
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
        ctx.text(message.to_json());
    }

    fn on_text(&mut self, text: &str, ctx: &mut Ctx) {
        match ClientMessage::parse(text) {
            Err(body) => self.send(ctx, &ServerMessage::Error(body)),
            Ok(ClientMessage::Reset(params)) => {
                let reply = host::reset(&self.services, &params).map(|episode| {
                    let result = episode.reset_result();
                    self.episode = Some(episode);
                    result
                });
                self.send(ctx, &observation_or_error(reply));
            }
            Ok(ClientMessage::Step(action)) => {
                ctx.wait(
                    host::step(self, action)
                        .map(|reply, act, ctx| act.send(ctx, &observation_or_error(reply))),
                );
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
                    let reply = host::step(self, action).map(move |reply, act, ctx| {
                        let response = match reply {
                            Ok(step) => RpcResponse::success(id, mcp::tool_result(&step)),
                            Err(body) => RpcResponse::error(id, mcp::INVALID_REQUEST, body.message),
                        };
                        act.send(ctx, &ServerMessage::Mcp(response.to_value()));
                    });
                    ctx.wait(reply);
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
        self.last_heard = Instant::now();
        match frame {
            Ok(ws::Message::Text(text)) => {
                self.activity.touch();
                self.on_text(&text, ctx);
            }
            Ok(ws::Message::Binary(_)) => {
                self.activity.touch();
                let body = ErrorBody::new(
                    ErrorCode::InvalidJson,
                    "Invalid JSON: binary frames are not accepted; send JSON text frames",
                );
                self.send(ctx, &ServerMessage::Error(body));
            }
            Ok(ws::Message::Ping(payload)) => ctx.pong(&payload),
            Ok(ws::Message::Pong(_)) | Ok(ws::Message::Nop) | Ok(ws::Message::Continuation(_)) => {}
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
        tracing::info!(session = %self.id, %reason, "closing session");
        ctx.close(Some(ws::CloseReason {
            code: ws::CloseCode::Away,
            description: Some(reason),
        }));
        ctx.stop();
    }
}
