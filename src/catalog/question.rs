//! One question record as stored in `data/questions/*.json`: the contract every question file
//! follows, whatever produced it.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::proven::ProvenGold;
use super::sql_tokens::{tokenize, Token};
use crate::database::value::Cell;

/// A question an episode is played on. Unknown keys are rejected so a typo in a question file
/// fails loudly instead of silently dropping a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub db_id: String,
    pub question: String,
    pub gold_sql: String,
    /// The gold SQL's result, one array of cells per row.
    pub gold_answer: Vec<Vec<Cell>>,
    pub answer_type: AnswerType,
    pub difficulty: Difficulty,
    pub source: Source,
    pub split: Split,
    /// What proving the gold established (column names, tie groups, the tables and columns it
    /// reads, which gate the reward's potential: `crate::reward::gate`); set when the catalog
    /// loads, never read from or written to a question file.
    #[serde(skip)]
    pub proven: ProvenGold,
    /// [`Question::is_ordered`], worked out from the gold SQL the first time it is asked (every
    /// ANSWER asks it); nothing changes a record's gold SQL once it is read.
    #[serde(skip)]
    pub ordered: Memo<bool>,
}

/// A value worked out from the record on first use. Not part of what the record is: two records
/// are equal whether or not either has worked it out yet.
#[derive(Debug, Clone, Default)]
pub struct Memo<T>(OnceLock<T>);

impl<T> PartialEq for Memo<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Question {
    /// Whether the order of the gold rows matters: only when the gold SQL sorts its result.
    pub fn is_ordered(&self) -> bool {
        *self
            .ordered
            .0
            .get_or_init(|| sql_orders_result(&self.gold_sql))
    }
}

/// True when the outermost query has an ORDER BY. A sub-query's ORDER BY (inside parentheses)
/// does not order the final result, so only depth-0 occurrences count.
pub fn sql_orders_result(sql: &str) -> bool {
    let tokens = tokenize(sql);
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            Token::Word(w) if depth == 0 && w == "order" => {
                if matches!(tokens.get(i + 1), Some(Token::Word(by)) if by == "by") {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// The shape of the gold answer, which decides how an agent's answer is compared with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerType {
    Integer,
    Float,
    String,
    List,
    Table,
}

impl AnswerType {
    /// The type a result of this shape has: one cell is a scalar typed by its value, one column a
    /// list, several columns a table.
    pub fn of_result(columns: usize, rows: &[Vec<Cell>]) -> Self {
        match (columns, rows) {
            (1, [row]) => match row.first() {
                Some(Cell::Integer(_)) => AnswerType::Integer,
                Some(Cell::Real(_)) => AnswerType::Float,
                _ => AnswerType::String,
            },
            (0 | 1, _) => AnswerType::List,
            _ => AnswerType::Table,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
    Extra,
}

impl Difficulty {
    pub const ALL: [Difficulty; 4] = [Self::Easy, Self::Medium, Self::Hard, Self::Extra];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Easy => "easy",
            Self::Medium => "medium",
            Self::Hard => "hard",
            Self::Extra => "extra",
        }
    }
}

/// Where a question comes from. Spider's own dev questions are `spider`; each other human-written
/// set has its own source, so a file, a count or a reset can always tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Spider's dev questions (on the dev databases).
    Spider,
    /// Spider's training questions (on the training databases).
    SpiderTrain,
    /// Spider-Syn: the dev questions with schema words replaced by synonyms.
    SpiderSyn,
    /// Spider-Realistic: dev questions with explicit column mentions removed.
    SpiderRealistic,
    /// Spider-DK: dev questions needing domain knowledge.
    SpiderDk,
    Template,
    Procedural,
    LlmGen,
}

impl Source {
    pub const ALL: [Source; 8] = [
        Self::Spider,
        Self::SpiderTrain,
        Self::SpiderSyn,
        Self::SpiderRealistic,
        Self::SpiderDk,
        Self::Template,
        Self::Procedural,
        Self::LlmGen,
    ];

    /// The name stored in question files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spider => "spider",
            Self::SpiderTrain => "spider_train",
            Self::SpiderSyn => "spider_syn",
            Self::SpiderRealistic => "spider_realistic",
            Self::SpiderDk => "spider_dk",
            Self::Template => "template",
            Self::Procedural => "procedural",
            Self::LlmGen => "llm_gen",
        }
    }

    /// Written by a program from a schema, not by a person.
    pub fn is_generated(self) -> bool {
        matches!(self, Self::Template | Self::Procedural | Self::LlmGen)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Train,
    Eval,
}

impl Split {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Eval => "eval",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_by_only_counts_at_top_level() {
        assert!(sql_orders_result("SELECT a FROM t ORDER BY a"));
        assert!(sql_orders_result(
            "select a from t order   by a desc limit 1"
        ));
        assert!(!sql_orders_result(
            "SELECT a FROM t WHERE a IN (SELECT b FROM u ORDER BY b LIMIT 3)"
        ));
        assert!(!sql_orders_result("SELECT 'ORDER BY' FROM t"));
        assert!(!sql_orders_result("SELECT border_by FROM t"));
        // Quoted names and comments hide the keywords, as in the difficulty grading.
        assert!(!sql_orders_result("SELECT [order by] FROM t"));
        assert!(!sql_orders_result("SELECT a FROM t -- ORDER BY a"));
    }

    #[test]
    fn the_remembered_order_is_the_gold_sqls_and_not_part_of_equality() {
        let record = r#"{"id": "q", "db_id": "d", "question": "?", "gold_sql":
            "SELECT a FROM t ORDER BY a", "gold_answer": [[1]], "answer_type": "integer",
            "difficulty": "easy", "source": "spider", "split": "train"}"#;
        let asked: Question = serde_json::from_str(record).unwrap();
        let fresh = asked.clone();
        assert!(asked.is_ordered() && asked.is_ordered());
        assert_eq!(asked, fresh, "one has worked the order out, the other not");
        let mut unordered = fresh;
        unordered.gold_sql = "SELECT a FROM t".into();
        assert!(!unordered.is_ordered());
    }

    #[test]
    fn answer_type_follows_shape() {
        assert_eq!(
            AnswerType::of_result(1, &[vec![Cell::Integer(1)]]),
            AnswerType::Integer
        );
        assert_eq!(
            AnswerType::of_result(1, &[vec![Cell::Real(1.5)]]),
            AnswerType::Float
        );
        assert_eq!(
            AnswerType::of_result(1, &[vec![Cell::Text("a".into())]]),
            AnswerType::String
        );
        assert_eq!(AnswerType::of_result(1, &[]), AnswerType::List);
        assert_eq!(
            AnswerType::of_result(1, &[vec![Cell::Integer(1)], vec![Cell::Integer(2)]]),
            AnswerType::List
        );
        assert_eq!(
            AnswerType::of_result(2, &[vec![Cell::Integer(1), Cell::Null]]),
            AnswerType::Table
        );
    }
}
