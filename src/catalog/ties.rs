//! Gold ties: which rows an ordered gold may hold at each position. A gold whose outer query has
//! `ORDER BY` fixes the order only between rows whose sort keys differ; rows with equal keys come
//! out in whatever order SQLite picks, and a `LIMIT` that cuts inside such a tie picks some of
//! the tied rows arbitrarily (`spider-dev-0229`: all 12 airlines have 100 flights, `LIMIT 1`
//! names one of them). So when the catalog loads, each ordered gold is rewritten with a real SQL
//! parser: LIMIT/OFFSET dropped and the ORDER BY expressions (aliases and ordinals resolved)
//! appended to the projection. The rewritten query runs under the same guard as the gold, its
//! rows are grouped by equal sort keys, and the groups the gold's window covers become the
//! [`TieGroups`] the verifier accepts. When the gold cannot be rewritten (a compound query, a
//! wildcard with an ordinal, DISTINCT with a sort key outside the projection, ...), or its own
//! rows do not fit the groups, the strict order stands and the reason is recorded.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlparser::ast::{
    Expr, LimitClause, OrderByKind, OrderBySort, Query, SelectItem, SetExpr, Statement, Value,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use super::suspects::{order_suspects, Suspect};
use crate::database::limits::QueryLimits;
use crate::database::query::run_query;
use crate::database::value::Cell;

/// The rewritten gold is trusted like the gold itself: the same generous limit.
const TIE_QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The rows an ordered gold may hold, position by position: the answer's rows are split into
/// runs of `take` rows, one per segment, and each run must be `take` distinct rows of its pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TieGroups {
    pub segments: Vec<Segment>,
}

/// One group of rows with equal sort keys that the gold's window covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// How many of the gold's rows fall in this group.
    pub take: usize,
    /// Every row of the group (the gold's projection only).
    pub pool: Vec<Vec<Cell>>,
}

impl TieGroups {
    /// Whether a LIMIT or OFFSET cuts inside a tie (some tied rows are not in the gold).
    pub fn cuts_a_tie(&self) -> bool {
        self.segments.iter().any(|s| s.take < s.pool.len())
    }
}

/// What the tie computation found for one gold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum OrderCheck {
    /// No ORDER BY on the outer query: rows compare as a multiset.
    #[default]
    Unordered,
    /// Ordered, and no two of the gold's rows share a sort key: the order is the gold's.
    Strict,
    /// Ordered with ties; `cut` when a LIMIT/OFFSET cuts inside one.
    Tied { cut: bool },
    /// Ordered, but the tie groups could not be derived: the strict order stands.
    Fallback(String),
}

/// The tie groups of an ordered gold (when it has ties), what was found, and suspect ordering.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TieAnalysis {
    pub check: OrderCheck,
    pub groups: Option<TieGroups>,
    pub suspects: Vec<Suspect>,
}

impl TieAnalysis {
    fn fallback(reason: impl Into<String>) -> Self {
        TieAnalysis {
            check: OrderCheck::Fallback(reason.into()),
            ..Default::default()
        }
    }
}

/// The gold rewritten to expose its sort keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Rewritten {
    pub sql: String,
    /// Rows the gold skips before its window (its OFFSET).
    pub offset: usize,
    /// How many sort-key columns were appended after the gold's own columns.
    pub keys: usize,
    /// For each sort key, whether it sorts descending.
    pub descending: Vec<bool>,
    /// When the gold has no LIMIT/OFFSET and every sort key is one of its own columns: those
    /// columns. The gold's rows then hold everything the groups need and nothing is run.
    pub key_columns: Option<Vec<usize>>,
}

/// Derives the tie groups of an ordered gold whose rows are `gold` (with `columns` columns), by
/// running the rewritten gold on `conn` (a hardened connection to its database).
pub fn analyse(
    conn: &rusqlite::Connection,
    sql: &str,
    columns: usize,
    gold: &[Vec<Cell>],
) -> TieAnalysis {
    let rewritten = match rewrite(sql) {
        Ok(r) => r,
        Err(reason) => return TieAnalysis::fallback(reason),
    };
    if let Some(key_columns) = &rewritten.key_columns {
        let rows: Vec<Vec<Cell>> = gold
            .iter()
            .map(|row| {
                let keys = key_columns.iter().filter_map(|&i| row.get(i).cloned());
                row.iter().cloned().chain(keys).collect()
            })
            .collect();
        return analyse_rows(&rows, columns, &rewritten, gold, false);
    }
    let limits = QueryLimits {
        timeout: TIE_QUERY_TIMEOUT,
        ..QueryLimits::default()
    };
    let result = match run_query(
        conn,
        &rewritten.sql,
        &limits,
        &Arc::new(AtomicBool::new(false)),
    ) {
        Ok(r) => r,
        Err(e) => return TieAnalysis::fallback(format!("rewritten gold does not run: {e}")),
    };
    analyse_rows(
        &result.rows,
        columns,
        &rewritten,
        gold,
        result.is_truncated(),
    )
}

/// Groups and suspects from the rewritten rows (the gold's columns, then its sort keys).
fn analyse_rows(
    rows: &[Vec<Cell>],
    columns: usize,
    rewritten: &Rewritten,
    gold: &[Vec<Cell>],
    truncated: bool,
) -> TieAnalysis {
    let mut analysis = groups_of(rows, columns, rewritten, gold, truncated);
    analysis.suspects.extend(order_suspects(
        rows,
        columns,
        rewritten.offset,
        gold.len(),
        &rewritten.descending,
    ));
    analysis
}

/// Splits the rewritten rows into groups of equal sort keys and keeps those the window covers.
fn groups_of(
    rows: &[Vec<Cell>],
    columns: usize,
    rewritten: &Rewritten,
    gold: &[Vec<Cell>],
    truncated: bool,
) -> TieAnalysis {
    let width = columns + rewritten.keys;
    if rows.iter().any(|r| r.len() != width) {
        return TieAnalysis::fallback("rewritten gold has an unexpected number of columns");
    }
    let (start, end) = (rewritten.offset, rewritten.offset + gold.len());
    if end > rows.len() {
        return TieAnalysis::fallback("rewritten gold returns fewer rows than the gold");
    }
    let key = |r: &Vec<Cell>| r.get(columns..).map(<[Cell]>::to_vec).unwrap_or_default();
    let mut segments = Vec::new();
    let mut group_start = 0;
    while group_start < rows.len() && group_start < end {
        let Some(first) = rows.get(group_start) else {
            break;
        };
        let first_key = key(first);
        let group_end = rows
            .iter()
            .skip(group_start)
            .position(|r| !keys_equal(&key(r), &first_key))
            .map_or(rows.len(), |n| group_start + n);
        if truncated && group_end == rows.len() {
            return TieAnalysis::fallback("the tie at the gold's last row runs past the kept rows");
        }
        let take = group_end.min(end).saturating_sub(group_start.max(start));
        if take > 0 {
            let pool = rows
                .get(group_start..group_end)
                .unwrap_or_default()
                .iter()
                .map(|r| r.get(..columns).map(<[Cell]>::to_vec).unwrap_or_default())
                .collect();
            segments.push(Segment { take, pool });
        }
        group_start = group_end;
    }
    let groups = TieGroups { segments };
    if !gold_fits(gold, &groups) {
        return TieAnalysis::fallback("the gold's rows do not fit the rewritten order");
    }
    if groups.segments.iter().all(|s| s.pool.len() == 1) {
        return TieAnalysis {
            check: OrderCheck::Strict,
            ..Default::default()
        };
    }
    TieAnalysis {
        check: OrderCheck::Tied {
            cut: groups.cuts_a_tie(),
        },
        groups: Some(groups),
        suspects: Vec::new(),
    }
}

/// The gold itself must be one of the answers the groups allow, or they describe another query.
fn gold_fits(gold: &[Vec<Cell>], groups: &TieGroups) -> bool {
    let mut rows = gold.iter();
    for segment in &groups.segments {
        let mut used = vec![false; segment.pool.len()];
        for _ in 0..segment.take {
            let Some(row) = rows.next() else {
                return false;
            };
            let slot = segment
                .pool
                .iter()
                .zip(used.iter_mut())
                .find(|(p, u)| !**u && rows_equal(p, row));
            match slot {
                Some((_, u)) => *u = true,
                None => return false,
            }
        }
    }
    rows.next().is_none()
}

fn rows_equal(a: &[Cell], b: &[Cell]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| sql_equal(x, y))
}

fn keys_equal(a: &[Cell], b: &[Cell]) -> bool {
    rows_equal(a, b)
}

/// Equality as SQLite's ORDER BY sees it (BINARY collation): numbers by value, text byte for
/// byte, NULLs equal to each other.
fn sql_equal(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Null, Cell::Null) => true,
        (Cell::Integer(x), Cell::Integer(y)) => x == y,
        (Cell::Integer(x), Cell::Real(y)) | (Cell::Real(y), Cell::Integer(x)) => (*x as f64) == *y,
        (Cell::Real(x), Cell::Real(y)) => x == y,
        (Cell::Text(x), Cell::Text(y)) => x == y,
        _ => false,
    }
}

/// Rewrites an ordered gold: no LIMIT/OFFSET, the sort keys appended to the projection.
pub fn rewrite(sql: &str) -> Result<Rewritten, String> {
    let mut statements =
        Parser::parse_sql(&SQLiteDialect {}, sql).map_err(|e| format!("does not parse: {e}"))?;
    if statements.len() != 1 {
        return Err("is not a single statement".into());
    }
    let Some(Statement::Query(mut query)) = statements.pop() else {
        return Err("is not a query".into());
    };
    let limited = query.limit_clause.is_some();
    let offset = take_offset(&mut query)?;
    let (terms, descending) = match query.order_by.as_ref().map(|o| &o.kind) {
        Some(OrderByKind::Expressions(exprs)) if !exprs.is_empty() => (
            exprs.iter().map(|e| e.expr.clone()).collect::<Vec<_>>(),
            exprs
                .iter()
                .map(|e| matches!(e.options.sort, Some(OrderBySort::Desc)))
                .collect::<Vec<_>>(),
        ),
        _ => return Err("has no ORDER BY expressions on the outer query".into()),
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return Err("is a compound query".into());
    };
    let mut keys = Vec::with_capacity(terms.len());
    for term in &terms {
        keys.push(resolve(term, &select.projection)?);
    }
    if select.distinct.is_some() {
        let projected: Vec<String> = select.projection.iter().filter_map(item_text).collect();
        if keys
            .iter()
            .any(|k| !projected.contains(&k.to_string().to_lowercase()))
        {
            return Err("is DISTINCT with a sort key outside its projection".into());
        }
    }
    let appended = keys.len();
    let key_columns = if limited {
        None
    } else {
        own_columns(&keys, &select.projection)
    };
    select
        .projection
        .extend(keys.into_iter().map(SelectItem::UnnamedExpr));
    Ok(Rewritten {
        sql: Statement::Query(query).to_string(),
        offset,
        keys: appended,
        descending,
        key_columns,
    })
}

/// The projection positions of the sort keys, when every key is a projection item and no item
/// is a wildcard (so positions are result columns).
fn own_columns(keys: &[Expr], projection: &[SelectItem]) -> Option<Vec<usize>> {
    let items: Option<Vec<String>> = projection.iter().map(item_text).collect();
    let items = items?;
    keys.iter()
        .map(|k| {
            let k = k.to_string().to_lowercase();
            items.iter().position(|i| *i == k)
        })
        .collect()
}

/// Removes LIMIT/OFFSET, returning the offset (a literal, or none).
fn take_offset(query: &mut Query) -> Result<usize, String> {
    let offset = match query.limit_clause.take() {
        None => None,
        Some(LimitClause::LimitOffset {
            offset, limit_by, ..
        }) => {
            if !limit_by.is_empty() {
                return Err("has LIMIT BY".into());
            }
            offset.map(|o| o.value)
        }
        Some(LimitClause::OffsetCommaLimit { offset, .. }) => Some(offset),
    };
    match offset {
        None => Ok(0),
        Some(expr) => literal_usize(&expr).ok_or_else(|| "has a non-literal OFFSET".into()),
    }
}

fn literal_usize(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// The expression a sort term stands for: an ordinal names a projection item, a bare name may be
/// an alias of one (SQLite resolves aliases first), anything else is itself.
fn resolve(term: &Expr, projection: &[SelectItem]) -> Result<Expr, String> {
    if let Some(n) = literal_usize(term) {
        let item = n
            .checked_sub(1)
            .and_then(|i| projection.get(i))
            .ok_or_else(|| format!("orders by column {n}, which its projection lacks"))?;
        return match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Ok(e.clone()),
            _ => Err("orders by the ordinal of a wildcard".into()),
        };
    }
    if let Expr::Identifier(ident) = term {
        let aliased = projection.iter().find_map(|item| match item {
            SelectItem::ExprWithAlias { expr, alias }
                if alias.value.eq_ignore_ascii_case(&ident.value) =>
            {
                Some(expr.clone())
            }
            _ => None,
        });
        if let Some(expr) = aliased {
            return Ok(expr);
        }
    }
    Ok(term.clone())
}

fn item_text(item: &SelectItem) -> Option<String> {
    match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
            Some(e.to_string().to_lowercase())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE airline (name TEXT, flights INTEGER, code TEXT);
             INSERT INTO airline VALUES ('Delta', 100, 'd'), ('United Airlines', 100, 'u'),
               ('JetBlue', 100, 'j'), ('Small', 5, 's'), ('Mid', 50, 'm');",
        )
        .unwrap();
        conn
    }

    fn run(conn: &rusqlite::Connection, sql: &str) -> (usize, Vec<Vec<Cell>>) {
        let r = run_query(
            conn,
            sql,
            &QueryLimits::default(),
            &Arc::new(AtomicBool::new(false)),
        )
        .unwrap();
        (r.columns.len(), r.rows)
    }

    #[test]
    fn rewrite_drops_limit_and_appends_resolved_keys() {
        let r = rewrite("SELECT name, count(*) AS c FROM t GROUP BY name ORDER BY c DESC LIMIT 3")
            .unwrap();
        assert_eq!(
            r.sql,
            "SELECT name, count(*) AS c, count(*) FROM t GROUP BY name ORDER BY c DESC"
        );
        assert_eq!((r.offset, r.keys, r.descending.clone()), (0, 1, vec![true]));
        let r = rewrite("SELECT a, b FROM t ORDER BY 2, a LIMIT 1 OFFSET 4").unwrap();
        assert_eq!(r.sql, "SELECT a, b, b, a FROM t ORDER BY 2, a");
        assert_eq!(r.offset, 4);
        assert_eq!(r.key_columns, None, "a LIMIT needs the rewritten query run");
        let r = rewrite("SELECT a, b AS x FROM t ORDER BY x DESC, 1").unwrap();
        assert_eq!(r.key_columns, Some(vec![1, 0]));
        let r = rewrite("SELECT a FROM t ORDER BY b").unwrap();
        assert_eq!(r.key_columns, None);
        for bad in [
            "SELECT a FROM t",
            "SELECT a FROM t UNION SELECT b FROM u ORDER BY 1",
            "SELECT * FROM t ORDER BY 1",
            "SELECT DISTINCT a FROM t ORDER BY b",
            "SELECT a FROM t ORDER BY a LIMIT 1 OFFSET ?",
            "not sql",
        ] {
            assert!(rewrite(bad).is_err(), "{bad}");
        }
        assert!(rewrite("SELECT DISTINCT a FROM t ORDER BY a").is_ok());
    }

    #[test]
    fn a_limit_inside_a_tie_accepts_every_tied_row() {
        let conn = conn();
        let sql = "SELECT name FROM airline ORDER BY flights DESC LIMIT 1";
        let (cols, gold) = run(&conn, sql);
        let a = analyse(&conn, sql, cols, &gold);
        assert_eq!(a.check, OrderCheck::Tied { cut: true });
        let groups = a.groups.unwrap();
        assert_eq!(groups.segments.len(), 1);
        assert_eq!(groups.segments[0].take, 1);
        assert_eq!(groups.segments[0].pool.len(), 3);
        assert!(groups.segments[0]
            .pool
            .contains(&vec![Cell::Text("United Airlines".into())]));
    }

    #[test]
    fn distinct_keys_stay_strict_and_ties_without_limit_are_groups() {
        let conn = conn();
        let sql = "SELECT name FROM airline WHERE flights < 100 ORDER BY flights";
        let (cols, gold) = run(&conn, sql);
        assert_eq!(analyse(&conn, sql, cols, &gold).check, OrderCheck::Strict);
        let sql = "SELECT code FROM airline ORDER BY flights";
        let (cols, gold) = run(&conn, sql);
        let a = analyse(&conn, sql, cols, &gold);
        assert_eq!(a.check, OrderCheck::Tied { cut: false });
        let takes: Vec<usize> = a.groups.unwrap().segments.iter().map(|s| s.take).collect();
        assert_eq!(takes, vec![1, 1, 3]);
        let sql = "SELECT name FROM airline ORDER BY flights DESC LIMIT 2 OFFSET 2";
        let (cols, gold) = run(&conn, sql);
        let a = analyse(&conn, sql, cols, &gold);
        let segs = a.groups.unwrap().segments;
        assert_eq!((segs[0].take, segs[0].pool.len()), (1, 3));
        assert_eq!((segs[1].take, segs[1].pool.len()), (1, 1));
    }

    #[test]
    fn keys_among_the_gold_columns_need_no_second_run() {
        let conn = conn();
        let sql = "SELECT name, flights FROM airline ORDER BY flights DESC";
        let (cols, gold) = run(&conn, sql);
        // The database is not consulted: a connection without the table still finds the ties.
        let empty = rusqlite::Connection::open_in_memory().unwrap();
        let a = analyse(&empty, sql, cols, &gold);
        assert_eq!(a.check, OrderCheck::Tied { cut: false });
        let takes: Vec<usize> = a.groups.unwrap().segments.iter().map(|s| s.take).collect();
        assert_eq!(takes, vec![3, 1, 1]);
    }

    #[test]
    fn a_gold_that_does_not_fit_falls_back() {
        let conn = conn();
        let sql = "SELECT name FROM airline ORDER BY flights DESC LIMIT 1";
        let a = analyse(&conn, sql, 1, &[vec![Cell::Text("Small".into())]]);
        assert!(matches!(a.check, OrderCheck::Fallback(_)), "{:?}", a.check);
        assert!(a.groups.is_none());
    }
}
