//! `mcp` frames on a plain socket: MCP's tools act on the socket's own episode.

use actix::{ActorFutureExt, AsyncContext};
use serde_json::{json, Value};

use super::{Ctx, WsSession};
use crate::protocol::mcp::{self, RpcRequest, RpcResponse, ToolCall};
use crate::protocol::messages::ServerMessage;
use crate::session::host;

impl WsSession {
    /// MCP over the socket: the tools act on this session's own episode.
    pub(super) fn on_mcp(&mut self, request: Value, ctx: &mut Ctx) {
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
                Ok(ToolCall::NewEpisode(params)) => {
                    match host::reset_over(&self.services, &self.id, self.episode.as_mut(), &params)
                    {
                        Ok((episode, _)) => {
                            let view = host::question_view(&self.services, &episode);
                            self.episode = Some(episode);
                            RpcResponse::success(id, mcp::question_result(&view))
                        }
                        Err(body) => RpcResponse::error(id, mcp::INVALID_PARAMS, body.message),
                    }
                }
                Ok(ToolCall::Action(action)) => {
                    let span = self.span.clone();
                    let reply =
                        host::hosted_step(self, action, span).map(move |reply, act, ctx| {
                            let response = match reply {
                                Ok(step) => RpcResponse::success(id, mcp::tool_result(&step)),
                                Err(body) => {
                                    RpcResponse::error(id, mcp::INVALID_REQUEST, body.message)
                                }
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
