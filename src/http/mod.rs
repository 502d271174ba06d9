//! The HTTP surface: one route table for the OpenEnv endpoints, the WebSocket upgrade and MCP.

pub mod access;
pub mod auth;
pub mod environment;
pub mod error;
pub mod info;
pub mod mcp;
pub mod mcp_sessions;
pub mod metrics;
pub mod playground;
pub mod tasks;

use actix_web::{web, HttpRequest, HttpResponse};

use error::ApiError;

use crate::session::{socket, Services};

/// Registers every route. `main` and the tests build the app through this one function.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(info::health))
        .route("/metadata", web::get().to(info::metadata))
        .route("/schema", web::get().to(info::schema))
        .route("/openapi.json", web::get().to(info::openapi))
        .route("/metrics", web::get().to(metrics::metrics))
        .route("/reset", web::post().to(environment::reset))
        .route("/step", web::post().to(environment::step))
        .route("/state", web::get().to(environment::state))
        .configure(mcp::configure)
        .route("/ws", web::get().to(websocket))
        // The browser playground: `/` redirects to `/web`.
        .configure(playground::configure)
        // Last: its `/{env_name}/...` patterns must not shadow a fixed route.
        .configure(tasks::configure);
}

/// The query of `/ws`: OpenEnv's `MCPToolClient` names the MCP session to attach to.
#[derive(serde::Deserialize)]
struct WsQuery {
    session_id: Option<String>,
}

async fn websocket(
    req: HttpRequest,
    stream: web::Payload,
    services: web::Data<Services>,
    query: web::Query<WsQuery>,
) -> Result<HttpResponse, ApiError> {
    let attached = match &query.session_id {
        None => None,
        Some(id) => Some(mcp_sessions::find(&services, id).await?),
    };
    socket::start(&req, stream, services.into_inner(), attached)
        // The handshake was refused (not a WebSocket request): actix's own 400.
        .or_else(|e| Ok(e.error_response()))
}
