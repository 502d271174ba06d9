//! A socket attached to an MCP session (`/ws?session_id=`, as OpenEnv's `MCPToolClient`
//! connects): its reset, step, state and `mcp` frames act on that session's episode.

use actix::{ActorContext, ActorFutureExt, AsyncContext, Recipient, WrapFuture};
use actix_web_actors::ws;
use serde_json::Value;

use super::{Ctx, WsSession};
use crate::protocol::mcp::{self, RpcRequest, RpcResponse, ToolCall};
use crate::protocol::messages::{ClientMessage, ErrorBody, ErrorCode, ServerMessage};
use crate::session::messages::{McpCall, McpOp, McpReply};

impl WsSession {
    /// A socket attached to an MCP session: its operations go to that session's episode, one
    /// at a time (`wait` holds the next frame back until the session has answered).
    pub(super) fn on_attached(
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
            // Tool steps are handled before, for attached and plain sockets alike.
            ClientMessage::ValidationOpen(_)
            | ClientMessage::ValidationRead(_)
            | ClientMessage::ToolStep(_) => return,
        };
        let reply = session
            .send(McpCall { op })
            .into_actor(self)
            .map(move |reply, act, ctx| {
                let message = match reply {
                    Ok(Ok(McpReply::Step(step))) => ServerMessage::Observation(Box::new(step)),
                    Ok(Ok(McpReply::State(state))) => ServerMessage::State(state),
                    Ok(Ok(McpReply::Question(_))) => ServerMessage::Error(ErrorBody::internal(
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
}
