//! An MCP session over HTTP: an actor owning one episode, reached through the supervisor by its
//! session id.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix::fut::{self, ActorFutureExt};
use actix::{Actor, ActorContext, AtomicResponse, Context, Handler};

use super::episode::Episode;
use super::host::{self, EpisodeHost};
use super::messages::{McpCall, McpOp, McpReply};
use super::Services;
use crate::protocol::messages::ErrorBody;
use crate::supervisor::activity::Activity;
use crate::supervisor::messages::{ForceClose, Unregister};

pub struct McpSession {
    id: String,
    span: Rc<tracing::Span>,
    services: Arc<Services>,
    /// Always there, except while a step has it (see [`host::hosted_step`]).
    episode: Option<Episode>,
    activity: Activity,
    cancel: Arc<AtomicBool>,
    registered: bool,
}

impl McpSession {
    pub fn new(
        id: String,
        services: Arc<Services>,
        episode: Episode,
        activity: Activity,
        registered: bool,
    ) -> Self {
        McpSession {
            span: Rc::new(tracing::info_span!("session", id = %id, transport = "mcp")),
            id,
            services,
            episode: Some(episode),
            activity,
            cancel: Arc::default(),
            registered,
        }
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

impl Handler<McpCall> for McpSession {
    type Result = AtomicResponse<Self, Result<McpReply, ErrorBody>>;

    fn handle(&mut self, msg: McpCall, _: &mut Context<Self>) -> Self::Result {
        self.activity.touch();
        let now = |reply| AtomicResponse::new(Box::pin(fut::ready(reply)));
        match msg.op {
            McpOp::Step(action) => {
                let span = self.span.clone();
                AtomicResponse::new(Box::pin(
                    host::hosted_step(self, action, span)
                        .map(|reply, _, _| reply.map(McpReply::Step)),
                ))
            }
            McpOp::Reset(params) => {
                now(
                    host::reset_over(&self.services, &self.id, self.episode.as_mut(), &params).map(
                        |(episode, result)| {
                            self.episode = Some(episode);
                            McpReply::Step(result)
                        },
                    ),
                )
            }
            McpOp::State => now(Ok(McpReply::State(Box::new(
                self.episode
                    .as_ref()
                    .map(Episode::state)
                    .unwrap_or_default(),
            )))),
            McpOp::Question => now(self.episode.as_ref().map_or_else(
                || Err(host::no_episode()),
                |episode| {
                    Ok(McpReply::Question(host::question_view(
                        &self.services,
                        episode,
                    )))
                },
            )),
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
