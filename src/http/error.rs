//! The HTTP edge's one error type. Every handler that can fail returns `Result<_, ApiError>`, and
//! [`ApiError`]'s `ResponseError` implementation is the only place an HTTP error body is built.
//!
//! A body keeps FastAPI's `detail` (a list of `{msg, type}` for invalid input, a string
//! otherwise), which the OpenEnv reference server sends and its clients read, and adds what an
//! operator or a client can match on without parsing the text, as meilisearch does: a stable
//! `code` (the protocol's codes where one fits, so the HTTP, WebSocket and MCP edges name a
//! problem alike), the `message`, and a `type` (`invalid_request` for the client's doing,
//! `internal` for the server's). The codes and statuses are part of the API:
//! tests/api/error_bodies.rs pins every body.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};

use crate::protocol::messages::{ErrorBody, ErrorCode};
use crate::supervisor::fair_share::RateLimited;

/// The body of every HTTP error.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorResponse {
    /// FastAPI's detail: a list of `{msg, type}` for invalid input, a string otherwise.
    pub detail: Value,
    pub code: ErrorCode,
    pub message: String,
    /// `invalid_request` (the client's doing) or `internal` (the server's).
    #[serde(rename = "type")]
    pub kind: String,
    /// How long a rate-limited client should wait (also in `Retry-After`, in whole seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

/// The JSON Schema of [`ErrorResponse`], for the OpenAPI document.
pub fn error_schema() -> Value {
    json!(schemars::schema_for!(ErrorResponse))
}

/// Why an HTTP request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body or its arguments cannot be used (or the episode refused them): 422, with each
    /// problem in `detail`. The code is the protocol error's.
    #[error("{}", .0.message)]
    Invalid(ErrorBody),
    /// A request that names something that does not exist (an MCP session, an environment).
    #[error("{message}")]
    NotFound { code: ErrorCode, message: String },
    /// A request the endpoint cannot take as it is (a missing header, an argument out of range).
    #[error("{message}")]
    BadRequest { code: ErrorCode, message: String },
    /// A request without the key the server was started with (`--api-key`): 401.
    #[error("this server needs an API key: send `Authorization: Bearer <key>`")]
    Unauthorized,
    /// A client over its message rate: 429, with `Retry-After`.
    #[error(transparent)]
    RateLimited(RateLimited),
    /// A failure inside the server, not the client's doing.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The stable code of the body.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Invalid(body) => body.code,
            ApiError::NotFound { code, .. } | ApiError::BadRequest { code, .. } => *code,
            ApiError::Unauthorized => ErrorCode::Unauthorized,
            ApiError::RateLimited(_) => ErrorCode::RateLimited,
            ApiError::Internal(_) => ErrorCode::InternalError,
        }
    }

    /// `invalid_request` or `internal`: whose doing the error is.
    pub fn kind(&self) -> &'static str {
        match self {
            ApiError::Internal(_) => "internal",
            _ => "invalid_request",
        }
    }

    /// FastAPI's `detail`: a list of problems for invalid input, the message otherwise.
    fn detail(&self) -> Value {
        match self {
            ApiError::Invalid(body) => body
                .errors
                .clone()
                .unwrap_or_else(|| vec![body.message.clone()])
                .into_iter()
                .map(|msg| json!({ "msg": msg, "type": "value_error" }))
                .collect(),
            other => json!(other.to_string()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(message) = self {
            tracing::error!(%message, "request failed inside the server");
        }
        let mut response = HttpResponse::build(self.status_code());
        let mut retry_after_ms = None;
        match self {
            ApiError::Unauthorized => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::RateLimited(limited) => {
                response.insert_header((header::RETRY_AFTER, limited.retry_after_secs()));
                retry_after_ms = Some(limited.retry_after.as_millis().max(1) as u64);
            }
            _ => {}
        }
        response.json(ErrorResponse {
            detail: self.detail(),
            code: self.code(),
            message: self.to_string(),
            kind: self.kind().to_owned(),
            retry_after_ms,
        })
    }
}

impl From<ErrorBody> for ApiError {
    fn from(body: ErrorBody) -> Self {
        match body.code {
            ErrorCode::InternalError => ApiError::Internal(body.message),
            _ => ApiError::Invalid(body),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_protocol_error_is_an_internal_http_error() {
        let e = ApiError::from(ErrorBody::new(ErrorCode::InternalError, "gone"));
        assert_eq!(e.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.kind(), "internal");
        let e = ApiError::from(ErrorBody::validation("bad", vec!["x".into()]));
        assert_eq!(e.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.code(), ErrorCode::ValidationError);
    }
}
