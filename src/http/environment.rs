//! The stateless HTTP simulation endpoints: each request plays on a fresh episode that is then
//! discarded, as in the reference server. Whole episodes belong on `/ws` or MCP sessions.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

use super::error::ApiError;
use crate::protocol::messages::{parse_action, ErrorBody};
use crate::protocol::observation::EpisodeState;
use crate::protocol::reset::ResetParams;
use crate::session::{host, Services};

fn body_json(body: &web::Bytes) -> Result<Option<Value>, ErrorBody> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body).map(Some).map_err(|e| {
        ErrorBody::validation("invalid JSON body", vec![format!("invalid JSON body: {e}")])
    })
}

/// Invalid input is answered as the reference server does, with FastAPI's 422
/// `{"detail": [...]}` (see [`ApiError`]).
pub async fn reset(
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let data = body_json(&body)?;
    let params = ResetParams::from_value(data)
        .map_err(|e| ErrorBody::validation("invalid reset arguments", vec![e]))?;
    let episode = host::reset(&services, &params)?;
    Ok(HttpResponse::Ok().json(episode.reset_result()))
}

/// `timeout_s` and `request_id` may come too; a one-step episode has no use for them.
#[derive(Deserialize)]
struct StepRequest {
    action: Value,
}

pub async fn step(
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let value = body_json(&body)?.ok_or_else(|| {
        ErrorBody::validation(
            "invalid step request",
            vec!["missing body with an 'action'".into()],
        )
    })?;
    let request: StepRequest = serde_json::from_value(value)
        .map_err(|e| ErrorBody::validation("invalid step request", vec![e.to_string()]))?;
    let action = parse_action(request.action)?;
    let result = host::one_shot(&services, action).await?;
    Ok(HttpResponse::Ok().json(result))
}

pub async fn state() -> HttpResponse {
    HttpResponse::Ok().json(EpisodeState::default())
}
