//! Why a `sqlenv questions` command failed: each message says what to fix.

use std::path::PathBuf;

use thiserror::Error;

use crate::catalog::CatalogError;

#[derive(Debug, Error)]
pub enum QuestionsError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(
        "llm_gen needs an OpenAI-compatible chat-completions endpoint: set SQLENV_LLM_URL (its \
         base URL, e.g. http://127.0.0.1:8080/v1) and SQLENV_LLM_MODEL (the model name), and \
         SQLENV_LLM_API_KEY if the endpoint wants a key"
    )]
    NoEndpoint,
    #[error("llm endpoint {url}: {message}")]
    Llm { url: String, message: String },
    #[error("generation: {0}")]
    Generate(String),
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} problem(s) in the question files (listed above)")]
    Invalid(usize),
}
