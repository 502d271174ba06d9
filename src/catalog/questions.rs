//! Loading question files and proving every record against its database: the gold SQL must run
//! under the same read-only guard agents get and return exactly the stored gold answer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use super::error::{read_json, CatalogError};
use super::exclusions::{Exclusions, EXCLUSIONS_FILE};
use super::proven::{prove, ProvenGold};
use super::question::{AnswerType, Difficulty, Question, Split};
use super::schema::Database;
use super::sets::QuestionSet;
use crate::database::connection::open_hardened;
use crate::database::limits::{QueryLimits, KEPT_ROWS};
use crate::database::query::run_query_reading;
use crate::database::reads::ReadSet;
use crate::database::value::Cell;

/// Gold SQL is trusted but must still finish: a generous limit for start-up checks.
const GOLD_QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The file in the questions directory that names the databases in use; not a question file.
pub const DB_LIST_FILE: &str = "db_list.json";

/// Keys of an older question format. They are refused, not migrated, so a stale file cannot
/// load with its answers silently dropped.
const LEGACY_KEYS: [&str; 2] = ["_ground_truth", "_ground_truths"];

/// The question files in `dir` (`*.json` except [`DB_LIST_FILE`] and [`EXCLUSIONS_FILE`]), in
/// name order.
pub fn question_paths(dir: &Path) -> Result<Vec<PathBuf>, CatalogError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CatalogError::Read {
        path: dir.to_owned(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "json"))
        .filter(|p| {
            p.file_name()
                .is_none_or(|name| name != DB_LIST_FILE && name != EXCLUSIONS_FILE)
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(CatalogError::Invalid {
            path: dir.to_owned(),
            message: "no question files (*.json)".into(),
        });
    }
    Ok(paths)
}

/// The databases questions may use, each with its split: a training database serves only
/// `train` questions, a dev (eval) database only `eval` ones, so a model trained on `train`
/// never sees an eval schema.
pub type DbSplits = BTreeMap<String, Split>;

/// `db_list.json` as written: the training databases and the eval (Spider dev) databases.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DbList {
    train: Vec<String>,
    eval: Vec<String>,
}

/// Reads `db_list.json` in `dir` (`{"train": [db_id, ...], "eval": [db_id, ...]}`) and checks
/// every database it lists is loaded (listed in tables.json) and listed once.
pub fn read_db_list(
    dir: &Path,
    databases: &BTreeMap<String, Arc<Database>>,
) -> Result<DbSplits, CatalogError> {
    let path = dir.join(DB_LIST_FILE);
    let list: DbList = read_json(&path)?;
    let mut splits = DbSplits::new();
    let mut errors = Vec::new();
    let listed = list
        .train
        .into_iter()
        .map(|db| (db, Split::Train))
        .chain(list.eval.into_iter().map(|db| (db, Split::Eval)));
    for (db_id, split) in listed {
        if !databases.contains_key(&db_id) {
            errors.push(CatalogError::Invalid {
                path: path.clone(),
                message: format!("lists '{db_id}', which tables.json does not"),
            });
        } else if splits.insert(db_id.clone(), split).is_some() {
            errors.push(CatalogError::Invalid {
                path: path.clone(),
                message: format!("lists '{db_id}' twice"),
            });
        }
    }
    match CatalogError::from_list(errors) {
        Some(e) => Err(e),
        None => Ok(splits),
    }
}

/// Reads every question file in `dir`, in name order, reporting every malformed record.
pub fn read_question_files(dir: &Path) -> Result<Vec<(PathBuf, Vec<Question>)>, CatalogError> {
    read_files(&question_paths(dir)?)
}

/// Reads the given question files, reporting the problems of all of them at once.
pub fn read_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Vec<Question>)>, CatalogError> {
    let mut files = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for path in paths {
        match read_question_file(path) {
            Ok(records) => files.push((path.clone(), records)),
            Err(e) => errors.extend(e.into_list()),
        }
    }
    match CatalogError::from_list(errors) {
        Some(e) => Err(e),
        None => Ok(files),
    }
}

/// Reads one question file. Each record is read as a [`Question`] (which refuses unknown keys)
/// straight from the file's text; only a record that fails is read again as plain JSON, so a
/// legacy key gets a message naming its replacement and the error names the record's id. No
/// JSON tree of the whole file is built: it made the server's start-up peak (and so its
/// resident memory) several times the size of the questions it keeps.
pub fn read_question_file(path: &Path) -> Result<Vec<Question>, CatalogError> {
    let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
        path: path.to_owned(),
        source,
    })?;
    let raw: Vec<&serde_json::value::RawValue> =
        serde_json::from_str(&text).map_err(|source| CatalogError::Json {
            path: path.to_owned(),
            source,
        })?;
    let mut records = Vec::with_capacity(raw.len());
    let mut errors = Vec::new();
    for (index, record) in raw.into_iter().enumerate() {
        let error = match serde_json::from_str::<Question>(record.get()) {
            Ok(mut q) => {
                // A list read from JSON grows by doubling, so a gold row could hold up to twice
                // the room its cells need, for the server's whole life (9 MiB of resident
                // memory over the full data).
                q.gold_answer.iter_mut().for_each(Vec::shrink_to_fit);
                q.gold_answer.shrink_to_fit();
                records.push(q);
                continue;
            }
            Err(e) => e,
        };
        let value: serde_json::Value = serde_json::from_str(record.get()).unwrap_or_default();
        let fail = |message: String| CatalogError::Record {
            path: path.to_owned(),
            index,
            id: value
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_owned(),
            message,
        };
        let legacy: Vec<&str> = LEGACY_KEYS
            .into_iter()
            .filter(|k| value.get(k).is_some())
            .collect();
        if legacy.is_empty() {
            errors.push(fail(error.to_string()));
        }
        for key in legacy {
            errors.push(fail(format!(
                "legacy key '{key}' is not accepted: store the answer under 'gold_answer'"
            )));
        }
    }
    match CatalogError::from_list(errors) {
        Some(e) => Err(e),
        None => Ok(records),
    }
}

/// A result with no rows, or only NULLs and blank texts, answers nothing: such questions are
/// never served (the verifier counts an empty answer as wrong, so no answer could be right).
pub fn is_empty_gold(rows: &[Vec<Cell>]) -> bool {
    rows.iter().all(|row| {
        row.iter()
            .all(|c| matches!(c, Cell::Null) || matches!(c, Cell::Text(t) if t.trim().is_empty()))
    })
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
    execute_on(&conn, sql).map(|run| (run.columns.len(), run.rows))
}

/// What running a gold SQL gave: the result's column names and rows, and what it read.
pub struct GoldRun {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub reads: ReadSet,
}

/// Runs `sql` like [`execute_gold`] on an already open hardened connection (see
/// [`open_hardened`]), for work that runs many golds on one database: the result's column
/// names, its rows and what it reads.
pub fn execute_on(conn: &rusqlite::Connection, sql: &str) -> Result<GoldRun, String> {
    let limits = QueryLimits {
        timeout: GOLD_QUERY_TIMEOUT,
        ..QueryLimits::default()
    };
    let output = run_query_reading(conn, sql, &limits, &Arc::new(AtomicBool::new(false)))
        .map_err(|e| e.to_string())?;
    let result = output.result;
    if result.is_truncated() {
        return Err(format!(
            "the gold result has {} rows; at most {KEPT_ROWS} are supported",
            result.total_rows
        ));
    }
    Ok(GoldRun {
        columns: result.columns,
        rows: result.rows,
        reads: output.reads,
    })
}

/// Checks one record against the databases; `conn` is a hardened connection to its database.
/// Returns what the proof established beyond the stored answer.
fn check_record(q: &Question, conn: &rusqlite::Connection) -> Result<ProvenGold, String> {
    let GoldRun {
        columns,
        rows,
        reads,
    } = execute_on(conn, &q.gold_sql).map_err(|e| format!("gold_sql: does not run: {e}"))?;
    if !same_rows(&q.gold_answer, &rows, q.is_ordered()) {
        return Err(format!(
            "gold_answer: does not match what gold_sql returns ({} rows stored, {} returned)",
            q.gold_answer.len(),
            rows.len()
        ));
    }
    let shape = AnswerType::of_result(columns.len(), &rows);
    if shape != q.answer_type {
        return Err(format!(
            "answer_type: is {:?} but the gold result is a {:?}",
            q.answer_type, shape
        ));
    }
    Ok(prove(conn, &q.gold_sql, columns, &q.gold_answer, reads))
}

/// Validates all records of all files: unique ids, databases listed in `db_list.json` (`listed`)
/// with the record's split, gold SQL and gold answers. Every problem is reported, not just the
/// first. Records are checked in parallel, one thread per core, grouped by database. Returns what
/// each proof established, by question id.
pub fn validate(
    files: &[(PathBuf, Vec<Question>)],
    databases: &BTreeMap<String, Arc<Database>>,
    listed: &DbSplits,
) -> Result<HashMap<String, ProvenGold>, CatalogError> {
    validate_records(files, databases, listed, true)
}

/// [`validate`], running the gold SQL only when `prove_golds` (the other checks always run, and
/// no proofs are returned without it); skipping it is for data whose proofs are cached
/// ([`super::proof_cache`]).
pub fn validate_records(
    files: &[(PathBuf, Vec<Question>)],
    databases: &BTreeMap<String, Arc<Database>>,
    listed: &DbSplits,
    prove_golds: bool,
) -> Result<HashMap<String, ProvenGold>, CatalogError> {
    let mut errors = Vec::new();
    let mut proofs = HashMap::new();
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
                errors.push(fail("id and question must not be empty".into()));
            }
            if !seen.insert(q.id.as_str()) {
                errors.push(fail("duplicate id".into()));
            }
            if !databases.contains_key(&q.db_id) {
                errors.push(fail(format!("db_id: unknown database '{}'", q.db_id)));
                continue;
            }
            match listed.get(&q.db_id) {
                None => {
                    errors.push(fail(format!(
                        "db_id: '{}' is not listed in {DB_LIST_FILE}",
                        q.db_id
                    )));
                    continue;
                }
                Some(&split) if split != q.split => errors.push(fail(format!(
                    "split: '{}' is a {} database in {DB_LIST_FILE}, so its questions are {}",
                    q.db_id,
                    split.as_str(),
                    split.as_str()
                ))),
                Some(_) => {}
            }
            by_db
                .entry(q.db_id.as_str())
                .or_default()
                .push((path, index, q));
        }
    }
    if !prove_golds {
        by_db.clear();
    }
    let mut groups: Vec<_> = by_db.into_iter().collect();
    groups.sort_by_key(|(db, _)| *db);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(groups.len().max(1));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<_> = groups.iter().skip(t).step_by(threads).collect();
                scope.spawn(move || check_groups(&mine, databases))
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok((found, proven)) => {
                    errors.extend(found);
                    proofs.extend(proven);
                }
                Err(_) => errors.push(CatalogError::Invalid {
                    path: PathBuf::from("questions"),
                    message: "validation thread panicked".into(),
                }),
            }
        }
    });
    // Threads finish in any order; report in file and record order.
    errors.sort_by_key(|e| match e {
        CatalogError::Record { path, index, .. } => (path.clone(), *index),
        _ => (PathBuf::new(), 0),
    });
    match CatalogError::from_list(errors) {
        Some(e) => Err(e),
        None => Ok(proofs),
    }
}

type Group<'a> = (&'a str, Vec<(&'a Path, usize, &'a Question)>);

/// Runs the gold SQL of each record of some databases, returning every failure and the proofs
/// of the records that passed.
fn check_groups(
    groups: &[&Group<'_>],
    databases: &BTreeMap<String, Arc<Database>>,
) -> (Vec<CatalogError>, Vec<(String, ProvenGold)>) {
    let mut errors = Vec::new();
    let mut proofs = Vec::new();
    for (db_id, records) in groups {
        let Some(db) = databases.get(*db_id) else {
            continue;
        };
        let conn = match open_hardened(&db.path) {
            Ok(conn) => conn,
            Err(e) => {
                errors.push(CatalogError::Database {
                    path: db.path.clone(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        for (path, index, q) in records {
            match check_record(q, &conn) {
                Ok(proven) => proofs.push((q.id.clone(), proven)),
                Err(message) => errors.push(CatalogError::Record {
                    path: path.to_path_buf(),
                    index: *index,
                    id: q.id.clone(),
                    message,
                }),
            }
        }
    }
    (errors, proofs)
}

/// Which questions a reset may draw from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuestionFilter {
    pub db_id: Option<String>,
    pub difficulty: Option<Difficulty>,
    pub split: Option<Split>,
    /// `None`: the default sets for the split ([`QuestionSet::in_default`]).
    pub set: Option<QuestionSet>,
}

/// What a reset draws from: a split (`None`: both) and a set (`None`: the default sets).
type Draw = (Option<Split>, Option<QuestionSet>);

/// The loaded questions; only those with a non-empty gold answer that are not excluded are
/// served.
#[derive(Debug, Default)]
pub struct QuestionBank {
    served: Vec<Arc<Question>>,
    by_id: HashMap<String, Arc<Question>>,
    /// The served questions of each split (`None`: both) and set (`None`: the default sets),
    /// in catalog order: what a reset draws from, so a draw never walks the whole bank.
    lists: HashMap<Draw, Vec<Arc<Question>>>,
    empty_gold: usize,
    excluded: Exclusions,
    excluded_count: usize,
}

impl QuestionBank {
    pub fn new(questions: impl IntoIterator<Item = Question>) -> Self {
        Self::with_exclusions(questions, Exclusions::default())
    }

    /// A bank that serves none of the questions `excluded` lists.
    pub fn with_exclusions(
        questions: impl IntoIterator<Item = Question>,
        excluded: Exclusions,
    ) -> Self {
        let mut bank = QuestionBank {
            excluded,
            ..QuestionBank::default()
        };
        for q in questions {
            let q = Arc::new(q);
            if is_empty_gold(&q.gold_answer) {
                bank.empty_gold += 1;
            } else if bank.excluded.reason(&q.id).is_some() {
                bank.excluded_count += 1;
            } else {
                bank.served.push(q.clone());
            }
            bank.by_id.insert(q.id.clone(), q);
        }
        for split in [Some(Split::Train), Some(Split::Eval), None] {
            let sets = QuestionSet::ALL.into_iter().map(Some).chain([None]);
            for set in sets {
                let list = bank
                    .served
                    .iter()
                    .filter(|q| split.is_none_or(|s| q.split == s))
                    .filter(|q| QuestionSet::admits(set, q.source, split))
                    .cloned()
                    .collect();
                bank.lists.insert((split, set), list);
            }
        }
        bank
    }

    /// Questions kept in the files but not served because the exclusion list names them.
    pub fn excluded(&self) -> usize {
        self.excluded_count
    }

    /// Every loaded question, served or not, in no particular order.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Question>> {
        self.by_id.values()
    }

    /// Why a question is not served, if the exclusion list names it.
    pub fn exclusion(&self, id: &str) -> Option<&str> {
        self.excluded.reason(id)
    }

    /// Every loaded question, served or not.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Every served question, in catalog order (question files by name, records in file order).
    pub fn served(&self) -> &[Arc<Question>] {
        &self.served
    }

    /// The served questions of `split` in `set` (`None`: what a reset naming no set draws
    /// from), in catalog order. The order is stable for the same data, so a position in this
    /// list names a question: the Task API's task list, whose indices `reset(split, index)`
    /// takes.
    pub fn served_in(&self, split: Split, set: Option<QuestionSet>) -> &[Arc<Question>] {
        self.lists
            .get(&(Some(split), set))
            .map_or(&[], Vec::as_slice)
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
            Some(_) if self.excluded.reason(id).is_some() => {
                Err(format!("question '{id}' is excluded and not served"))
            }
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
        let pool = self
            .lists
            .get(&(filter.split, filter.set))
            .map_or(&[][..], Vec::as_slice);
        let matches = |q: &&Arc<Question>| {
            filter.db_id.as_ref().is_none_or(|db| *db == q.db_id)
                && filter.difficulty.is_none_or(|d| d == q.difficulty)
        };
        // Counted, then walked to the drawn one: no list of the matches is built per reset
        // (building it took a fifth of the server's CPU under load over the full data). The
        // same draw as indexing that list, so a seed still names the same question.
        let narrowed = filter.db_id.is_some() || filter.difficulty.is_some();
        let count = match narrowed {
            true => pool.iter().filter(matches).count(),
            false => pool.len(),
        };
        if count == 0 {
            return Err(no_match(filter));
        }
        let drawn = rng.gen_range(0..count);
        match narrowed {
            true => pool.iter().filter(matches).nth(drawn),
            false => pool.get(drawn),
        }
        .cloned()
        .ok_or_else(|| no_match(filter))
    }
}

/// Says what was asked for in the reset's own terms, and where the variants are.
fn no_match(filter: &QuestionFilter) -> String {
    let mut asked = Vec::new();
    if let Some(db) = &filter.db_id {
        asked.push(format!("db_id={db}"));
    }
    if let Some(d) = filter.difficulty {
        asked.push(format!("difficulty={}", d.as_str()));
    }
    if let Some(s) = filter.split {
        asked.push(format!("split={}", s.as_str()));
    }
    match filter.set {
        Some(set) => asked.push(format!("set={}", set.as_str())),
        None => asked.push("the default sets (name a set for spider-syn, spider-realistic or spider-dk, or for generated questions in eval)".into()),
    }
    format!("no served question matches {}", asked.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_gold_means_no_rows_or_only_nulls() {
        assert!(is_empty_gold(&[]));
        assert!(is_empty_gold(&[vec![Cell::Null]]));
        assert!(!is_empty_gold(&[vec![Cell::Integer(0)]]));
        assert!(is_empty_gold(&[vec![Cell::Text(" ".into()), Cell::Null]]));
        assert!(!is_empty_gold(&[vec![
            Cell::Text("".into()),
            Cell::Integer(0)
        ]]));
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
