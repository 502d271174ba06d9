//! `sqlenv questions validate [FILES...]`: checks question files exactly as the server loads
//! them and reports every problem (file, record, key), not just the first.

use std::path::{Path, PathBuf};

use super::error::QuestionsError;
use crate::catalog::load_databases;
use crate::catalog::question::Split;
use crate::catalog::questions::{
    question_paths, read_db_list, read_question_file, validate, DbSplits, QuestionBank,
};

/// Validates `files` (default: every question file of `data_dir`) against the databases of
/// `data_dir`.
pub fn run(data_dir: &Path, files: &[PathBuf]) -> Result<(), QuestionsError> {
    let databases = load_databases(data_dir)?;
    let dir = data_dir.join("questions");
    let mut errors = Vec::new();
    let listed = match read_db_list(&dir, &databases) {
        Ok(listed) => Some(listed),
        Err(e) => {
            errors.extend(e.into_list());
            None
        }
    };
    let paths = if files.is_empty() {
        question_paths(&dir)?
    } else {
        files.to_vec()
    };
    let mut loaded = Vec::new();
    for path in paths {
        match read_question_file(&path) {
            Ok(records) => loaded.push((path, records)),
            Err(e) => errors.extend(e.into_list()),
        }
    }
    // Without a usable list, go on against every database with the splits the records claim,
    // so one bad list does not hide the records' problems.
    let listed = listed.unwrap_or_else(|| {
        let mut splits: DbSplits = databases
            .keys()
            .map(|db| (db.clone(), Split::Train))
            .collect();
        for q in loaded.iter().flat_map(|(_, records)| records) {
            splits.insert(q.db_id.clone(), q.split);
        }
        splits
    });
    if let Err(e) = validate(&loaded, &databases, &listed) {
        errors.extend(e.into_list());
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}");
        }
        return Err(QuestionsError::Invalid(errors.len()));
    }
    let files = loaded.len();
    let bank = QuestionBank::new(loaded.into_iter().flat_map(|(_, q)| q));
    println!(
        "ok: {files} files, {} questions ({} served, {} not served: empty gold result), {} databases listed",
        bank.len(),
        bank.served().len(),
        bank.empty_gold(),
        listed.len()
    );
    Ok(())
}
