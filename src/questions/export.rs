//! `sqlenv questions export --out DIR`: the question data as JSONL per split with a dataset card,
//! ready to upload to a dataset hub (nothing is uploaded).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use super::error::QuestionsError;
use super::generate::source_name;
use crate::catalog::load_databases;
use crate::catalog::question::{Question, Split};
use crate::catalog::questions::{is_empty_gold, read_db_list, read_question_files, validate};

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Directory to write train.jsonl, eval.jsonl and README.md into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Directory with tables.json, databases/ and questions/.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

pub fn run(args: &ExportArgs) -> Result<(), QuestionsError> {
    // Only proven data leaves: the same checks as the server's start-up.
    let databases = load_databases(&args.data_dir)?;
    let dir = args.data_dir.join("questions");
    let listed = read_db_list(&dir, &databases)?;
    let files = read_question_files(&dir)?;
    validate(&files, &databases, &listed)?;
    let questions: Vec<Question> = files.into_iter().flat_map(|(_, q)| q).collect();

    let write_err = |path: &Path| {
        let path = path.to_owned();
        move |source| QuestionsError::Write { path, source }
    };
    std::fs::create_dir_all(&args.out).map_err(write_err(&args.out))?;
    for split in [Split::Train, Split::Eval] {
        let path = args.out.join(format!("{}.jsonl", split.as_str()));
        let mut text = Vec::new();
        for q in questions.iter().filter(|q| q.split == split) {
            serde_json::to_writer(&mut text, q).map_err(|e| QuestionsError::Write {
                path: path.clone(),
                source: e.into(),
            })?;
            text.push(b'\n');
        }
        let mut file = std::fs::File::create(&path).map_err(write_err(&path))?;
        file.write_all(&text).map_err(write_err(&path))?;
    }
    let card = args.out.join("README.md");
    std::fs::write(&card, dataset_card(&questions, listed.len())).map_err(write_err(&card))?;
    println!(
        "exported {} questions to {} (train.jsonl, eval.jsonl, README.md)",
        questions.len(),
        args.out.display()
    );
    Ok(())
}

/// The dataset card: hub front matter, the fields, the sources and splits, license and attribution.
pub fn dataset_card(questions: &[Question], databases: usize) -> String {
    let mut by_source: BTreeMap<&str, [usize; 2]> = BTreeMap::new();
    for q in questions {
        let n = by_source.entry(source_name(q.source)).or_default();
        n[usize::from(q.split == Split::Eval)] += 1;
    }
    let empty = questions
        .iter()
        .filter(|q| is_empty_gold(&q.gold_answer))
        .count();
    let mut sources = String::new();
    for (name, [train, eval]) in &by_source {
        let _ = writeln!(sources, "| `{name}` | {train} | {eval} |");
    }
    format!(
        r#"---
license: cc-by-sa-4.0
language:
- en
pretty_name: SQLEnv questions
tags:
- text-to-sql
- sqlite
- spider
- reinforcement-learning
- openenv
task_categories:
- table-question-answering
configs:
- config_name: default
  data_files:
  - split: train
    path: train.jsonl
  - split: eval
    path: eval.jsonl
---

# SQLEnv questions

Questions about {databases} SQLite databases of Spider, each with its gold SQL and the gold
answer that SQL returns on the bundled database. They are the episodes of SQLEnv, an OpenEnv
reinforcement-learning environment in which an agent explores a database (DESCRIBE, SAMPLE,
read-only QUERY) and answers. The databases themselves ship with SQLEnv (`data/databases/`).

## Fields

| field | meaning |
|---|---|
| `id` | unique id: `spider-dev-NNNN` (position in Spider's dev set), `spider-train-NNNN`, `spider-syn-NNNN`, `spider-realistic-NNNN`, `spider-dk-NNNN` (position in that set's file), `<source>-<db_id>-NNNN` for generated ones |
| `db_id` | the database |
| `question` | the natural-language question |
| `gold_sql` | SQLite query that answers it |
| `gold_answer` | the query's result: an array of rows, each an array of values |
| `answer_type` | `integer`, `float`, `string` (one value), `list` (one column), `table` |
| `difficulty` | `easy`, `medium`, `hard`, `extra` (Spider's label for Spider questions; computed from the SQL's structure by the same kind of rule otherwise) |
| `source` | `spider`, `spider_train`, `spider_syn`, `spider_realistic`, `spider_dk`, `template`, `procedural` or `llm_gen` |
| `split` | `train` or `eval` |

## Sources and splits

| source | train | eval |
|---|---|---|
{sources}
- `spider`: Spider's dev questions (human-written), on its dev databases.
- `spider_train`: Spider's training questions, on its training databases.
- `spider_syn`, `spider_realistic`, `spider_dk`: the dev questions reworded with synonyms
  (Spider-Syn, Gan et al., ACL 2021), without explicit column names (Spider-Realistic, Deng et
  al., NAACL 2021), or needing domain knowledge (Spider-DK, Gan et al., EMNLP 2021); for
  evaluating robustness only.
- `template`: generated from each schema with fixed templates (counts, extremes, averages,
  counts per category and per foreign key, existence, top-k), phrased from table and column names.
- `procedural`: generated by random compositions of filters on real values, joins along foreign
  keys, aggregates and orderings; kept only when the result is non-empty and unambiguous.
- `llm_gen`: written by a language model from the schema, then proven like the others.

Every gold SQL was run read-only on its database and returns exactly `gold_answer`. The split
is Spider's, by database: `train` questions are on training databases, `eval` questions on the
dev databases, never seen in training. {empty} questions have an empty gold result; SQLEnv keeps
but never serves them.

## License and attribution

CC BY-SA 4.0. The databases and the `spider` questions come from Spider, and the generated
questions are derived from its databases; Spider-Syn and Spider-DK are MIT-licensed derivatives
of Spider, Spider-Realistic is CC BY-SA 4.0:

> Tao Yu, Rui Zhang, Kai Yang, Michihiro Yasunaga, Dongxu Wang, Zifan Li, James Ma, Irene Li,
> Qingning Yao, Shanelle Roman, Zilin Zhang, Dragomir Radev. *Spider: A Large-Scale
> Human-Labeled Dataset for Complex and Cross-Domain Semantic Parsing and Text-to-SQL Task.*
> EMNLP 2018.

Anything derived from this data stays under CC BY-SA 4.0 with this attribution.
"#
    )
}
