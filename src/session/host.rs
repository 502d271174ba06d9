//! How a session plays its episode, whatever carries its messages: resetting to a question, and
//! [`step`], one step from action to observation in the order it happens. The database and
//! reward actors only answer its messages; a session actor runs it through [`hosted_step`],
//! which holds the session for the step (so the steps of one session never interleave).

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix::fut::{self, ActorFutureExt, LocalBoxActorFuture, WrapFuture};
use actix::{Actor, Addr};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::episode::{Begin, Episode};
use super::{metered, Services};
use crate::catalog::questions::QuestionFilter;
use crate::database::RunQuery;
use crate::protocol::action::SqlAction;
use crate::protocol::mcp::QuestionView;
use crate::protocol::messages::{ErrorBody, ErrorCode};
use crate::protocol::observation::AbandonedEpisode;
use crate::protocol::observation::StepResult;
use crate::protocol::reset::ResetParams;
use crate::reward::actor::RewardActor;
use crate::reward::{Evidence, ScoreStep, Scored};

/// An actor that owns one episode.
pub trait EpisodeHost: Actor {
    /// Shared by the sessions of a thread: a step holds it for its length.
    fn services(&self) -> &Arc<Services>;
    /// The session's episode, if it has one. A step takes it out for the step's length and puts
    /// it back with the reply.
    fn episode_slot(&mut self) -> &mut Option<Episode>;
    /// Set when the session ends, so its in-flight query is interrupted.
    fn cancel_flag(&self) -> Arc<AtomicBool>;
}

pub type StepFuture<A> = LocalBoxActorFuture<A, Result<StepResult, ErrorBody>>;

pub fn no_episode() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::ExecutionError,
        "no episode yet: send reset first",
    )
}

/// A failure of the server's own parts (the reward actor gone, its reply lost, the catalog
/// missing a database it listed): `INTERNAL_ERROR`, not a fault of the client's step.
fn internal(e: impl std::fmt::Display) -> ErrorBody {
    ErrorBody::internal(format!("internal error: {e}"))
}

/// Has the reward actor score a step.
async fn score(reward: &Addr<RewardActor>, evidence: Evidence) -> Result<Scored, ErrorBody> {
    reward
        .send(ScoreStep(evidence))
        .await
        .map_err(internal)?
        .map_err(internal)
}

/// One step of `episode`, from the action to the observation. Every step follows the same road,
/// whoever carries its messages (a WebSocket session, an MCP session, the stateless `POST
/// /step`): the episode takes the action (and may answer it at once: DESCRIBE, SAMPLE, a step
/// past the end), the database runs a QUERY, the reward actor scores the result or the answer,
/// and the episode books the score and renders the observation.
pub async fn step(
    services: &Services,
    episode: &mut Episode,
    action: &SqlAction,
    cancel: &Arc<AtomicBool>,
) -> Result<StepResult, ErrorBody> {
    match episode.begin(action) {
        Begin::Reply(result) => Ok(*result),
        Begin::Query { sql, repeated } => {
            let run = RunQuery {
                db_id: episode.db_id().clone(),
                sql,
                cancel: cancel.clone(),
            };
            let output = match services.db.run(run).await {
                Ok(output) => output,
                // A failed query is an observation too: its error, no score.
                Err(e) => return Ok(episode.finish_query(Err(e.to_string()), repeated)),
            };
            let text = episode.render(&output.result);
            let question = episode.question().clone();
            let scored = score(&services.reward, Evidence::Query { output, question }).await?;
            let potential = scored.potential.unwrap_or(0.0);
            Ok(episode.finish_query(Ok((text, potential)), repeated))
        }
        Begin::Answer { text } => {
            let question = episode.question().clone();
            let scored = score(&services.reward, Evidence::Answer { text, question }).await?;
            let (correct, reason) = scored
                .verdict
                .map_or((false, "not verified".to_owned()), |v| {
                    (v.correct, v.reason)
                });
            Ok(episode.finish_answer(correct, &reason))
        }
    }
}

/// [`step`] (metered) as a future of the session actor `act`. The episode leaves the actor for
/// the step and comes back with the reply; meanwhile the actor handles nothing else (a step runs
/// under `ctx.wait` or as an `AtomicResponse`), so nothing misses it.
pub fn hosted_step<A: EpisodeHost>(
    act: &mut A,
    action: SqlAction,
    span: Rc<tracing::Span>,
) -> StepFuture<A> {
    let Some(mut episode) = act.episode_slot().take() else {
        return Box::pin(fut::ready(Err(no_episode())));
    };
    let services = act.services().clone();
    let cancel = act.cancel_flag();
    let step = async move {
        let reply = metered::step(&services, &mut episode, &action, &cancel, &span).await;
        (episode, reply)
    };
    Box::pin(step.into_actor(act).map(|(episode, reply), act, _| {
        *act.episode_slot() = Some(episode);
        reply
    }))
}

/// Plays one action on a fresh random episode: the stateless HTTP `/step`, and MCP
/// `tools/call` without a session id. No session holds the episode; the step is the caller's.
pub async fn one_shot(services: &Services, action: SqlAction) -> Result<StepResult, ErrorBody> {
    let mut episode = reset(services, &ResetParams::default())?;
    let span = tracing::debug_span!("one-shot", episode = %episode.id());
    // A client that hangs up drops this future: its query is then interrupted.
    let cancel = CancelOnDrop(Arc::default());
    metered::step(services, &mut episode, &action, &cancel.0, &span).await
}

/// Sets the flag when dropped.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Starts a new episode as `params` ask: a given question, the task at `index` of a split, or
/// one drawn (reproducibly with a seed) from the served questions matching the filters.
pub fn reset(services: &Services, params: &ResetParams) -> Result<Episode, ErrorBody> {
    let invalid = |message: String| ErrorBody::validation(message.clone(), vec![message]);
    let bank = services.catalog.questions();
    let question = match (&params.question_id, params.index) {
        (Some(id), _) => bank.get(id).map_err(invalid)?,
        (None, Some(index)) => {
            let Some(split) = params.split else {
                return Err(invalid("index needs a split (train or eval)".into()));
            };
            let tasks = bank.served_in(split, params.set);
            usize::try_from(index)
                .ok()
                .and_then(|i| tasks.get(i))
                .cloned()
                .ok_or_else(|| {
                    invalid(format!(
                        "index {index} is out of range: split '{}' has {} tasks",
                        split.as_str(),
                        tasks.len()
                    ))
                })?
        }
        (None, None) => {
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
    Ok(Episode::new(
        id,
        question,
        db,
        services.rules.clone(),
        services.reward_config.clone(),
    ))
}

/// A reset of a session whose episode may still be running: the new episode and its first
/// observation. A running episode is abandoned first: it counts as ended unanswered (metric,
/// info log with both ids), and the new observation's metadata names it with its return, so a
/// reset is never a free re-roll. A reset that fails leaves the running episode untouched.
pub fn reset_over(
    services: &Services,
    session_id: &str,
    previous: Option<&mut Episode>,
    params: &ResetParams,
) -> Result<(Episode, StepResult), ErrorBody> {
    let episode = reset(services, params)?;
    let abandoned = previous.and_then(Episode::abandon);
    if let Some(AbandonedEpisode {
        episode_id,
        steps,
        reward,
    }) = &abandoned
    {
        services.metrics.episode_abandoned();
        tracing::info!(
            session = session_id,
            episode = %episode_id,
            steps,
            reward,
            "a reset abandoned a running episode; it ends unanswered"
        );
    }
    let result = episode.reset_result_after(abandoned);
    Ok((episode, result))
}

/// What the MCP `question` tool shows of an episode.
pub fn question_view(services: &Services, episode: &Episode) -> QuestionView {
    let question = episode.question();
    let state = episode.state();
    let tables = services
        .catalog
        .database(&question.db_id)
        .map(|db| db.tables.iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default();
    QuestionView {
        question: question.question.clone(),
        db_id: question.db_id.clone(),
        tables,
        question_id: question.id.clone(),
        difficulty: question.difficulty.as_str().to_owned(),
        step_count: state.step_count,
        budget_remaining: state.budget_remaining,
        done: state.done,
    }
}
