//! The HTTP surface: one route table for the OpenEnv endpoints, the WebSocket upgrade and MCP.

pub mod environment;
pub mod info;
pub mod mcp;
pub mod metrics;
pub mod playground;

use actix_web::{web, HttpRequest, HttpResponse};

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
        .route("/mcp", web::post().to(mcp::handle))
        .route("/ws", web::get().to(websocket))
        // The browser playground: `/` redirects to `/web`.
        .configure(playground::configure);
}

async fn websocket(
    req: HttpRequest,
    stream: web::Payload,
    services: web::Data<Services>,
) -> actix_web::Result<HttpResponse> {
    socket::start(&req, stream, services.get_ref().clone())
}
