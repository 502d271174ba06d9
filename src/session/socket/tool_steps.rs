//! OpenEnv's tool actions sent as steps (`{"type": "call_tool", ...}`, `{"type": "list_tools"}`),
//! as its `MCPToolClient.step(CallToolAction(...))` sends them: the tool runs on the socket's
//! episode (or the attached MCP session's) and the reply is OpenEnv's `CallToolObservation` or
//! `ListToolsObservation`, with the step's reward beside it as on any `/ws` step.

use actix::{ActorFutureExt, AsyncContext, WrapFuture};
use serde_json::{json, Value};

use super::{Ctx, WsSession};
use crate::protocol::mcp::{self, QuestionView, ToolCall, ToolStep};
use crate::protocol::messages::{ErrorBody, ErrorCode, ServerMessage};
use crate::session::episode::Episode;
use crate::session::host;
use crate::session::messages::{McpCall, McpOp, McpReply};

/// The reply to a tool step that ran.
fn tool_reply(tool_name: &str, reply: Result<McpReply, ErrorBody>) -> ServerMessage {
    let (result, reward, done) = match reply {
        // A reset (`new_episode`) shows the new question; its reward is no step's.
        Ok(McpReply::Step(step)) if tool_name == "new_episode" => (
            mcp::question_result(&QuestionView::of_step(&step)),
            None,
            false,
        ),
        Ok(McpReply::Step(step)) => (mcp::tool_result(&step), step.reward, step.done),
        Ok(McpReply::Question(q)) => (mcp::question_result(&q), None, q.done),
        Ok(McpReply::State(_)) => {
            return ServerMessage::Error(ErrorBody::internal("unexpected state reply"))
        }
        Err(body) => return ServerMessage::Error(body),
    };
    let observation = mcp::call_observation(tool_name, result, None);
    ServerMessage::ToolObservation(mcp::tool_step_observation(observation, reward, done))
}

impl WsSession {
    pub(super) fn on_tool_step(&mut self, tool: ToolStep, request: Option<Value>, ctx: &mut Ctx) {
        let done = self.episode.as_ref().is_some_and(Episode::is_done);
        let (tool_name, call) = match tool {
            ToolStep::List => {
                let observation = json!({ "tools": mcp::tool_list()["tools"] });
                let reply = mcp::tool_step_observation(observation, None, done);
                return self.reply(
                    ctx,
                    request.as_ref(),
                    &ServerMessage::ToolObservation(reply),
                );
            }
            ToolStep::Call { tool_name, call } => (tool_name, call),
        };
        let op = match call {
            Err(error) => {
                let observation = mcp::call_observation(&tool_name, Value::Null, Some(&error));
                let reply = mcp::tool_step_observation(observation, None, done);
                return self.reply(
                    ctx,
                    request.as_ref(),
                    &ServerMessage::ToolObservation(reply),
                );
            }
            Ok(ToolCall::Action(action)) => McpOp::Step(action),
            Ok(ToolCall::Question) => McpOp::Question,
            Ok(ToolCall::NewEpisode(params)) => McpOp::Reset(params),
        };
        if let Some(session) = self.attached.clone() {
            let sent = session.send(McpCall { op }).into_actor(self);
            let reply = sent.map(move |reply, act, ctx| {
                let reply = reply.unwrap_or_else(|e| {
                    Err(ErrorBody::new(
                        ErrorCode::SessionError,
                        format!("the MCP session has ended: {e}"),
                    ))
                });
                act.reply(ctx, request.as_ref(), &tool_reply(&tool_name, reply));
            });
            return ctx.wait(reply);
        }
        let reply = match op {
            McpOp::Step(action) => {
                let span = self.span.clone();
                let step = host::hosted_step(self, action, span).map(move |reply, act, ctx| {
                    let message = tool_reply(&tool_name, reply.map(McpReply::Step));
                    act.reply(ctx, request.as_ref(), &message);
                });
                return ctx.wait(self.watcher.guard(Box::pin(step), self.cancel.clone()));
            }
            McpOp::Reset(params) => {
                host::reset_over(&self.services, &self.id, self.episode.as_mut(), &params).map(
                    |(episode, result)| {
                        self.episode = Some(episode);
                        McpReply::Step(result)
                    },
                )
            }
            McpOp::Question | McpOp::State => match &self.episode {
                Some(episode) => Ok(McpReply::Question(host::question_view(
                    &self.services,
                    episode,
                ))),
                None => Err(ErrorBody::new(
                    ErrorCode::ExecutionError,
                    "no episode yet: send reset first",
                )),
            },
        };
        self.reply(ctx, request.as_ref(), &tool_reply(&tool_name, reply));
    }
}
