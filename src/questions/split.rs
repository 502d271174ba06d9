//! `sqlenv questions split`: recomputes the train/eval split of every question file in place.
//! Spider splits by database: a question is `train` on a training database and `eval` on a dev
//! database, as `db_list.json` lists them, so no eval schema is ever seen in training.

use std::path::PathBuf;

use clap::Args;

use super::error::QuestionsError;
use crate::catalog::load_databases;
use crate::catalog::question::{Question, Split};
use crate::catalog::questions::{read_db_list, read_question_files};
use crate::catalog::spider_import::{assign_splits, write_questions};

#[derive(Debug, Clone, Args)]
pub struct SplitArgs {
    /// Directory with tables.json, databases/ and questions/.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

pub fn run(args: &SplitArgs) -> Result<(), QuestionsError> {
    let dir = args.data_dir.join("questions");
    let databases = load_databases(&args.data_dir)?;
    let splits = read_db_list(&dir, &databases)?;
    let files = read_question_files(&dir)?;
    let mut total = 0;
    let mut eval = 0;
    let mut changed = 0;
    for (path, records) in &files {
        let mut mine: Vec<Question> = records.clone();
        assign_splits(&mut mine, &splits)?;
        let moved = records
            .iter()
            .zip(&mine)
            .filter(|(a, b)| a.split != b.split)
            .count();
        if moved > 0 {
            write_questions(path, &mine)?;
            changed += moved;
        }
        total += mine.len();
        eval += mine.iter().filter(|q| q.split == Split::Eval).count();
    }
    println!(
        "{total} questions in {} files: {} train, {eval} eval; {changed} changed split",
        files.len(),
        total - eval
    );
    Ok(())
}
