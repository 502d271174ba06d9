//! What must hold for any input, checked the same way by the property tests (`properties`) and
//! by the fuzz targets (`fuzz/fuzz_targets/`, which include this file): message parsing always
//! answers with a well-formed reply, the SQL guard never lets a statement change the database
//! file, and answer verification judges any text without failing.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use sqlenv::catalog::question::Question;
use sqlenv::database::connection::{open_pool, pool_helpers, Pool};
use sqlenv::database::limits::{QueryLimits, KEPT_ROWS};
use sqlenv::database::query::QueryOutput;
use sqlenv::protocol::mcp::RpcRequest;
use sqlenv::protocol::messages::{parse_action, ClientMessage, ServerMessage};
use sqlenv::protocol::reset::ResetParams;
use sqlenv::reward::config::RewardConfig;
use sqlenv::reward::verify::{verify_question, Verdict};

/// Parses `text` as every entry point that reads client JSON does. Whatever it is, the answer
/// is a message or an error body that serialises to a well-formed error frame.
pub fn check_message(text: &str) {
    if let Err(body) = ClientMessage::parse(text) {
        assert!(!body.message.is_empty());
        let frame: Value = serde_json::from_str(&ServerMessage::Error(body).to_json())
            .expect("an error frame is JSON");
        assert_eq!(frame["type"], "error");
        assert!(frame["data"]["code"].is_string());
    }
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        if let Err(response) = RpcRequest::parse(value.clone()) {
            assert!(response.to_value()["error"]["code"].is_i64());
        }
        let _ = ResetParams::from_value(Some(value.clone()));
        let _ = parse_action(value);
    }
}

/// A private copy of a bundled database behind a pool hardened exactly like the server's.
pub struct GuardProbe {
    pool: Pool,
    file: PathBuf,
    original: Vec<u8>,
    stamp: (u64, Option<SystemTime>),
    limits: QueryLimits,
}

impl GuardProbe {
    /// Copies `data/databases/singer/singer.sqlite` to `file` (the bundled file is never
    /// opened by the probe) and opens the copy the way the server opens its databases.
    pub fn new(data_dir: &Path, file: PathBuf) -> GuardProbe {
        let source = data_dir.join("databases/singer/singer.sqlite");
        let original = std::fs::read(&source).expect("bundled database");
        std::fs::write(&file, &original).expect("temporary copy");
        let pool = open_pool(&file, 1, pool_helpers()).expect("pool");
        let limits = QueryLimits {
            timeout: Duration::from_millis(50),
            ..QueryLimits::default()
        };
        let stamp = stamp(&file);
        GuardProbe {
            pool,
            file,
            original,
            stamp,
            limits,
        }
    }

    /// Runs `sql` as an agent's QUERY: it either reads or is refused, and the file is untouched.
    pub fn check_sql(&self, sql: &str) {
        let mut conn = self.pool.get().expect("connection");
        let cancel = Arc::new(AtomicBool::new(false));
        if let Ok(QueryOutput { result, .. }) = conn.run(sql, &self.limits, &cancel) {
            assert!(result.rows.len() <= KEPT_ROWS);
            assert!(result.rows.len() as u64 <= result.total_rows);
            assert!(result.rows.iter().all(|r| r.len() == result.columns.len()));
        }
        assert_eq!(
            stamp(&self.file),
            self.stamp,
            "the database file changed: {sql:?}"
        );
        let count = conn
            .run("SELECT count(*) FROM singer", &self.limits, &cancel)
            .expect("the connection still reads");
        assert_eq!(count.result.total_rows, 1);
    }

    /// The file is byte for byte what was copied.
    pub fn assert_unchanged(&self) {
        let now = std::fs::read(&self.file).expect("temporary copy");
        assert!(now == self.original, "the database file changed");
    }
}

impl Drop for GuardProbe {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

fn stamp(file: &Path) -> (u64, Option<SystemTime>) {
    let meta = std::fs::metadata(file).expect("database file");
    (meta.len(), meta.modified().ok())
}

/// Verifies `answer` against `question`'s gold: any text gets a verdict with a reason.
pub fn check_answer(answer: &str, question: &Question) -> Verdict {
    let verdict = verify_question(&RewardConfig::default(), answer, question);
    assert!(!verdict.reason.is_empty());
    verdict
}
