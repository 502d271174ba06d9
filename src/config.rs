//! Server configuration: every limit as a flag with an environment variable, defaults that suit a
//! 2-vCPU free Space, and the checked [`ServerConfig`] the server is built from.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::catalog::proof_cache::ProofCache;
use crate::database::limits::{self, QueryLimits};
use crate::reward::config::{RewardConfig, RewardConfigError, RewardTiming};
use crate::session::episode::{self, EpisodeRules};
use crate::session::{self, Heartbeat};
use crate::supervisor;

/// Flags of `sqlenv serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SQLENV_HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8000)]
    pub port: u16,
    /// Directory with tables.json, databases/ and questions/.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Most sessions (WebSocket + MCP) open at once; more get CAPACITY_REACHED.
    #[arg(long, env = "SQLENV_MAX_SESSIONS", default_value_t = supervisor::DEFAULT_MAX_SESSIONS)]
    pub max_sessions: usize,
    /// Seconds without a client message after which a session is closed.
    #[arg(long, env = "SQLENV_IDLE_TIMEOUT_SECS", default_value_t = supervisor::DEFAULT_IDLE_TIMEOUT.as_secs_f64())]
    pub idle_timeout_secs: f64,
    /// Seconds between WebSocket pings.
    #[arg(long, env = "SQLENV_HEARTBEAT_INTERVAL_SECS", default_value_t = session::DEFAULT_HEARTBEAT_INTERVAL.as_secs_f64())]
    pub heartbeat_interval_secs: f64,
    /// Seconds without any frame from the peer (pongs included) after which it counts as gone.
    #[arg(long, env = "SQLENV_HEARTBEAT_TIMEOUT_SECS", default_value_t = session::DEFAULT_HEARTBEAT_TIMEOUT.as_secs_f64())]
    pub heartbeat_timeout_secs: f64,
    /// Steps per episode; at the budget the episode ends without an answer.
    #[arg(long, env = "SQLENV_STEP_BUDGET", default_value_t = episode::DEFAULT_STEP_BUDGET)]
    pub step_budget: u32,
    /// Seconds an episode may last.
    #[arg(long, env = "SQLENV_EPISODE_TIME_LIMIT_SECS", default_value_t = episode::DEFAULT_EPISODE_TIME_LIMIT.as_secs_f64())]
    pub episode_time_limit_secs: f64,
    /// Milliseconds a QUERY may run before it is interrupted.
    #[arg(long, env = "SQLENV_QUERY_TIMEOUT_MS", default_value_t = limits::DEFAULT_QUERY_TIMEOUT.as_millis() as u64)]
    pub query_timeout_ms: u64,
    /// Rows of a QUERY result shown in the observation.
    #[arg(long, env = "SQLENV_MAX_ROWS", default_value_t = limits::DEFAULT_MAX_ROWS_SHOWN)]
    pub max_rows: usize,
    /// Characters of one cell shown.
    #[arg(long, env = "SQLENV_MAX_CELL_CHARS", default_value_t = limits::DEFAULT_MAX_CELL_CHARS)]
    pub max_cell_chars: usize,
    /// Bytes of result text in one observation.
    #[arg(long, env = "SQLENV_MAX_RESULT_BYTES", default_value_t = limits::DEFAULT_MAX_RESULT_BYTES)]
    pub max_result_bytes: usize,
    /// Bytes of SQL accepted in one QUERY.
    #[arg(long, env = "SQLENV_MAX_SQL_BYTES", default_value_t = limits::DEFAULT_MAX_SQL_BYTES)]
    pub max_sql_bytes: usize,
    /// Threads running SQLite queries (default: twice the cores, so one slow query does not
    /// stall the others).
    #[arg(long, env = "SQLENV_DB_WORKERS")]
    pub db_workers: Option<usize>,
    /// Threads computing rewards (default: the cores).
    #[arg(long, env = "SQLENV_REWARD_WORKERS")]
    pub reward_workers: Option<usize>,
    /// HTTP worker threads (default: the cores).
    #[arg(long, env = "SQLENV_HTTP_WORKERS")]
    pub http_workers: Option<usize>,
    /// A JSON file overriding reward constants (keys of the reward config; see docs/reward.md).
    #[arg(long, env = "SQLENV_REWARD_CONFIG")]
    pub reward_config: Option<PathBuf>,
    /// When an episode's return is paid: `episode_end` (every step before the last pays 0) or
    /// `per_step` (for step-level learners; leaks the potential, see docs/reward.md).
    /// Overrides `reward_timing` of --reward-config.
    #[arg(long, env = "SQLENV_REWARD_TIMING", value_enum)]
    pub reward_timing: Option<RewardTiming>,
    /// Whole seconds a shutdown (SIGTERM, SIGINT) may take: in-flight steps finish and every
    /// session gets a close frame; whatever is still running after this is cut.
    #[arg(long, env = "SQLENV_SHUTDOWN_GRACE_SECS", default_value_t = crate::shutdown::DEFAULT_GRACE.as_secs())]
    pub shutdown_grace_secs: u64,
    /// Enables OpenEnv's session telemetry (`validation_open` / `validation_read` on `/ws`) for
    /// clients presenting this token (32 to 256 characters). Set by the validator for one run;
    /// never set in production.
    #[arg(long, env = "OPENENV_VALIDATION_TOKEN", hide_env_values = true)]
    pub validation_token: Option<String>,
    /// Directory recording that the gold proof passed on exactly the data's files (by hash), so
    /// a restart on unchanged data skips running every gold (default: $XDG_CACHE_HOME/sqlenv or
    /// ~/.cache/sqlenv).
    #[arg(long, env = "SQLENV_PROOF_CACHE")]
    pub proof_cache: Option<PathBuf>,
    /// Run every gold SQL at start-up whatever the proof cache says.
    #[arg(long, env = "SQLENV_NO_PROOF_CACHE")]
    pub no_proof_cache: bool,
    #[command(flatten)]
    pub access: crate::http::access::AccessArgs,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub max_sessions: usize,
    pub idle_timeout: Duration,
    pub heartbeat: Heartbeat,
    pub rules: Arc<EpisodeRules>,
    pub db_workers: usize,
    pub reward_workers: usize,
    pub http_workers: usize,
    pub reward: Arc<RewardConfig>,
    pub shutdown_grace: Duration,
    pub validation_token: Option<Arc<str>>,
    /// `None`: every start runs every gold.
    pub proof_cache: Option<ProofCache>,
    /// The optional key and the fair shares (`crate::http::access`).
    pub access: crate::http::access::AccessConfig,
}

/// Why the flags do not make a configuration; each message names the flag (or the file).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{flag} must be at least 1")]
    NotPositive { flag: &'static str },
    #[error("{flag} must be a positive number of seconds, got {value}")]
    NotSeconds { flag: &'static str, value: f64 },
    #[error("--heartbeat-timeout-secs must be longer than --heartbeat-interval-secs")]
    HeartbeatTimeoutTooShort,
    #[error("{}: {source}", path.display())]
    RewardFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    RewardJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("reward config: {0}")]
    Reward(#[from] RewardConfigError),
    #[error("{0}")]
    ValidationToken(String),
    #[error("{0}")]
    Access(#[from] crate::http::access::AccessConfigError),
}

fn seconds(flag: &'static str, value: f64) -> Result<Duration, ConfigError> {
    if value.is_finite() && value > 0.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(ConfigError::NotSeconds { flag, value })
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl ServeArgs {
    /// Checks the flags and builds the configuration, or says which flag is wrong.
    pub fn into_config(self) -> Result<ServerConfig, ConfigError> {
        let positive = |flag: &'static str, v: usize| {
            if v == 0 {
                Err(ConfigError::NotPositive { flag })
            } else {
                Ok(v)
            }
        };
        let mut reward = match &self.reward_config {
            None => RewardConfig::default(),
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::RewardFile {
                        path: path.clone(),
                        source,
                    })?;
                serde_json::from_str(&text).map_err(|source| ConfigError::RewardJson {
                    path: path.clone(),
                    source,
                })?
            }
        };
        if let Some(timing) = self.reward_timing {
            reward.reward_timing = timing;
        }
        // The return's bounds (docs/reward.md) hold for every step budget once this passes.
        reward.validate()?;
        let heartbeat = Heartbeat {
            interval: seconds("--heartbeat-interval-secs", self.heartbeat_interval_secs)?,
            timeout: seconds("--heartbeat-timeout-secs", self.heartbeat_timeout_secs)?,
        };
        if heartbeat.timeout <= heartbeat.interval {
            return Err(ConfigError::HeartbeatTimeoutTooShort);
        }
        if self.shutdown_grace_secs == 0 {
            // Zero would cut every connection before a session could send its close frame.
            return Err(ConfigError::NotPositive {
                flag: "--shutdown-grace-secs",
            });
        }
        if self.query_timeout_ms == 0 {
            return Err(ConfigError::NotPositive {
                flag: "--query-timeout-ms",
            });
        }
        let limits = QueryLimits {
            timeout: Duration::from_millis(self.query_timeout_ms),
            max_rows_shown: positive("--max-rows", self.max_rows)?,
            max_cell_chars: positive("--max-cell-chars", self.max_cell_chars)?,
            max_result_bytes: positive("--max-result-bytes", self.max_result_bytes)?,
            max_sql_bytes: positive("--max-sql-bytes", self.max_sql_bytes)?,
        };
        let rules = EpisodeRules {
            step_budget: positive("--step-budget", self.step_budget as usize)? as u32,
            time_limit: seconds("--episode-time-limit-secs", self.episode_time_limit_secs)?,
            limits,
        };
        Ok(ServerConfig {
            access: self.access.into_config()?,
            host: self.host,
            port: self.port,
            data_dir: self.data_dir,
            max_sessions: positive("--max-sessions", self.max_sessions)?,
            idle_timeout: seconds("--idle-timeout-secs", self.idle_timeout_secs)?,
            heartbeat,
            rules: Arc::new(rules),
            db_workers: positive("--db-workers", self.db_workers.unwrap_or(2 * cores()))?,
            reward_workers: positive("--reward-workers", self.reward_workers.unwrap_or(cores()))?,
            http_workers: positive("--http-workers", self.http_workers.unwrap_or(cores()))?,
            reward: Arc::new(reward),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            validation_token: match self.validation_token {
                None => None,
                Some(token) => Some(
                    crate::session::telemetry::check_token(&token)
                        .map_err(ConfigError::ValidationToken)?
                        .into(),
                ),
            },
            proof_cache: if self.no_proof_cache {
                None
            } else {
                self.proof_cache
                    .or_else(ProofCache::default_dir)
                    .map(ProofCache::new)
            },
        })
    }
}
