//! `sqlenv questions import-spider-sets`: converts Spider's training questions and the three
//! robustness variants of its dev set (Spider-Syn, Spider-Realistic, Spider-DK) into question
//! files, each with its own source. Every gold SQL runs on the bundled database under the
//! agents' guard and its result is stored; a record whose database is not bundled, whose gold
//! does not run, whose result is too long to check, or whose gold written out is not accepted by
//! the answer verifier is left out and reported. Difficulty is
//! Spider's official label when the record repeats a dev question's gold query, and otherwise
//! the project's hardness rule ([`super::difficulty`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

use super::difficulty::difficulty_of;
use super::error::QuestionsError;
use crate::agent::policy::format_answer;
use crate::catalog::error::read_json;
use crate::catalog::load_databases;
use crate::catalog::question::{
    sql_orders_result, AnswerType, Difficulty, Question, Source, Split,
};
use crate::catalog::questions::{execute_on, is_empty_gold, read_db_list};
use crate::catalog::schema::Database;
use crate::catalog::spider_import::{assign_splits, write_questions};
use crate::database::connection::open_hardened;
use crate::database::value::Cell;
use crate::reward::config::RewardConfig;
use crate::reward::verify::{verify_answer, Gold};

#[derive(Debug, Clone, Args)]
pub struct ImportSetsArgs {
    /// Directory with the bundled Spider inputs (`spider_dev.json`, `spider_train.json`,
    /// `spider_syn/dev.json`, `spider_realistic/spider-realistic.json`, `spider_dk/Spider-DK.json`).
    #[arg(long, default_value = "data/source")]
    pub source_dir: PathBuf,
    /// Data directory whose databases the gold SQL runs on.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Directory the question files are written to (`spider_train.json`, `spider_syn.json`,
    /// `spider_realistic.json`, `spider_dk.json`).
    #[arg(long, default_value = "data/questions")]
    pub out_dir: PathBuf,
}

/// One input record, whatever set it comes from.
struct Raw {
    db_id: String,
    question: String,
    query: String,
}

#[derive(Deserialize)]
struct TrainRecord {
    db_id: String,
    question: String,
    query: String,
}

#[derive(Deserialize)]
struct SynRecord {
    db_id: String,
    #[serde(rename = "SpiderSynQuestion")]
    question: String,
    query: String,
}

/// Spider-Realistic and Spider-DK records (other fields ignored).
#[derive(Deserialize)]
struct PlainRecord {
    db_id: String,
    question: String,
    query: String,
}

#[derive(Deserialize)]
struct DevRecord {
    db_id: String,
    query: String,
    difficulty: Difficulty,
}

/// One set to import: where it is read from, how its ids and file are named.
struct SetSpec {
    source: Source,
    input: &'static str,
    id_prefix: &'static str,
    file: &'static str,
}

const SETS: [SetSpec; 4] = [
    SetSpec {
        source: Source::SpiderTrain,
        input: "spider_train.json",
        id_prefix: "spider-train",
        file: "spider_train.json",
    },
    SetSpec {
        source: Source::SpiderSyn,
        input: "spider_syn/dev.json",
        id_prefix: "spider-syn",
        file: "spider_syn.json",
    },
    SetSpec {
        source: Source::SpiderRealistic,
        input: "spider_realistic/spider-realistic.json",
        id_prefix: "spider-realistic",
        file: "spider_realistic.json",
    },
    SetSpec {
        source: Source::SpiderDk,
        input: "spider_dk/Spider-DK.json",
        id_prefix: "spider-dk",
        file: "spider_dk.json",
    },
];

/// What happened to one set's records.
#[derive(Debug, Default)]
pub struct SetReport {
    pub read: usize,
    pub written: usize,
    pub empty_gold: usize,
    /// Records on a database that is not bundled, by database.
    pub no_database: BTreeMap<String, usize>,
    /// Records whose gold cannot be proven: id and why.
    pub left_out: Vec<(String, String)>,
}

fn read_raw(spec: &SetSpec, path: &Path) -> Result<Vec<Raw>, QuestionsError> {
    let raw = match spec.source {
        Source::SpiderTrain => read_json::<Vec<TrainRecord>>(path)?
            .into_iter()
            .map(|r| Raw {
                db_id: r.db_id,
                question: r.question,
                query: r.query,
            })
            .collect(),
        Source::SpiderSyn => read_json::<Vec<SynRecord>>(path)?
            .into_iter()
            .map(|r| Raw {
                db_id: r.db_id,
                question: r.question,
                query: r.query,
            })
            .collect(),
        _ => read_json::<Vec<PlainRecord>>(path)?
            .into_iter()
            .map(|r| Raw {
                db_id: r.db_id,
                question: r.question,
                query: r.query,
            })
            .collect(),
    };
    Ok(raw)
}

fn normalize_sql(sql: &str) -> String {
    sql.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Spider-DK's modified databases are copies of dev databases under a `new_` prefix; their
/// questions keep the dev database's gold queries.
fn base_db(db_id: &str) -> &str {
    db_id.strip_prefix("new_").unwrap_or(db_id)
}

/// Spider's official difficulty of each dev gold query, by database and normalized SQL.
type DevLabels = HashMap<(String, String), Difficulty>;

/// Reads Spider's dev questions: their labels, and on how many of them the project's hardness
/// rule gives Spider's own label (the check of the rule the training questions are graded by).
fn dev_labels(path: &Path) -> Result<(DevLabels, usize, usize), QuestionsError> {
    let records: Vec<DevRecord> = read_json(path)?;
    let agree = records
        .iter()
        .filter(|r| difficulty_of(&r.query) == r.difficulty)
        .count();
    let total = records.len();
    let labels = records
        .into_iter()
        .map(|r| ((r.db_id, normalize_sql(&r.query)), r.difficulty))
        .collect();
    Ok((labels, agree, total))
}

/// Whether the gold answer, written out as an agent would write it, is accepted by the answer
/// verifier: a question no answer can win teaches nothing, so it is left out.
fn answerable(gold_sql: &str, rows: &[Vec<Cell>], answer_type: AnswerType) -> bool {
    let gold = Gold {
        rows,
        answer_type,
        ordered: sql_orders_result(gold_sql),
    };
    verify_answer(&RewardConfig::default(), &format_answer(rows), &gold).correct
}

/// Converts one set's records, proving each gold on its database.
fn convert(
    spec: &SetSpec,
    raw: Vec<Raw>,
    databases: &BTreeMap<String, std::sync::Arc<Database>>,
    labels: &DevLabels,
) -> (Vec<Question>, SetReport) {
    let mut report = SetReport {
        read: raw.len(),
        ..SetReport::default()
    };
    let mut connections: HashMap<String, rusqlite::Connection> = HashMap::new();
    let mut questions = Vec::new();
    for (index, r) in raw.into_iter().enumerate() {
        let id = format!("{}-{index:04}", spec.id_prefix);
        let Some(db) = databases.get(&r.db_id) else {
            *report.no_database.entry(r.db_id).or_default() += 1;
            continue;
        };
        if !connections.contains_key(&r.db_id) {
            match open_hardened(&db.path) {
                Ok(conn) => {
                    connections.insert(r.db_id.clone(), conn);
                }
                Err(e) => {
                    report
                        .left_out
                        .push((id, format!("cannot open database: {e}")));
                    continue;
                }
            }
        }
        let Some(conn) = connections.get(&r.db_id) else {
            continue;
        };
        let gold_sql = r.query.trim().to_owned();
        let (columns, rows) = match execute_on(conn, &gold_sql) {
            Ok(run) => (run.columns.len(), run.rows),
            Err(e) => {
                report
                    .left_out
                    .push((id, format!("gold SQL does not run: {e}")));
                continue;
            }
        };
        if is_empty_gold(&rows) {
            report.empty_gold += 1;
        } else if !answerable(&gold_sql, &rows, AnswerType::of_result(columns, &rows)) {
            report.left_out.push((
                id,
                "no written answer is accepted for this gold (blank cells, or too long to write)"
                    .into(),
            ));
            continue;
        }
        let key = (base_db(&r.db_id).to_owned(), normalize_sql(&gold_sql));
        let difficulty = labels
            .get(&key)
            .copied()
            .unwrap_or_else(|| difficulty_of(&gold_sql));
        questions.push(Question {
            id,
            db_id: r.db_id,
            question: r.question.trim().to_owned(),
            answer_type: AnswerType::of_result(columns, &rows),
            gold_sql,
            gold_answer: rows,
            difficulty,
            source: spec.source,
            split: Split::Train,
            proven: Default::default(),
            ordered: Default::default(),
        });
    }
    report.written = questions.len();
    (questions, report)
}

/// `sqlenv questions import-spider-sets`.
pub fn run(args: &ImportSetsArgs) -> Result<(), QuestionsError> {
    let databases = load_databases(&args.data_dir)?;
    let splits = read_db_list(&args.data_dir.join("questions"), &databases)?;
    let (labels, agree, total) = dev_labels(&args.source_dir.join("spider_dev.json"))?;
    println!(
        "difficulty: the project's hardness rule gives Spider's label for {agree} of {total} dev questions"
    );
    for spec in &SETS {
        let raw = read_raw(spec, &args.source_dir.join(spec.input))?;
        let (mut questions, report) = convert(spec, raw, &databases, &labels);
        assign_splits(&mut questions, &splits)?;
        let out = args.out_dir.join(spec.file);
        write_questions(&out, &questions)?;
        let skipped: Vec<String> = report
            .no_database
            .iter()
            .map(|(db, n)| format!("{db} {n}"))
            .collect();
        println!(
            "{}: {} records, wrote {} to {} ({} with an empty gold result, kept but not served); \
             left out: {} on databases not bundled ({}), {} whose gold cannot be proven",
            spec.source.as_str(),
            report.read,
            report.written,
            out.display(),
            report.empty_gold,
            report.no_database.values().sum::<usize>(),
            if skipped.is_empty() {
                "none".to_owned()
            } else {
                skipped.join(", ")
            },
            report.left_out.len()
        );
        for (id, why) in &report.left_out {
            println!("  left out {id}: {why}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dk_databases_map_to_their_dev_originals() {
        assert_eq!(base_db("new_pets_1"), "pets_1");
        assert_eq!(base_db("pets_1"), "pets_1");
        assert_eq!(
            normalize_sql("SELECT  count(*)\n FROM Singer"),
            "select count(*) from singer"
        );
    }
}
