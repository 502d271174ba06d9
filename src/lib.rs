//! SQLEnv: a reinforcement-learning environment server. An agent gets a question about a real
//! SQLite database and a list of its tables, explores with DESCRIBE, SAMPLE and read-only QUERY
//! actions, and ends the episode with an ANSWER; every step earns a dense reward.
//!
//! # Layout
//! - [`catalog`]: the databases and questions, loaded and proven at start-up.
//! - [`questions`]: the `sqlenv questions` commands: validate, generate, inspect, stats, split, export.
//! - [`database`]: the database-pool actor and the read-only query machinery.
//! - [`reward`]: the reward actor and the pure scoring rules.
//! - [`session`]: the session actors that own episodes (WebSocket, MCP) and the episode rules.
//! - [`supervisor`]: the session registry, capacity and idle sweep.
//! - [`protocol`]: the OpenEnv wire types.
//! - [`http`]: the route table.
//! - [`metrics`]: the Prometheus metrics behind `GET /metrics`.
//! - [`startup`], [`config`], [`cli`], [`telemetry`]: building and running the server.
//! - [`agent`]: scripted policies, an episode client and `sqlenv eval`.
//! - [`load`]: `sqlenv load`, the load generator.
//! - [`fd_limit`]: raising the open-file limit that caps sessions per process.
//! - [`shutdown`]: the graceful shutdown on SIGTERM/SIGINT; [`healthcheck`]: the container probe.

pub mod agent;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod database;
pub mod fd_limit;
pub mod healthcheck;
pub mod http;
pub mod load;
pub mod metrics;
pub mod protocol;
pub mod questions;
pub mod reward;
pub mod session;
pub mod shutdown;
pub mod startup;
pub mod supervisor;
pub mod telemetry;
