//! One episode's state and rules, with no actors and no I/O: the step count and budget, the
//! wall-clock limit, the action history, which tables were described or sampled, which results
//! were seen, the last query's potential and the reward totals. Sessions drive it in two halves:
//! [`Episode::begin`] decides what a step needs, the `finish_*` methods turn the outcome into
//! the observation.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::catalog::question::Question;
use crate::catalog::schema::Database;
use crate::database::error::QueryError;
use crate::database::limits::QueryLimits;
use crate::database::render::render_result;
use crate::database::value::ResultSet;
use crate::protocol::action::{ActionType, SqlAction};
use crate::protocol::observation::{EpisodeState, SqlObservation, StepResult};
use crate::reward::components::{RewardComponents, StepFacts};

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
    /// Nothing more: the reply is ready (the episode was already over, or just ran out of time).
    Reply(Box<StepResult>),
    /// A DESCRIBE or SAMPLE, already answered from the catalog; only the reward is left.
    Explore {
        facts: StepFacts,
        result: String,
        error: Option<String>,
    },
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
    started: Instant,
    step_count: u32,
    done: bool,
    history: VecDeque<String>,
    taken: HashSet<(ActionType, String)>,
    described: Vec<usize>,
    sampled: HashSet<usize>,
    seen_results: HashSet<u64>,
    potential: f64,
    totals: RewardComponents,
}

impl Episode {
    pub fn new(
        id: String,
        question: Arc<Question>,
        db: Arc<Database>,
        rules: Arc<EpisodeRules>,
    ) -> Self {
        Episode {
            id,
            tables: db.table_names(),
            question,
            db,
            rules,
            started: Instant::now(),
            step_count: 0,
            done: false,
            history: VecDeque::with_capacity(HISTORY_SHOWN),
            taken: HashSet::new(),
            described: Vec::new(),
            sampled: HashSet::new(),
            seen_results: HashSet::new(),
            potential: 0.0,
            totals: RewardComponents::default(),
        }
    }

    pub fn question(&self) -> &Arc<Question> {
        &self.question
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The potential of the episode's last successful query (0 before any).
    pub fn potential(&self) -> f64 {
        self.potential
    }

    /// The observation that starts the episode.
    pub fn reset_result(&self) -> StepResult {
        let result = format!(
            "New episode on database '{}'. Explore with DESCRIBE, SAMPLE and QUERY, then ANSWER. {} steps allowed.",
            self.question.db_id, self.rules.step_budget
        );
        self.reply(result, None, RewardComponents::default())
    }

    /// Takes the first half of a step: counts it, records it, and says what it needs.
    pub fn begin(&mut self, action: &SqlAction, after_done: RewardComponents) -> Begin {
        if self.done {
            self.totals.accumulate(&after_done);
            let error = "the episode is over: send reset to start a new one".to_owned();
            return Begin::Reply(Box::new(self.reply(String::new(), Some(error), after_done)));
        }
        if self.started.elapsed() > self.rules.time_limit {
            self.done = true;
            let error = format!(
                "the episode's time limit of {} s was reached",
                self.rules.time_limit.as_secs()
            );
            return Begin::Reply(Box::new(self.reply(
                String::new(),
                Some(error),
                RewardComponents::default(),
            )));
        }
        self.step_count += 1;
        let argument = action.argument.trim().to_owned();
        let repeated = !self.taken.insert((action.action_type, argument.clone()));
        self.remember(action.action_type, &argument);
        match action.action_type {
            ActionType::Describe | ActionType::Sample => {
                self.explore(action.action_type, &argument, repeated)
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

    fn explore(&mut self, kind: ActionType, name: &str, repeated: bool) -> Begin {
        let Some(index) = self.db.table_index(name) else {
            let error = format!(
                "unknown table '{}'; the tables are: {}",
                shown(name),
                self.tables.join(", ")
            );
            let facts = StepFacts {
                executed_ok: false,
                new_information: false,
                repeated,
                potential_before: self.potential,
                potential_now: None,
            };
            return Begin::Explore {
                facts,
                result: String::new(),
                error: Some(error),
            };
        };
        let table = &self.db.tables[index];
        let (new_information, result) = if kind == ActionType::Describe {
            let new = !self.described.contains(&index);
            if new {
                self.described.push(index);
            }
            (new, table.describe.clone())
        } else {
            (self.sampled.insert(index), table.sample.clone())
        };
        let facts = StepFacts {
            executed_ok: true,
            new_information,
            repeated,
            potential_before: self.potential,
            potential_now: None,
        };
        Begin::Explore {
            facts,
            result,
            error: None,
        }
    }

    /// Facts of a finished QUERY (its potential still to be computed) and its rendering.
    pub fn query_facts(
        &mut self,
        outcome: &Result<ResultSet, QueryError>,
        repeated: bool,
    ) -> (StepFacts, String, Option<String>) {
        let mut facts = StepFacts {
            executed_ok: false,
            new_information: false,
            repeated,
            potential_before: self.potential,
            potential_now: None,
        };
        match outcome {
            Ok(result) => {
                facts.executed_ok = true;
                facts.new_information = self.seen_results.insert(fingerprint(result));
                let limits = &self.rules.limits;
                (
                    facts,
                    render_result(result, limits.max_rows_shown, limits),
                    None,
                )
            }
            Err(e) => (facts, String::new(), Some(e.to_string())),
        }
    }

    /// Second half of a DESCRIBE, SAMPLE or QUERY step. `exhausted` is added to the step's
    /// reward when the step uses up the budget (`shaping::budget_exhausted_reward`), so that not
    /// answering never pays better than a wrong answer.
    pub fn finish_explore(
        &mut self,
        result: String,
        error: Option<String>,
        reward: RewardComponents,
        potential: Option<f64>,
        exhausted: RewardComponents,
    ) -> StepResult {
        if let Some(p) = potential {
            self.potential = p;
        }
        let mut reward = reward;
        let out_of_budget = self.step_count >= self.rules.step_budget;
        if out_of_budget {
            reward.accumulate(&exhausted);
        }
        self.totals.accumulate(&reward);
        let mut result = result;
        if out_of_budget {
            self.done = true;
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

    /// Second half of an ANSWER step: the episode ends whatever the verdict.
    pub fn finish_answer(
        &mut self,
        correct: bool,
        reason: &str,
        reward: RewardComponents,
    ) -> StepResult {
        self.done = true;
        self.totals.accumulate(&reward);
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
            cumulative_reward: self.totals.total(),
            reward_totals: self.totals,
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

/// Identifies a result's content, so seeing it again is not new information.
fn fingerprint(result: &ResultSet) -> u64 {
    let mut h = DefaultHasher::new();
    result.columns.hash(&mut h);
    result.total_rows.hash(&mut h);
    for row in &result.rows {
        for cell in row {
            cell.shown().hash(&mut h);
        }
    }
    h.finish()
}
