//! The `sqlenv` command line: run the server, and work with the bundled question data.

use clap::{Parser, Subcommand};

use crate::config::ServeArgs;
use crate::questions::QuestionsCommand;

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
