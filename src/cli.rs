//! The `sqlenv` command line: run the server, and work with the bundled question data.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::ServeArgs;

#[derive(Debug, Parser)]
#[command(
    name = "sqlenv",
    version,
    about = "SQLEnv: an OpenEnv reinforcement-learning environment over real SQLite databases"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the environment server (HTTP, WebSocket /ws, MCP /mcp).
    Serve(ServeArgs),
    /// Work with question files.
    #[command(subcommand)]
    Questions(QuestionsCommand),
    /// Play scripted policies (oracle, random, reward-gaming strategies) and report their
    /// accuracy and mean return per difficulty.
    Eval(crate::agent::eval::EvalArgs),
    /// Load-test running servers: many concurrent WebSocket sessions playing scripted episodes
    /// (or held idle), with throughput, latency percentiles, errors and server memory.
    Load(crate::load::LoadArgs),
    /// Probe a running server and its data (the container HEALTHCHECK): exit 0 healthy,
    /// 1 unhealthy.
    Healthcheck(crate::healthcheck::HealthcheckArgs),
}

#[derive(Debug, Subcommand)]
pub enum QuestionsCommand {
    /// Check question files exactly as the server loads them (contract, db_list.json, every
    /// gold SQL and answer) and report every problem with its file, record and key.
    Validate {
        /// Directory with tables.json, databases/ and questions/.
        #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// Question files to check (default: every file in <data-dir>/questions).
        files: Vec<PathBuf>,
    },
    /// Convert Spider's dev.json into a question file, running every gold SQL on the bundled
    /// databases to record its answer and assigning the train/eval split.
    ImportSpider {
        /// Spider's dev.json (with `difficulty` and `spider_dev_index`).
        #[arg(long)]
        dev: PathBuf,
        /// Data directory whose databases the gold SQL runs on.
        #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// Question file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Convert Spider's training questions and the Spider-Syn, Spider-Realistic and Spider-DK
    /// dev variants into question files (one source each), proving every gold SQL; records whose
    /// database is missing or whose gold cannot be proven are left out and reported.
    ImportSpiderSets(crate::questions::spider_sets::ImportSetsArgs),
    /// Generate questions (exactly one of --template, --procedural, --llm-gen, or --all), prove
    /// them like every question file and write them to --out.
    Generate(crate::questions::generate::GenerateArgs),
    /// Show questions of one source with their SQL and answers.
    Inspect(crate::questions::inspect::InspectArgs),
    /// Count questions per database x difficulty x source x split; --gaps lists thin cells.
    Stats(crate::questions::stats::StatsArgs),
    /// Recompute the deterministic train/eval split of the question files in place.
    Split(crate::questions::split::SplitArgs),
    /// Write JSONL per split and a dataset card, ready for a dataset hub (no upload).
    Export(crate::questions::export::ExportArgs),
    /// List golds with ties (handled by tie groups) and with suspect ordering or NULL-like text,
    /// and whether each suspect is excluded (questions/exclusions.json).
    Audit(crate::questions::audit::AuditArgs),
}
