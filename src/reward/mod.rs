//! The reward actor: scores each step from the facts a session gathered and, for QUERY and
//! ANSWER, from the result or answer compared with the gold. The scoring itself is pure
//! (`shaping`, `potential`, `verify`); the actor only runs it off the async workers, for the
//! steps whose scoring is not cheap enough to do in place ([`score_step`]).

pub mod components;
pub mod config;
pub mod normalize;
pub mod potential;
pub mod shaping;
pub mod verify;

use std::sync::Arc;

use actix::dev::Request;
use actix::{
    Actor, Addr, Handler, MailboxError, Message, MessageResponse, SyncArbiter, SyncContext,
};
use futures_util::future::{ready, Either, Ready};

use crate::catalog::question::Question;
use crate::database::value::ResultSet;
use components::{RewardComponents, StepFacts};
use config::RewardConfig;

/// What is to be scored.
#[derive(Debug)]
pub enum Evidence {
    /// A DESCRIBE or SAMPLE step, or a QUERY that failed.
    Explore(StepFacts),
    /// A QUERY that ran: its result decides the progress layer.
    Query {
        facts: StepFacts,
        result: ResultSet,
        question: Arc<Question>,
    },
    /// The final answer.
    Answer {
        text: String,
        question: Arc<Question>,
    },
}

/// Scores one step.
#[derive(Debug, Message)]
#[rtype(result = "Scored")]
pub struct ScoreStep(pub Evidence);

#[derive(Debug, Clone, PartialEq, MessageResponse)]
pub struct Scored {
    pub components: RewardComponents,
    /// The query result's potential, which becomes the episode's.
    pub potential: Option<f64>,
    /// For an answer: was it correct, and why (never revealing the gold).
    pub verdict: Option<verify::Verdict>,
}

pub struct RewardWorker {
    config: Arc<RewardConfig>,
}

impl Actor for RewardWorker {
    type Context = SyncContext<Self>;
}

impl Handler<ScoreStep> for RewardWorker {
    type Result = Scored;

    fn handle(&mut self, ScoreStep(evidence): ScoreStep, _: &mut SyncContext<Self>) -> Scored {
        score(&self.config, evidence)
    }
}

/// The scoring the actor runs, callable directly where no actor is at hand (tests, eval).
pub fn score(cfg: &RewardConfig, evidence: Evidence) -> Scored {
    match evidence {
        Evidence::Explore(facts) => Scored {
            components: shaping::step_reward(cfg, &facts),
            potential: None,
            verdict: None,
        },
        Evidence::Query {
            mut facts,
            result,
            question,
        } => {
            let p = potential::potential(cfg, &result, &question.gold_answer);
            facts.potential_now = Some(p);
            Scored {
                components: shaping::step_reward(cfg, &facts),
                potential: Some(p),
                verdict: None,
            }
        }
        Evidence::Answer { text, question } => {
            let gold = verify::Gold {
                rows: &question.gold_answer,
                answer_type: question.answer_type,
                ordered: question.is_ordered(),
            };
            let verdict = verify::verify_answer(cfg, &text, &gold);
            Scored {
                components: shaping::terminal_reward(cfg, verdict.correct),
                potential: None,
                verdict: Some(verdict),
            }
        }
    }
}

/// Cells (of a query result, or of the gold) up to which a step is scored on the caller's thread.
/// Scoring that many takes a few microseconds, less than handing the step to a reward thread and
/// back (two context switches on a busy 2-core machine); larger ones still go to the workers, so
/// a session's async worker never spends long on one.
pub const INLINE_SCORE_CELLS: usize = 256;
/// Bytes of answer text up to which an ANSWER is verified on the caller's thread.
pub const INLINE_ANSWER_BYTES: usize = 2048;

fn cells(rows: &[Vec<crate::database::value::Cell>]) -> usize {
    rows.iter().map(Vec::len).sum()
}

/// Whether scoring `evidence` costs less than a hop to a reward thread.
pub fn is_cheap(evidence: &Evidence) -> bool {
    match evidence {
        Evidence::Explore(_) => true,
        Evidence::Query {
            result, question, ..
        } => {
            cells(&result.rows) <= INLINE_SCORE_CELLS
                && cells(&question.gold_answer) <= INLINE_SCORE_CELLS
        }
        Evidence::Answer { text, question } => {
            text.len() <= INLINE_ANSWER_BYTES && cells(&question.gold_answer) <= INLINE_SCORE_CELLS
        }
    }
}

/// Scores a step: at once when it is cheap, otherwise on a reward worker.
pub fn score_step(
    workers: &Addr<RewardWorker>,
    cfg: &RewardConfig,
    evidence: Evidence,
) -> Either<Ready<Result<Scored, MailboxError>>, Request<RewardWorker, ScoreStep>> {
    if is_cheap(&evidence) {
        Either::Left(ready(Ok(score(cfg, evidence))))
    } else {
        Either::Right(workers.send(ScoreStep(evidence)))
    }
}

/// Starts `workers` reward threads sharing one configuration.
pub fn start(config: Arc<RewardConfig>, workers: usize) -> Addr<RewardWorker> {
    SyncArbiter::start(workers.max(1), move || RewardWorker {
        config: config.clone(),
    })
}
