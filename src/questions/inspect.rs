//! `sqlenv questions inspect --source ...`: prints questions of one source (or all) with their
//! SQL and answers, to read what a generator produced.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::error::QuestionsError;
use crate::catalog::question::{Question, Source};
use crate::catalog::questions::read_question_files;

/// Which questions to look at. Required, so nobody wades through all of them by accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceChoice {
    Spider,
    #[value(name = "spider_train")]
    SpiderTrain,
    #[value(name = "spider_syn")]
    SpiderSyn,
    #[value(name = "spider_realistic")]
    SpiderRealistic,
    #[value(name = "spider_dk")]
    SpiderDk,
    Template,
    Procedural,
    #[value(name = "llm_gen")]
    LlmGen,
    All,
}

impl SourceChoice {
    pub fn admits(self, source: Source) -> bool {
        match self {
            SourceChoice::All => true,
            SourceChoice::Spider => source == Source::Spider,
            SourceChoice::SpiderTrain => source == Source::SpiderTrain,
            SourceChoice::SpiderSyn => source == Source::SpiderSyn,
            SourceChoice::SpiderRealistic => source == Source::SpiderRealistic,
            SourceChoice::SpiderDk => source == Source::SpiderDk,
            SourceChoice::Template => source == Source::Template,
            SourceChoice::Procedural => source == Source::Procedural,
            SourceChoice::LlmGen => source == Source::LlmGen,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// Which questions to show.
    #[arg(
        long,
        value_enum,
        value_name = "spider|spider_train|spider_syn|spider_realistic|spider_dk|template|procedural|llm_gen|all"
    )]
    pub source: SourceChoice,
    /// Only questions about this database.
    #[arg(long)]
    pub db: Option<String>,
    /// Show at most this many.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Directory with tables.json, databases/ and questions/.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

/// Longest answer text shown per question.
const ANSWER_CHARS: usize = 300;

pub fn run(args: &InspectArgs) -> Result<(), QuestionsError> {
    let files = read_question_files(&args.data_dir.join("questions"))?;
    let matching: Vec<&Question> = files
        .iter()
        .flat_map(|(_, records)| records)
        .filter(|q| args.source.admits(q.source))
        .filter(|q| args.db.as_ref().is_none_or(|db| *db == q.db_id))
        .collect();
    for q in matching.iter().take(args.limit) {
        println!(
            "{}  [{} | {} | {} | {}]",
            q.id,
            q.db_id,
            q.difficulty.as_str(),
            q.split.as_str(),
            serde_json::to_string(&q.answer_type).unwrap_or_default()
        );
        println!("  Q:   {}", q.question);
        println!("  SQL: {}", q.gold_sql);
        println!("  A:   {}\n", answer_text(q));
    }
    println!(
        "showing {} of {} matching questions",
        matching.len().min(args.limit),
        matching.len()
    );
    Ok(())
}

fn answer_text(q: &Question) -> String {
    let rows: Vec<String> = q
        .gold_answer
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| c.display())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    let text = rows.join("; ");
    if text.chars().count() > ANSWER_CHARS {
        let cut: String = text.chars().take(ANSWER_CHARS).collect();
        format!("{cut}... ({} rows)", rows.len())
    } else {
        text
    }
}
