//! How a session plays its episode, whatever carries its messages: resetting to a question, and
//! running a step through the database and reward actors as one future that holds the session
//! (so the steps of one session never interleave).

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use actix::fut::{self, ActorFutureExt, LocalBoxActorFuture, WrapFuture};
use actix::{Actor, Addr};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::episode::{Begin, Episode};
use super::Services;
use crate::catalog::questions::QuestionFilter;
use crate::database::error::QueryError;
use crate::database::RunQuery;
use crate::protocol::action::SqlAction;
use crate::protocol::messages::{ErrorBody, ErrorCode};
use crate::protocol::observation::StepResult;
use crate::protocol::reset::ResetParams;
use crate::reward::actor::RewardActor;
use crate::reward::{shaping, Evidence, ScoreStep, Scored};

/// An actor that owns one episode.
pub trait EpisodeHost: Actor {
    fn services(&self) -> &Services;
    fn episode_mut(&mut self) -> Option<&mut Episode>;
    /// Set when the session ends, so its in-flight query is interrupted.
    fn cancel_flag(&self) -> Arc<AtomicBool>;
}

pub type StepFuture<A> = LocalBoxActorFuture<A, Result<StepResult, ErrorBody>>;

fn no_episode() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::ExecutionError,
        "no episode yet: send reset first",
    )
}

fn internal(e: impl std::fmt::Display) -> ErrorBody {
    ErrorBody::new(ErrorCode::ExecutionError, format!("internal error: {e}"))
}

/// Has the reward actor score a step.
fn score(
    reward: &Addr<RewardActor>,
    evidence: Evidence,
) -> impl Future<Output = Result<Scored, ErrorBody>> + 'static {
    let sent = reward.send(ScoreStep(evidence));
    async move { sent.await.map_err(internal)?.map_err(internal) }
}

/// Starts a new episode as `params` ask: a given question, or one drawn (reproducibly with a
/// seed) from the served questions matching the filters.
pub fn reset(services: &Services, params: &ResetParams) -> Result<Episode, ErrorBody> {
    let invalid = |message: String| ErrorBody::validation(message.clone(), vec![message]);
    let bank = services.catalog.questions();
    let question = match &params.question_id {
        Some(id) => bank.get(id).map_err(invalid)?,
        None => {
            let filter = QuestionFilter {
                db_id: params.db_id.clone(),
                difficulty: params.difficulty,
                split: params.split,
                set: params.set,
            };
            if let Some(db) = &filter.db_id {
                if services.catalog.database(db).is_none() {
                    return Err(invalid(format!("unknown db_id '{db}'")));
                }
            }
            match params.seed {
                Some(seed) => bank.pick(&filter, &mut ChaCha8Rng::seed_from_u64(seed)),
                None => bank.pick(&filter, &mut rand::thread_rng()),
            }
            .map_err(invalid)?
        }
    };
    let db = services
        .catalog
        .database(&question.db_id)
        .cloned()
        .ok_or_else(|| {
            internal(format!(
                "database '{}' missing from the catalog",
                question.db_id
            ))
        })?;
    let id = params
        .episode_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    services.metrics.episode_started();
    Ok(Episode::new(id, question, db, services.rules.clone()))
}

/// Runs one step of `act`'s episode.
pub fn step<A: EpisodeHost>(act: &mut A, action: SqlAction) -> StepFuture<A> {
    let services = act.services().clone();
    let cancel = act.cancel_flag();
    let after_done = shaping::after_done_reward(&services.reward_config);
    let exhausted = shaping::budget_exhausted_reward(&services.reward_config);
    let Some(episode) = act.episode_mut() else {
        return Box::pin(fut::ready(Err(no_episode())));
    };
    match episode.begin(&action, after_done) {
        Begin::Reply(result) => Box::pin(fut::ready(Ok(*result))),
        Begin::Explore {
            facts,
            result,
            error,
        } => {
            let scoring = score(&services.reward, Evidence::Explore(facts));
            Box::pin(scoring.into_actor(act).map(move |scored, act, _| {
                let scored = scored?;
                let episode = act.episode_mut().ok_or_else(no_episode)?;
                Ok(episode.finish_explore(result, error, scored.components, None, exhausted))
            }))
        }
        Begin::Query { sql, repeated } => {
            let question = episode.question().clone();
            let run = RunQuery {
                db_id: question.db_id.as_str().into(),
                sql,
                cancel,
            };
            let reward = services.reward.clone();
            Box::pin(services.db.send(run).into_actor(act).then(
                move |sent, act, _| -> StepFuture<A> {
                    let outcome =
                        sent.unwrap_or_else(|e| Err(QueryError::Unavailable(e.to_string())));
                    let Some(episode) = act.episode_mut() else {
                        return Box::pin(fut::ready(Err(no_episode())));
                    };
                    let (facts, text, error) = episode.query_facts(&outcome, repeated);
                    let evidence = match outcome {
                        Ok(result) => Evidence::Query {
                            facts,
                            result,
                            question,
                        },
                        Err(_) => Evidence::Explore(facts),
                    };
                    let scoring = score(&reward, evidence);
                    Box::pin(scoring.into_actor(act).map(move |scored, act, _| {
                        let scored = scored?;
                        let episode = act.episode_mut().ok_or_else(no_episode)?;
                        Ok(episode.finish_explore(
                            text,
                            error,
                            scored.components,
                            scored.potential,
                            exhausted,
                        ))
                    }))
                },
            ))
        }
        Begin::Answer { text } => {
            let question = episode.question().clone();
            let scoring = score(&services.reward, Evidence::Answer { text, question });
            Box::pin(scoring.into_actor(act).map(move |scored, act, _| {
                let scored = scored?;
                let episode = act.episode_mut().ok_or_else(no_episode)?;
                let (correct, reason) = scored
                    .verdict
                    .map_or((false, "not verified".to_owned()), |v| {
                        (v.correct, v.reason)
                    });
                Ok(episode.finish_answer(correct, &reason, scored.components))
            }))
        }
    }
}
