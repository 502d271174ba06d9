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

use crate::catalog::spider_import;
use crate::cli::QuestionsCommand;

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
