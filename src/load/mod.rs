//! `sqlenv load`: a load generator that plays scripted episodes over many concurrent WebSocket
//! sessions (or holds idle ones) and reports throughput, latency percentiles, errors and the
//! server's memory, so the server's capacity is measured rather than assumed.

pub mod args;
pub mod driver;
pub mod faults;
pub mod progress;
pub mod report;
pub mod rss;
pub mod session;
pub mod stats;

use std::path::PathBuf;
use std::sync::Arc;

use args::EnvKind;
pub use args::LoadArgs;
use report::Report;

use crate::catalog::{Catalog, CatalogError};
use crate::fd_limit;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("no session could connect: {0}")]
    NoSession(String),
    #[error("--strict: {0}")]
    Strict(String),
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// How many sessions the run can really open, and why fewer than asked for, if so.
fn session_count(args: &LoadArgs, budget: fd_limit::FdBudget) -> (usize, Option<String>) {
    if args.sessions <= budget.max_sessions {
        return (args.sessions, None);
    }
    let why = format!(
        "the open-file limit of this process is {} (its hard limit), which leaves room for {} \
         sessions, not {}; raise it (e.g. `ulimit -Hn` as root, or LimitNOFILE in a unit file)",
        budget.limit, budget.max_sessions, args.sessions
    );
    (budget.max_sessions, Some(why))
}

/// Runs the load `args` describe inside the current actix system and returns its report.
pub async fn execute(args: &LoadArgs) -> Result<Report, LoadError> {
    if args.urls.is_empty() {
        return Err(LoadError::Invalid("give at least one --url".into()));
    }
    if args.sessions == 0 {
        return Err(LoadError::Invalid("--sessions must be at least 1".into()));
    }
    driver::check_until(args.until()).map_err(LoadError::Invalid)?;
    let budget = fd_limit::raise();
    let (sessions, limited) = session_count(args, budget);
    if let Some(why) = &limited {
        eprintln!("warning: {why}");
    }
    if let Some(pid) = args.server_pid {
        match fd_limit::limit_of(pid) {
            Some(limit) if limit < sessions as u64 + fd_limit::RESERVED_DESCRIPTORS => eprintln!(
                "warning: the server (pid {pid}) may open only {limit} files, fewer than \
                 {sessions} sessions need; start it under a higher `ulimit -n`"
            ),
            _ => {}
        }
    }
    let outcome = if args.idle {
        driver::idle(args, sessions).await
    } else {
        let catalog = match args.env {
            EnvKind::Sqlenv => Some(Arc::new(Catalog::load(&args.data_dir)?)),
            EnvKind::Echo => None,
        };
        driver::active(args, sessions, catalog).await
    };
    if outcome.sessions_connected == 0 {
        let why = outcome.recorder.error_examples.first().cloned();
        return Err(LoadError::NoSession(why.unwrap_or_default()));
    }
    let r = &outcome.recorder;
    let per_sec = |n: u64| n as f64 / outcome.play_secs.max(1e-9);
    Ok(Report {
        generated_by: "sqlenv load",
        mode: if args.idle { "idle" } else { "active" },
        env: args.env,
        policy: (!args.idle && args.env == EnvKind::Sqlenv).then_some(args.policy),
        urls: args.urls.clone(),
        sessions_requested: args.sessions,
        sessions_connected: outcome.sessions_connected,
        limited_by_open_files: limited,
        open_file_limit: budget.limit,
        connect_secs: outcome.connect_secs,
        play_secs: outcome.play_secs,
        episodes: r.episodes,
        steps: r.steps,
        resets: r.resets,
        correct_answers: r.correct,
        steps_per_sec: per_sec(r.steps),
        episodes_per_sec: per_sec(r.episodes),
        latency: r.latency_rows(),
        error_frames: r.error_frames.clone(),
        transport_errors: r.transport_errors,
        connect_errors: r.connect_errors,
        error_examples: r.error_examples.clone(),
        server: outcome.server,
        faults: outcome.faults,
    })
}

/// `sqlenv load`: runs the load, prints the report on stdout and writes the JSON.
pub fn run(args: LoadArgs) -> Result<(), LoadError> {
    let report = actix_web::rt::System::new().block_on(execute(&args))?;
    print!("{}", report.to_text());
    if let Some(path) = &args.json {
        let write_error = |source| LoadError::Write {
            path: path.clone(),
            source,
        };
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| write_error(std::io::Error::other(e)))?;
        std::fs::write(path, text + "\n").map_err(write_error)?;
        eprintln!("wrote {}", path.display());
    }
    match report.strict_failure() {
        Some(why) if args.strict => Err(LoadError::Strict(why)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        args: LoadArgs,
    }

    #[test]
    fn sessions_are_capped_by_the_open_file_limit() {
        let args = Flags::parse_from(["load", "--sessions", "5000"]).args;
        let budget = fd_limit::FdBudget {
            limit: 1024,
            max_sessions: 960,
        };
        let (n, why) = session_count(&args, budget);
        assert_eq!(n, 960);
        assert!(why.unwrap().contains("1024"));
        let args = Flags::parse_from(["load", "--sessions", "10"]).args;
        assert_eq!(session_count(&args, budget), (10, None));
    }

    #[test]
    fn defaults_spread_over_one_local_url() {
        let args = Flags::parse_from(["load"]).args;
        assert_eq!(args.urls, ["ws://127.0.0.1:8000/ws"]);
        assert_eq!(args.until(), args::Until::Elapsed(args::DEFAULT_DURATION));
        let args = Flags::parse_from(["load", "--url", "ws://a/ws", "--url", "ws://b/ws"]).args;
        assert_eq!(args.urls.len(), 2);
    }
}
