//! The reward actor that sessions message for every step. One runs on each HTTP worker thread,
//! beside the sessions it serves, so a message to it never leaves the thread; it scores cheap
//! steps at once and hands costly ones to a small pool of reward worker threads, so an HTTP
//! worker never spends long on scoring.

use std::sync::Arc;

use actix::{Actor, Addr, Context, Handler, MailboxError, Response, SyncArbiter, SyncContext};

use super::config::RewardConfig;
use super::{is_cheap, score, ScoreStep, Scored};

/// Scores the steps of the sessions on its thread.
pub struct RewardActor {
    config: Arc<RewardConfig>,
    workers: Addr<RewardWorker>,
}

impl Actor for RewardActor {
    type Context = Context<Self>;
}

impl Handler<ScoreStep> for RewardActor {
    type Result = Response<Result<Scored, MailboxError>>;

    fn handle(&mut self, ScoreStep(evidence): ScoreStep, _: &mut Context<Self>) -> Self::Result {
        if is_cheap(&evidence) {
            Response::reply(Ok(score(&self.config, evidence)))
        } else {
            let scored = self.workers.send(ScoreStep(evidence));
            Response::fut(async move { scored.await? })
        }
    }
}

/// Scores the costly steps (large results, long answers) off the HTTP worker threads.
pub struct RewardWorker {
    config: Arc<RewardConfig>,
}

impl Actor for RewardWorker {
    type Context = SyncContext<Self>;
}

impl Handler<ScoreStep> for RewardWorker {
    type Result = Result<Scored, MailboxError>;

    fn handle(
        &mut self,
        ScoreStep(evidence): ScoreStep,
        _: &mut SyncContext<Self>,
    ) -> Self::Result {
        Ok(score(&self.config, evidence))
    }
}

/// The reward service: its configuration and worker threads, from which each thread that hosts
/// sessions starts its own [`RewardActor`].
#[derive(Clone)]
pub struct RewardService {
    config: Arc<RewardConfig>,
    workers: Addr<RewardWorker>,
}

impl RewardService {
    /// Starts `workers` reward worker threads sharing one configuration.
    pub fn start(config: Arc<RewardConfig>, workers: usize) -> RewardService {
        let shared = config.clone();
        let workers = SyncArbiter::start(workers.max(1), move || RewardWorker {
            config: shared.clone(),
        });
        RewardService { config, workers }
    }

    /// Starts a reward actor on the current thread's arbiter.
    pub fn start_actor(&self) -> Addr<RewardActor> {
        RewardActor {
            config: self.config.clone(),
            workers: self.workers.clone(),
        }
        .start()
    }
}
