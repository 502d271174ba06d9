//! One episode's state and rules, with no actors and no I/O: the step count and budget, the
//! wall-clock limit, the action history, which tables were described, and the reward account
//! ([`Ledger`]). Sessions drive it in two halves: [`Episode::begin`] decides what a step needs,
//! the `finish_*` methods turn the outcome into the observation.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::catalog::question::Question;
use crate::catalog::schema::Database;
use crate::database::limits::QueryLimits;
use crate::database::render::render_result;
use crate::database::value::ResultSet;
use crate::protocol::action::{ActionType, SqlAction};
use crate::protocol::observation::{
    AbandonedEpisode, EpisodeState, ObservationMetadata, SqlObservation, StepResult,
};
use crate::reward::components::{ExploreFacts, RewardComponents};
use crate::reward::config::RewardConfig;
use crate::reward::ledger::Ledger;

/// Steps an episode may take before it ends without an answer.
pub const DEFAULT_STEP_BUDGET: u32 = 15;
/// Wall-clock time an episode may last; a step after it ends the episode.
pub const DEFAULT_EPISODE_TIME_LIMIT: Duration = Duration::from_secs(30 * 60);
/// Actions shown in `action_history`.
pub const HISTORY_SHOWN: usize = 5;
/// Characters of an action's argument kept in the history.
const HISTORY_ARGUMENT_CHARS: usize = 200;

/// The rules every episode of a server follows.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeRules {
    pub step_budget: u32,
    pub time_limit: Duration,
    pub limits: QueryLimits,
}

impl Default for EpisodeRules {
    fn default() -> Self {
        EpisodeRules {
            step_budget: DEFAULT_STEP_BUDGET,
            time_limit: DEFAULT_EPISODE_TIME_LIMIT,
            limits: QueryLimits::default(),
        }
    }
}

/// What a step needs after [`Episode::begin`].
#[derive(Debug)]
pub enum Begin {
    /// Nothing more: the reply is ready (a DESCRIBE or SAMPLE answered from the catalog, or the
    /// episode was already over, or just ran out of time).
    Reply(Box<StepResult>),
    /// A QUERY to run on the database.
    Query { sql: String, repeated: bool },
    /// An ANSWER to verify.
    Answer { text: String },
}

#[derive(Debug)]
pub struct Episode {
    id: String,
    question: Arc<Question>,
    db: Arc<Database>,
    tables: Vec<String>,
    rules: Arc<EpisodeRules>,
    reward: Arc<RewardConfig>,
    started: Instant,
    step_count: u32,
    done: bool,
    history: VecDeque<String>,
    taken: HashSet<(ActionType, String)>,
    described: Vec<usize>,
    ledger: Ledger,
}

impl Episode {
    pub fn new(
        id: String,
        question: Arc<Question>,
        db: Arc<Database>,
        rules: Arc<EpisodeRules>,
        reward: Arc<RewardConfig>,
    ) -> Self {
        Episode {
            id,
            tables: db.table_names(),
            question,
            db,
            rules,
            reward,
            started: Instant::now(),
            step_count: 0,
            done: false,
            history: VecDeque::with_capacity(HISTORY_SHOWN),
            taken: HashSet::new(),
            described: Vec::new(),
            ledger: Ledger::new(),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn question(&self) -> &Arc<Question> {
        &self.question
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The observation that starts the episode.
    pub fn reset_result(&self) -> StepResult {
        self.reset_result_after(None)
    }

    /// [`Episode::reset_result`] naming, in its metadata, the episode the reset cut short.
    pub fn reset_result_after(&self, abandoned: Option<AbandonedEpisode>) -> StepResult {
        let result = format!(
            "New episode on database '{}'. Explore with DESCRIBE, SAMPLE and QUERY, then ANSWER. {} steps allowed.",
            self.question.db_id, self.rules.step_budget
        );
        let mut reply = self.reply(result, None, RewardComponents::default());
        reply.observation.metadata.abandoned_episode = abandoned;
        reply
    }

    /// Ends an episode that is not done, as a reset does: it counts as ended without an answer
    /// and earns that return, even with no step taken (resetting after reading the question is
    /// a re-roll, and is on the record as one). `None` when it was already done.
    pub fn abandon(&mut self) -> Option<AbandonedEpisode> {
        if self.done {
            return None;
        }
        self.done = true;
        self.ledger.end_unanswered(&self.reward);
        Some(AbandonedEpisode {
            episode_id: self.id.clone(),
            steps: self.step_count,
            reward: self.ledger.episode_return().unwrap_or_default().total(),
        })
    }

    /// Takes the first half of a step: counts it, records it, and either replies at once or
    /// says what it needs.
    pub fn begin(&mut self, action: &SqlAction) -> Begin {
        if self.done {
            let penalty = self.ledger.after_done(&self.reward);
            let error = "the episode is over: send reset to start a new one".to_owned();
            return Begin::Reply(Box::new(self.reply(String::new(), Some(error), penalty)));
        }
        if self.started.elapsed() > self.rules.time_limit {
            self.done = true;
            let owed = self.ledger.end_unanswered(&self.reward);
            let error = format!(
                "the episode's time limit of {} s was reached",
                self.rules.time_limit.as_secs()
            );
            return Begin::Reply(Box::new(self.reply(String::new(), Some(error), owed)));
        }
        self.step_count += 1;
        let argument = action.argument.trim().to_owned();
        let repeated = !self.taken.insert((action.action_type, argument.clone()));
        self.remember(action.action_type, &argument);
        match action.action_type {
            ActionType::Describe | ActionType::Sample => {
                let (result, error) = self.explore(action.action_type, &argument);
                let facts = ExploreFacts {
                    executed_ok: error.is_none(),
                    repeated,
                    potential: None,
                };
                Begin::Reply(Box::new(self.finish_explore(result, error, &facts)))
            }
            ActionType::Query => Begin::Query {
                sql: action.argument.clone(),
                repeated,
            },
            ActionType::Answer => Begin::Answer {
                text: action.argument.clone(),
            },
        }
    }

    /// A DESCRIBE or SAMPLE from the catalog: the text, or the error for an unknown table.
    fn explore(&mut self, kind: ActionType, name: &str) -> (String, Option<String>) {
        let Some(index) = self.db.table_index(name) else {
            let error = format!(
                "unknown table '{}'; the tables are: {}",
                shown(name),
                self.tables.join(", ")
            );
            return (String::new(), Some(error));
        };
        let table = &self.db.tables[index];
        if kind == ActionType::Describe {
            if !self.described.contains(&index) {
                self.described.push(index);
            }
            (table.describe.clone(), None)
        } else {
            (table.sample.clone(), None)
        }
    }

    /// A QUERY's result as the agent sees it.
    pub fn render(&self, result: &ResultSet) -> String {
        let limits = &self.rules.limits;
        render_result(result, limits.max_rows_shown, limits)
    }

    /// Second half of a QUERY: `outcome` is the rendered result with its gated potential, or
    /// the error.
    pub fn finish_query(
        &mut self,
        outcome: Result<(String, f64), String>,
        repeated: bool,
    ) -> StepResult {
        let (result, error, potential) = match outcome {
            Ok((text, potential)) => (text, None, Some(potential)),
            Err(e) => (String::new(), Some(e), None),
        };
        let facts = ExploreFacts {
            executed_ok: error.is_none(),
            repeated,
            potential,
        };
        self.finish_explore(result, error, &facts)
    }

    /// Books an exploring step. The step that uses up the budget ends the episode unanswered
    /// and pays the rest of its return.
    fn finish_explore(
        &mut self,
        result: String,
        error: Option<String>,
        facts: &ExploreFacts,
    ) -> StepResult {
        let mut reward = self.ledger.explore(&self.reward, facts);
        let mut result = result;
        if self.step_count >= self.rules.step_budget {
            self.done = true;
            reward.accumulate(&self.ledger.end_unanswered(&self.reward));
            if !result.is_empty() {
                result.push('\n');
            }
            result.push_str(&format!(
                "The step budget of {} is used up without an answer: the episode is over.",
                self.rules.step_budget
            ));
        }
        self.reply(result, error, reward)
    }

    /// Second half of an ANSWER step: the episode ends whatever the verdict, and the step pays
    /// the rest of its return.
    pub fn finish_answer(&mut self, correct: bool, reason: &str) -> StepResult {
        self.done = true;
        let reward = self
            .ledger
            .answer(&self.reward, correct, self.rules.step_budget);
        let result = if correct {
            format!("Correct: {reason}.")
        } else {
            format!("Incorrect: {reason}.")
        };
        self.reply(result, None, reward)
    }

    pub fn state(&self) -> EpisodeState {
        EpisodeState {
            episode_id: Some(self.id.clone()),
            step_count: self.step_count,
            question_id: Some(self.question.id.clone()),
            db_id: Some(self.question.db_id.clone()),
            difficulty: Some(self.question.difficulty.as_str().to_owned()),
            done: self.done,
            budget_remaining: self.budget_remaining(),
            cumulative_reward: self.ledger.paid().total(),
            reward_totals: self.ledger.paid(),
        }
    }

    fn budget_remaining(&self) -> u32 {
        self.rules.step_budget.saturating_sub(self.step_count)
    }

    fn remember(&mut self, kind: ActionType, argument: &str) {
        if self.history.len() == HISTORY_SHOWN {
            self.history.pop_front();
        }
        self.history
            .push_back(format!("{} {}", kind.as_str(), shown(argument)));
    }

    fn schema_info(&self) -> String {
        let mut info = format!("Tables: {}", self.tables.join(", "));
        for &i in &self.described {
            info.push('\n');
            info.push_str(&self.db.tables[i].summary);
        }
        info
    }

    fn reply(&self, result: String, error: Option<String>, reward: RewardComponents) -> StepResult {
        StepResult {
            observation: SqlObservation {
                question: self.question.question.clone(),
                schema_info: self.schema_info(),
                result,
                error,
                step_count: self.step_count,
                budget_remaining: self.budget_remaining(),
                action_history: self.history.iter().cloned().collect(),
                db_id: self.question.db_id.clone(),
                tables: self.tables.clone(),
                question_id: self.question.id.clone(),
                difficulty: self.question.difficulty.as_str().to_owned(),
                reward_components: reward,
                metadata: ObservationMetadata::default(),
            },
            reward: Some(reward.total()),
            done: self.done,
        }
    }
}

/// An agent's argument as echoed back (history, errors): at most [`HISTORY_ARGUMENT_CHARS`]
/// characters, so a huge argument does not come back in every observation.
fn shown(argument: &str) -> String {
    let mut shown: String = argument.chars().take(HISTORY_ARGUMENT_CHARS).collect();
    if argument.chars().nth(HISTORY_ARGUMENT_CHARS).is_some() {
        shown.push('…');
    }
    shown
}
