//! The values a query returns, independent of SQLite's borrowed row types, so results can cross
//! actor boundaries, be compared against gold answers and be stored as JSON in question files.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// One cell of a result. Serialised untagged, so a question file stores plain JSON values:
/// integers stay integers (`3`) and reals keep a fractional part (`3.0`), which is how the
/// integer/float distinction survives a round trip through JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

impl Cell {
    /// Converts a SQLite value; blobs become a short marker because an agent cannot use raw bytes
    /// and a gold answer must stay valid JSON text.
    pub fn from_sql(value: rusqlite::types::ValueRef<'_>) -> Self {
        use rusqlite::types::ValueRef;
        match value {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Integer(i),
            ValueRef::Real(f) => Cell::Real(f),
            ValueRef::Text(bytes) => Cell::Text(String::from_utf8_lossy(bytes).into_owned()),
            ValueRef::Blob(bytes) => Cell::Text(format!("<blob {} bytes>", bytes.len())),
        }
    }

    /// The numeric value of the cell, if it has one (text that parses as a number counts).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Integer(i) => Some(*i as f64),
            Cell::Real(f) => Some(*f),
            Cell::Text(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            Cell::Null => None,
        }
    }

    /// How the cell is shown to an agent: the text SQLite's own shell would print, NULL spelled out.
    pub fn display(&self) -> String {
        self.shown().into_owned()
    }

    /// [`Cell::display`] without copying text cells, for the per-step paths (rendering,
    /// fingerprints) that only read it.
    pub fn shown(&self) -> Cow<'_, str> {
        match self {
            Cell::Null => Cow::Borrowed("NULL"),
            Cell::Integer(i) => Cow::Owned(i.to_string()),
            Cell::Real(f) => Cow::Owned(format_real(*f)),
            Cell::Text(s) => Cow::Borrowed(s),
        }
    }
}

/// Reals print without a spurious fraction when whole (`3.0` -> `3.0`, not `3`), so an agent can
/// tell the column is REAL, and with Rust's shortest round-trip form otherwise.
fn format_real(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        f.to_string()
    }
}

/// A query result: column names, the rows kept (possibly fewer than were produced) and how many
/// rows the statement produced in all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultSet {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Every row the statement produced, including those not kept.
    pub total_rows: u64,
}

impl ResultSet {
    /// True when some produced rows were not kept.
    pub fn is_truncated(&self) -> bool {
        (self.rows.len() as u64) < self.total_rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_reals_survive_json() {
        let cells = vec![
            Cell::Integer(3),
            Cell::Real(3.0),
            Cell::Text("3".into()),
            Cell::Null,
        ];
        let json = serde_json::to_string(&cells).unwrap();
        assert_eq!(json, r#"[3,3.0,"3",null]"#);
        let back: Vec<Cell> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cells);
    }

    #[test]
    fn display_keeps_real_marker() {
        assert_eq!(Cell::Real(2.0).display(), "2.0");
        assert_eq!(Cell::Real(2.5).display(), "2.5");
        assert_eq!(Cell::Null.display(), "NULL");
        assert_eq!(Cell::Text(" 4.5 ".into()).as_f64(), Some(4.5));
    }
}
