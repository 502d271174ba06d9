//! Integration tests: each starts the real server on an ephemeral loopback port and talks to it
//! over real HTTP and WebSocket.

// A failing expectation is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod invariants;

mod adversarial_args;
mod adversarial_protocol;
mod adversarial_sql;
mod data_integrity;
mod dockerfile;
mod eval;
mod faults;
mod http_endpoints;
mod limits;
mod load;
mod mcp;
mod metrics;
mod playground;
mod properties;
mod protocol_errors;
mod questions;
mod read_only;
mod readme_facts;
mod sessions;
mod shutdown;
mod startup_errors;
mod ws_episode;
