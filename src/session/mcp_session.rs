//! An MCP session over HTTP: an actor owning one episode, reached through the supervisor by its
//! session id. Without a registration it also serves the stateless HTTP `/step`, as a one-shot
//! session.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix::fut::{self, ActorFutureExt};
use actix::{Actor, ActorContext, AtomicResponse, Context, Handler};

use super::episode::Episode;
use super::host::{self, EpisodeHost};
use super::messages::{McpCall, McpOp, McpReply};
use super::metered;
use super::Services;
use crate::protocol::action::SqlAction;
use crate::protocol::messages::{ErrorBody, ErrorCode};
use crate::protocol::observation::StepResult;
use crate::protocol::reset::ResetParams;
use crate::supervisor::activity::Activity;
use crate::supervisor::messages::{CloseReason, ForceClose, Unregister};

pub struct McpSession {
    id: String,
    span: tracing::Span,
    services: Services,
    episode: Episode,
    activity: Activity,
    cancel: Arc<AtomicBool>,
    registered: bool,
}

impl McpSession {
    pub fn new(
        id: String,
        services: Services,
        episode: Episode,
        activity: Activity,
        registered: bool,
    ) -> Self {
        McpSession {
            span: tracing::info_span!("session", id = %id, transport = "mcp"),
            id,
            services,
            episode,
            activity,
            cancel: Arc::default(),
            registered,
        }
    }

    pub fn reset_result(&self) -> StepResult {
        self.episode.reset_result()
    }
}

impl Actor for McpSession {
    type Context = Context<Self>;

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.cancel.store(true, Ordering::Relaxed);
        if self.registered {
            self.services.supervisor.do_send(Unregister {
                id: self.id.clone(),
            });
        }
    }
}

impl EpisodeHost for McpSession {
    fn services(&self) -> &Services {
        &self.services
    }

    fn episode_mut(&mut self) -> Option<&mut Episode> {
        Some(&mut self.episode)
    }

    fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }
}

impl Handler<McpCall> for McpSession {
    type Result = AtomicResponse<Self, Result<McpReply, ErrorBody>>;

    fn handle(&mut self, msg: McpCall, _: &mut Context<Self>) -> Self::Result {
        self.activity.touch();
        let now = |reply| AtomicResponse::new(Box::pin(fut::ready(reply)));
        match msg.op {
            McpOp::Step(action) => {
                let span = self.span.clone();
                AtomicResponse::new(Box::pin(
                    metered::step(self, action, span).map(|reply, _, _| reply.map(McpReply::Step)),
                ))
            }
            McpOp::Reset(params) => {
                now(
                    host::reset_over(&self.services, &self.id, Some(&mut self.episode), &params)
                        .map(|(episode, result)| {
                            self.episode = episode;
                            McpReply::Step(result)
                        }),
                )
            }
            McpOp::State => now(Ok(McpReply::State(Box::new(self.episode.state())))),
            McpOp::Question => now(Ok(McpReply::Question(host::question_view(
                &self.services,
                &self.episode,
            )))),
        }
    }
}

impl Handler<ForceClose> for McpSession {
    type Result = ();

    fn handle(&mut self, msg: ForceClose, ctx: &mut Context<Self>) {
        let reason = msg.reason.describe();
        let _entered = self.span.enter();
        // One-shot sessions (stateless `/step`) close after every call: not worth an info line.
        if self.registered {
            tracing::info!(%reason, "closing MCP session");
        } else {
            tracing::debug!(%reason, "closing one-shot session");
        }
        ctx.stop();
    }
}

/// Plays one action on a fresh random episode in a throwaway session: the stateless HTTP
/// `/step`, and MCP `tools/call` without a session id.
pub async fn one_shot(services: &Services, action: SqlAction) -> Result<StepResult, ErrorBody> {
    let episode = host::reset(services, &ResetParams::default())?;
    let id = uuid::Uuid::new_v4().to_string();
    let session =
        McpSession::new(id, services.clone(), episode, Activity::default(), false).start();
    let reply = session.send(McpCall::step(action)).await;
    session.do_send(ForceClose {
        reason: CloseReason::Requested,
    });
    let unavailable = |e: String| {
        ErrorBody::new(
            ErrorCode::ExecutionError,
            format!("session unavailable: {e}"),
        )
    };
    reply
        .map_err(|e| unavailable(e.to_string()))??
        .into_step()
        .ok_or_else(|| unavailable("no step result".into()))
}
