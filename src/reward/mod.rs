//! Rewards: an episode earns one return, settled when it ends (`ledger`, `shaping`), built
//! from the facts a session gathered, the gated potential of each QUERY's result
//! (`potential`, `gate`) and the verdict on the ANSWER (`verify`). The scoring that compares
//! with the gold is pure ([`score`]); [`actor`] holds the reward actor sessions message.

pub mod actor;
pub mod components;
pub mod config;
pub mod equality;
pub mod formats;
pub mod gate;
pub mod ledger;
pub mod normalize;
// How numbers are read and compared lives in the catalog (the answer contract), which also reads
// them when it audits golds; re-exported so the reward code keeps one name for it.
pub use crate::catalog::numbers;
pub mod potential;
pub mod shaping;
pub mod tie_match;
pub mod verify;

use std::sync::Arc;

use actix::{MailboxError, Message};

use crate::catalog::question::Question;
use crate::database::query::QueryOutput;
use config::RewardConfig;

/// What is to be compared with the gold.
#[derive(Debug)]
pub enum Evidence {
    /// A QUERY that ran: its result, if it reads the gold's data, has a potential.
    Query {
        output: QueryOutput,
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
    /// For a query: its result's gated potential.
    pub potential: Option<f64>,
    /// For an answer: was it correct, and why (never revealing the gold).
    pub verdict: Option<verify::Verdict>,
}

/// The gated potential of a query's output: 0 unless it reads the gold's data
/// ([`gate::admits`]), else the coarsened potential of its result.
pub fn gated_potential(cfg: &RewardConfig, output: &QueryOutput, question: &Question) -> f64 {
    if gate::admits(&output.reads, &question.proven.reads) {
        potential::potential(cfg, &output.result, &question.gold_answer)
    } else {
        0.0
    }
}

/// The scoring the reward actor runs, callable directly where no actor is at hand (tests, eval).
pub fn score(cfg: &RewardConfig, evidence: Evidence) -> Scored {
    match evidence {
        Evidence::Query { output, question } => Scored {
            potential: Some(gated_potential(cfg, &output, &question)),
            verdict: None,
        },
        Evidence::Answer { text, question } => {
            let verdict = verify::verify_question(cfg, &text, &question);
            Scored {
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
        Evidence::Query { output, question } => {
            // A result the gate shuts out scores 0 without being compared, however large.
            !gate::admits(&output.reads, &question.proven.reads)
                || (cells(&output.result.rows) <= INLINE_SCORE_CELLS
                    && cells(&question.gold_answer) <= INLINE_SCORE_CELLS)
        }
        Evidence::Answer { text, question } => {
            text.len() <= INLINE_ANSWER_BYTES && cells(&question.gold_answer) <= INLINE_SCORE_CELLS
        }
    }
}
