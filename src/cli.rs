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
}

#[derive(Debug, Subcommand)]
pub enum QuestionsCommand {
    /// Load the data directory exactly as the server does and report what it holds.
    Validate {
        /// Directory with tables.json, databases/ and questions/.
        #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
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
}
