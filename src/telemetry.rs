//! Logging: `tracing` to stderr, filtered by `RUST_LOG`. The default level depends on the
//! command: the server logs `info`, the client commands (`eval`, `load`, ...) only warnings, so
//! an in-process server's start-up lines do not land in the middle of their tables.

use tracing::Level;
use tracing_subscriber::EnvFilter;

fn filter(default: Level) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default.as_str()))
}

/// Logs to stderr at `default` unless `RUST_LOG` says otherwise.
pub fn init_with_default(default: Level) {
    // A second init is harmless; keep the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(default))
        .with_writer(std::io::stderr)
        .try_init();
}

/// The server's logging: `info` unless `RUST_LOG` says otherwise.
pub fn init() {
    init_with_default(Level::INFO);
}

/// Logging for tests: through the test harness's output capture, so a test's logs are shown
/// only when it fails (a plain stderr writer bypasses the capture and floods `cargo test`).
pub fn init_for_tests() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(Level::INFO))
        .with_test_writer()
        .try_init();
}
