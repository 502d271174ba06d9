//! The stateless HTTP simulation endpoints: each request plays on a fresh episode that is then
//! discarded, as in the reference server. Whole episodes belong on `/ws` or MCP sessions.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::protocol::messages::{parse_action, ErrorBody};
use crate::protocol::observation::EpisodeState;
use crate::protocol::reset::ResetParams;
use crate::session::{host, Services};

/// The reference server answers invalid input with FastAPI's 422 `{"detail": [...]}`.
fn unprocessable(body: &ErrorBody) -> HttpResponse {
    let detail: Vec<Value> = body
        .errors
        .clone()
        .unwrap_or_else(|| vec![body.message.clone()])
        .into_iter()
        .map(|msg| json!({ "msg": msg, "type": "value_error" }))
        .collect();
    HttpResponse::UnprocessableEntity().json(json!({ "detail": detail }))
}

fn body_json(body: &web::Bytes) -> Result<Option<Value>, ErrorBody> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body).map(Some).map_err(|e| {
        ErrorBody::validation("invalid JSON body", vec![format!("invalid JSON body: {e}")])
    })
}

pub async fn reset(services: web::Data<Services>, body: web::Bytes) -> HttpResponse {
    let data = match body_json(&body) {
        Ok(v) => v,
        Err(error) => return unprocessable(&error),
    };
    let params = match ResetParams::from_value(data) {
        Ok(p) => p,
        Err(e) => return unprocessable(&ErrorBody::validation("invalid reset arguments", vec![e])),
    };
    match host::reset(&services, &params) {
        Ok(episode) => HttpResponse::Ok().json(episode.reset_result()),
        Err(body) => unprocessable(&body),
    }
}

/// `timeout_s` and `request_id` may come too; a one-step episode has no use for them.
#[derive(Deserialize)]
struct StepRequest {
    action: Value,
}

pub async fn step(services: web::Data<Services>, body: web::Bytes) -> HttpResponse {
    let request: StepRequest = match body_json(&body).and_then(|v| {
        let v = v.ok_or_else(|| {
            ErrorBody::validation(
                "invalid step request",
                vec!["missing body with an 'action'".into()],
            )
        })?;
        serde_json::from_value(v)
            .map_err(|e| ErrorBody::validation("invalid step request", vec![e.to_string()]))
    }) {
        Ok(r) => r,
        Err(error) => return unprocessable(&error),
    };
    let action = match parse_action(request.action) {
        Ok(a) => a,
        Err(body) => return unprocessable(&body),
    };
    match host::one_shot(&services, action).await {
        Ok(result) => HttpResponse::Ok().json(result),
        Err(body) => unprocessable(&body),
    }
}

pub async fn state() -> HttpResponse {
    HttpResponse::Ok().json(EpisodeState::default())
}
