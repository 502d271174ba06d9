//! Scripted policies: fixed strategies that play SQLEnv episodes so the reward can be judged by
//! what they earn. `oracle` is the ceiling (it knows the gold), `random` the floor, and the
//! gaming strategies are what an agent exploiting the shaping would converge to; the reward is
//! sound only if none of them out-earns honest play (tests/api/eval.rs checks it).
//!
//! A policy sees the observation the server sent and, through [`EpisodeContext`], the question
//! record and the database's schema from the local catalog. Only `oracle`, `padded-oracle` and
//! the strategies that farm the gold query read the gold; the probing strategies
//! ([`super::probe`], [`super::second_session`]) never read the question record at all.

use std::sync::Arc;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::catalog::question::Question;
use crate::catalog::schema::Database;
use crate::database::value::Cell;
use crate::protocol::action::{ActionType, SqlAction};
use crate::protocol::observation::SqlObservation;

use super::probe::{MembershipProbe, ThresholdProbe};

/// What a policy may know about the episode besides the observation.
#[derive(Debug, Clone)]
pub struct EpisodeContext {
    pub question: Arc<Question>,
    pub database: Arc<Database>,
}

impl EpisodeContext {
    fn table_names(&self) -> impl Iterator<Item = &str> {
        self.database.tables.iter().map(|t| t.name.as_str())
    }
}

/// A strategy for one episode: given the latest observation, the next action.
pub trait Policy {
    fn act(&mut self, observation: &SqlObservation, ctx: &EpisodeContext) -> SqlAction;
}

/// The scripted policies `sqlenv eval` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Random valid actions over the real schema, then a random answer.
    Random,
    /// Runs the gold SQL, then answers with the gold result.
    Oracle,
    /// DESCRIBEs every table once (what the old `new_info` bonus paid for), then answers a guess.
    DescribeEveryTable,
    /// Runs the gold SQL over and over (what the old per-step bonuses paid for), never answering.
    RepeatSameQuery,
    /// SAMPLEs the tables round-robin for the whole budget, never answering.
    SampleSpam,
    /// Answers at once with a degenerate guess (`0`, empty, `NULL`, a list of numbers, an
    /// injection) or with a dump of a table.
    AnswerGuessing,
    /// Alternates the gold SQL with a query returning nothing, the down-up cycle that farmed
    /// progress when the clip cut potential drops short.
    Oscillate,
    /// The oracle with 13 distinct cheap steps before its answer, farming any per-step pay.
    PaddedOracle,
    /// Bisects a number with threshold queries, reading each step's reward, then answers it.
    ThresholdProbe,
    /// Bisects the database's text values with one-row candidate results, then answers.
    MembershipProbe,
    /// Probes (threshold, then membership) in a second session reset to the question the first
    /// one shows, step rewards and whole probe episodes alike, then answers in the first.
    SecondSessionProbe,
    /// The shape of a short honest episode with cheap steps: DESCRIBE and SAMPLE the first
    /// table, two small QUERYs on it, then the gold answer. Not one of [`PolicyKind::ALL`] (it
    /// says nothing about the reward); `sqlenv load` plays it to measure the step path itself,
    /// where the oracle's gold SQL would measure SQLite.
    Explore,
}

impl PolicyKind {
    pub const ALL: [PolicyKind; 11] = [
        PolicyKind::Oracle,
        PolicyKind::Random,
        PolicyKind::DescribeEveryTable,
        PolicyKind::RepeatSameQuery,
        PolicyKind::SampleSpam,
        PolicyKind::AnswerGuessing,
        PolicyKind::Oscillate,
        PolicyKind::PaddedOracle,
        PolicyKind::ThresholdProbe,
        PolicyKind::MembershipProbe,
        PolicyKind::SecondSessionProbe,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Random => "random",
            PolicyKind::Oracle => "oracle",
            PolicyKind::DescribeEveryTable => "describe-every-table",
            PolicyKind::RepeatSameQuery => "repeat-same-query",
            PolicyKind::SampleSpam => "sample-spam",
            PolicyKind::AnswerGuessing => "answer-guessing",
            PolicyKind::Oscillate => "oscillate",
            PolicyKind::PaddedOracle => "padded-oracle",
            PolicyKind::ThresholdProbe => "threshold-probe",
            PolicyKind::MembershipProbe => "membership-probe",
            PolicyKind::SecondSessionProbe => "second-session-probe",
            PolicyKind::Explore => "explore",
        }
    }

    pub fn from_name(name: &str) -> Option<PolicyKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Strategies that try to earn reward without answering honestly.
    pub fn is_gaming(self) -> bool {
        !matches!(
            self,
            PolicyKind::Random | PolicyKind::Oracle | PolicyKind::Explore
        )
    }

    /// Strategies that try to read the gold out of the reward; they never read the question.
    pub fn is_probing(self) -> bool {
        matches!(
            self,
            PolicyKind::ThresholdProbe
                | PolicyKind::MembershipProbe
                | PolicyKind::SecondSessionProbe
        )
    }

    /// A fresh policy for one episode; `seed` makes its random choices reproducible.
    pub fn build(self, seed: u64) -> Box<dyn Policy> {
        match self {
            PolicyKind::Random => Box::new(RandomPolicy::new(seed)),
            PolicyKind::Oracle => Box::new(Oracle),
            PolicyKind::DescribeEveryTable => Box::new(DescribeEveryTable),
            PolicyKind::RepeatSameQuery => Box::new(RepeatSameQuery),
            PolicyKind::SampleSpam => Box::new(SampleSpam),
            PolicyKind::AnswerGuessing => Box::new(AnswerGuessing::new(seed)),
            PolicyKind::Oscillate => Box::new(Oscillate),
            PolicyKind::PaddedOracle => Box::new(PaddedOracle),
            PolicyKind::ThresholdProbe => Box::<ThresholdProbe>::default(),
            PolicyKind::MembershipProbe => Box::<MembershipProbe>::default(),
            // Its probing happens in a second session before the episode is played (see
            // `second_session::play`); played on its own it answers like a silent probe.
            PolicyKind::SecondSessionProbe => Box::new(FixedAnswer(FALLBACK_GUESS.to_owned())),
            PolicyKind::Explore => Box::new(Explore),
        }
    }
}

pub(crate) fn action(action_type: ActionType, argument: impl Into<String>) -> SqlAction {
    SqlAction {
        action_type,
        argument: argument.into(),
        metadata: None,
    }
}

/// SQLite identifier quoting, so table and column names with spaces or keywords still run.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Writes result rows as an agent would answer them: one row per line, the cells of a row
/// separated by ` | `, each cell as the server displays it (line breaks inside a cell shown as
/// spaces, as in a rendered result; the verifier collapses whitespace, so this is the same
/// value). Rows whose cells contain `|` cannot be written that way unambiguously; they go as
/// JSON rows, which the verifier also reads.
pub fn format_answer(rows: &[Vec<Cell>]) -> String {
    let has_bar = rows
        .iter()
        .flatten()
        .any(|c| matches!(c, Cell::Text(t) if t.contains('|')));
    if has_bar {
        if let Ok(json) = serde_json::to_string(rows) {
            return json;
        }
    }
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for (j, cell) in row.iter().enumerate() {
            if j > 0 {
                out.push_str(" | ");
            }
            let text = cell.display();
            out.extend(
                text.chars()
                    .map(|c| if c == '\n' || c == '\r' { ' ' } else { c }),
            );
        }
    }
    out
}

/// The data cells of a rendered result table (header line and row-count footer dropped).
pub(crate) fn result_cells(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let body = match lines.as_slice() {
        [_header, body @ .., footer] if footer.starts_with('(') => body,
        _ => return Vec::new(),
    };
    body.iter()
        .flat_map(|line| line.split(" | "))
        .map(str::to_owned)
        .collect()
}

/// The honest ceiling: one QUERY with the gold SQL (the potential reaches 1), then the answer.
/// It answers from the question record rather than from the rendered result, which shows at most
/// a screenful of rows and clips long cells.
struct Oracle;

impl Policy for Oracle {
    fn act(&mut self, obs: &SqlObservation, ctx: &EpisodeContext) -> SqlAction {
        if obs.step_count == 0 {
            action(ActionType::Query, ctx.question.gold_sql.clone())
        } else {
            action(ActionType::Answer, format_answer(&ctx.question.gold_answer))
        }
    }
}

/// See [`PolicyKind::Explore`]. Every step is cheap on every database: DESCRIBE and SAMPLE are
/// answered from the catalog, and the two QUERYs read one small table (`COUNT(*)` and three
/// rows).
struct Explore;

impl Policy for Explore {
    fn act(&mut self, obs: &SqlObservation, ctx: &EpisodeContext) -> SqlAction {
        let table = ctx.table_names().next();
        let quoted = table.map(ident);
        match (obs.step_count, table, quoted) {
            (0, Some(t), _) => action(ActionType::Describe, t),
            (1, Some(t), _) => action(ActionType::Sample, t),
            (2, _, Some(q)) => action(ActionType::Query, format!("SELECT COUNT(*) FROM {q}")),
            (3, _, Some(q)) => action(ActionType::Query, format!("SELECT * FROM {q} LIMIT 3")),
            _ => action(ActionType::Answer, format_answer(&ctx.question.gold_answer)),
        }
    }
}

/// Cheap steps the padded oracle takes between its query and its answer: with the query and
/// the answer, the whole default budget of 15.
pub const PADDING_STEPS: u32 = 13;

/// The oracle, padded: the gold SQL, then [`PADDING_STEPS`] distinct constant queries (each
/// runs, none repeats), then the gold answer. It must earn less than the oracle.
struct PaddedOracle;

impl Policy for PaddedOracle {
    fn act(&mut self, obs: &SqlObservation, ctx: &EpisodeContext) -> SqlAction {
        match obs.step_count {
            0 => action(ActionType::Query, ctx.question.gold_sql.clone()),
            n if n <= PADDING_STEPS && obs.budget_remaining > 1 => {
                action(ActionType::Query, format!("SELECT {n}"))
            }
            _ => action(ActionType::Answer, format_answer(&ctx.question.gold_answer)),
        }
    }
}

/// Answers `.0` at once.
pub struct FixedAnswer(pub String);

impl Policy for FixedAnswer {
    fn act(&mut self, _: &SqlObservation, _: &EpisodeContext) -> SqlAction {
        action(ActionType::Answer, self.0.clone())
    }
}

/// Chance a random policy answers on a given step before its budget forces it to.
const RANDOM_ANSWER_PROBABILITY: f64 = 0.15;

/// The floor: random DESCRIBE, SAMPLE and simple SELECTs over real tables and columns, then a
/// random answer (a cell of the last table it saw, or a small number).
struct RandomPolicy {
    rng: ChaCha8Rng,
    last: Option<ActionType>,
    cells: Vec<String>,
}

impl RandomPolicy {
    fn new(seed: u64) -> Self {
        RandomPolicy {
            rng: ChaCha8Rng::seed_from_u64(seed),
            last: None,
            cells: Vec::new(),
        }
    }

    fn random_query(&mut self, db: &Database) -> Option<String> {
        let table = db.tables.choose(&mut self.rng)?;
        let t = ident(&table.name);
        let column = table.columns.choose(&mut self.rng).map(|c| ident(&c.name));
        let Some(c) = column else {
            return Some(format!("SELECT count(*) FROM {t}"));
        };
        let sql = match self.rng.gen_range(0..8) {
            0 => format!("SELECT count(*) FROM {t}"),
            1 => format!("SELECT {c} FROM {t} LIMIT {}", self.rng.gen_range(1..=10)),
            2 => format!("SELECT DISTINCT {c} FROM {t}"),
            3 => format!("SELECT {c}, count(*) FROM {t} GROUP BY {c}"),
            4 => {
                let f = ["max", "min", "avg", "sum"].choose(&mut self.rng).copied();
                format!("SELECT {}({c}) FROM {t}", f.unwrap_or("max"))
            }
            5 => format!("SELECT {c} FROM {t} ORDER BY {c} DESC LIMIT 1"),
            6 => format!("SELECT count(DISTINCT {c}) FROM {t}"),
            _ => {
                let other = table
                    .columns
                    .choose(&mut self.rng)
                    .map_or_else(|| c.clone(), |o| ident(&o.name));
                format!("SELECT {c}, {other} FROM {t} WHERE {c} IS NOT NULL LIMIT 5")
            }
        };
        Some(sql)
    }

    fn answer(&mut self) -> SqlAction {
        let text = match self.cells.choose(&mut self.rng) {
            Some(cell) => cell.clone(),
            None => self.rng.gen_range(0..=20).to_string(),
        };
        action(ActionType::Answer, text)
    }
}

impl Policy for RandomPolicy {
    fn act(&mut self, obs: &SqlObservation, ctx: &EpisodeContext) -> SqlAction {
        if matches!(self.last, Some(ActionType::Query | ActionType::Sample)) && obs.error.is_none()
        {
            let cells = result_cells(&obs.result);
            if !cells.is_empty() {
                self.cells = cells;
            }
        }
        let db = &ctx.database;
        let next = if obs.budget_remaining <= 1
            || db.tables.is_empty()
            || self.rng.gen_bool(RANDOM_ANSWER_PROBABILITY)
        {
            self.answer()
        } else {
            match self.rng.gen_range(0..4) {
                0 | 1 => {
                    let kind = if self.rng.gen_bool(0.5) {
                        ActionType::Describe
                    } else {
                        ActionType::Sample
                    };
                    let table = db.tables.choose(&mut self.rng).map(|t| t.name.clone());
                    action(kind, table.unwrap_or_default())
                }
                _ => match self.random_query(db) {
                    Some(sql) => action(ActionType::Query, sql),
                    None => self.answer(),
                },
            }
        };
        self.last = Some(next.action_type);
        next
    }
}

/// The answer gaming strategies give when they give one: the most common degenerate guess.
const FALLBACK_GUESS: &str = "0";

struct DescribeEveryTable;

impl Policy for DescribeEveryTable {
    fn act(&mut self, obs: &SqlObservation, ctx: &EpisodeContext) -> SqlAction {
        // Keep the last step for the answer, so the episode ends on the policy's own terms.
        match ctx.table_names().nth(obs.step_count as usize) {
            Some(table) if obs.budget_remaining > 1 => action(ActionType::Describe, table),
            _ => action(ActionType::Answer, FALLBACK_GUESS),
        }
    }
}

struct RepeatSameQuery;

impl Policy for RepeatSameQuery {
    fn act(&mut self, _: &SqlObservation, ctx: &EpisodeContext) -> SqlAction {
        action(ActionType::Query, ctx.question.gold_sql.clone())
    }
}

struct SampleSpam;

impl Policy for SampleSpam {
    fn act(&mut self, obs: &SqlObservation, ctx: &EpisodeContext) -> SqlAction {
        let n = ctx.database.tables.len().max(1);
        match ctx.table_names().nth(obs.step_count as usize % n) {
            Some(table) => action(ActionType::Sample, table),
            None => action(ActionType::Answer, FALLBACK_GUESS),
        }
    }
}

/// A query that runs and returns nothing: the potential of an empty result is 0.
const EMPTY_QUERY: &str = "SELECT 1 WHERE 0";

struct Oscillate;

impl Policy for Oscillate {
    fn act(&mut self, obs: &SqlObservation, ctx: &EpisodeContext) -> SqlAction {
        if obs.step_count % 2 == 0 {
            action(ActionType::Query, ctx.question.gold_sql.clone())
        } else {
            action(ActionType::Query, EMPTY_QUERY)
        }
    }
}

/// What an exploiter of a lenient verifier tries: answers that are right for some questions by
/// luck, or that a substring / "contains" / empty-set comparison would accept.
const DEGENERATE_GUESSES: [&str; 9] = [
    "0",
    "1",
    "",
    "NULL",
    "[]",
    "none",
    "1, 2, 3, 4, 5, 6, 7, 8, 9, 10",
    "' OR 1=1 --",
    "yes",
];

/// Answers at once with one degenerate guess, or (one episode in ten) dumps a table with a QUERY
/// and answers with the whole rendered result.
struct AnswerGuessing {
    dump: bool,
    guess: &'static str,
    table: usize,
}

impl AnswerGuessing {
    fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let choice = rng.gen_range(0..=DEGENERATE_GUESSES.len());
        AnswerGuessing {
            dump: choice == DEGENERATE_GUESSES.len(),
            guess: DEGENERATE_GUESSES
                .get(choice)
                .copied()
                .unwrap_or(FALLBACK_GUESS),
            table: rng.gen(),
        }
    }
}

impl Policy for AnswerGuessing {
    fn act(&mut self, obs: &SqlObservation, ctx: &EpisodeContext) -> SqlAction {
        let tables = &ctx.database.tables;
        if !self.dump || tables.is_empty() {
            return action(ActionType::Answer, self.guess);
        }
        if obs.step_count == 0 {
            let table = &tables[self.table % tables.len()];
            action(
                ActionType::Query,
                format!("SELECT * FROM {}", ident(&table.name)),
            )
        } else {
            action(ActionType::Answer, obs.result.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::question::AnswerType;
    use crate::reward::config::RewardConfig;
    use crate::reward::verify::{verify_answer, Gold};

    #[test]
    fn answers_are_formatted_one_row_per_line() {
        let rows = vec![
            vec![Cell::Text("Alice".into()), Cell::Integer(30)],
            vec![Cell::Null, Cell::Real(2.0)],
        ];
        assert_eq!(format_answer(&rows), "Alice | 30\nNULL | 2.0");
        assert_eq!(format_answer(&[]), "");
    }

    fn verifies(answer: &str, rows: &[Vec<Cell>], answer_type: AnswerType) -> bool {
        let gold = Gold {
            rows,
            answer_type,
            ordered: false,
        };
        verify_answer(&RewardConfig::default(), answer, &gold).correct
    }

    /// Spider-dev 0693 and 0970 have cells with line breaks; written raw, one cell spilled onto
    /// a line of its own and the oracle's answer had the wrong number of rows.
    #[test]
    fn cells_with_line_breaks_stay_on_their_row() {
        let rows = vec![
            vec![
                Cell::Text("NY".into()),
                Cell::Text("2018-03-09 19:03:21".into()),
            ],
            vec![
                Cell::Text("NJ\n".into()),
                Cell::Text("2018-03-09 19:03:40".into()),
            ],
        ];
        let text = format_answer(&rows);
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(verifies(&text, &rows, AnswerType::Table), "{text}");
        let rows = vec![vec![
            Cell::Text("Employee".into()),
            Cell::Text("6915 Oberbrunner Point Suite 491\nGleasonville, LA ".into()),
            Cell::Text("West Heidi".into()),
        ]];
        let text = format_answer(&rows);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(verifies(&text, &rows, AnswerType::Table), "{text}");
    }

    #[test]
    fn cells_with_bars_go_as_json() {
        let rows = vec![
            vec![Cell::Text("a | b".into()), Cell::Integer(1)],
            vec![Cell::Text("c".into()), Cell::Real(2.5)],
        ];
        let text = format_answer(&rows);
        assert!(text.starts_with("[["), "{text}");
        assert!(verifies(&text, &rows, AnswerType::Table), "{text}");
    }

    #[test]
    fn result_cells_skip_header_and_footer() {
        let text = "id | name\n1 | a\n2 | b\n(2 rows)";
        assert_eq!(result_cells(text), ["1", "a", "2", "b"]);
        assert!(result_cells("Correct: matches gold.").is_empty());
        assert!(result_cells("").is_empty());
    }

    #[test]
    fn every_policy_has_a_unique_name() {
        for kind in PolicyKind::ALL {
            assert_eq!(PolicyKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(PolicyKind::from_name("all"), None);
        assert!(!PolicyKind::Oracle.is_gaming() && PolicyKind::SampleSpam.is_gaming());
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(ident("my table"), "\"my table\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
    }
}
