//! `sqlenv questions split`: recomputes the deterministic train/eval split of every question
//! file in place, stratified by database and difficulty, over all files at once so the same
//! gold query never sits in both splits.

use std::path::PathBuf;

use clap::Args;

use super::error::QuestionsError;
use crate::catalog::question::{Question, Source, Split};
use crate::catalog::questions::read_question_files;
use crate::catalog::spider_import::{assign_splits, write_questions};

#[derive(Debug, Clone, Args)]
pub struct SplitArgs {
    /// Directory with tables.json, databases/ and questions/.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

/// Spider's questions are counted first, so adding generated files never moves a Spider
/// question, and a generated question repeating a Spider gold query joins its split.
fn source_rank(source: Source) -> u8 {
    match source {
        Source::Spider => 0,
        Source::Template => 1,
        Source::Procedural => 2,
        Source::LlmGen => 3,
    }
}

/// Assigns splits to `questions` with [`assign_splits`], in source order; the slice keeps its
/// order.
pub fn assign_all(questions: &mut [Question]) {
    let mut order: Vec<usize> = (0..questions.len()).collect();
    order.sort_by_key(|&i| source_rank(questions[i].source));
    let mut ordered: Vec<Question> = order.iter().map(|&i| questions[i].clone()).collect();
    assign_splits(&mut ordered);
    for (q, &i) in ordered.iter().zip(&order) {
        questions[i].split = q.split;
    }
}

pub fn run(args: &SplitArgs) -> Result<(), QuestionsError> {
    let files = read_question_files(&args.data_dir.join("questions"))?;
    let mut all: Vec<Question> = files.iter().flat_map(|(_, q)| q.clone()).collect();
    assign_all(&mut all);
    let mut changed = 0;
    let mut rest = all.as_slice();
    for (path, records) in &files {
        let (mine, tail) = rest.split_at(records.len());
        rest = tail;
        let moved = records
            .iter()
            .zip(mine)
            .filter(|(a, b)| a.split != b.split)
            .count();
        if moved > 0 {
            write_questions(path, mine)?;
            changed += moved;
        }
    }
    let eval = all.iter().filter(|q| q.split == Split::Eval).count();
    println!(
        "{} questions in {} files: {} train, {eval} eval; {changed} changed split",
        all.len(),
        files.len(),
        all.len() - eval
    );
    Ok(())
}
