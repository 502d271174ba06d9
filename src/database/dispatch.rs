//! Where a QUERY runs. A short query runs where it is asked for, on the session's own thread,
//! under a tiny deadline ([`INLINE_BUDGET`]): it then costs no trip to another thread and back,
//! which is most of what a short query costs. One still running at that deadline is interrupted
//! and handed to the database actor's worker threads, which run it again under the full
//! deadline: a slow query holds an HTTP worker for no longer than the budget, so it never stalls
//! the other sessions on that thread.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;

use super::error::QueryError;
use super::limits::QueryLimits;
use super::query::QueryOutput;
use super::{DatabaseWorker, Pools, RunQuery};
use crate::metrics::Metrics;

/// How long a query may run on the session's thread before it is handed to the workers. Spider
/// queries mostly take tens of microseconds; a query past this one is rare, and is run again
/// from the start, so the budget is also the most work thrown away.
pub const INLINE_BUDGET: Duration = Duration::from_millis(1);

/// The sessions' handle on the databases: cheap to clone.
#[derive(Clone)]
pub struct Databases {
    pools: Arc<Pools>,
    limits: QueryLimits,
    workers: Addr<DatabaseWorker>,
    metrics: Metrics,
}

impl Databases {
    pub(super) fn new(
        pools: Arc<Pools>,
        limits: QueryLimits,
        workers: Addr<DatabaseWorker>,
        metrics: Metrics,
    ) -> Self {
        Databases {
            pools,
            limits,
            workers,
            metrics,
        }
    }

    /// The databases whose file was removed (or replaced) since the server opened it, sorted:
    /// their QUERYs fail as [`QueryError::FileMissing`].
    pub fn unavailable(&self) -> Vec<&str> {
        let mut gone: Vec<&str> = self
            .pools
            .iter()
            .filter(|(_, db)| db.file_gone())
            .map(|(id, _)| id.as_str())
            .collect();
        gone.sort_unstable();
        gone
    }

    /// Runs `query`: here if it is short and a connection is idle, else on a worker thread.
    pub async fn run(&self, query: RunQuery) -> Result<QueryOutput, QueryError> {
        if let Some(outcome) = self.run_here(&query) {
            return outcome;
        }
        self.workers
            .send(query)
            .await
            .unwrap_or_else(|e| Err(QueryError::Unavailable(e.to_string())))
    }

    /// `None` when the query must go to a worker: no connection lies idle (this thread never
    /// waits for one, nor opens one), or the query outran [`INLINE_BUDGET`].
    fn run_here(&self, msg: &RunQuery) -> Option<Result<QueryOutput, QueryError>> {
        if msg.cancel.load(Ordering::Relaxed) {
            return Some(Err(QueryError::Cancelled));
        }
        let Some(db) = self.pools.get(&*msg.db_id) else {
            return Some(Err(QueryError::UnknownDatabase(msg.db_id.to_string())));
        };
        let mut conn = db.pool.try_get()?;
        let outcome = if db.file_gone() {
            Err(QueryError::FileMissing(msg.db_id.to_string()))
        } else {
            conn.run_briefly(&msg.sql, &self.limits, &msg.cancel, INLINE_BUDGET)?
        };
        super::record(&self.metrics, &msg.db_id, &outcome);
        Some(outcome)
    }
}
