//! Why the bundled data could not be loaded. Each message names the file and what is wrong,
//! because the process exits with it.

use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: invalid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path}: record {index} (id {id}): {message}")]
    Record {
        path: PathBuf,
        index: usize,
        id: String,
        message: String,
    },
    #[error("{path}: cannot open as a SQLite database: {message}")]
    Database { path: PathBuf, message: String },
    /// Several independent problems, all reported at once so one run shows every fix needed.
    #[error("{}", join_lines(.0))]
    Many(Vec<CatalogError>),
}

impl CatalogError {
    /// One error for a list of them: `None` when empty, the error itself when alone.
    pub fn from_list(mut errors: Vec<CatalogError>) -> Option<CatalogError> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(CatalogError::Many(errors)),
        }
    }

    /// The individual problems, flattening [`CatalogError::Many`].
    pub fn into_list(self) -> Vec<CatalogError> {
        match self {
            CatalogError::Many(errors) => errors.into_iter().flat_map(Self::into_list).collect(),
            other => vec![other],
        }
    }
}

fn join_lines(errors: &[CatalogError]) -> String {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!("{} problems:\n{}", errors.len(), lines.join("\n"))
}

/// Reads and parses one JSON file, naming the file in either failure.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CatalogError> {
    let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| CatalogError::Json {
        path: path.to_owned(),
        source,
    })
}
