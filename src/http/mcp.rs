//! `/mcp`: MCP's streamable HTTP transport (JSON responses, no SSE). An MCP session is one
//! episode: `initialize` starts it and answers with its `Mcp-Session-Id`, which later requests
//! send back; OpenEnv's own clients name a session with `params.session_id` instead (made with
//! `openenv/session/create`). Notifications get 202 with no body, `GET` 405 (no server stream),
//! `DELETE` ends the session. A tool without a session plays a one-shot episode.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::error::ApiError;
use super::mcp_sessions::{self, SESSION_HEADER};
use crate::protocol::mcp::{self, QuestionView, RpcRequest, RpcResponse, ToolCall};
use crate::protocol::messages::ErrorCode;
use crate::protocol::reset::ResetParams;
use crate::session::messages::{McpOp, McpReply};
use crate::session::{host, Services};
use crate::supervisor::fair_share::ClientId;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/mcp")
            .route(web::post().to(post))
            .route(web::delete().to(delete))
            .route(web::get().to(no_stream)),
    );
}

/// The session a request names in its header, if any.
fn header_session(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// No server-initiated stream: the server never sends requests or notifications of its own.
async fn no_stream() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "POST, DELETE"))
        .finish()
}

/// Ends the session named by the header.
async fn delete(req: HttpRequest, services: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    let id = header_session(&req).ok_or_else(|| ApiError::BadRequest {
        code: ErrorCode::ValidationError,
        message: format!("{SESSION_HEADER} header required"),
    })?;
    match mcp_sessions::close(&services, &id)
        .await
        .map_err(ApiError::Internal)?
    {
        true => Ok(HttpResponse::NoContent().finish()),
        false => Err(mcp_sessions::SessionError::Unknown(id).into()),
    }
}

async fn post(req: HttpRequest, services: web::Data<Services>, body: web::Bytes) -> HttpResponse {
    let value = match serde_json::from_slice::<Value>(&body) {
        Ok(v) => v,
        Err(e) => {
            let error =
                RpcResponse::error(Value::Null, mcp::PARSE_ERROR, format!("Parse error: {e}"));
            return HttpResponse::Ok().json(error);
        }
    };
    // A notification (no `id`) or a client's response to us wants no answer.
    let is_object = value.is_object();
    let has_id = value.get("id").is_some();
    let has_method = value.get("method").is_some();
    if is_object
        && !has_id
        && (has_method || value.get("result").is_some() || value.get("error").is_some())
    {
        return HttpResponse::Accepted().finish();
    }
    let request = match RpcRequest::parse(value) {
        Ok(r) => r,
        Err(response) => return HttpResponse::Ok().json(*response),
    };
    let client = ClientId::of(&req);
    if request.method == "initialize" {
        return initialize(&services, client, &request).await;
    }
    // The header wins over `params.session_id`. A header naming no live session is 404, as the
    // transport says, so the client knows to initialize again.
    let named = header_session(&req);
    if let Some(id) = &named {
        if let Err(e) = mcp_sessions::find(&services, id).await {
            return HttpResponse::NotFound().json(e.to_rpc(request.id.clone()));
        }
    }
    let session_id = named.or_else(|| request.param_str("session_id").map(str::to_owned));
    HttpResponse::Ok().json(dispatch(&services, client, &request, session_id.as_deref()).await)
}

/// Starts a session with a fresh episode and tells the client its question.
async fn initialize(services: &Services, client: ClientId, request: &RpcRequest) -> HttpResponse {
    let id = request.id.clone();
    let created = mcp_sessions::start(services, client, &ResetParams::default()).await;
    let (session_id, first) = match created {
        Ok(c) => c,
        Err(e) => return HttpResponse::Ok().json(e.to_rpc(id)),
    };
    let question = QuestionView::of_step(&first);
    let result = json!({
        "protocolVersion": mcp::negotiate_version(&request.params),
        "capabilities": { "tools": { "listChanged": false } },
        "serverInfo": { "name": "sqlenv", "version": env!("CARGO_PKG_VERSION") },
        "instructions": mcp::instructions(&question),
    });
    HttpResponse::Ok()
        .insert_header((SESSION_HEADER, session_id))
        .json(RpcResponse::success(id, result))
}

async fn dispatch(
    services: &Services,
    client: ClientId,
    request: &RpcRequest,
    session: Option<&str>,
) -> RpcResponse {
    let id = request.id.clone();
    match request.method.as_str() {
        "ping" => RpcResponse::success(id, json!({})),
        "tools/list" => RpcResponse::success(id, mcp::tool_list()),
        "openenv/session/create" => {
            let params =
                ResetParams::from_value(Some(request.params.clone()).filter(|p| !p.is_null()));
            let params = match params {
                Ok(p) => p,
                Err(e) => return RpcResponse::error(id, mcp::INVALID_PARAMS, e),
            };
            match mcp_sessions::start(services, client, &params).await {
                Ok((session_id, first)) => RpcResponse::success(
                    id,
                    json!({ "session_id": session_id, "observation": first }),
                ),
                Err(e) => e.to_rpc(id),
            }
        }
        "openenv/session/close" => match request.param_str("session_id") {
            None => RpcResponse::error(
                id,
                mcp::INVALID_PARAMS,
                "Invalid params - 'session_id' is required",
            ),
            Some(session_id) => match mcp_sessions::close(services, session_id).await {
                Ok(true) => {
                    RpcResponse::success(id, json!({ "session_id": session_id, "closed": true }))
                }
                Ok(false) => RpcResponse::error(
                    id,
                    mcp::INVALID_PARAMS,
                    format!("Unknown session_id: {session_id}"),
                ),
                Err(e) => RpcResponse::error(id, mcp::INTERNAL_ERROR, e),
            },
        },
        "tools/call" => call_tool(services, request, session).await,
        other => RpcResponse::error(
            id,
            mcp::METHOD_NOT_FOUND,
            format!("Method not found: {other}"),
        ),
    }
}

async fn call_tool(
    services: &Services,
    request: &RpcRequest,
    session: Option<&str>,
) -> RpcResponse {
    let id = request.id.clone();
    let call = match mcp::parse_tool_call(&request.params) {
        Ok(c) => c,
        Err(message) => return RpcResponse::error(id, mcp::INVALID_PARAMS, message),
    };
    let op = match call {
        ToolCall::Action(action) => McpOp::Step(action),
        ToolCall::Question => McpOp::Question,
        ToolCall::NewEpisode(params) => McpOp::Reset(params),
    };
    let Some(session_id) = session else {
        return match op {
            McpOp::Step(action) => match host::one_shot(services, action).await {
                Ok(step) => RpcResponse::success(id, mcp::tool_result(&step)),
                Err(body) => RpcResponse::error(id, body.code.json_rpc(), body.message),
            },
            _ => RpcResponse::error(
                id,
                mcp::INVALID_REQUEST,
                "this tool needs a session: send initialize first (or openenv/session/create)",
            ),
        };
    };
    let reset = matches!(op, McpOp::Reset(_));
    match mcp_sessions::call(services, session_id, op).await {
        Ok(McpReply::Step(step)) if reset => {
            RpcResponse::success(id, mcp::question_result(&QuestionView::of_step(&step)))
        }
        Ok(McpReply::Step(step)) => RpcResponse::success(id, mcp::tool_result(&step)),
        Ok(McpReply::Question(q)) => RpcResponse::success(id, mcp::question_result(&q)),
        Ok(McpReply::State(_)) => {
            RpcResponse::error(id, mcp::INTERNAL_ERROR, "unexpected state reply")
        }
        Err(e) => e.to_rpc(id),
    }
}
