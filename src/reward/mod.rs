//! Rewards: every step is scored from the facts a session gathered and, for QUERY and ANSWER,
//! from the result or answer compared with the gold. The scoring itself is pure (`shaping`,
//! `potential`, `verify`, [`score`]); [`actor`] holds the reward actor sessions message.

pub mod actor;
pub mod components;
pub mod config;
pub mod equality;
pub mod formats;
pub mod normalize;
pub mod numbers;
pub mod potential;
pub mod shaping;
pub mod tie_match;
pub mod verify;

use std::sync::Arc;

use actix::{MailboxError, Message};

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

/// Scores one step. Sessions send it to their [`actor::RewardActor`], which forwards costly
/// steps to a [`actor::RewardWorker`]: hence the mailbox error a reply may carry.
#[derive(Debug, Message)]
#[rtype(result = "Result<Scored, MailboxError>")]
pub struct ScoreStep(pub Evidence);

#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub components: RewardComponents,
    /// The query result's potential, which becomes the episode's.
    pub potential: Option<f64>,
    /// For an answer: was it correct, and why (never revealing the gold).
    pub verdict: Option<verify::Verdict>,
}

/// The scoring the reward actor runs, callable directly where no actor is at hand (tests, eval).
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
            let verdict = verify::verify_question(cfg, &text, &question);
            Scored {
                components: shaping::terminal_reward(cfg, verdict.correct),
                potential: None,
                verdict: Some(verdict),
            }
        }
    }
}

/// Cells (of a query result, or of the gold) up to which the reward actor scores a step on its own
/// thread. Scoring that many takes a few microseconds, less than handing the step to a reward
/// worker thread and back (two context switches on a busy 2-core machine); larger ones go to the
/// workers, so an HTTP worker thread never spends long on one.
pub const INLINE_SCORE_CELLS: usize = 256;
/// Bytes of answer text up to which an ANSWER is verified on the reward actor's thread.
pub const INLINE_ANSWER_BYTES: usize = 2048;

fn cells(rows: &[Vec<crate::database::value::Cell>]) -> usize {
    rows.iter().map(Vec::len).sum()
}

/// Whether scoring `evidence` costs less than a hop to a reward worker thread.
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
