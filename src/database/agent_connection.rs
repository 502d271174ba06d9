//! The connection an agent's QUERY runs on: a pooled read-only connection that keeps its
//! prepared statements, so a query it has seen before skips SQLite's parser and planner (a
//! third of a short query's cost).
//!
//! Installing an authorizer expires every prepared statement of its connection, so the
//! connection installs its recording authorizer once, when it opens, and each query clears what
//! that authorizer records. The authorizer runs only while a statement is prepared: a statement
//! taken from the cache reads what it read when it was prepared, which the connection remembers
//! (the files never change, so neither does what a statement reads). A statement refused at its
//! prepare never reaches the cache.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use r2d2::ManageConnection;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use super::error::QueryError;
use super::guard::{self, ReadLog, RefusalSlot};
use super::limits::QueryLimits;
use super::query::{self, QueryOutput};
use super::reads::ReadSet;

/// Longest SQL text whose statement is kept: queries typed by an agent are far shorter, and a
/// bound keeps the remembered texts small.
pub const MAX_CACHED_SQL_BYTES: usize = 2048;

/// Statements a connection keeps (SQLite's prepared statements, least recently used dropped).
pub const CACHED_STATEMENTS: usize = 8;

/// Read sets a connection remembers before it forgets them all, with its statements.
const REMEMBERED_READS: usize = 4 * CACHED_STATEMENTS;

/// SQL texts a connection has run once (as hashes) before it forgets them: a statement is kept
/// from its second run on, so the queries an agent writes once cost the cache nothing.
const SEEN_ONCE: usize = 1024;

/// What the connection's authorizer records for the statement being prepared.
#[derive(Clone, Default)]
struct Recorder {
    refusal: RefusalSlot,
    reads: ReadLog,
    /// Set by any authorizer call: the statement was prepared now, not taken from the cache.
    prepared: Arc<AtomicBool>,
}

impl Recorder {
    fn clear(&self) {
        if let Ok(mut slot) = self.refusal.lock() {
            *slot = None;
        }
        if let Ok(mut log) = self.reads.lock() {
            *log = ReadSet::default();
        }
        self.prepared.store(false, Ordering::Relaxed);
    }

    fn take_reads(&self) -> ReadSet {
        self.reads
            .lock()
            .map(|mut log| std::mem::take(&mut *log))
            .unwrap_or_default()
    }
}

/// A pooled agent connection (see the module documentation).
pub struct AgentConnection {
    conn: Connection,
    recorder: Recorder,
    /// What each statement this connection keeps reads, by SQL text.
    reads: HashMap<String, ReadSet>,
    /// Hashes of the SQL texts run once and not kept.
    seen: HashSet<u64>,
}

impl AgentConnection {
    fn new(conn: Connection) -> rusqlite::Result<Self> {
        let recorder = Recorder::default();
        let hook = recorder.clone();
        conn.authorizer(Some(move |ctx: rusqlite::hooks::AuthContext<'_>| {
            hook.prepared.store(true, Ordering::Relaxed);
            guard::authorize_recording(ctx, &hook.refusal, &hook.reads)
        }))?;
        conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
        Ok(AgentConnection {
            conn,
            recorder,
            reads: HashMap::new(),
            seen: HashSet::new(),
        })
    }

    /// Runs `sql` under the full deadline of `limits`.
    pub fn run(
        &mut self,
        sql: &str,
        limits: &QueryLimits,
        cancel: &Arc<AtomicBool>,
    ) -> Result<QueryOutput, QueryError> {
        self.run_within(sql, limits, cancel, limits.timeout)
    }

    /// [`run`](Self::run) given only `budget`: `None` when the statement was still running
    /// when `budget` ran out (see [`query::run_query_briefly`]).
    pub fn run_briefly(
        &mut self,
        sql: &str,
        limits: &QueryLimits,
        cancel: &Arc<AtomicBool>,
        budget: Duration,
    ) -> Option<Result<QueryOutput, QueryError>> {
        query::briefly(budget, limits, |budget| {
            self.run_within(sql, limits, cancel, budget)
        })
    }

    fn run_within(
        &mut self,
        sql: &str,
        limits: &QueryLimits,
        cancel: &Arc<AtomicBool>,
        budget: Duration,
    ) -> Result<QueryOutput, QueryError> {
        let known = self.reads.contains_key(sql);
        let keep = sql.len() <= MAX_CACHED_SQL_BYTES && (known || self.seen_before(sql));
        if keep && !known && self.reads.len() >= REMEMBERED_READS {
            // Forget statements and read sets together: a kept statement always has its reads.
            self.conn.flush_prepared_statement_cache();
            self.reads.clear();
        }
        self.recorder.clear();
        let (recorder, remembered) = (&self.recorder, &mut self.reads);
        // Remembered as soon as it is prepared: a kept statement whose run then fails (a brief
        // run's deadline, a runtime error) is kept all the same, and must come back with its reads.
        let mut remember = || {
            if recorder.prepared.load(Ordering::Relaxed) {
                remembered.insert(sql.to_owned(), recorder.take_reads());
            }
        };
        let kept: Option<&mut dyn FnMut()> = if keep { Some(&mut remember) } else { None };
        let result = query::run_statement(
            &self.conn,
            sql,
            limits,
            cancel,
            budget,
            &recorder.refusal,
            kept,
        )?;
        let reads = if keep {
            // Prepared without a single authorizer call, a statement reads nothing.
            self.reads.get(sql).cloned().unwrap_or_default()
        } else {
            self.recorder.take_reads()
        };
        Ok(QueryOutput { result, reads })
    }

    /// Whether `sql` ran here before; notes that it has now.
    fn seen_before(&mut self, sql: &str) -> bool {
        if self.seen.len() >= SEEN_ONCE {
            self.seen.clear();
        }
        let mut hasher = DefaultHasher::new();
        sql.hash(&mut hasher);
        !self.seen.insert(hasher.finish())
    }
}

/// Opens [`AgentConnection`]s through r2d2_sqlite's manager.
pub struct AgentManager(pub SqliteConnectionManager);

impl ManageConnection for AgentManager {
    type Connection = AgentConnection;
    type Error = rusqlite::Error;

    fn connect(&self) -> Result<AgentConnection, rusqlite::Error> {
        AgentConnection::new(self.0.connect()?)
    }

    fn is_valid(&self, conn: &mut AgentConnection) -> Result<(), rusqlite::Error> {
        self.0.is_valid(&mut conn.conn)
    }

    fn has_broken(&self, conn: &mut AgentConnection) -> bool {
        self.0.has_broken(&mut conn.conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::database::value::Cell;

    fn connection() -> AgentConnection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE singer (id INTEGER, name TEXT, age INTEGER);
             INSERT INTO singer VALUES (1, 'Ann', 30), (2, 'Bo', 41);",
        )
        .unwrap();
        AgentConnection::new(conn).unwrap()
    }

    fn run(conn: &mut AgentConnection, sql: &str) -> Result<QueryOutput, QueryError> {
        conn.run(sql, &QueryLimits::default(), &Arc::default())
    }

    #[test]
    fn a_kept_statement_reads_what_it_read_when_prepared() {
        let mut conn = connection();
        let sql = "SELECT name FROM singer WHERE age > 35";
        let first = run(&mut conn, sql).unwrap();
        assert!(conn.recorder.prepared.load(Ordering::Relaxed));
        // Run once, not kept; kept from the second run on.
        assert!(!conn.reads.contains_key(sql));
        assert_eq!(run(&mut conn, sql).unwrap(), first);
        assert!(conn.recorder.prepared.load(Ordering::Relaxed));
        assert!(conn.reads.contains_key(sql));
        let again = run(&mut conn, sql).unwrap();
        // Taken from the cache: the authorizer did not run, the read set is the remembered one.
        assert!(!conn.recorder.prepared.load(Ordering::Relaxed));
        assert_eq!(again, first);
        assert_eq!(again.result.rows, vec![vec![Cell::Text("Bo".into())]]);
        assert!(again.reads.reads_column("singer", "age"));
        // Another statement in between changes neither.
        let count = run(&mut conn, "SELECT count(*) FROM singer").unwrap();
        assert!(count.reads.reads_table("singer") && !count.reads.reads_column("singer", "age"));
        assert_eq!(run(&mut conn, sql).unwrap(), first);
        assert!(run(&mut conn, "SELECT 7").unwrap().reads.is_empty());
        assert!(run(&mut conn, "SELECT 7").unwrap().reads.is_empty());
    }

    #[test]
    fn a_refused_statement_stays_refused_and_is_not_kept() {
        let mut conn = connection();
        for _ in 0..3 {
            match run(&mut conn, "DELETE FROM singer") {
                Err(QueryError::Refused(what)) => assert_eq!(what, "DELETE"),
                other => panic!("{other:?}"),
            }
        }
        assert!(conn.reads.is_empty());
        assert_eq!(
            run(&mut conn, "SELECT count(*) FROM singer")
                .unwrap()
                .result
                .rows,
            vec![vec![Cell::Integer(2)]]
        );
    }

    #[test]
    fn past_the_bound_statements_and_reads_are_forgotten_together() {
        let mut conn = connection();
        let kept = "SELECT name FROM singer";
        let expected = run(&mut conn, kept).unwrap();
        for i in 0..REMEMBERED_READS + 3 {
            let sql = format!("SELECT id + {i} FROM singer");
            run(&mut conn, &sql).unwrap();
            run(&mut conn, &sql).unwrap();
        }
        assert!(conn.reads.len() <= REMEMBERED_READS);
        assert_eq!(run(&mut conn, kept).unwrap(), expected);
        assert_eq!(run(&mut conn, kept).unwrap(), expected);
        // Texts run once are only counted, and the count is bounded too.
        for i in 0..SEEN_ONCE + 3 {
            run(&mut conn, &format!("SELECT age * {i} FROM singer")).unwrap();
        }
        assert!(conn.seen.len() <= SEEN_ONCE);
        assert!(!conn.reads.keys().any(|sql| sql.starts_with("SELECT age")));
        // A text longer than the bound runs (and reads) alike, never kept.
        let long = format!(
            "SELECT name FROM singer WHERE '{}' <> ''",
            "x".repeat(MAX_CACHED_SQL_BYTES)
        );
        assert_eq!(run(&mut conn, &long).unwrap().reads, expected.reads);
        assert!(!conn.reads.contains_key(&long));
    }

    #[test]
    fn a_statement_kept_by_a_run_that_failed_comes_back_with_its_reads() {
        let mut conn = connection();
        // Long enough to outrun a zero budget, short under the full deadline.
        let sql = "SELECT max(s.age) FROM singer s, (WITH RECURSIVE n(i) AS \
                   (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n)";
        let limits = QueryLimits::default();
        let whole = run(&mut conn, sql).unwrap();
        assert!(whole.reads.reads_column("singer", "age"));
        // Its first kept run is interrupted: the statement is kept all the same.
        assert!(conn
            .run_briefly(sql, &limits, &Arc::default(), Duration::ZERO)
            .is_none());
        let again = run(&mut conn, sql).unwrap();
        assert!(!conn.recorder.prepared.load(Ordering::Relaxed));
        assert_eq!(again, whole);
    }

    #[test]
    fn a_brief_run_of_a_kept_statement_gives_up_like_a_fresh_one() {
        let mut conn = connection();
        let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                       SELECT count(*) FROM n";
        let limits = QueryLimits::default();
        let budget = Duration::from_millis(1);
        for _ in 0..2 {
            assert!(conn
                .run_briefly(endless, &limits, &Arc::default(), budget)
                .is_none());
        }
        let short = conn.run_briefly("SELECT 7", &limits, &Arc::default(), budget);
        assert_eq!(
            short.map(|o| o.map(|out| out.result.rows)),
            Some(Ok(vec![vec![Cell::Integer(7)]]))
        );
    }
}
