//! The databases: read-only SQLite connections per database, and the actor of synchronous
//! worker threads that runs any query longer than a moment, so blocking SQLite work never holds
//! the async workers ([`dispatch`] decides where a query runs).

pub mod agent_connection;
pub mod connection;
pub mod dispatch;
pub mod error;
pub mod guard;
pub mod limits;
pub mod query;
pub mod reads;
pub mod render;
pub mod value;

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix::{Actor, Handler, Message, SyncArbiter, SyncContext};
use scheduled_thread_pool::ScheduledThreadPool;

use crate::metrics::Metrics;
use connection::Pool;
use error::QueryError;
use limits::QueryLimits;
use query::QueryOutput;

pub use dispatch::Databases;

/// One pool of agent connections per database id.
pub type Pools = HashMap<String, DatabasePool>;

/// A database's pool and the file it serves, held open so that each query can ask whether the
/// file is still there: an open connection would go on reading a deleted file, and the agent
/// should hear it is gone.
pub struct DatabasePool {
    pub pool: Pool,
    file: File,
}

/// Why a database's pool could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    File(#[from] std::io::Error),
    #[error(transparent)]
    Pool(#[from] r2d2::Error),
}

impl DatabasePool {
    /// Opens the file and a pool of at most `max_size` agent connections to it.
    pub fn open(
        path: &Path,
        max_size: u32,
        helpers: Arc<ScheduledThreadPool>,
    ) -> Result<Self, OpenError> {
        let file = File::open(path)?;
        let pool = connection::open_pool(path, max_size, helpers)?;
        Ok(DatabasePool { pool, file })
    }

    /// Whether the file has been deleted (or replaced) since it was opened. Asked of the open
    /// handle, not the path: a query pays no path lookup, and its connections read that file.
    pub fn file_gone(&self) -> bool {
        self.file.metadata().map_or(true, |m| m.nlink() == 0)
    }
}

/// A synchronous worker running agent queries.
pub struct DatabaseWorker {
    pools: Arc<Pools>,
    limits: QueryLimits,
    metrics: Metrics,
}

impl Actor for DatabaseWorker {
    type Context = SyncContext<Self>;
}

/// Runs one read-only query for an agent; the reply also says which table data it read.
#[derive(Debug, Message)]
#[rtype(result = "Result<QueryOutput, QueryError>")]
pub struct RunQuery {
    pub db_id: Arc<str>,
    pub sql: String,
    /// Set by the session when it goes away; the worker then interrupts the statement.
    pub cancel: Arc<AtomicBool>,
}

impl Handler<RunQuery> for DatabaseWorker {
    type Result = Result<QueryOutput, QueryError>;

    fn handle(&mut self, msg: RunQuery, _: &mut SyncContext<Self>) -> Self::Result {
        if msg.cancel.load(Ordering::Relaxed) {
            return Err(QueryError::Cancelled);
        }
        let outcome = self.run(&msg);
        record(&self.metrics, &msg.db_id, &outcome);
        outcome
    }
}

/// Counts a query's outcome, and logs the failures an operator should hear of.
fn record(metrics: &Metrics, db_id: &str, outcome: &Result<QueryOutput, QueryError>) {
    metrics.query(outcome);
    if let Err(e @ (QueryError::Timeout { .. } | QueryError::FileMissing(_))) = outcome {
        tracing::info!(db = %db_id, error = %e, "query failed");
    }
}

impl DatabaseWorker {
    fn run(&self, msg: &RunQuery) -> Result<QueryOutput, QueryError> {
        let db = self
            .pools
            .get(&*msg.db_id)
            .ok_or_else(|| QueryError::UnknownDatabase(msg.db_id.to_string()))?;
        if db.file_gone() {
            return Err(QueryError::FileMissing(msg.db_id.to_string()));
        }
        // The pooled connection goes back to the pool when dropped, whatever the query did.
        let mut conn = db
            .pool
            .get()
            .map_err(|e| QueryError::Unavailable(e.to_string()))?;
        conn.run(&msg.sql, &self.limits, &msg.cancel)
    }
}

/// Starts `workers` database threads sharing the pools; the handle sessions run queries with.
pub fn start(pools: Pools, limits: QueryLimits, workers: usize, metrics: Metrics) -> Databases {
    let pools = Arc::new(pools);
    let shared = (pools.clone(), limits.clone(), metrics.clone());
    let addr = SyncArbiter::start(workers.max(1), move || DatabaseWorker {
        pools: shared.0.clone(),
        limits: shared.1.clone(),
        metrics: shared.2.clone(),
    });
    Databases::new(pools, limits, addr, metrics)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool_of(path: &Path) -> DatabasePool {
        rusqlite::Connection::open(path)
            .and_then(|c| c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);"))
            .unwrap();
        DatabasePool::open(path, 1, connection::pool_helpers()).unwrap()
    }

    #[test]
    fn a_file_is_gone_once_removed_or_replaced_and_not_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sqlite");
        let removed = pool_of(&path);
        assert!(!removed.file_gone());
        std::fs::remove_file(&path).unwrap();
        assert!(removed.file_gone());

        let replaced = pool_of(&path);
        let other = dir.path().join("b.sqlite");
        std::fs::copy(&path, &other).unwrap();
        assert!(!replaced.file_gone());
        // The connections read the file they opened, not the one now at the path.
        std::fs::rename(&other, &path).unwrap();
        assert!(replaced.file_gone());
    }

    #[test]
    fn a_missing_file_is_refused_when_the_pool_opens() {
        let dir = tempfile::tempdir().unwrap();
        let missing = DatabasePool::open(
            &dir.path().join("none.sqlite"),
            1,
            connection::pool_helpers(),
        );
        assert!(matches!(missing, Err(OpenError::File(_))));
    }
}
