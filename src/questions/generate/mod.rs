//! `sqlenv questions generate`: new questions for the bundled databases, from schema templates,
//! procedural compositions or an LLM. Every mode produces drafts (a question and its SQL); the
//! drafts all go through the same proof as any question file: the gold SQL runs under the
//! agents' read-only guard, the result must be non-empty and unambiguous, and the finished file
//! must pass `questions::validate`.

pub mod llm;
pub mod procedural;
pub mod profile;
pub mod sample;
pub mod sql;
pub mod template;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::{ArgGroup, Args};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::difficulty::difficulty_of;
use super::error::QuestionsError;
use super::progress;
use crate::catalog::load_databases;
use crate::catalog::question::{AnswerType, Difficulty, Question, Source, Split};
use crate::catalog::questions::{self as loader, execute_gold, is_empty_gold};
use crate::catalog::schema::Database;
use crate::catalog::spider_import::{assign_splits, write_questions};
use crate::database::value::Cell;

/// Gold answers longer than this are not generated: an agent would have to type them out.
pub const MAX_ANSWER_ROWS: usize = 30;

#[derive(Debug, Clone, Args)]
#[command(group(
    ArgGroup::new("mode")
        .required(true)
        .multiple(false)
        .args(["template", "procedural", "llm_gen", "all"])
))]
pub struct GenerateArgs {
    /// Schema-driven templates (counts, extremes, averages, per-category and per-key counts,
    /// existence, top-k).
    #[arg(long)]
    pub template: bool,
    /// Random compositions of filters on real values, joins, aggregates and orderings.
    #[arg(long)]
    pub procedural: bool,
    /// Ask an OpenAI-compatible chat-completions endpoint (SQLENV_LLM_URL, SQLENV_LLM_MODEL,
    /// SQLENV_LLM_API_KEY) to write questions and SQL for each database's schema.
    #[arg(long = "llm-gen")]
    pub llm_gen: bool,
    /// Template and procedural, and llm_gen when SQLENV_LLM_URL is set.
    #[arg(long)]
    pub all: bool,
    /// Only these databases, comma-separated or repeated (default: every database in
    /// db_list.json). Each database's questions depend only on the seed and that database.
    #[arg(long, value_delimiter = ',')]
    pub db: Vec<String>,
    /// Questions per database and mode, at most.
    #[arg(long, default_value_t = 30)]
    pub count: usize,
    /// Seed of every random choice: the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Question file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Directory with tables.json, databases/ and questions/.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

/// A question and its SQL, not yet proven.
#[derive(Debug, Clone)]
pub struct Draft {
    pub question: String,
    pub sql: String,
    pub tie_check: Option<TieCheck>,
}

/// A query returning the sort key of an ordered result, to detect orders that ties make
/// ambiguous.
#[derive(Debug, Clone)]
pub struct TieCheck {
    pub sql: String,
    /// `Some(k)`: the result keeps the first k rows, so rows k-1 and k must differ. `None`: the
    /// whole order is the answer, so no two keys may be equal.
    pub cut: Option<usize>,
}

impl Draft {
    pub fn new(question: String, sql: String) -> Self {
        Draft {
            question,
            sql,
            tie_check: None,
        }
    }

    /// The result is cut after `k` rows of `key_sql`'s order.
    pub fn with_tie(mut self, key_sql: String, k: usize) -> Self {
        self.tie_check = Some(TieCheck {
            sql: key_sql,
            cut: Some(k),
        });
        self
    }

    /// The result's whole order matters.
    pub fn with_total_order(mut self, key_sql: String) -> Self {
        self.tie_check = Some(TieCheck {
            sql: key_sql,
            cut: None,
        });
        self
    }
}

/// Why a draft was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rejection {
    DoesNotRun,
    Empty,
    TooLong,
    Tie,
    Duplicate,
}

/// Runs a draft's SQL and checks the result may be a gold answer.
pub fn prove(draft: &Draft, db: &Database) -> Result<(usize, Vec<Vec<Cell>>), Rejection> {
    let (columns, rows) = execute_gold(db, &draft.sql).map_err(|_| Rejection::DoesNotRun)?;
    if is_empty_gold(&rows) || rows.iter().any(|r| r.iter().all(|c| *c == Cell::Null)) {
        return Err(Rejection::Empty);
    }
    // A count of nothing: the filters matched no row, so the question asks about nothing.
    let counts = draft
        .sql
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("select count(");
    if counts && rows == [vec![Cell::Integer(0)]] {
        return Err(Rejection::Empty);
    }
    if rows.len() > MAX_ANSWER_ROWS {
        return Err(Rejection::TooLong);
    }
    if let Some(check) = &draft.tie_check {
        let (_, keys) = execute_gold(db, &check.sql).map_err(|_| Rejection::DoesNotRun)?;
        let tied = match check.cut {
            Some(k) => k >= 1 && keys.len() > k && keys.get(k - 1) == keys.get(k),
            None => keys.windows(2).any(|w| w[0] == w[1]),
        };
        if tied {
            return Err(Rejection::Tie);
        }
    }
    Ok((columns, rows))
}

/// Orders drafts so a capped run still spans the difficulties: shuffled within each difficulty
/// with `rng`, then taken easy, medium, hard, extra, easy, ... in turn.
pub fn interleave(drafts: Vec<Draft>, rng: &mut ChaCha8Rng) -> Vec<Draft> {
    let mut queues: BTreeMap<Difficulty, Vec<Draft>> = BTreeMap::new();
    for d in drafts {
        queues.entry(difficulty_of(&d.sql)).or_default().push(d);
    }
    for queue in queues.values_mut() {
        queue.shuffle(rng);
        queue.reverse();
    }
    let mut out = Vec::new();
    loop {
        let mut took = false;
        for queue in queues.values_mut() {
            if let Some(d) = queue.pop() {
                out.push(d);
                took = true;
            }
        }
        if !took {
            return out;
        }
    }
}

/// Keeps drafts in order until `count` are proven, dropping duplicates (same database and same
/// gold result, also against `seen`). Returns the questions, ids not yet assigned, and how many
/// drafts were rejected for each reason.
pub fn accept(
    drafts: Vec<Draft>,
    db: &Database,
    source: Source,
    count: usize,
    seen: &mut HashSet<(String, String)>,
    rejected: &mut BTreeMap<Rejection, usize>,
) -> Vec<Question> {
    let mut out = Vec::new();
    for draft in drafts {
        if out.len() >= count {
            break;
        }
        let proven = prove(&draft, db).and_then(|(columns, rows)| {
            let key = serde_json::to_string(&rows).unwrap_or_default();
            if seen.insert((db.db_id.clone(), key)) {
                Ok((columns, rows))
            } else {
                Err(Rejection::Duplicate)
            }
        });
        match proven {
            Ok((columns, rows)) => out.push(Question {
                proven: Default::default(),
                ordered: Default::default(),
                id: String::new(),
                db_id: db.db_id.clone(),
                question: draft.question,
                answer_type: AnswerType::of_result(columns, &rows),
                difficulty: difficulty_of(&draft.sql),
                gold_sql: draft.sql,
                gold_answer: rows,
                source,
                split: Split::Train,
            }),
            Err(reason) => *rejected.entry(reason).or_default() += 1,
        }
    }
    out
}

/// The prefix of generated ids: the source's name as stored.
pub fn source_name(source: Source) -> &'static str {
    source.as_str()
}

/// `sqlenv questions generate`.
pub fn run(args: &GenerateArgs) -> Result<(), QuestionsError> {
    let started = Instant::now();
    // Before any data is read: a missing endpoint is a configuration error, reported at once.
    let llm = if args.llm_gen {
        Some(llm::LlmConfig::from_env()?)
    } else if args.all {
        llm::LlmConfig::from_env().ok()
    } else {
        None
    };
    if args.all && llm.is_none() {
        eprintln!("note: --all skips llm_gen: SQLENV_LLM_URL is not set");
    }
    let mut sources = Vec::new();
    if args.template || args.all {
        sources.push(Source::Template);
    }
    if args.procedural || args.all {
        sources.push(Source::Procedural);
    }
    if llm.is_some() {
        sources.push(Source::LlmGen);
    }
    let databases = load_databases(&args.data_dir)?;
    let questions_dir = args.data_dir.join("questions");
    let listed = loader::read_db_list(&questions_dir, &databases)?;
    let mut targets: Vec<&Arc<Database>> = Vec::new();
    for db in &args.db {
        match databases.get(db) {
            Some(found) if listed.contains_key(db) => targets.push(found),
            _ => {
                return Err(QuestionsError::Usage(format!(
                    "--db {db}: not a database of db_list.json"
                )))
            }
        }
    }
    if args.db.is_empty() {
        targets = listed.keys().filter_map(|db| databases.get(db)).collect();
    }
    // The same databases give the same file whatever order they were named in.
    targets.sort_by(|a, b| a.db_id.cmp(&b.db_id));
    targets.dedup_by(|a, b| a.db_id == b.db_id);

    let mut seen = HashSet::new();
    let mut rejected = BTreeMap::new();
    let mut questions = Vec::new();
    let bar = progress::bar((targets.len() * sources.len()) as u64, "generating");
    for db in &targets {
        let profile = profile::profile(db).map_err(QuestionsError::Generate)?;
        let mut sampler = sample::Sampler::open(db).map_err(QuestionsError::Generate)?;
        for &source in &sources {
            bar.set_message(format!("{} {}", source_name(source), db.db_id));
            // One generator per database and mode: adding a database does not change the others.
            let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ stable_hash(&db.db_id, source));
            let drafts = match source {
                Source::Template => {
                    let d = template::drafts(&profile, &mut sampler, &mut rng);
                    interleave(d, &mut rng)
                }
                Source::Procedural => {
                    let d = procedural::drafts(&profile, &mut sampler, &mut rng, args.count * 15);
                    interleave(d, &mut rng)
                }
                Source::LlmGen => match &llm {
                    Some(config) => config.drafts(db, args.count)?,
                    None => Vec::new(),
                },
                Source::Spider
                | Source::SpiderTrain
                | Source::SpiderSyn
                | Source::SpiderRealistic
                | Source::SpiderDk => Vec::new(),
            };
            let mut accepted = accept(drafts, db, source, args.count, &mut seen, &mut rejected);
            for (n, q) in accepted.iter_mut().enumerate() {
                q.id = format!("{}-{}-{n:04}", source_name(source), db.db_id);
            }
            questions.extend(accepted);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();

    assign_splits(&mut questions, &listed)?;
    // The same proof the server runs at start-up, on exactly what is written.
    let file = vec![(args.out.clone(), questions)];
    loader::validate(&file, &databases, &listed)?;
    let questions = file.into_iter().flat_map(|(_, q)| q).collect::<Vec<_>>();
    write_questions(&args.out, &questions)?;
    let rejected: Vec<String> = rejected
        .iter()
        .map(|(reason, n)| format!("{reason:?}: {n}"))
        .collect();
    println!(
        "wrote {} questions to {} in {:.1}s (drafts rejected: {})",
        questions.len(),
        args.out.display(),
        started.elapsed().as_secs_f64(),
        if rejected.is_empty() {
            "none".to_owned()
        } else {
            rejected.join(", ")
        }
    );
    Ok(())
}

/// A hash of a database and mode that does not change between runs or Rust versions (FNV-1a).
fn stable_hash(db_id: &str, source: Source) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in db_id.bytes().chain(source_name(source).bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
