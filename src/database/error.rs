//! Why a query did not produce a result. Every variant is an ordinary outcome of an agent's
//! action: the text goes into the observation's `error` and the episode goes on.

use thiserror::Error;

use crate::metrics::labels::QueryFailure;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum QueryError {
    #[error("the query is empty: write one SELECT statement")]
    Empty,
    #[error("the query is {len} bytes long; the limit is {max} bytes")]
    TooLong { len: usize, max: usize },
    #[error("the query contains a NUL byte")]
    NulByte,
    #[error("only one statement per QUERY is allowed: remove everything after the first ';'")]
    MultipleStatements,
    #[error("refused: {0} is not allowed; this database is read-only, use SELECT")]
    Refused(String),
    #[error("SQL error: {0}")]
    Sql(String),
    #[error("query timed out after {ms} ms")]
    Timeout { ms: u64 },
    #[error("query cancelled: the session ended")]
    Cancelled,
    #[error("unknown database '{0}'")]
    UnknownDatabase(String),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("the database '{0}' is unavailable (its file is missing on the server); DESCRIBE and SAMPLE still work, or reset to another question")]
    FileMissing(String),
}

/// The metrics label of a failed query (the metrics do not depend on this module).
impl From<&QueryError> for QueryFailure {
    fn from(e: &QueryError) -> Self {
        match e {
            QueryError::Empty => QueryFailure::empty,
            QueryError::TooLong { .. } => QueryFailure::too_long,
            QueryError::NulByte => QueryFailure::nul_byte,
            QueryError::MultipleStatements => QueryFailure::multiple_statements,
            QueryError::Refused(_) => QueryFailure::refused,
            QueryError::Sql(_) => QueryFailure::sql,
            QueryError::Timeout { .. } => QueryFailure::timeout,
            QueryError::Cancelled => QueryFailure::cancelled,
            QueryError::UnknownDatabase(_) => QueryFailure::unknown_database,
            QueryError::Unavailable(_) | QueryError::FileMissing(_) => QueryFailure::unavailable,
        }
    }
}
