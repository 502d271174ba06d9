//! Read-only endpoints about the environment: health, metadata, schemas and the OpenAPI document.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::protocol::schema;
use crate::session::Services;
use crate::supervisor::messages::GetStats;

/// `GET /health`. The server only listens once the catalog is loaded and proven, so reaching this
/// handler means the data was good at start-up; a database file that has since disappeared
/// makes the status `degraded` and is named in `unavailable_databases` (the others keep
/// serving). The body adds what an operator wants to see at a glance.
pub async fn health(services: web::Data<Services>) -> HttpResponse {
    let stats = services.supervisor.send(GetStats).await.unwrap_or_default();
    let catalog = &services.catalog;
    // The same check a QUERY makes, so health and queries never disagree.
    let missing = services.db.unavailable();
    let status = if missing.is_empty() {
        "healthy"
    } else {
        "degraded"
    };
    HttpResponse::Ok().json(json!({
        "status": status,
        "unavailable_databases": missing,
        "databases": catalog.databases().count(),
        "questions": catalog.questions().len(),
        "questions_served": catalog.questions().served().len(),
        "sessions": stats,
    }))
}

pub async fn metadata() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "name": "sqlenv",
        "description": "An RL environment where an agent answers questions about real SQLite databases (Spider) by exploring them: DESCRIBE, SAMPLE, QUERY, then ANSWER.",
        "readme_content": include_str!("../../README.md"),
        "version": env!("CARGO_PKG_VERSION"),
        "author": "SQLEnv contributors",
        "documentation_url": concat!(env!("CARGO_PKG_REPOSITORY"), "#readme"),
    }))
}

pub async fn schema() -> HttpResponse {
    HttpResponse::Ok().json(schema::all_schemas())
}

/// The OpenEnv HTTP API revision this server implements (`openenv-http/1.x`).
pub const OPENENV_API_VERSION: &str = "1.0.0";

/// `GET /openapi.json`: the HTTP endpoints with their bodies' schemas.
pub async fn openapi() -> HttpResponse {
    let step_result = schema::step_result_schema();
    let ok = |description: &str, body: serde_json::Value| json!({ "200": { "description": description, "content": { "application/json": { "schema": body } } } });
    // An endpoint that reads a body also answers 422 (and 500 when the server fails).
    let error = json!({ "application/json": { "schema": super::error::error_schema() } });
    let ok_or_invalid = |description: &str, body: serde_json::Value| {
        let mut responses = ok(description, body);
        responses["422"] = json!({ "description": "Invalid request", "content": error.clone() });
        responses["500"] = json!({ "description": "Internal error", "content": error.clone() });
        responses
    };
    let any = json!({ "type": "object" });
    HttpResponse::Ok().json(json!({
        "openapi": "3.1.0",
        // The OpenEnv HTTP API revision served, as the reference server states it (the
        // validator reads the profile from it); the package's own version is in `/metadata`.
        "info": { "title": "SQLEnv", "version": OPENENV_API_VERSION },
        "paths": {
            "/health": { "get": { "summary": "Health", "responses": ok("Health status", any.clone()) } },
            "/metadata": { "get": { "summary": "Environment metadata", "responses": ok("Metadata", any.clone()) } },
            "/schema": { "get": { "summary": "Action, observation and state JSON Schemas", "responses": ok("Schemas", any.clone()) } },
            "/reset": { "post": {
                "summary": "Start a fresh episode (stateless: the episode is discarded)",
                "requestBody": { "content": { "application/json": { "schema": schema::reset_schema() } } },
                "responses": ok_or_invalid("Initial observation", step_result.clone())
            } },
            "/step": { "post": {
                "summary": "Take one action in a fresh episode (stateless); use /ws for whole episodes",
                "requestBody": { "content": { "application/json": { "schema": schema::step_request_schema() } } },
                "responses": ok_or_invalid("Observation", step_result)
            } },
            "/state": { "get": { "summary": "State of a fresh environment", "responses": ok("State", schema::state_schema()) } },
            "/mcp": {
                "post": { "summary": "MCP (streamable HTTP, JSON responses): initialize starts a session (Mcp-Session-Id), tools/list, tools/call, openenv/session/create|close", "responses": ok("JSON-RPC response", any.clone()) },
                "delete": { "summary": "End the MCP session named by Mcp-Session-Id", "responses": { "204": { "description": "Session ended" }, "404": { "description": "No such session" } } },
                "get": { "summary": "No server stream", "responses": { "405": { "description": "Method not allowed" } } }
            },
            "/list_environments": { "get": { "summary": "Task API: environment names", "responses": ok("Names", any.clone()) } },
            "/{env_name}/splits": { "get": { "summary": "Task API: splits", "responses": ok("Splits", any.clone()) } },
            "/{env_name}/tasks": { "post": { "summary": "Task API: tasks of a split (at most 1000 listed)", "responses": ok("Tasks", any.clone()) } },
            "/{env_name}/num_tasks": { "post": { "summary": "Task API: number of tasks in a split", "responses": ok("Count", any.clone()) } },
            "/{env_name}/task": { "post": { "summary": "Task API: one task by split and index", "responses": ok("Task", any.clone()) } },
            "/{env_name}/task_range": { "post": { "summary": "Task API: tasks [start, stop) of a split", "responses": ok("Tasks", any.clone()) } },
            "/ws": { "get": { "summary": "WebSocket session: reset, step, state, close, mcp frames", "responses": { "101": { "description": "Switching protocols" } } } }
        }
    }))
}
