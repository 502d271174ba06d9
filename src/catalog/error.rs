//! Why the bundled data could not be loaded. Each message names the file and what is wrong,
//! because the process exits with it.

use std::path::PathBuf;

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
}
