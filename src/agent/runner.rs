//! Plays one episode with a policy over an [`EpisodeClient`] and records what it earned: the
//! unit `sqlenv eval` and the acceptance tests aggregate.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::client::{ClientError, EpisodeClient};
use super::policy::{EpisodeContext, Policy};
use crate::catalog::Catalog;
use crate::protocol::action::ActionType;
use crate::protocol::observation::StepResult;

/// Steps a runner takes beyond the server's own budget before it gives up on an episode that
/// never ends (a server bug or a misconfigured budget), so an evaluation cannot hang.
const STEP_LIMIT: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The server played a question the local catalog does not have: the server and the
    /// evaluator were given different data.
    #[error("the server played question '{question_id}' on '{db_id}', unknown to the local data: {message}")]
    UnknownQuestion {
        question_id: String,
        db_id: String,
        message: String,
    },
}

/// How an episode ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DoneReason {
    /// The policy answered.
    Answered,
    /// The step budget ran out without an answer.
    BudgetExhausted,
    /// The server ended the episode for another reason (its time limit).
    Ended,
    /// The runner stopped an episode that did not end within its step limit.
    StepLimit,
}

/// What one episode earned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpisodeRecord {
    pub question_id: String,
    pub db_id: String,
    pub difficulty: String,
    pub steps: u32,
    /// Sum of every step's reward.
    #[serde(rename = "return")]
    pub total_return: f64,
    /// Sum of the rewards of the steps before the ANSWER (all of them when there was none).
    pub return_before_answer: f64,
    pub correct: bool,
    pub done_reason: DoneReason,
}

/// One request of an episode, as [`play_episode_timed`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    Reset,
    Step(ActionType),
}

/// Resets with `reset` (the reset keyword arguments), then lets `policy` act until the episode
/// is done.
pub async fn play_episode<P: serde::Serialize>(
    client: &mut EpisodeClient,
    policy: &mut dyn Policy,
    catalog: &Catalog,
    reset: &P,
) -> Result<EpisodeRecord, RunError> {
    play_episode_timed(client, policy, catalog, reset, &mut |_, _| {}).await
}

/// [`play_episode`], telling `timed` how long each request took to be answered (the load
/// generator's latency figures). Only answered requests are reported.
pub async fn play_episode_timed<P: serde::Serialize>(
    client: &mut EpisodeClient,
    policy: &mut dyn Policy,
    catalog: &Catalog,
    reset: &P,
    timed: &mut dyn FnMut(Exchange, Duration),
) -> Result<EpisodeRecord, RunError> {
    let sent = Instant::now();
    let result = client.reset(reset).await?;
    timed(Exchange::Reset, sent.elapsed());
    play_from(client, policy, catalog, result, timed).await
}

/// Lets `policy` act on an episode already reset (`reset` is the reset's observation) until
/// it is done.
pub async fn play_from(
    client: &mut EpisodeClient,
    policy: &mut dyn Policy,
    catalog: &Catalog,
    reset: StepResult,
    timed: &mut dyn FnMut(Exchange, Duration),
) -> Result<EpisodeRecord, RunError> {
    let mut result = reset;
    let obs = &result.observation;
    let unknown = |message: String| RunError::UnknownQuestion {
        question_id: obs.question_id.clone(),
        db_id: obs.db_id.clone(),
        message,
    };
    let question = catalog
        .questions()
        .get(&obs.question_id)
        .map_err(&unknown)?;
    let database = catalog
        .database(&question.db_id)
        .cloned()
        .ok_or_else(|| unknown("no such database".to_owned()))?;
    let ctx = EpisodeContext { question, database };
    let mut record = EpisodeRecord {
        question_id: obs.question_id.clone(),
        db_id: obs.db_id.clone(),
        difficulty: obs.difficulty.clone(),
        steps: 0,
        total_return: 0.0,
        return_before_answer: 0.0,
        correct: false,
        done_reason: DoneReason::Ended,
    };
    let mut last = None;
    while !result.done {
        if record.steps >= STEP_LIMIT {
            record.done_reason = DoneReason::StepLimit;
            return Ok(record);
        }
        let action = policy.act(&result.observation, &ctx);
        let sent = Instant::now();
        client.step_into(&action, &mut result).await?;
        timed(Exchange::Step(action.action_type), sent.elapsed());
        let reward = result.reward.unwrap_or(0.0);
        record.steps += 1;
        record.total_return += reward;
        if action.action_type == ActionType::Answer {
            // `validate` keeps `correct` above 0 and `wrong` at or below it, whatever the
            // server's reward configuration: a positive terminal reward means a correct answer.
            record.correct = result.observation.reward_components.terminal > 0.0;
        } else {
            record.return_before_answer += reward;
        }
        last = Some(action.action_type);
    }
    record.done_reason = match last {
        Some(ActionType::Answer) => DoneReason::Answered,
        _ if result.observation.budget_remaining == 0 => DoneReason::BudgetExhausted,
        _ => DoneReason::Ended,
    };
    Ok(record)
}
