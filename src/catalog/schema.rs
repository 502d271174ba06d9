//! What the catalog knows of each database's tables, read once at start-up: columns, keys, row
//! counts, and the DESCRIBE and SAMPLE texts, which never change and so are rendered once.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::error::CatalogError;
use crate::database::limits::QueryLimits;
use crate::database::render::render_result;
use crate::database::value::{Cell, ResultSet};

/// Rows a SAMPLE shows.
pub const SAMPLE_ROWS: usize = 5;

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub sql_type: String,
    pub primary_key: bool,
    pub not_null: bool,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub from: String,
    pub table: String,
    pub to: String,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub foreign_keys: Vec<ForeignKey>,
    pub row_count: u64,
    /// The observation text of `DESCRIBE <table>`.
    pub describe: String,
    /// The observation text of `SAMPLE <table>`.
    pub sample: String,
    /// One line for `schema_info` once the table has been described.
    pub summary: String,
}

#[derive(Debug, Clone)]
pub struct Database {
    pub db_id: String,
    pub path: PathBuf,
    pub tables: Vec<Table>,
    /// `schema_info`'s first line, `Tables: a, b, c`: every observation starts with it.
    tables_line: String,
}

impl Database {
    pub fn new(db_id: String, path: PathBuf, tables: Vec<Table>) -> Self {
        let mut db = Database {
            db_id,
            path,
            tables,
            tables_line: String::new(),
        };
        db.tables_line = format!("Tables: {}", db.table_list());
        db
    }

    /// `Tables: a, b, c`.
    pub fn tables_line(&self) -> &str {
        &self.tables_line
    }

    /// Finds a table as an agent names it: case-insensitively (as SQLite does), ignoring one
    /// pair of quotes or brackets around the name.
    pub fn table_index(&self, name: &str) -> Option<usize> {
        let name = unquote(name.trim());
        self.tables
            .iter()
            .position(|t| t.name.eq_ignore_ascii_case(name))
    }

    pub fn table_names(&self) -> Vec<String> {
        self.tables.iter().map(|t| t.name.clone()).collect()
    }

    /// The table names as one line, `a, b, c`.
    pub fn table_list(&self) -> String {
        let mut list = String::new();
        for (i, table) in self.tables.iter().enumerate() {
            if i > 0 {
                list.push_str(", ");
            }
            list.push_str(&table.name);
        }
        list
    }
}

fn unquote(name: &str) -> &str {
    for (open, close) in [('"', '"'), ('\'', '\''), ('`', '`'), ('[', ']')] {
        if let Some(inner) = name.strip_prefix(open).and_then(|n| n.strip_suffix(close)) {
            return inner;
        }
    }
    name
}

/// SQLite identifier quoting, for the catalog's own start-up statements.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Reads every table of the database at `path` through `conn`.
pub fn introspect(db_id: &str, path: &Path, conn: &Connection) -> Result<Database, CatalogError> {
    let fail = |e: rusqlite::Error| CatalogError::Database {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let mut names_stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")
        .map_err(fail)?;
    let names: Vec<String> = names_stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(fail)?;
    let tables = names
        .iter()
        .map(|name| read_table(conn, name).map_err(fail))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Database::new(db_id.to_owned(), path.to_owned(), tables))
}

fn read_table(conn: &Connection, name: &str) -> rusqlite::Result<Table> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({})", quoted(name)))?;
    let columns = stmt
        .query_map([], |r| {
            Ok(Column {
                name: r.get(1)?,
                sql_type: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                not_null: r.get::<_, i64>(3)? != 0,
                primary_key: r.get::<_, i64>(5)? != 0,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare(&format!("PRAGMA foreign_key_list({})", quoted(name)))?;
    let foreign_keys = stmt
        .query_map([], |r| {
            Ok(ForeignKey {
                table: r.get(2)?,
                from: r.get(3)?,
                to: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let row_count: i64 =
        conn.query_row(&format!("SELECT count(*) FROM {}", quoted(name)), [], |r| {
            r.get(0)
        })?;
    let sample = read_sample(conn, name, row_count as u64)?;
    let mut table = Table {
        name: name.to_owned(),
        columns,
        foreign_keys,
        row_count: row_count as u64,
        describe: String::new(),
        sample,
        summary: String::new(),
    };
    table.describe = render_describe(&table);
    table.summary = render_summary(&table);
    Ok(table)
}

fn read_sample(conn: &Connection, name: &str, row_count: u64) -> rusqlite::Result<String> {
    let mut stmt = conn.prepare(&format!(
        "SELECT * FROM {} LIMIT {SAMPLE_ROWS}",
        quoted(name)
    ))?;
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let width = columns.len();
    let rows = stmt
        .query_map([], |r| {
            (0..width)
                .map(|i| r.get_ref(i).map(Cell::from_sql))
                .collect()
        })?
        .collect::<rusqlite::Result<Vec<Vec<Cell>>>>()?;
    let result = ResultSet {
        columns,
        rows,
        total_rows: row_count,
    };
    Ok(format!(
        "Sample of {name}:\n{}",
        render_result(&result, SAMPLE_ROWS, &QueryLimits::default())
    ))
}

fn render_describe(table: &Table) -> String {
    let mut out = format!(
        "Table {} ({} rows)\nColumns:\n",
        table.name, table.row_count
    );
    for c in &table.columns {
        let _ = write!(
            out,
            "  {} {}",
            c.name,
            if c.sql_type.is_empty() {
                "ANY"
            } else {
                &c.sql_type
            }
        );
        if c.primary_key {
            out.push_str(" PRIMARY KEY");
        }
        if c.not_null {
            out.push_str(" NOT NULL");
        }
        out.push('\n');
    }
    if !table.foreign_keys.is_empty() {
        out.push_str("Foreign keys:\n");
        for fk in &table.foreign_keys {
            let _ = writeln!(out, "  {} -> {}.{}", fk.from, fk.table, fk.to);
        }
    }
    out.pop();
    out
}

fn render_summary(table: &Table) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let key = if c.primary_key { " PK" } else { "" };
            format!("{} {}{key}", c.name, c.sql_type)
        })
        .collect();
    format!("{}({})", table.name, columns.join(", "))
}

#[cfg(test)]
mod tests {
    use super::unquote;

    #[test]
    fn unquote_strips_one_pair() {
        assert_eq!(unquote("\"singer\""), "singer");
        assert_eq!(unquote("[singer]"), "singer");
        assert_eq!(unquote("`singer`"), "singer");
        assert_eq!(unquote("singer; DROP TABLE x"), "singer; DROP TABLE x");
        assert_eq!(unquote("'a"), "'a");
    }
}
