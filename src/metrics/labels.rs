//! The label values of the metrics: small closed sets, so no client input can grow a family.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};

use crate::database::error::QueryError;
use crate::protocol::action::ActionType;
use crate::protocol::messages::ErrorCode;

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Action {
    DESCRIBE,
    SAMPLE,
    QUERY,
    ANSWER,
}

impl From<ActionType> for Action {
    fn from(action: ActionType) -> Self {
        match action {
            ActionType::Describe => Action::DESCRIBE,
            ActionType::Sample => Action::SAMPLE,
            ActionType::Query => Action::QUERY,
            ActionType::Answer => Action::ANSWER,
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabels {
    pub action: Action,
}

/// The protocol error codes, spelled as on the wire.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum Code {
    INVALID_JSON,
    UNKNOWN_TYPE,
    VALIDATION_ERROR,
    EXECUTION_ERROR,
    CAPACITY_REACHED,
    FACTORY_ERROR,
    SESSION_ERROR,
    CLIENT_SESSION_LIMIT,
    RATE_LIMITED,
}

impl From<ErrorCode> for Code {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::InvalidJson => Code::INVALID_JSON,
            ErrorCode::UnknownType => Code::UNKNOWN_TYPE,
            ErrorCode::ValidationError => Code::VALIDATION_ERROR,
            ErrorCode::ExecutionError => Code::EXECUTION_ERROR,
            ErrorCode::CapacityReached => Code::CAPACITY_REACHED,
            ErrorCode::FactoryError => Code::FACTORY_ERROR,
            ErrorCode::SessionError => Code::SESSION_ERROR,
            ErrorCode::ClientSessionLimit => Code::CLIENT_SESSION_LIMIT,
            ErrorCode::RateLimited => Code::RATE_LIMITED,
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    pub code: Code,
}

/// Why a query produced no result, one value per [`QueryError`] variant.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum QueryFailure {
    empty,
    too_long,
    nul_byte,
    multiple_statements,
    refused,
    sql,
    timeout,
    cancelled,
    unknown_database,
    unavailable,
}

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

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueryFailureLabels {
    pub reason: QueryFailure,
}

/// How an episode ended.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Outcome {
    correct,
    wrong,
    /// The step budget or the time limit ended it without an answer.
    unanswered,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: Outcome,
}
