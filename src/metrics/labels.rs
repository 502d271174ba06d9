//! The label values of the metrics: small closed sets, so no client input can grow a family.
//!
//! This module depends on no other module of the crate: the types that are counted (the
//! protocol's actions and error codes, the database's query errors) convert themselves into
//! these labels where they are defined, so every layer can record metrics.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Action {
    DESCRIBE,
    SAMPLE,
    QUERY,
    ANSWER,
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
    INTERNAL_ERROR,
    CLIENT_SESSION_LIMIT,
    RATE_LIMITED,
    UNAUTHORIZED,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    pub code: Code,
}

/// Why a query produced no result, one value per kind of `database::error::QueryError`.
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
