//! `sqlenv questions stats [--gaps]`: how many questions there are per database, difficulty,
//! source and split, and which database x difficulty cells are thin.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use super::error::QuestionsError;
use super::generate::source_name;
use crate::catalog::exclusions::Exclusions;
use crate::catalog::load_databases;
use crate::catalog::question::{Difficulty, Question, Source, Split};
use crate::catalog::questions::{
    is_empty_gold, read_db_list, read_question_files, DbSplits, DB_LIST_FILE,
};
use crate::catalog::sets::QuestionSet;

#[derive(Debug, Clone, Args)]
pub struct StatsArgs {
    /// List the database x difficulty cells with fewer questions than --target.
    #[arg(long)]
    pub gaps: bool,
    /// The count a database x difficulty cell should reach (all sources and splits together).
    #[arg(long, default_value_t = 10)]
    pub target: usize,
    /// Print only the table of databases and served questions per set and split (the table
    /// data/README.md and README.md carry; a test checks theirs is this one).
    #[arg(long)]
    pub sets: bool,
    /// Directory with tables.json, databases/ and questions/.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

/// Databases and questions per set and split as a Markdown table: for each set, the questions
/// in the files, those served (a non-empty gold result), and the databases they are on.
pub fn sets_table(questions: &[Question], splits: &DbSplits, excluded: &Exclusions) -> String {
    let served_question =
        |q: &Question| !is_empty_gold(&q.gold_answer) && excluded.reason(&q.id).is_none();
    let mut out = String::from(
        "| set | sources | train databases | train questions (served) | eval databases | eval questions (served) |\n|---|---|---:|---:|---:|---:|\n",
    );
    for set in QuestionSet::ALL {
        let mine: Vec<&Question> = questions
            .iter()
            .filter(|q| QuestionSet::of(q.source) == set)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let mut sources: Vec<&str> = Vec::new();
        for q in &mine {
            if !sources.contains(&q.source.as_str()) {
                sources.push(q.source.as_str());
            }
        }
        let _ = write!(
            out,
            "| `{}` | {} |",
            set.as_str(),
            sources
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for split in [Split::Train, Split::Eval] {
            let in_split: Vec<&&Question> = mine.iter().filter(|q| q.split == split).collect();
            let served = in_split.iter().filter(|q| served_question(q)).count();
            let dbs: BTreeSet<&str> = in_split.iter().map(|q| q.db_id.as_str()).collect();
            let _ = write!(out, " {} | {} ({served}) |", dbs.len(), in_split.len());
        }
        out.push('\n');
    }
    let count = |split: Split| splits.values().filter(|s| **s == split).count();
    let total = |split: Split| questions.iter().filter(|q| q.split == split).count();
    let served = |split: Split| {
        questions
            .iter()
            .filter(|q| q.split == split && served_question(q))
            .count()
    };
    let _ = writeln!(
        out,
        "| all | | {} | {} ({}) | {} | {} ({}) |",
        count(Split::Train),
        total(Split::Train),
        served(Split::Train),
        count(Split::Eval),
        total(Split::Eval),
        served(Split::Eval)
    );
    out
}

type Key = (String, Difficulty, Option<Source>, Split);

/// Counts keyed by database, difficulty, source (`None`: all sources) and split.
pub fn count(questions: &[Question]) -> BTreeMap<Key, usize> {
    let mut counts = BTreeMap::new();
    for q in questions {
        for source in [Some(q.source), None] {
            *counts
                .entry((q.db_id.clone(), q.difficulty, source, q.split))
                .or_default() += 1;
        }
    }
    counts
}

pub fn run(args: &StatsArgs) -> Result<(), QuestionsError> {
    let dir = args.data_dir.join("questions");
    let files = read_question_files(&dir)?;
    let questions: Vec<Question> = files.into_iter().flat_map(|(_, q)| q).collect();
    if args.sets {
        let databases = load_databases(&args.data_dir)?;
        let splits = read_db_list(&dir, &databases)?;
        let known = questions.iter().map(|q| q.id.as_str()).collect();
        let excluded = Exclusions::read(&dir, &known)?;
        print!("{}", sets_table(&questions, &splits, &excluded));
        return Ok(());
    }
    // Every database in use gets a row, also those without questions yet.
    let mut databases: BTreeSet<String> =
        crate::catalog::error::read_json::<BTreeMap<String, Vec<String>>>(&dir.join(DB_LIST_FILE))
            .map(|lists| lists.into_values().flatten().collect())
            .unwrap_or_default();
    databases.extend(questions.iter().map(|q| q.db_id.clone()));
    let counts = count(&questions);
    let mut sources: Vec<Source> = Vec::new();
    for q in &questions {
        if !sources.contains(&q.source) {
            sources.push(q.source);
        }
    }
    let mut out = String::new();
    for source in sources.iter().map(|s| Some(*s)).chain([None]) {
        let name = source.map_or("all sources", source_name);
        let total: usize = questions
            .iter()
            .filter(|q| source.is_none_or(|s| s == q.source))
            .count();
        let _ = writeln!(out, "== {name}: {total} questions (cells: train/eval)");
        out.push_str(&table(&databases, &counts, source));
        out.push('\n');
    }
    print!("{out}");
    if args.gaps {
        print!("{}", gaps(&databases, &counts, args.target));
    }
    Ok(())
}

fn cell(
    counts: &BTreeMap<Key, usize>,
    db: &str,
    d: Difficulty,
    s: Option<Source>,
    split: Split,
) -> usize {
    counts
        .get(&(db.to_owned(), d, s, split))
        .copied()
        .unwrap_or(0)
}

fn table(
    databases: &BTreeSet<String>,
    counts: &BTreeMap<Key, usize>,
    source: Option<Source>,
) -> String {
    let width = databases.iter().map(String::len).max().unwrap_or(8).max(8);
    let mut out = format!("{:width$}", "database");
    for d in Difficulty::ALL {
        let _ = write!(out, " {:>9}", d.as_str());
    }
    let _ = writeln!(out, " {:>9}", "total");
    let mut totals = [[0usize; 2]; 5];
    for db in databases {
        let _ = write!(out, "{db:width$}");
        let mut row = [0usize; 2];
        for (i, d) in Difficulty::ALL.into_iter().enumerate() {
            let train = cell(counts, db, d, source, Split::Train);
            let eval = cell(counts, db, d, source, Split::Eval);
            let _ = write!(out, " {:>9}", format!("{train}/{eval}"));
            row[0] += train;
            row[1] += eval;
            totals[i][0] += train;
            totals[i][1] += eval;
        }
        totals[4][0] += row[0];
        totals[4][1] += row[1];
        let _ = writeln!(out, " {:>9}", format!("{}/{}", row[0], row[1]));
    }
    let _ = write!(out, "{:width$}", "total");
    for t in totals {
        let _ = write!(out, " {:>9}", format!("{}/{}", t[0], t[1]));
    }
    out.push('\n');
    out
}

/// The database x difficulty cells (all sources, both splits) below `target`.
pub fn gaps(databases: &BTreeSet<String>, counts: &BTreeMap<Key, usize>, target: usize) -> String {
    let mut out =
        format!("== gaps: database x difficulty cells with fewer than {target} questions\n");
    let mut found = 0;
    for db in databases {
        for d in Difficulty::ALL {
            let n =
                cell(counts, db, d, None, Split::Train) + cell(counts, db, d, None, Split::Eval);
            if n < target {
                let _ = writeln!(out, "{db:30} {:7} {n:>4}/{target}", d.as_str());
                found += 1;
            }
        }
    }
    if found == 0 {
        out.push_str("none\n");
    } else {
        let _ = writeln!(out, "{found} cells below target");
    }
    out
}
