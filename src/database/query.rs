//! Running one agent query on a hardened connection: the text checks, the read-only guard, the
//! deadline, and collecting the result without holding more than a bounded part of it.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{CachedStatement, Connection, ErrorCode, Statement};

use super::error::QueryError;
use super::guard::{self, ReadLog, RefusalSlot};
use super::limits::{QueryLimits, KEPT_CELL_CHARS, KEPT_ROWS, PROGRESS_CHECK_OPS};
use super::reads::ReadSet;
use super::value::{Cell, ResultSet};

/// A query's result and the table data it read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOutput {
    pub result: ResultSet,
    pub reads: ReadSet,
}

/// Runs `sql` and returns its result: all rows counted, at most [`KEPT_ROWS`] kept. `cancel`
/// lets the owner of the query (a session that went away) stop it early.
pub fn run_query(
    conn: &Connection,
    sql: &str,
    limits: &QueryLimits,
    cancel: &Arc<AtomicBool>,
) -> Result<ResultSet, QueryError> {
    run_query_reading(conn, sql, limits, cancel).map(|out| out.result)
}

/// [`run_query`], also returning which tables and columns the statement reads.
pub fn run_query_reading(
    conn: &Connection,
    sql: &str,
    limits: &QueryLimits,
    cancel: &Arc<AtomicBool>,
) -> Result<QueryOutput, QueryError> {
    run_within(conn, sql, limits, cancel, limits.timeout)
}

/// [`run_query_reading`] given only `budget` instead of the full deadline: `None` when the
/// statement was still running when `budget` ran out (it was interrupted, and is to be run again
/// where it may take the full deadline).
pub fn run_query_briefly(
    conn: &Connection,
    sql: &str,
    limits: &QueryLimits,
    cancel: &Arc<AtomicBool>,
    budget: Duration,
) -> Option<Result<QueryOutput, QueryError>> {
    briefly(budget, limits, |budget| {
        run_within(conn, sql, limits, cancel, budget)
    })
}

/// Runs `run` under `budget` instead of the full deadline: `None` when it timed out (it is to be
/// run again where it may take the full deadline).
pub(super) fn briefly<T>(
    budget: Duration,
    limits: &QueryLimits,
    run: impl FnOnce(Duration) -> Result<T, QueryError>,
) -> Option<Result<T, QueryError>> {
    if budget >= limits.timeout {
        return Some(run(limits.timeout));
    }
    match run(budget) {
        Err(QueryError::Timeout { .. }) => None,
        outcome => Some(outcome),
    }
}

fn run_within(
    conn: &Connection,
    sql: &str,
    limits: &QueryLimits,
    cancel: &Arc<AtomicBool>,
    budget: Duration,
) -> Result<QueryOutput, QueryError> {
    let refusal = RefusalSlot::default();
    let slot = refusal.clone();
    let reads = ReadLog::default();
    let log = reads.clone();
    conn.authorizer(Some(move |ctx: rusqlite::hooks::AuthContext<'_>| {
        guard::authorize_recording(ctx, &slot, &log)
    }))
    .map_err(|e| QueryError::Unavailable(e.to_string()))?;
    let result = run_statement(conn, sql, limits, cancel, budget, &refusal, None)?;
    // The statement is finalised, so the authorizer holds no other handle on the log.
    let reads = match reads.lock() {
        Ok(mut log) => std::mem::take(&mut *log),
        Err(_) => ReadSet::default(),
    };
    Ok(QueryOutput { result, reads })
}

/// Runs `sql` on `conn`, whose authorizer leaves its refusals in `refusal`, until `budget` runs
/// out or `cancel` is set. With `kept`, the statement is taken from (or put in) the
/// connection's cache of prepared statements, and `kept` is called once it is there, before it
/// runs: a kept statement stays kept however its run ends.
pub(super) fn run_statement(
    conn: &Connection,
    sql: &str,
    limits: &QueryLimits,
    cancel: &Arc<AtomicBool>,
    budget: Duration,
    refusal: &RefusalSlot,
    kept: Option<&mut dyn FnMut()>,
) -> Result<ResultSet, QueryError> {
    check_text(sql, limits)?;
    let deadline = Instant::now() + budget;
    let stop = cancel.clone();
    conn.progress_handler(
        PROGRESS_CHECK_OPS,
        Some(move || stop.load(Ordering::Relaxed) || Instant::now() >= deadline),
    )
    .map_err(|e| QueryError::Unavailable(e.to_string()))?;

    let outcome = collect(conn, sql, refusal, kept);
    // The handler captured this query's deadline; a later query must not inherit it.
    let _ = conn.progress_handler(0, None::<fn() -> bool>);
    outcome.map_err(|e| classify(e, sql, refusal, limits, cancel))
}

fn check_text(sql: &str, limits: &QueryLimits) -> Result<(), QueryError> {
    if sql.len() > limits.max_sql_bytes {
        return Err(QueryError::TooLong {
            len: sql.len(),
            max: limits.max_sql_bytes,
        });
    }
    if sql.contains('\0') {
        return Err(QueryError::NulByte);
    }
    let meaningful = sql.trim().trim_end_matches(';').trim();
    if meaningful.is_empty() {
        return Err(QueryError::Empty);
    }
    Ok(())
}

/// What went wrong while preparing or stepping, in the agent's terms.
enum Failure {
    Sqlite(rusqlite::Error),
    NotReadOnly,
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Sqlite(e)
    }
}

/// A statement prepared for this query, or one kept from an earlier one.
enum Prepared<'c> {
    Fresh(Statement<'c>),
    Kept(CachedStatement<'c>),
}

impl<'c> Deref for Prepared<'c> {
    type Target = Statement<'c>;

    fn deref(&self) -> &Statement<'c> {
        match self {
            Prepared::Fresh(stmt) => stmt,
            Prepared::Kept(stmt) => stmt,
        }
    }
}

impl DerefMut for Prepared<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Prepared::Fresh(stmt) => stmt,
            Prepared::Kept(stmt) => stmt,
        }
    }
}

fn collect(
    conn: &Connection,
    sql: &str,
    refusal: &RefusalSlot,
    kept: Option<&mut dyn FnMut()>,
) -> Result<ResultSet, Failure> {
    let mut stmt = match kept {
        Some(kept) => {
            let stmt = conn.prepare_cached(sql)?;
            kept();
            Prepared::Kept(stmt)
        }
        None => Prepared::Fresh(conn.prepare(sql)?),
    };
    // The authorizer already refused writes; this catches anything it does not see.
    if !stmt.readonly() {
        return Err(Failure::NotReadOnly);
    }
    if stmt.column_count() == 0 {
        if let Ok(mut slot) = refusal.lock() {
            slot.get_or_insert_with(|| "a statement that returns no rows".to_owned());
        }
        return Err(Failure::NotReadOnly);
    }
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let width = columns.len();
    let mut result = ResultSet {
        columns,
        rows: Vec::new(),
        total_rows: 0,
    };
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        if result.rows.len() < KEPT_ROWS {
            let mut cells = Vec::with_capacity(width);
            for i in 0..width {
                cells.push(kept_cell(Cell::from_sql(row.get_ref(i)?)));
            }
            result.rows.push(cells);
        }
        result.total_rows += 1;
    }
    Ok(result)
}

fn kept_cell(cell: Cell) -> Cell {
    match cell {
        Cell::Text(s) if s.len() > KEPT_CELL_CHARS => {
            Cell::Text(s.chars().take(KEPT_CELL_CHARS).collect())
        }
        other => other,
    }
}

fn classify(
    failure: Failure,
    sql: &str,
    refusal: &RefusalSlot,
    limits: &QueryLimits,
    cancel: &AtomicBool,
) -> QueryError {
    let refused = refusal.lock().ok().and_then(|mut slot| slot.take());
    let denied = |e: &rusqlite::Error| {
        e.sqlite_error_code() == Some(ErrorCode::AuthorizationForStatementDenied)
    };
    match failure {
        Failure::NotReadOnly => {
            QueryError::Refused(refused.unwrap_or_else(|| "a statement that writes".into()))
        }
        Failure::Sqlite(rusqlite::Error::MultipleStatement) => QueryError::MultipleStatements,
        Failure::Sqlite(e) => {
            if let Some(what) = refused {
                return QueryError::Refused(what);
            }
            if denied(&e) {
                return QueryError::Refused(statement_head(sql));
            }
            match e.sqlite_error_code() {
                Some(ErrorCode::OperationInterrupted) if cancel.load(Ordering::Relaxed) => {
                    QueryError::Cancelled
                }
                Some(ErrorCode::OperationInterrupted) => QueryError::Timeout {
                    ms: limits.timeout.as_millis() as u64,
                },
                _ => QueryError::Sql(sqlite_message(&e)),
            }
        }
    }
}

/// The statement's leading keywords (`DROP TABLE`), to name a refusal the authorizer only saw
/// as an edit of SQLite's own schema table.
fn statement_head(sql: &str) -> String {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(2)
        .take_while(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase)
        .collect();
    if words.is_empty() {
        "this statement".to_owned()
    } else {
        words.join(" ")
    }
}

/// SQLite's own message ("no such column: nme"), without rusqlite's wrapping.
fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads_of(sql: &str) -> Vec<(String, String)> {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE singer (id INTEGER, name TEXT, age INTEGER);
             CREATE TABLE concert (id INTEGER, singer_id INTEGER);
             INSERT INTO singer VALUES (1, 'Ann', 30);",
        )
        .unwrap();
        let out = run_query_reading(
            &conn,
            sql,
            &QueryLimits::default(),
            &Arc::new(AtomicBool::new(false)),
        )
        .unwrap();
        let mut reads: Vec<_> = out
            .reads
            .iter()
            .map(|(t, c)| (t.to_owned(), c.to_owned()))
            .collect();
        reads.sort();
        reads
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(t, c)| ((*t).to_owned(), (*c).to_owned()))
            .collect()
    }

    #[test]
    fn the_authorizer_reports_every_column_read() {
        assert_eq!(
            reads_of("SELECT Name FROM Singer WHERE age > 20"),
            pairs(&[("singer", "age"), ("singer", "name")])
        );
        assert_eq!(
            reads_of("SELECT * FROM singer"),
            pairs(&[("singer", "age"), ("singer", "id"), ("singer", "name")])
        );
        assert_eq!(
            reads_of("SELECT s.name FROM singer s JOIN concert c ON c.singer_id = s.id"),
            pairs(&[
                ("concert", "singer_id"),
                ("singer", "id"),
                ("singer", "name")
            ])
        );
    }

    #[test]
    fn count_star_reads_the_table_with_an_empty_column() {
        assert_eq!(
            reads_of("SELECT count(*) FROM singer"),
            pairs(&[("singer", "")])
        );
    }

    #[test]
    fn constants_and_look_alike_ctes_read_nothing() {
        assert!(reads_of("SELECT 1943").is_empty());
        assert!(reads_of("SELECT 2*7 UNION ALL SELECT NULL").is_empty());
        assert!(reads_of("SELECT 'a', 'b'").is_empty());
        // A CTE named like a table is not that table.
        assert!(reads_of("WITH singer(name) AS (SELECT 'x') SELECT name FROM singer").is_empty());
    }

    #[test]
    fn a_dead_branch_still_reads_for_the_authorizer() {
        // What a probe that wants to pass the reward's gate does; the gate alone cannot tell.
        assert_eq!(
            reads_of("SELECT 2*5 WHERE 1 OR EXISTS (SELECT * FROM singer) UNION ALL SELECT NULL"),
            pairs(&[("singer", "age"), ("singer", "id"), ("singer", "name")])
        );
    }

    #[test]
    fn a_brief_run_gives_up_on_a_long_query_and_keeps_a_short_ones_result() {
        let conn = Connection::open_in_memory().unwrap();
        let limits = QueryLimits::default();
        let cancel = Arc::new(AtomicBool::new(false));
        let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                       SELECT count(*) FROM n";
        let budget = Duration::from_millis(1);
        assert!(run_query_briefly(&conn, endless, &limits, &cancel, budget).is_none());
        let short = run_query_briefly(&conn, "SELECT 7", &limits, &cancel, budget);
        assert_eq!(
            short.map(|o| o.map(|out| out.result.rows)),
            Some(Ok(vec![vec![Cell::Integer(7)]]))
        );
        // An error is an outcome, not a reason to run the query again.
        let refused = run_query_briefly(&conn, "DROP TABLE t", &limits, &cancel, budget);
        assert!(matches!(refused, Some(Err(_))));
    }

    #[test]
    fn run_query_keeps_its_result() {
        let conn = Connection::open_in_memory().unwrap();
        let result = run_query(
            &conn,
            "SELECT 1, 'a'",
            &QueryLimits::default(),
            &Arc::new(AtomicBool::new(false)),
        )
        .unwrap();
        assert_eq!(
            result.rows,
            vec![vec![Cell::Integer(1), Cell::Text("a".into())]]
        );
    }
}
