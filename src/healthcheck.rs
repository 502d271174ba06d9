//! `sqlenv healthcheck`: the container health probe. Slim images have no curl, so the binary
//! checks itself: the bundled databases still open read-only with the tables `tables.json` lists,
//! and the running server answers `GET /health` with `"status": "healthy"`. Exit status 0 means
//! healthy and 1 unhealthy, as Docker's `HEALTHCHECK` expects (2 is reserved there).
//!
//! The HTTP request is one blocking `ureq` GET with a deadline over the whole exchange: no
//! runtime, no proxy (it talks to its own container), no redirects.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;

use crate::catalog::{self, CatalogError};

/// Bytes of a `/health` response read at most; the real one is a few hundred.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

/// Flags of `sqlenv healthcheck`.
#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// Health endpoint to GET. Default: http://127.0.0.1:$PORT/health.
    #[arg(long)]
    pub url: Option<String>,
    /// Port of the default URL.
    #[arg(long, env = "PORT", default_value_t = 8000)]
    pub port: u16,
    /// Data directory whose databases are checked.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Only check the HTTP endpoint, not the data.
    #[arg(long)]
    pub skip_data: bool,
    /// Milliseconds the HTTP check may take (connect, send, read).
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("data: {0}")]
    Data(#[from] CatalogError),
    /// Also a timeout of the whole exchange (`ureq::Error::Timeout`) and a status other than
    /// 200 (`ureq::Error::StatusCode`).
    #[error("{url}: {source}")]
    Http { url: String, source: ureq::Error },
    #[error("{url}: server reports status {status:?}")]
    Unhealthy { url: String, status: String },
}

/// Runs the command: prints one line and turns the outcome into Docker's exit status.
pub fn run_command(args: &HealthcheckArgs) -> ExitCode {
    let started = Instant::now();
    let url = args
        .url
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}/health", args.port));
    match check(args, &url) {
        Ok(databases) => {
            let data = databases.map_or_else(String::new, |n| format!("{n} databases readable, "));
            let ms = started.elapsed().as_millis();
            println!("healthy: {data}{url} answered in {ms} ms");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("unhealthy: {error}");
            ExitCode::from(1)
        }
    }
}

/// Checks the data (unless skipped), then `url`; returns how many databases were checked.
pub fn check(args: &HealthcheckArgs, url: &str) -> Result<Option<usize>, HealthError> {
    let databases = (!args.skip_data)
        .then(|| check_data(&args.data_dir))
        .transpose()?;
    check_http(url, Duration::from_millis(args.timeout_ms.max(1)))?;
    Ok(databases)
}

/// Opens every database `tables.json` lists, read-only, and checks its tables: what start-up
/// checks, minus running the gold SQL, so it stays cheap enough to repeat every 30 s.
pub fn check_data(data_dir: &Path) -> Result<usize, HealthError> {
    Ok(catalog::load_databases(data_dir)?.len())
}

/// GETs `url` and requires HTTP 200 with a JSON body whose `status` is `"healthy"`.
pub fn check_http(url: &str, timeout: Duration) -> Result<(), HealthError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .proxy(None)
        .max_redirects(0)
        .build()
        .into();
    let fail = |source| HealthError::Http {
        url: url.to_owned(),
        source,
    };
    let mut response = agent.get(url).call().map_err(fail)?;
    if response.status() != 200 {
        return Err(fail(ureq::Error::StatusCode(response.status().as_u16())));
    }
    let body: serde_json::Value = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_json()
        .map_err(fail)?;
    match body.get("status").and_then(|s| s.as_str()) {
        Some("healthy") => Ok(()),
        status => Err(HealthError::Unhealthy {
            url: url.to_owned(),
            status: status.unwrap_or("(none)").to_owned(),
        }),
    }
}
