//! Why the server could not start, each as one line that ends with what to do about it: start-up
//! errors are what a newcomer sees first, so every message names the fix, not only the cause.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::catalog::CatalogError;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The data directory has no `tables.json`: usually `sqlenv serve` run outside the
    /// repository, where the default `data` does not exist.
    #[error(
        "no SQLEnv data in {} (looked for {}): run from the repository root, or pass \
         --data-dir /path/to/sqlenv/data (or set SQLENV_DATA_DIR)",
        shown(.data_dir), shown(&.data_dir.join("tables.json"))
    )]
    NoData { data_dir: PathBuf },
    #[error("{source}; {}", catalog_fix(.source, .data_dir))]
    Catalog {
        data_dir: PathBuf,
        source: CatalogError,
    },
    #[error("{path}: cannot open connection pool: {source}; check that the file is readable")]
    Pool {
        path: String,
        source: crate::database::OpenError,
    },
    #[error("cannot listen on {address}: {source}; {}", bind_fix(.source))]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

/// A relative path shown with the working directory it is relative to.
fn shown(path: &Path) -> String {
    match std::env::current_dir() {
        Ok(cwd) if path.is_relative() => cwd.join(path).display().to_string(),
        _ => path.display().to_string(),
    }
}

fn catalog_fix(error: &CatalogError, data_dir: &Path) -> String {
    let validate = format!(
        "`sqlenv questions validate --data-dir {}` lists every problem",
        data_dir.display()
    );
    match error {
        CatalogError::Read { source, .. } if source.kind() == ErrorKind::PermissionDenied => {
            format!("make the file readable by this user; {validate}")
        }
        CatalogError::Database { .. } => format!(
            "the file is damaged or not SQLite: restore it (`git checkout -- data/databases`) \
             or point --data-dir at a good copy; {validate}"
        ),
        _ => format!("fix or restore the file; {validate}"),
    }
}

fn bind_fix(error: &std::io::Error) -> &'static str {
    match error.kind() {
        ErrorKind::AddrInUse => {
            "another process has this port: stop it, or choose another with --port N \
             (or PORT=N; --port 0 takes any free port)"
        }
        ErrorKind::AddrNotAvailable => {
            "that address is not on this machine: use --host 127.0.0.1 or --host 0.0.0.0"
        }
        ErrorKind::PermissionDenied => {
            "ports below 1024 need privileges: use a higher one, e.g. --port 8000"
        }
        _ => "check --host and --port (or SQLENV_HOST and PORT)",
    }
}
