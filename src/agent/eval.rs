//! `sqlenv eval`: plays scripted policies over a split's questions, against a running server
//! (`--url`) or one started in-process, and reports accuracy and mean return per difficulty, so
//! the reward's integrity can be read off a table (docs/reward.md) and plotted from JSON.
//!
//! Episodes reset with a `question_id`, and every random choice of a policy is seeded from
//! `--seed`, the policy and the episode's index, so a run is reproducible whatever the
//! concurrency.

use std::cell::{Cell as StdCell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser};
use serde::Serialize;

use super::client::{ClientError, EpisodeClient};
use super::policy::PolicyKind;
use super::runner::{play_episode, EpisodeRecord, RunError};
use super::second_session;
use crate::catalog::question::{Difficulty, Question, Split};
use crate::catalog::sets::QuestionSet;
use crate::catalog::{Catalog, CatalogError};
use crate::config::ServeArgs;
use crate::startup::Application;

/// Connections played over at once by default: enough to overlap the round trips, few enough
/// for a 2-core machine that also runs the server.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Flags of `sqlenv eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Policy to play: a name, several names separated by commas, or `all`. Names: oracle,
    /// random, describe-every-table, repeat-same-query, sample-spam, answer-guessing, oscillate,
    /// padded-oracle, threshold-probe, membership-probe, second-session-probe.
    #[arg(long)]
    pub policy: String,
    /// Episodes per policy (default: every served question of the split once; more cycle).
    #[arg(long)]
    pub episodes: Option<usize>,
    /// Seed of the policies' random choices.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// WebSocket URL of a running server (`ws://HOST:PORT/ws`); without it a server is started
    /// in-process on a free loopback port.
    #[arg(long)]
    pub url: Option<String>,
    /// Data directory with the questions (and, without --url, the databases to serve); it must
    /// hold the same questions as the server's.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Split whose questions are played: train or eval.
    #[arg(long, default_value = "eval", value_parser = parse_split)]
    pub split: Split,
    /// Question sets to play, comma-separated, each reported on its own and side by side:
    /// spider, spider-syn, spider-realistic, spider-dk, template, procedural, llm-gen, or
    /// `robustness` for spider and its three variants (default: what a reset naming no set draws
    /// from the split; for eval, Spider's dev questions only).
    #[arg(long)]
    pub set: Option<String>,
    /// Writes the summary (and every episode's record) as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// WebSocket sessions played at once.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
}

/// Parses `--set`: set names separated by commas, or `robustness`.
pub fn parse_sets(text: &str) -> Result<Vec<QuestionSet>, String> {
    if text.trim() == "robustness" {
        return Ok(std::iter::once(QuestionSet::Spider)
            .chain(QuestionSet::ROBUSTNESS)
            .collect());
    }
    text.split(',')
        .map(|name| {
            QuestionSet::from_name(name.trim()).ok_or_else(|| {
                let names: Vec<&str> = QuestionSet::ALL.iter().map(|s| s.as_str()).collect();
                format!(
                    "unknown set '{name}'; use robustness or a comma-separated list of: {}",
                    names.join(", ")
                )
            })
        })
        .collect()
}

fn parse_split(s: &str) -> Result<Split, String> {
    match s {
        "train" => Ok(Split::Train),
        "eval" => Ok(Split::Eval),
        other => Err(format!("unknown split '{other}' (train or eval)")),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("unknown policy '{0}'; use all or a comma-separated list of: {names}", names = policy_names())]
    UnknownPolicy(String),
    #[error("--set: {0}")]
    UnknownSet(String),
    #[error("--concurrency must be at least 1")]
    NoConcurrency,
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("no served question in {set} of the {split} split")]
    NoQuestions { split: &'static str, set: String },
    #[error("cannot start the in-process server: {0}")]
    Server(String),
    #[error("{policy}: cannot open a session: {source}")]
    Connect {
        policy: &'static str,
        source: ClientError,
    },
    #[error("{policy}, episode on question {question_id}: {source}")]
    Episode {
        policy: &'static str,
        question_id: String,
        source: RunError,
    },
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn policy_names() -> String {
    let names: Vec<&str> = PolicyKind::ALL.iter().map(|k| k.name()).collect();
    names.join(", ")
}

/// Parses `--policy`: `all`, or names separated by commas.
pub fn parse_policies(text: &str) -> Result<Vec<PolicyKind>, EvalError> {
    if text.trim() == "all" {
        return Ok(PolicyKind::ALL.to_vec());
    }
    text.split(',')
        .map(|name| {
            PolicyKind::from_name(name.trim()).ok_or_else(|| EvalError::UnknownPolicy(name.into()))
        })
        .collect()
}

/// The questions of `episodes` episodes: the served questions of the split and set (`None`:
/// the split's default sets) in catalog order, the first `n` of them, cycling when `n` is larger.
pub fn episode_questions(
    catalog: &Catalog,
    split: Split,
    set: Option<QuestionSet>,
    episodes: Option<usize>,
) -> Result<Vec<Arc<Question>>, EvalError> {
    let pool = catalog.questions().served_in(split, set);
    if pool.is_empty() {
        return Err(EvalError::NoQuestions {
            split: split.as_str(),
            set: set_label(set).to_owned(),
        });
    }
    let n = episodes.unwrap_or(pool.len());
    Ok(pool.iter().cycle().take(n).cloned().collect())
}

/// How a report names a set: its name, or `default` for what a reset naming no set draws.
pub fn set_label(set: Option<QuestionSet>) -> &'static str {
    set.map_or("default", QuestionSet::as_str)
}

/// Averages over a set of episodes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    pub episodes: usize,
    /// Fraction of episodes answered correctly.
    pub accuracy: f64,
    pub mean_return: f64,
    pub mean_return_before_answer: f64,
}

impl Summary {
    pub fn of<'a>(records: impl IntoIterator<Item = &'a EpisodeRecord>) -> Summary {
        let mut s = Summary::default();
        for r in records {
            s.episodes += 1;
            s.accuracy += f64::from(u8::from(r.correct));
            s.mean_return += r.total_return;
            s.mean_return_before_answer += r.return_before_answer;
        }
        if s.episodes > 0 {
            let n = s.episodes as f64;
            s.accuracy /= n;
            s.mean_return /= n;
            s.mean_return_before_answer /= n;
        }
        s
    }
}

/// One policy's results.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyReport {
    pub policy: &'static str,
    /// The question set played (`default`: the split's default sets).
    pub set: &'static str,
    pub overall: Summary,
    /// Only the difficulties that occur, easiest first.
    pub by_difficulty: BTreeMap<Difficulty, Summary>,
    pub episodes: Vec<EpisodeRecord>,
}

impl PolicyReport {
    pub fn new(policy: PolicyKind, episodes: Vec<EpisodeRecord>) -> Self {
        Self::for_set(policy, None, episodes)
    }

    pub fn for_set(
        policy: PolicyKind,
        set: Option<QuestionSet>,
        episodes: Vec<EpisodeRecord>,
    ) -> Self {
        let by_difficulty = Difficulty::ALL
            .into_iter()
            .filter_map(|d| {
                let s = Summary::of(episodes.iter().filter(|r| r.difficulty == d.as_str()));
                (s.episodes > 0).then_some((d, s))
            })
            .collect();
        PolicyReport {
            policy: policy.name(),
            set: set_label(set),
            overall: Summary::of(&episodes),
            by_difficulty,
            episodes,
        }
    }
}

/// The episode seed: a SplitMix64 mix of the run seed, the policy and the episode index, so
/// neighbouring episodes get unrelated random choices.
pub fn episode_seed(seed: u64, policy: PolicyKind, index: usize) -> u64 {
    let policy_index = PolicyKind::ALL
        .iter()
        .position(|k| *k == policy)
        .unwrap_or(0);
    let mut z = seed
        ^ (policy_index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (index as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The reset keyword arguments of an evaluation episode.
#[derive(Serialize)]
struct Reset<'a> {
    question_id: &'a str,
    seed: u64,
}

/// Plays one episode of `policy` per question over `concurrency` sessions to `url`; the records
/// come back in the order of `questions`. With `progress`, reports on stderr as it goes.
pub async fn run_policy(
    policy: PolicyKind,
    questions: &[Arc<Question>],
    catalog: &Catalog,
    url: &str,
    seed: u64,
    concurrency: usize,
    progress: bool,
) -> Result<Vec<EpisodeRecord>, EvalError> {
    if concurrency == 0 {
        return Err(EvalError::NoConcurrency);
    }
    // The workers run as futures of one task: no threads, so plain shared cells suffice.
    let next = StdCell::new(0usize);
    let finished = StdCell::new(0usize);
    let records: RefCell<Vec<Option<EpisodeRecord>>> = RefCell::new(vec![None; questions.len()]);
    let step = (questions.len() / 10).max(1);
    let worker = || async {
        let mut client =
            EpisodeClient::connect(url)
                .await
                .map_err(|source| EvalError::Connect {
                    policy: policy.name(),
                    source,
                })?;
        loop {
            let index = next.get();
            let Some(question) = questions.get(index) else {
                break;
            };
            next.set(index + 1);
            let episode_seed = episode_seed(seed, policy, index);
            let reset = Reset {
                question_id: &question.id,
                seed: episode_seed,
            };
            let played = if policy == PolicyKind::SecondSessionProbe {
                second_session::play(&mut client, url, catalog, &reset).await
            } else {
                let mut agent = policy.build(episode_seed);
                play_episode(&mut client, agent.as_mut(), catalog, &reset).await
            };
            let record = played.map_err(|source| EvalError::Episode {
                policy: policy.name(),
                question_id: question.id.clone(),
                source,
            })?;
            if let Some(slot) = records.borrow_mut().get_mut(index) {
                *slot = Some(record);
            }
            finished.set(finished.get() + 1);
            let done = finished.get();
            if progress && (done % step == 0 || done == questions.len()) {
                eprintln!("{}: {done}/{} episodes", policy.name(), questions.len());
            }
        }
        // The results are in; a failed close handshake changes nothing.
        let _ = client.close().await;
        Ok::<(), EvalError>(())
    };
    let workers = (0..concurrency.min(questions.len().max(1))).map(|_| worker());
    futures_util::future::try_join_all(workers).await?;
    Ok(records.into_inner().into_iter().flatten().collect())
}

/// Plays every policy in turn.
pub async fn evaluate(
    policies: &[PolicyKind],
    questions: &[Arc<Question>],
    catalog: &Catalog,
    url: &str,
    seed: u64,
    concurrency: usize,
    progress: bool,
) -> Result<Vec<PolicyReport>, EvalError> {
    let mut reports = Vec::with_capacity(policies.len());
    for &policy in policies {
        let records =
            run_policy(policy, questions, catalog, url, seed, concurrency, progress).await?;
        reports.push(PolicyReport::new(policy, records));
    }
    Ok(reports)
}

/// The JSON summary `--json` writes.
#[derive(Debug, Serialize)]
struct JsonSummary<'a> {
    generated_by: &'static str,
    unix_time: u64,
    split: &'static str,
    sets: Vec<&'static str>,
    seed: u64,
    /// Episodes each policy played on each set.
    episodes_per_set: BTreeMap<&'static str, usize>,
    server: &'a str,
    policies: &'a [PolicyReport],
}

/// Server flags as `sqlenv serve` would take them (environment included), for the in-process
/// server.
#[derive(Parser)]
struct ServeFlags {
    #[command(flatten)]
    args: ServeArgs,
}

/// Starts a server on a free loopback port over the already loaded catalog.
fn start_server(
    data_dir: &std::path::Path,
    catalog: Arc<Catalog>,
    concurrency: usize,
) -> Result<(String, actix_web::dev::ServerHandle), EvalError> {
    let mut args = ServeFlags::try_parse_from(["sqlenv"])
        .map_err(|e| EvalError::Server(e.to_string()))?
        .args;
    args.host = "127.0.0.1".into();
    args.port = 0;
    args.data_dir = data_dir.to_owned();
    args.max_sessions = args.max_sessions.max(concurrency);
    let config = args
        .into_config()
        .map_err(|e| EvalError::Server(e.to_string()))?;
    let app = Application::build_with_catalog(config, catalog)
        .map_err(|e| EvalError::Server(e.to_string()))?;
    let url = format!("ws://127.0.0.1:{}/ws", app.port());
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    Ok((url, handle))
}

/// `sqlenv eval`: runs the evaluation, prints the table on stdout and writes the JSON summary.
pub fn run(args: EvalArgs) -> Result<(), EvalError> {
    let policies = parse_policies(&args.policy)?;
    if args.concurrency == 0 {
        return Err(EvalError::NoConcurrency);
    }
    let sets: Vec<Option<QuestionSet>> = match &args.set {
        Some(text) => parse_sets(text)
            .map_err(EvalError::UnknownSet)?
            .into_iter()
            .map(Some)
            .collect(),
        None => vec![None],
    };
    let catalog = Arc::new(Catalog::load(&args.data_dir)?);
    let mut plays = Vec::with_capacity(sets.len());
    for set in &sets {
        plays.push((
            *set,
            episode_questions(&catalog, args.split, *set, args.episodes)?,
        ));
    }
    let reports = actix_web::rt::System::new().block_on(async {
        let (url, server) = match &args.url {
            Some(url) => (url.clone(), None),
            None => {
                let (url, handle) =
                    start_server(&args.data_dir, catalog.clone(), args.concurrency)?;
                (url, Some(handle))
            }
        };
        let mut reports = Vec::new();
        let mut failure = None;
        for (set, questions) in &plays {
            eprintln!(
                "playing {} episodes per policy ({} split, set {}) against {url}",
                questions.len(),
                args.split.as_str(),
                set_label(*set)
            );
            match evaluate(
                &policies,
                questions,
                &catalog,
                &url,
                args.seed,
                args.concurrency,
                true,
            )
            .await
            {
                Ok(played) => reports.extend(played.into_iter().map(|mut r| {
                    r.set = set_label(*set);
                    r
                })),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if let Some(handle) = server {
            handle.stop(true).await;
        }
        match failure {
            Some(e) => Err(e),
            None => Ok((reports, url)),
        }
    })?;
    let (reports, url) = reports;
    if sets.len() > 1 {
        print!("{}", set_table(&reports));
    } else if let [report] = reports.as_slice() {
        print!("{}", difficulty_table(report));
    } else {
        print!("{}", policy_table(&reports));
    }
    if let Some(path) = &args.json {
        let summary = JsonSummary {
            generated_by: "sqlenv eval",
            unix_time: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            split: args.split.as_str(),
            sets: sets.iter().map(|s| set_label(*s)).collect(),
            seed: args.seed,
            episodes_per_set: plays
                .iter()
                .map(|(set, q)| (set_label(*set), q.len()))
                .collect(),
            server: if args.url.is_some() {
                &url
            } else {
                "in-process"
            },
            policies: &reports,
        };
        let text = serde_json::to_string_pretty(&summary).map_err(|e| EvalError::Write {
            path: path.clone(),
            source: e.into(),
        })?;
        std::fs::write(path, text + "\n").map_err(|source| EvalError::Write {
            path: path.clone(),
            source,
        })?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Several sets: a row per policy and set, so each robustness set reads beside the plain dev
/// set, as a Markdown table.
pub fn set_table(reports: &[PolicyReport]) -> String {
    let mut out = String::from("| policy | set | episodes | accuracy | mean return |");
    let mut rule = String::from("|---|---|---:|---:|---:|");
    for d in Difficulty::ALL {
        let _ = write!(out, " {} |", d.as_str());
        rule.push_str("---:|");
    }
    out.push('\n');
    out.push_str(&rule);
    out.push('\n');
    for r in reports {
        let s = &r.overall;
        let _ = write!(
            out,
            "| {} | {} | {} | {} | {:.3} |",
            r.policy,
            r.set,
            s.episodes,
            percent(s.accuracy),
            s.mean_return
        );
        for d in Difficulty::ALL {
            match r.by_difficulty.get(&d) {
                Some(s) => {
                    let _ = write!(out, " {} |", percent(s.accuracy));
                }
                None => out.push_str(" – |"),
            }
        }
        out.push('\n');
    }
    out
}

fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// One policy: a row per difficulty and one overall, as a Markdown table.
pub fn difficulty_table(report: &PolicyReport) -> String {
    let mut out = format!(
        "policy: {}\n\n| difficulty | episodes | accuracy | mean return | mean return before answer |\n|---|---:|---:|---:|---:|\n",
        report.policy
    );
    let rows = report
        .by_difficulty
        .iter()
        .map(|(d, s)| (d.as_str(), s))
        .chain(std::iter::once(("overall", &report.overall)));
    for (name, s) in rows {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {:.3} | {:.3} |",
            s.episodes,
            percent(s.accuracy),
            s.mean_return,
            s.mean_return_before_answer
        );
    }
    out
}

/// Several policies: a row per policy with the overall figures, then accuracy and mean return
/// per difficulty, as a Markdown table.
pub fn policy_table(reports: &[PolicyReport]) -> String {
    let mut out =
        String::from("| policy | episodes | accuracy | mean return | mean return before answer |");
    let mut rule = String::from("|---|---:|---:|---:|---:|");
    for d in Difficulty::ALL {
        let _ = write!(out, " {} (acc / return) |", d.as_str());
        rule.push_str("---:|");
    }
    out.push('\n');
    out.push_str(&rule);
    out.push('\n');
    for r in reports {
        let s = &r.overall;
        let _ = write!(
            out,
            "| {} | {} | {} | {:.3} | {:.3} |",
            r.policy,
            s.episodes,
            percent(s.accuracy),
            s.mean_return,
            s.mean_return_before_answer
        );
        for d in Difficulty::ALL {
            match r.by_difficulty.get(&d) {
                Some(s) => {
                    let _ = write!(out, " {} / {:.3} |", percent(s.accuracy), s.mean_return);
                }
                None => out.push_str(" – |"),
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::runner::DoneReason;

    fn record(difficulty: &str, correct: bool, ret: f64, before: f64) -> EpisodeRecord {
        EpisodeRecord {
            question_id: "q".into(),
            db_id: "db".into(),
            difficulty: difficulty.into(),
            steps: 2,
            total_return: ret,
            return_before_answer: before,
            correct,
            done_reason: DoneReason::Answered,
        }
    }

    #[test]
    fn policies_parse_by_name_list_or_all() {
        assert_eq!(parse_policies("all").unwrap().len(), PolicyKind::ALL.len());
        assert_eq!(
            parse_policies("oracle, random").unwrap(),
            [PolicyKind::Oracle, PolicyKind::Random]
        );
        let err = parse_policies("oracle,nope").unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("sample-spam"), "{err}");
    }

    #[test]
    fn summaries_average_by_difficulty() {
        let records = vec![
            record("easy", true, 1.15, 0.15),
            record("easy", false, 0.05, 0.05),
            record("hard", true, 1.0, 0.0),
        ];
        let report = PolicyReport::new(PolicyKind::Oracle, records);
        assert_eq!(report.overall.episodes, 3);
        assert!((report.overall.accuracy - 2.0 / 3.0).abs() < 1e-12);
        let easy = report.by_difficulty[&Difficulty::Easy];
        assert!((easy.mean_return - 0.6).abs() < 1e-12 && (easy.accuracy - 0.5).abs() < 1e-12);
        assert!(!report.by_difficulty.contains_key(&Difficulty::Medium));
        let table = difficulty_table(&report);
        assert!(table.contains("| overall | 3 | 66.7% |"), "{table}");
        let table = policy_table(&[report]);
        assert!(
            table.contains("| oracle | 3 | 66.7% |") && table.contains(" – |"),
            "{table}"
        );
        assert_eq!(Summary::of(&[]), Summary::default());
    }

    #[test]
    fn episode_seeds_differ_by_index_and_policy() {
        let a = episode_seed(0, PolicyKind::Random, 0);
        assert_ne!(a, episode_seed(0, PolicyKind::Random, 1));
        assert_ne!(a, episode_seed(0, PolicyKind::AnswerGuessing, 0));
        assert_ne!(a, episode_seed(1, PolicyKind::Random, 0));
        assert_eq!(a, episode_seed(0, PolicyKind::Random, 0));
    }

    #[test]
    fn sets_parse_by_name_list_or_robustness() {
        assert_eq!(
            parse_sets("spider-syn, spider").unwrap(),
            [QuestionSet::SpiderSyn, QuestionSet::Spider]
        );
        assert_eq!(parse_sets("robustness").unwrap().len(), 4);
        let err = parse_sets("spider,nope").unwrap_err();
        assert!(err.contains("nope") && err.contains("spider-dk"), "{err}");
    }

    #[test]
    fn split_parses() {
        assert_eq!(parse_split("train"), Ok(Split::Train));
        assert!(parse_split("test").is_err());
    }
}
