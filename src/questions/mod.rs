//! The `sqlenv questions` commands: validating question files against the one question contract
//! ([`crate::catalog::question::Question`], proven by [`crate::catalog::questions`]), generating
//! new questions (templates, procedural compositions, an LLM), and inspecting, counting,
//! splitting and exporting the question data. Each command's logic is in its own module; the
//! binary only dispatches here.

pub mod audit;
pub mod difficulty;
pub mod error;
pub mod export;
pub mod generate;
pub mod inspect;
pub mod progress;
pub mod spider_sets;
pub mod split;
pub mod stats;
pub mod validate;
pub mod words;

pub use error::QuestionsError;

use std::path::PathBuf;

use clap::Subcommand;

use crate::catalog::spider_import;

/// The `sqlenv questions` subcommands. Defined here, beside what runs them, so the command line
/// (`crate::cli`) depends on this module and not the other way round.
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
    ImportSpiderSets(spider_sets::ImportSetsArgs),
    /// Generate questions (exactly one of --template, --procedural, --llm-gen, or --all), prove
    /// them like every question file and write them to --out.
    Generate(generate::GenerateArgs),
    /// Show questions of one source with their SQL and answers.
    Inspect(inspect::InspectArgs),
    /// Count questions per database x difficulty x source x split; --gaps lists thin cells.
    Stats(stats::StatsArgs),
    /// Recompute the deterministic train/eval split of the question files in place.
    Split(split::SplitArgs),
    /// Write JSONL per split and a dataset card, ready for a dataset hub (no upload).
    Export(export::ExportArgs),
    /// List golds with ties (handled by tie groups) and with suspect ordering or NULL-like text,
    /// and whether each suspect is excluded (questions/exclusions.json).
    Audit(audit::AuditArgs),
}

/// Runs one `sqlenv questions` command.
pub fn run(command: QuestionsCommand) -> Result<(), QuestionsError> {
    match command {
        QuestionsCommand::Validate { data_dir, files } => validate::run(&data_dir, &files),
        QuestionsCommand::ImportSpider { dev, data_dir, out } => {
            let questions = spider_import::import_spider_dev(&dev, &data_dir)?;
            spider_import::write_questions(&out, &questions)?;
            println!("wrote {} questions to {}", questions.len(), out.display());
            Ok(())
        }
        QuestionsCommand::ImportSpiderSets(args) => spider_sets::run(&args),
        QuestionsCommand::Generate(args) => generate::run(&args),
        QuestionsCommand::Inspect(args) => inspect::run(&args),
        QuestionsCommand::Stats(args) => stats::run(&args),
        QuestionsCommand::Split(args) => split::run(&args),
        QuestionsCommand::Export(args) => export::run(&args),
        QuestionsCommand::Audit(args) => audit::run(&args),
    }
}
