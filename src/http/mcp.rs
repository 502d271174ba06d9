//! `POST /mcp`: JSON-RPC 2.0 for MCP clients. Tools act on an MCP session named by
//! `params.session_id` (made with `openenv/session/create`), or on a one-shot episode without one.

use actix::Actor;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::protocol::mcp::{self, RpcRequest, RpcResponse};
use crate::protocol::reset::ResetParams;
use crate::session::host;
use crate::session::mcp_session::{self, McpSession};
use crate::session::messages::McpCall;
use crate::session::Services;
use crate::supervisor::activity::Activity;
use crate::supervisor::messages::{
    CloseMcp, CloseReason, FindMcp, ForceClose, Register, SessionKind,
};

pub async fn handle(services: web::Data<Services>, body: web::Bytes) -> HttpResponse {
    let response = match serde_json::from_slice::<Value>(&body) {
        Err(e) => RpcResponse::error(Value::Null, mcp::PARSE_ERROR, format!("Parse error: {e}")),
        Ok(value) => match RpcRequest::parse(value) {
            Err(response) => *response,
            Ok(request) => dispatch(&services, request).await,
        },
    };
    HttpResponse::Ok().json(response)
}

async fn dispatch(services: &Services, request: RpcRequest) -> RpcResponse {
    let id = request.id.clone();
    match request.method.as_str() {
        "initialize" => RpcResponse::success(
            id,
            json!({
                "protocolVersion": mcp::MCP_PROTOCOL_VERSION,
                "capabilities": { "tools": { "listChanged": false } },
                "serverInfo": { "name": "sqlenv", "version": env!("CARGO_PKG_VERSION") }
            }),
        ),
        method if method.starts_with("notifications/") => RpcResponse::success(id, json!({})),
        "ping" => RpcResponse::success(id, json!({})),
        "tools/list" => RpcResponse::success(id, mcp::tool_list()),
        "openenv/session/create" => create_session(services, &request).await,
        "openenv/session/close" => match request.param_str("session_id") {
            None => RpcResponse::error(
                id,
                mcp::INVALID_PARAMS,
                "Invalid params - 'session_id' is required",
            ),
            Some(session_id) => match services
                .supervisor
                .send(CloseMcp {
                    id: session_id.to_owned(),
                })
                .await
            {
                Ok(true) => {
                    RpcResponse::success(id, json!({ "session_id": session_id, "closed": true }))
                }
                Ok(false) => RpcResponse::error(
                    id,
                    mcp::INVALID_PARAMS,
                    format!("Unknown session_id: {session_id}"),
                ),
                Err(e) => RpcResponse::error(id, mcp::INTERNAL_ERROR, e.to_string()),
            },
        },
        "tools/call" => call_tool(services, &request).await,
        other => RpcResponse::error(
            id,
            mcp::METHOD_NOT_FOUND,
            format!("Method not found: {other}"),
        ),
    }
}

/// Starts a session whose episode is reset with the params (`seed`, `question_id`, ...); the
/// reply carries the session id and the episode's first observation.
async fn create_session(services: &Services, request: &RpcRequest) -> RpcResponse {
    let id = request.id.clone();
    let params =
        match ResetParams::from_value(Some(request.params.clone()).filter(|p| !p.is_null())) {
            Ok(p) => p,
            Err(e) => return RpcResponse::error(id, mcp::INVALID_PARAMS, e),
        };
    let episode = match host::reset(services, &params) {
        Ok(e) => e,
        Err(body) => return RpcResponse::error(id, mcp::INVALID_PARAMS, body.message),
    };
    let session_id = uuid::Uuid::new_v4().to_string();
    let activity = Activity::default();
    let session = McpSession::new(
        session_id.clone(),
        services.clone(),
        episode,
        activity.clone(),
        true,
    );
    let first = session.reset_result();
    let addr = session.start();
    let register = Register {
        id: session_id.clone(),
        kind: SessionKind::Mcp,
        closer: addr.clone().recipient(),
        activity,
        mcp: Some(addr.clone().recipient()),
    };
    match services.supervisor.send(register).await {
        Ok(Ok(())) => RpcResponse::success(
            id,
            json!({ "session_id": session_id, "observation": first }),
        ),
        Ok(Err(full)) => {
            addr.do_send(ForceClose {
                reason: CloseReason::Requested,
            });
            RpcResponse::error(
                id,
                mcp::SERVER_ERROR,
                format!(
                    "server at capacity ({} of {} sessions)",
                    full.active, full.max
                ),
            )
            .with_data(json!({ "active_sessions": full.active, "max_sessions": full.max }))
        }
        Err(e) => RpcResponse::error(id, mcp::INTERNAL_ERROR, e.to_string()),
    }
}

async fn call_tool(services: &Services, request: &RpcRequest) -> RpcResponse {
    let id = request.id.clone();
    let action = match mcp::tool_call_action(&request.params) {
        Ok(a) => a,
        Err(message) => return RpcResponse::error(id, mcp::INVALID_PARAMS, message),
    };
    let reply = match request.param_str("session_id") {
        Some(session_id) => match services
            .supervisor
            .send(FindMcp {
                id: session_id.to_owned(),
            })
            .await
        {
            Ok(Some(session)) => session.send(McpCall { action }).await,
            Ok(None) => {
                return RpcResponse::error(
                    id,
                    mcp::INVALID_PARAMS,
                    format!("Unknown session_id: {session_id}"),
                )
            }
            Err(e) => return RpcResponse::error(id, mcp::INTERNAL_ERROR, e.to_string()),
        },
        None => Ok(mcp_session::one_shot(services, action).await),
    };
    match reply {
        Ok(Ok(step)) => RpcResponse::success(id, mcp::tool_result(&step)),
        Ok(Err(body)) => RpcResponse::error(id, mcp::INVALID_REQUEST, body.message),
        Err(e) => RpcResponse::error(id, mcp::INTERNAL_ERROR, format!("session unavailable: {e}")),
    }
}
