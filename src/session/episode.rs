//! One episode's state and rules, with no actors and no I/O: the step count and budget, the
//! wall-clock limit, the action history, which tables were described, and the reward account
//! ([`Ledger`]). Sessions drive it in two halves: [`Episode::begin`] decides what a step needs,
//! the `finish_*` methods turn the outcome into the observation.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

// tokio's clock (re-exported by actix-rt): the time limit follows a paused clock in tests.
use actix_rt::time::Instant;

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
    /// The question's database id, shared with every query message rather than copied into each.
    db_id: Arc<str>,
    db: Arc<Database>,
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
            db_id: question.db_id.as_str().into(),
            question,
            db,
            rules,
            reward,
            started: Instant::now(),
            step_count: 0,
            done: false,
            // Grown on the first step, not reserved: an idle session holds no history.
            history: VecDeque::new(),
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

    pub fn db_id(&self) -> &Arc<str> {
        &self.db_id
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
        let argument = action.argument.trim();
        let repeated = !self.taken.insert((action.action_type, argument.to_owned()));
        self.remember(action.action_type, argument);
        match action.action_type {
            ActionType::Describe | ActionType::Sample => {
                let (result, error) = self.explore(action.action_type, argument);
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
                self.db.table_list()
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
        let argument = shown(argument);
        let mut line = String::with_capacity(kind.as_str().len() + 1 + argument.len());
        line.push_str(kind.as_str());
        line.push(' ');
        line.push_str(&argument);
        self.history.push_back(line);
    }

    fn schema_info(&self) -> String {
        let summaries: usize = self
            .described
            .iter()
            .map(|&i| self.db.tables[i].summary.len() + 1)
            .sum();
        let mut info = String::with_capacity(self.db.tables_line().len() + summaries);
        info.push_str(self.db.tables_line());
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
                tables: self.db.table_names(),
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
fn shown(argument: &str) -> Cow<'_, str> {
    // No more bytes than the limit means no more characters: most arguments are short.
    if argument.len() <= HISTORY_ARGUMENT_CHARS {
        return Cow::Borrowed(argument);
    }
    match argument.char_indices().nth(HISTORY_ARGUMENT_CHARS) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &argument[..cut])),
        None => Cow::Borrowed(argument),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::catalog::schema::Table;

    fn table(name: &str) -> Table {
        Table {
            name: name.to_owned(),
            columns: Vec::new(),
            foreign_keys: Vec::new(),
            row_count: 0,
            describe: format!("describe of {name}"),
            sample: format!("sample of {name}"),
            summary: format!("summary of {name}"),
        }
    }

    fn episode_with(rules: EpisodeRules) -> Episode {
        let question: Question = serde_json::from_value(json!({
            "id": "q1",
            "db_id": "concert_singer",
            "question": "How many singers are there?",
            "gold_sql": "SELECT count(*) FROM singer",
            "gold_answer": [[6]],
            "answer_type": "integer",
            "difficulty": "easy",
            "source": "spider",
            "split": "eval",
        }))
        .unwrap();
        let db = Database::new(
            "concert_singer".into(),
            PathBuf::from("unused.sqlite"),
            vec![table("singer"), table("concert")],
        );
        Episode::new(
            "e1".into(),
            Arc::new(question),
            Arc::new(db),
            Arc::new(rules),
            Arc::new(RewardConfig::default()),
        )
    }

    fn episode(budget: u32) -> Episode {
        episode_with(EpisodeRules {
            step_budget: budget,
            ..EpisodeRules::default()
        })
    }

    fn action(kind: ActionType, argument: &str) -> SqlAction {
        SqlAction {
            action_type: kind,
            argument: argument.to_owned(),
            metadata: None,
        }
    }

    /// A step that replies at once (DESCRIBE, SAMPLE, or one the rules refuse).
    fn reply(episode: &mut Episode, kind: ActionType, argument: &str) -> StepResult {
        match episode.begin(&action(kind, argument)) {
            Begin::Reply(result) => *result,
            other => panic!("expected an immediate reply, got {other:?}"),
        }
    }

    #[test]
    fn describe_and_sample_answer_from_the_catalog() {
        let mut episode = episode(15);
        let described = reply(&mut episode, ActionType::Describe, "Singer");
        assert_eq!(described.observation.result, "describe of singer");
        assert!(described
            .observation
            .schema_info
            .contains("summary of singer"));
        let sampled = reply(&mut episode, ActionType::Sample, "concert");
        assert_eq!(sampled.observation.result, "sample of concert");
        assert!(!sampled
            .observation
            .schema_info
            .contains("summary of concert"));
        let unknown = reply(&mut episode, ActionType::Describe, "stadium");
        let error = unknown.observation.error.unwrap_or_default();
        assert!(error.contains("unknown table 'stadium'"), "{error}");
        assert!(error.contains("singer, concert"), "{error}");
        assert_eq!(unknown.observation.step_count, 3);
    }

    #[test]
    fn the_step_that_uses_up_the_budget_ends_the_episode() {
        let mut episode = episode(3);
        for (i, table) in ["singer", "concert"].iter().enumerate() {
            let result = reply(&mut episode, ActionType::Describe, table);
            assert!(!result.done);
            assert_eq!(result.observation.budget_remaining, 2 - i as u32);
        }
        let Begin::Query { .. } = episode.begin(&action(ActionType::Query, "SELECT 1")) else {
            panic!("a QUERY needs the database");
        };
        let last = episode.finish_query(Ok(("1".into(), 0.0)), false);
        assert!(last.done);
        assert_eq!(last.observation.budget_remaining, 0);
        assert!(last.observation.result.starts_with("1\n"));
        assert!(last
            .observation
            .result
            .contains("step budget of 3 is used up"));
        assert!(episode.state().done);
    }

    #[test]
    fn a_step_after_the_end_is_refused_and_not_counted() {
        let mut episode = episode(15);
        let Begin::Answer { text } = episode.begin(&action(ActionType::Answer, " 6 ")) else {
            panic!("an ANSWER needs verifying");
        };
        assert_eq!(text, " 6 ");
        let answered = episode.finish_answer(true, "matches");
        assert!(answered.done);
        assert_eq!(answered.observation.result, "Correct: matches.");
        let paid = episode.state().cumulative_reward;

        let after = reply(&mut episode, ActionType::Describe, "singer");
        assert!(after.done);
        let error = after.observation.error.unwrap_or_default();
        assert!(error.contains("the episode is over"), "{error}");
        assert_eq!(after.observation.step_count, 1);
        assert!(after.reward.unwrap_or_default() <= 0.0);
        assert!(episode.state().cumulative_reward <= paid);
        // Nothing left to abandon.
        assert!(episode.abandon().is_none());
    }

    #[test]
    fn history_keeps_the_last_actions_with_long_arguments_cut() {
        let mut episode = episode(15);
        for table in ["singer", "concert", "singer", "concert", "singer"] {
            reply(&mut episode, ActionType::Sample, table);
        }
        let long = "x".repeat(HISTORY_ARGUMENT_CHARS + 50);
        let last = reply(&mut episode, ActionType::Describe, &long);
        let history = &last.observation.action_history;
        assert_eq!(history.len(), HISTORY_SHOWN);
        assert_eq!(history[0], "SAMPLE concert");
        let cut = format!("DESCRIBE {}…", "x".repeat(HISTORY_ARGUMENT_CHARS));
        assert_eq!(history[HISTORY_SHOWN - 1], cut);
    }

    #[test]
    fn a_query_taken_twice_is_marked_repeated() {
        let mut episode = episode(15);
        let repeats: Vec<bool> = ["SELECT 1", " SELECT 1 ", "SELECT 2"]
            .iter()
            .map(|sql| match episode.begin(&action(ActionType::Query, sql)) {
                Begin::Query { repeated, .. } => repeated,
                other => panic!("expected a query, got {other:?}"),
            })
            .collect();
        assert_eq!(repeats, [false, true, false]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_after_the_time_limit_ends_the_episode_unanswered() {
        let limit = Duration::from_secs(60);
        let mut episode = episode_with(EpisodeRules {
            time_limit: limit,
            ..EpisodeRules::default()
        });
        tokio::time::advance(limit).await;
        let in_time = reply(&mut episode, ActionType::Describe, "singer");
        assert!(!in_time.done);

        tokio::time::advance(Duration::from_secs(1)).await;
        let late = reply(&mut episode, ActionType::Describe, "singer");
        assert!(late.done);
        let error = late.observation.error.unwrap_or_default();
        assert!(error.contains("time limit of 60 s"), "{error}");
        assert_eq!(late.observation.step_count, 1);
        assert!(episode.abandon().is_none());
    }
}
