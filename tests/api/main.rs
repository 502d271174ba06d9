//! Integration tests: each starts the real server on an ephemeral loopback port and talks to it
//! over real HTTP and WebSocket.

// A failing expectation is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod data_integrity;
mod http_endpoints;
mod limits;
mod mcp;
mod protocol_errors;
mod read_only;
mod sessions;
mod ws_episode;
