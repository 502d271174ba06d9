//! Converting Spider's dev questions into the project's question files: each gold SQL is run on
//! the bundled database to record its result, and the split is its database's.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::{read_json, CatalogError};
use super::load_databases;
use super::question::{AnswerType, Difficulty, Question, Source, Split};
use super::questions::{execute_gold, read_db_list, DbSplits, DB_LIST_FILE};

/// A record of Spider's `dev.json` as bundled (the fields kept by the attribution notes).
#[derive(Debug, Deserialize)]
struct SpiderRecord {
    db_id: String,
    question: String,
    query: String,
    difficulty: Difficulty,
    spider_dev_index: usize,
}

/// Reads Spider's `dev.json` and builds one question per record whose database is bundled.
pub fn import_spider_dev(dev_json: &Path, data_dir: &Path) -> Result<Vec<Question>, CatalogError> {
    let records: Vec<SpiderRecord> = read_json(dev_json)?;
    let databases = load_databases(data_dir)?;
    let splits = read_db_list(&data_dir.join("questions"), &databases)?;
    let mut questions = Vec::with_capacity(records.len());
    for (index, r) in records.into_iter().enumerate() {
        let fail = |message: String| CatalogError::Record {
            path: dev_json.to_owned(),
            index,
            id: r.spider_dev_index.to_string(),
            message,
        };
        let db = databases
            .get(&r.db_id)
            .ok_or_else(|| fail(format!("database '{}' is not bundled", r.db_id)))?;
        let (columns, rows) =
            execute_gold(db, &r.query).map_err(|e| fail(format!("gold SQL does not run: {e}")))?;
        questions.push(Question {
            proven: Default::default(),
            ordered: Default::default(),
            id: format!("spider-dev-{:04}", r.spider_dev_index),
            db_id: r.db_id,
            question: r.question.trim().to_owned(),
            gold_sql: r.query.trim().to_owned(),
            answer_type: AnswerType::of_result(columns, &rows),
            gold_answer: rows,
            difficulty: r.difficulty,
            source: Source::Spider,
            split: Split::Train,
        });
    }
    assign_splits(&mut questions, &splits)?;
    Ok(questions)
}

/// Sets every question's split to its database's: Spider's split is by database, so a model
/// trained on `train` is evaluated on schemas it has never seen. A database missing from
/// `db_list.json` is an error naming it.
pub fn assign_splits(questions: &mut [Question], splits: &DbSplits) -> Result<(), CatalogError> {
    for q in questions.iter_mut() {
        q.split = *splits.get(&q.db_id).ok_or_else(|| CatalogError::Invalid {
            path: PathBuf::from(DB_LIST_FILE),
            message: format!("does not list '{}' (question {})", q.db_id, q.id),
        })?;
    }
    Ok(())
}

/// Writes questions as a JSON array with one record per line, so diffs stay readable.
pub fn write_questions(path: &Path, questions: &[Question]) -> Result<(), CatalogError> {
    let io_err = |source| CatalogError::Read {
        path: path.to_owned(),
        source,
    };
    let mut out = Vec::new();
    out.push(b'[');
    for (i, q) in questions.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        serde_json::to_writer(&mut out, q).map_err(|source| CatalogError::Json {
            path: path.to_owned(),
            source,
        })?;
    }
    out.extend_from_slice(b"\n]\n");
    let mut file = std::fs::File::create(path).map_err(io_err)?;
    file.write_all(&out).map_err(io_err)
}
