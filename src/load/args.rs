//! The flags of `sqlenv load`, and the small choices they name (environment, policy, duration).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::agent::policy::PolicyKind;

/// Sessions opened at once while connecting: a burst of thousands of handshakes would overflow
/// the server's accept backlog and count as connection errors that say nothing about serving.
pub const DEFAULT_CONNECT_CONCURRENCY: usize = 64;

/// Flags of `sqlenv load`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  sqlenv load --sessions 64 --duration 20s --policy oracle --server-pid $(pgrep -n sqlenv)
  sqlenv load --sessions 10000 --idle --hold 30s --server-pid PID
  sqlenv load --env echo --url ws://127.0.0.1:8001/ws --sessions 64 --duration 20s
  sqlenv load --sessions 64 --episodes 50000 --policy random --server-pid PID   (soak)
  sqlenv load --sessions 64 --duration 5m --faults 8 --server-pid PID   (soak with faults)")]
pub struct LoadArgs {
    /// WebSocket URL of a server (`ws://HOST:PORT/ws`); repeat it to spread the sessions
    /// round-robin over several servers or replicas.
    #[arg(long = "url", default_value = "ws://127.0.0.1:8000/ws")]
    pub urls: Vec<String>,
    /// WebSocket sessions open at once.
    #[arg(long, default_value_t = 16)]
    pub sessions: usize,
    /// How long to play, e.g. `30s`, `2m`, `500ms` or plain seconds; sessions finish the episode
    /// they are in. Without --duration or --episodes: 10 s.
    #[arg(long, value_parser = parse_duration, conflicts_with = "episodes")]
    pub duration: Option<Duration>,
    /// Episodes to play in all, shared by the sessions (instead of --duration).
    #[arg(long)]
    pub episodes: Option<u64>,
    /// Scripted policy: `oracle` (runs the gold SQL, then answers: two steps), `explore`
    /// (DESCRIBE, SAMPLE, two small QUERYs, then the gold answer: five cheap steps, the step
    /// path rather than SQLite), `random` (random DESCRIBE, SAMPLE and QUERY over the real
    /// schema, then an answer) or `mix` (oracle and random alternately).
    #[arg(long, value_enum, default_value_t = PolicyChoice::Oracle)]
    pub policy: PolicyChoice,
    /// Environment the server runs: `sqlenv`, or `echo`, the OpenEnv reference environment that
    /// `openenv init` creates (actions `{"message": ...}`), as a baseline.
    #[arg(long, value_enum, default_value_t = EnvKind::Sqlenv)]
    pub env: EnvKind,
    /// Steps per echo episode (the echo environment never ends an episode itself); 2 matches
    /// an oracle episode, 5 an explore episode.
    #[arg(long, default_value_t = 2)]
    pub echo_steps: u32,
    /// Idle mode: open the sessions, reset each once, hold them open for --hold while sampling
    /// the server's memory, then close them. Measures memory per open session.
    #[arg(long)]
    pub idle: bool,
    /// How long idle mode holds the sessions open. SQLEnv sessions send a `state` request every
    /// 30 s meanwhile, so the server's heartbeat (which nobody answers while idle) keeps them.
    #[arg(long, value_parser = parse_duration, default_value = "20s")]
    pub hold: Duration,
    /// Process id of a local server: its resident memory (VmRSS) is sampled through the run and
    /// its peak (VmHWM) reported.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// How often the server's memory is sampled.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub rss_interval: Duration,
    /// Sessions opening their connection at once while connecting.
    #[arg(long, default_value_t = DEFAULT_CONNECT_CONCURRENCY)]
    pub connect_concurrency: usize,
    /// Seed of the episodes' questions and the random policy's choices.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Data directory with the questions the server plays (sqlenv only); the policies read the
    /// question and schema from it, so it must hold the server's data.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Writes the report as JSON to this file too.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Soak with faults: this many extra workers keep dropping connections mid-step, sending
    /// garbage frames and abandoning sessions while the sessions play (active mode, sqlenv
    /// only); the report counts them apart and reads the server's session count at the end.
    #[arg(long, default_value_t = 0, conflicts_with = "idle")]
    pub faults: usize,
    /// Exit with status 1 when any error occurred (error frames, transport or connect errors)
    /// or, in active mode, no episode was completed: for smoke tests and CI.
    #[arg(long)]
    pub strict: bool,
}

/// Which environment the target server runs, so the right messages are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvKind {
    Sqlenv,
    Echo,
}

/// The policy sessions play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyChoice {
    Oracle,
    Explore,
    Random,
    Mix,
}

impl PolicyChoice {
    /// The policy of the `index`-th episode of the run.
    pub fn for_episode(self, index: u64) -> PolicyKind {
        match self {
            PolicyChoice::Oracle => PolicyKind::Oracle,
            PolicyChoice::Explore => PolicyKind::Explore,
            PolicyChoice::Random => PolicyKind::Random,
            PolicyChoice::Mix if index % 2 == 0 => PolicyKind::Oracle,
            PolicyChoice::Mix => PolicyKind::Random,
        }
    }
}

/// How long a run without --duration or --episodes plays.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);

/// When the run stops starting episodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Elapsed(Duration),
    Episodes(u64),
}

impl LoadArgs {
    pub fn until(&self) -> Until {
        match (self.episodes, self.duration) {
            (Some(n), _) => Until::Episodes(n),
            (None, Some(d)) => Until::Elapsed(d),
            (None, None) => Until::Elapsed(DEFAULT_DURATION),
        }
    }
}

/// Parses `30s`, `2m`, `500ms`, `1h` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (e.g. 30s, 2m, 500ms)"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown unit '{other}' in '{text}' (ms, s, m, h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("'{text}': {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3 weeks").is_err());
    }

    #[test]
    fn mix_alternates_oracle_and_random() {
        assert_eq!(PolicyChoice::Mix.for_episode(0), PolicyKind::Oracle);
        assert_eq!(PolicyChoice::Mix.for_episode(1), PolicyKind::Random);
        assert_eq!(PolicyChoice::Random.for_episode(0), PolicyKind::Random);
    }
}
