//! Integration tests: each starts the real server on an ephemeral loopback port and talks to it
//! over real HTTP and WebSocket.

// A failing expectation is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod as_client;
mod helpers;
mod hostile;
mod invariants;

mod adversarial_args;
mod adversarial_protocol;
mod adversarial_sql;
mod api_key;
mod data_integrity;
mod dockerfile;
mod error_bodies;
mod eval;
mod fair_share;
mod faults;
mod healthcheck;
mod hostile_http;
mod hostile_mcp;
mod http_endpoints;
mod limits;
mod load;
mod load_faults;
mod mcp;
mod mcp_streamable;
mod metrics;
mod module_graph;
mod playground;
mod properties;
mod protocol_errors;
mod questions;
mod read_only;
mod readme_facts;
mod reward_timing;
mod sessions;
mod shutdown;
mod slow_clients;
mod spider_sets;
mod startup_errors;
mod tasks;
mod telemetry;
mod verification;
mod ws_episode;
