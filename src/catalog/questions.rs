//! Loading question files and proving every record against its database: the gold SQL must run
//! under the same read-only guard agents get and return exactly the stored gold answer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use super::error::CatalogError;
use super::question::{AnswerType, Difficulty, Question, Split};
use super::schema::Database;
use crate::database::connection::open_hardened;
use crate::database::limits::{QueryLimits, KEPT_ROWS};
use crate::database::query::run_query;
use crate::database::value::Cell;

/// Gold SQL is trusted but must still finish: a generous limit for start-up checks.
const GOLD_QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads every `*.json` question file in `dir`, in name order.
pub fn read_question_files(dir: &Path) -> Result<Vec<(PathBuf, Vec<Question>)>, CatalogError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CatalogError::Read {
        path: dir.to_owned(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(CatalogError::Invalid {
            path: dir.to_owned(),
            message: "no question files (*.json)".into(),
        });
    }
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Read {
                path: path.clone(),
                source,
            })?;
            let records: Vec<Question> =
                serde_json::from_str(&text).map_err(|source| CatalogError::Json {
                    path: path.clone(),
                    source,
                })?;
            Ok((path, records))
        })
        .collect()
}

/// A result with no rows, or only NULLs, answers nothing: such questions are never served.
pub fn is_empty_gold(rows: &[Vec<Cell>]) -> bool {
    rows.iter().all(|row| row.iter().all(|c| *c == Cell::Null))
}

/// Whether two results hold the same rows (in the same order when `ordered`).
pub fn same_rows(expected: &[Vec<Cell>], actual: &[Vec<Cell>], ordered: bool) -> bool {
    if expected.len() != actual.len() {
        return false;
    }
    if ordered {
        return expected == actual;
    }
    let key = |row: &Vec<Cell>| serde_json::to_string(row).unwrap_or_default();
    let mut a: Vec<String> = expected.iter().map(key).collect();
    let mut b: Vec<String> = actual.iter().map(key).collect();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// Runs `sql` on `db` the way an agent's QUERY would, returning the columns count and rows.
pub fn execute_gold(db: &Database, sql: &str) -> Result<(usize, Vec<Vec<Cell>>), String> {
    let conn = open_hardened(&db.path).map_err(|e| e.to_string())?;
    execute_on(&conn, sql)
}

fn execute_on(conn: &rusqlite::Connection, sql: &str) -> Result<(usize, Vec<Vec<Cell>>), String> {
    let limits = QueryLimits {
        timeout: GOLD_QUERY_TIMEOUT,
        ..QueryLimits::default()
    };
    let result = run_query(conn, sql, &limits, &Arc::new(AtomicBool::new(false)))
        .map_err(|e| e.to_string())?;
    if result.is_truncated() {
        return Err(format!(
            "the gold result has {} rows; at most {KEPT_ROWS} are supported",
            result.total_rows
        ));
    }
    Ok((result.columns.len(), result.rows))
}

/// Checks one record against the databases; `conn` is a hardened connection to its database.
fn check_record(q: &Question, conn: &rusqlite::Connection) -> Result<(), String> {
    let (columns, rows) =
        execute_on(conn, &q.gold_sql).map_err(|e| format!("gold_sql does not run: {e}"))?;
    if !same_rows(&q.gold_answer, &rows, q.is_ordered()) {
        return Err(format!(
            "gold_answer does not match what gold_sql returns ({} rows stored, {} returned)",
            q.gold_answer.len(),
            rows.len()
        ));
    }
    let shape = AnswerType::of_result(columns, &rows);
    if shape != q.answer_type {
        return Err(format!(
            "answer_type is {:?} but the gold result is a {:?}",
            q.answer_type, shape
        ));
    }
    Ok(())
}

/// Validates all records of all files: unique ids, known databases, gold SQL and gold answers.
/// Records are checked in parallel, one thread per core, grouped by database.
pub fn validate(
    files: &[(PathBuf, Vec<Question>)],
    databases: &BTreeMap<String, Arc<Database>>,
) -> Result<(), CatalogError> {
    let mut seen = HashSet::new();
    let mut by_db: HashMap<&str, Vec<(&Path, usize, &Question)>> = HashMap::new();
    for (path, records) in files {
        for (index, q) in records.iter().enumerate() {
            let fail = |message: String| CatalogError::Record {
                path: path.clone(),
                index,
                id: q.id.clone(),
                message,
            };
            if q.id.trim().is_empty() || q.question.trim().is_empty() {
                return Err(fail("id and question must not be empty".into()));
            }
            if !seen.insert(q.id.as_str()) {
                return Err(fail("duplicate id".into()));
            }
            if !databases.contains_key(&q.db_id) {
                return Err(fail(format!("unknown db_id '{}'", q.db_id)));
            }
            by_db
                .entry(q.db_id.as_str())
                .or_default()
                .push((path, index, q));
        }
    }
    let groups: Vec<_> = by_db.into_iter().collect();
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(groups.len().max(1));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<_> = groups.iter().skip(t).step_by(threads).collect();
                scope.spawn(move || -> Result<(), CatalogError> {
                    for (db_id, records) in mine {
                        let Some(db) = databases.get(*db_id) else {
                            continue;
                        };
                        let conn = open_hardened(&db.path).map_err(|e| CatalogError::Database {
                            path: db.path.clone(),
                            message: e.to_string(),
                        })?;
                        for (path, index, q) in records {
                            check_record(q, &conn).map_err(|message| CatalogError::Record {
                                path: path.to_path_buf(),
                                index: *index,
                                id: q.id.clone(),
                                message,
                            })?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join().unwrap_or_else(|_| {
                Err(CatalogError::Invalid {
                    path: PathBuf::from("questions"),
                    message: "validation thread panicked".into(),
                })
            })
        })
    })
}

/// Which questions a reset may draw from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuestionFilter {
    pub db_id: Option<String>,
    pub difficulty: Option<Difficulty>,
    pub split: Option<Split>,
}

/// The loaded questions; only those with a non-empty gold answer are served.
#[derive(Debug, Default)]
pub struct QuestionBank {
    served: Vec<Arc<Question>>,
    by_id: HashMap<String, Arc<Question>>,
    empty_gold: usize,
}

impl QuestionBank {
    pub fn new(questions: impl IntoIterator<Item = Question>) -> Self {
        let mut bank = QuestionBank::default();
        for q in questions {
            let q = Arc::new(q);
            if is_empty_gold(&q.gold_answer) {
                bank.empty_gold += 1;
            } else {
                bank.served.push(q.clone());
            }
            bank.by_id.insert(q.id.clone(), q);
        }
        bank
    }

    /// Every loaded question, served or not.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn served(&self) -> &[Arc<Question>] {
        &self.served
    }

    /// Questions kept in the files but not served because their gold result is empty.
    pub fn empty_gold(&self) -> usize {
        self.empty_gold
    }

    /// A served question by id.
    pub fn get(&self, id: &str) -> Result<Arc<Question>, String> {
        match self.by_id.get(id) {
            Some(q) if is_empty_gold(&q.gold_answer) => Err(format!(
                "question '{id}' has an empty gold result and is not served"
            )),
            Some(q) => Ok(q.clone()),
            None => Err(format!("unknown question_id '{id}'")),
        }
    }

    /// Draws a served question matching `filter`.
    pub fn pick(
        &self,
        filter: &QuestionFilter,
        rng: &mut impl Rng,
    ) -> Result<Arc<Question>, String> {
        let matching: Vec<&Arc<Question>> = self
            .served
            .iter()
            .filter(|q| filter.db_id.as_ref().is_none_or(|db| *db == q.db_id))
            .filter(|q| filter.difficulty.is_none_or(|d| d == q.difficulty))
            .filter(|q| filter.split.is_none_or(|s| s == q.split))
            .collect();
        if matching.is_empty() {
            return Err(format!("no served question matches {filter:?}"));
        }
        Ok(matching[rng.gen_range(0..matching.len())].clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_gold_means_no_rows_or_only_nulls() {
        assert!(is_empty_gold(&[]));
        assert!(is_empty_gold(&[vec![Cell::Null]]));
        assert!(!is_empty_gold(&[vec![Cell::Integer(0)]]));
    }

    #[test]
    fn unordered_rows_compare_as_multisets() {
        let a = vec![
            vec![Cell::Integer(1)],
            vec![Cell::Integer(2)],
            vec![Cell::Integer(2)],
        ];
        let b = vec![
            vec![Cell::Integer(2)],
            vec![Cell::Integer(1)],
            vec![Cell::Integer(2)],
        ];
        let c = vec![
            vec![Cell::Integer(2)],
            vec![Cell::Integer(1)],
            vec![Cell::Integer(1)],
        ];
        assert!(same_rows(&a, &b, false));
        assert!(!same_rows(&a, &b, true));
        assert!(!same_rows(&a, &c, false));
    }
}
