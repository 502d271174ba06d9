//! Limits on what one query may cost and how much of its result an agent is shown.

use std::time::Duration;

/// A QUERY is interrupted after this long, so a runaway statement cannot hold a worker.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(2);
/// Rows of a result shown to the agent; the observation still says how many there were.
pub const DEFAULT_MAX_ROWS_SHOWN: usize = 20;
/// Characters of one cell shown to the agent.
pub const DEFAULT_MAX_CELL_CHARS: usize = 200;
/// Bytes of rendered result text in one observation: an LLM reads it, keep it small.
pub const DEFAULT_MAX_RESULT_BYTES: usize = 8 * 1024;
/// Bytes of SQL text accepted in one QUERY.
pub const DEFAULT_MAX_SQL_BYTES: usize = 64 * 1024;
/// Rows kept for comparing a result with the gold answer (the count goes on past it). The
/// largest Spider dev gold result has 1,860 rows.
pub const KEPT_ROWS: usize = 2_048;
/// Characters kept of one cell for that comparison; gold values are far shorter.
pub const KEPT_CELL_CHARS: usize = 1_024;
/// SQLite's own cap on any string or blob a statement builds (`zeroblob(1e9)`, `printf('%.*c', …)`).
pub const MAX_VALUE_BYTES: i32 = 1_000_000;
/// SQLite checks the deadline every this many virtual-machine instructions.
pub const PROGRESS_CHECK_OPS: i32 = 1_000;

#[derive(Debug, Clone, PartialEq)]
pub struct QueryLimits {
    pub timeout: Duration,
    pub max_rows_shown: usize,
    pub max_cell_chars: usize,
    pub max_result_bytes: usize,
    pub max_sql_bytes: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_QUERY_TIMEOUT,
            max_rows_shown: DEFAULT_MAX_ROWS_SHOWN,
            max_cell_chars: DEFAULT_MAX_CELL_CHARS,
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
            max_sql_bytes: DEFAULT_MAX_SQL_BYTES,
        }
    }
}
