//! What generation needs to know about a database beyond its schema: which columns are keys,
//! measures (numeric values worth aggregating), categories (few distinct values) or labels (the
//! name of a row), and the foreign-key links between tables. Read once per database with a
//! plain read-only connection; nothing here is gold SQL.

use rusqlite::Connection;

use super::sql::ident;
use crate::catalog::schema::Database;
use crate::database::connection::open_read_only;
use crate::questions::words::words;

#[derive(Debug, Clone)]
pub struct ColumnProfile {
    pub name: String,
    /// The column name as words ("cell mobile number").
    pub words: String,
    /// A primary or foreign key, or named like an id: never aggregated or shown as a label.
    pub key_like: bool,
    pub non_null: u64,
    pub distinct: u64,
    /// Every non-NULL value is stored as an integer or a real.
    pub numeric: bool,
    /// The longest value, in characters.
    pub max_len: u64,
}

impl ColumnProfile {
    /// A number worth aggregating: numeric, not a key, and not constant.
    pub fn is_measure(&self) -> bool {
        self.numeric && !self.key_like && self.distinct >= 2
    }

    /// Text with a few repeating values: worth grouping by.
    pub fn is_category(&self) -> bool {
        !self.numeric
            && !self.key_like
            && (2..=12).contains(&self.distinct)
            && self.distinct < self.non_null
            && self.max_len <= 40
    }
}

#[derive(Debug, Clone)]
pub struct TableProfile {
    pub name: String,
    pub words: String,
    pub rows: u64,
    pub columns: Vec<ColumnProfile>,
    /// The column that names a row (a `name` or `title`), if the table has one.
    pub label: Option<usize>,
}

impl TableProfile {
    pub fn label(&self) -> Option<&ColumnProfile> {
        self.label.and_then(|i| self.columns.get(i))
    }

    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// A foreign key: rows of `child` refer to rows of `parent` through `child_col = parent_col`.
#[derive(Debug, Clone)]
pub struct Link {
    pub child: usize,
    pub child_col: String,
    pub parent: usize,
    pub parent_col: String,
}

#[derive(Debug, Clone)]
pub struct DbProfile {
    pub db_id: String,
    pub tables: Vec<TableProfile>,
    pub links: Vec<Link>,
}

/// Profiles every table and foreign key of `db`.
pub fn profile(db: &Database) -> Result<DbProfile, String> {
    let conn = open_read_only(&db.path).map_err(|e| format!("{}: {e}", db.path.display()))?;
    let mut tables = Vec::with_capacity(db.tables.len());
    for table in &db.tables {
        let fk_columns: Vec<String> = db
            .tables
            .iter()
            .flat_map(|t| {
                t.foreign_keys.iter().filter_map(move |fk| {
                    if t.name == table.name {
                        Some(fk.from.to_lowercase())
                    } else if fk.table.eq_ignore_ascii_case(&table.name) {
                        Some(fk.to.to_lowercase())
                    } else {
                        None
                    }
                })
            })
            .collect();
        let mut columns = Vec::with_capacity(table.columns.len());
        for column in &table.columns {
            let key_like = column.primary_key
                || fk_columns.contains(&column.name.to_lowercase())
                || named_like_id(&column.name);
            columns.push(
                profile_column(&conn, &table.name, &column.name, key_like)
                    .map_err(|e| format!("{}.{}: {e}", table.name, column.name))?,
            );
        }
        let label = pick_label(&columns);
        tables.push(TableProfile {
            name: table.name.clone(),
            words: words(&table.name),
            rows: table.row_count,
            columns,
            label,
        });
    }
    let mut links = Vec::new();
    for (child, table) in db.tables.iter().enumerate() {
        for fk in &table.foreign_keys {
            let Some(parent) = db.table_index(&fk.table) else {
                continue;
            };
            let parent_col = if fk.to.is_empty() {
                // A foreign key naming no column refers to the parent's primary key.
                match db.tables[parent].columns.iter().find(|c| c.primary_key) {
                    Some(pk) => pk.name.clone(),
                    None => continue,
                }
            } else {
                fk.to.clone()
            };
            // Spider's schemas have a few keys naming columns that do not exist: skip those.
            if tables[child].column(&fk.from).is_none()
                || tables[parent].column(&parent_col).is_none()
                || child == parent
            {
                continue;
            }
            links.push(Link {
                child,
                child_col: fk.from.clone(),
                parent,
                parent_col,
            });
        }
    }
    Ok(DbProfile {
        db_id: db.db_id.clone(),
        tables,
        links,
    })
}

/// `id`, `singer_id`, `StuID`, `PetId`: columns that identify rather than describe.
fn named_like_id(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "id"
        || lower.ends_with("_id")
        || name.ends_with("ID")
        || (name.ends_with("Id") && name.len() > 2)
}

fn profile_column(
    conn: &Connection,
    table: &str,
    column: &str,
    key_like: bool,
) -> rusqlite::Result<ColumnProfile> {
    let c = ident(column);
    let sql = format!(
        "SELECT count({c}), count(DISTINCT {c}), \
         coalesce(sum(typeof({c}) IN ('integer', 'real')), 0), coalesce(max(length({c})), 0) \
         FROM {}",
        ident(table)
    );
    let (non_null, distinct, numeric_count, max_len): (i64, i64, i64, i64) =
        conn.query_row(&sql, [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    Ok(ColumnProfile {
        name: column.to_owned(),
        words: words(column),
        key_like,
        non_null: non_null.max(0) as u64,
        distinct: distinct.max(0) as u64,
        numeric: non_null > 0 && numeric_count == non_null,
        max_len: max_len.max(0) as u64,
    })
}

/// The column that best names a row: a text `name`/`title` column, else the first text column
/// whose values are mostly distinct.
fn pick_label(columns: &[ColumnProfile]) -> Option<usize> {
    let texty = |c: &ColumnProfile| !c.numeric && !c.key_like && c.non_null > 0 && c.max_len <= 60;
    let named = columns.iter().position(|c| {
        let w = c.words.as_str();
        texty(c)
            && (w == "name"
                || w == "title"
                || w.ends_with(" name")
                || w.ends_with(" title")
                || w.starts_with("name"))
            && !w.starts_with("last")
    });
    named.or_else(|| {
        columns
            .iter()
            .position(|c| texty(c) && c.distinct * 2 >= c.non_null && c.distinct >= 2)
    })
}
