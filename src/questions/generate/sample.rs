//! Real values to put in generated filters, read from the tables themselves so a filter can
//! match rows. Deterministic: values come back in a fixed order and are picked with the seeded
//! generator.

use std::collections::HashMap;

use rand::Rng;
use rusqlite::Connection;

use super::sql::ident;
use crate::catalog::schema::Database;
use crate::database::connection::open_read_only;
use crate::database::value::Cell;

/// Distinct values considered per column.
const VALUES_PER_COLUMN: usize = 200;

/// Longest text value used in a question: longer ones read badly.
const MAX_VALUE_CHARS: usize = 40;

pub struct Sampler {
    conn: Connection,
    cache: HashMap<(String, String), Vec<Cell>>,
}

impl Sampler {
    pub fn open(db: &Database) -> Result<Self, String> {
        let conn = open_read_only(&db.path).map_err(|e| format!("{}: {e}", db.path.display()))?;
        Ok(Sampler {
            conn,
            cache: HashMap::new(),
        })
    }

    /// The distinct non-NULL, short values of a column, in SQLite's sort order.
    pub fn values(&mut self, table: &str, column: &str) -> &[Cell] {
        let key = (table.to_owned(), column.to_owned());
        let conn = &self.conn;
        self.cache.entry(key).or_insert_with(|| {
            let c = ident(column);
            let sql = format!(
                "SELECT DISTINCT {c} FROM {} WHERE {c} IS NOT NULL ORDER BY {c} LIMIT {VALUES_PER_COLUMN}",
                ident(table)
            );
            read_values(conn, &sql)
                .unwrap_or_default()
                .into_iter()
                .filter(|v| match v {
                    Cell::Text(s) => {
                        !s.trim().is_empty()
                            && s.trim() == s
                            && s.chars().count() <= MAX_VALUE_CHARS
                            && !s.contains(['\n', '\r', '\t'])
                    }
                    Cell::Real(f) => f.is_finite(),
                    _ => true,
                })
                .collect()
        })
    }

    /// One value of a column, picked with `rng`.
    pub fn pick(&mut self, table: &str, column: &str, rng: &mut impl Rng) -> Option<Cell> {
        let values = self.values(table, column);
        if values.is_empty() {
            return None;
        }
        values.get(rng.gen_range(0..values.len())).cloned()
    }
}

fn read_values(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<Cell>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get_ref(0).map(Cell::from_sql))?;
    rows.collect()
}
