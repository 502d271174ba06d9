//! Writing the SQL of generated questions: identifiers quoted only when they must be, so the
//! gold SQL reads like a person's, and values as SQLite literals.

use crate::database::value::Cell;

/// Words SQLite would read as keywords where a column or table name is expected.
const RESERVED: [&str; 24] = [
    "order", "group", "limit", "where", "select", "from", "table", "index", "default", "check",
    "primary", "key", "when", "case", "join", "on", "to", "match", "values", "as", "in", "by",
    "and", "or",
];

/// An identifier, in double quotes when it is not a plain word or is a keyword.
pub fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain && !RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A value as a SQL literal (text in single quotes), or `None` for NULL.
pub fn literal(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Null => None,
        Cell::Integer(i) => Some(i.to_string()),
        Cell::Real(f) => Some(f.to_string()),
        Cell::Text(s) => Some(format!("'{}'", s.replace('\'', "''"))),
    }
}

/// A value as a question shows it: text quoted, numbers bare.
pub fn spoken(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => format!("'{s}'"),
        other => other.display(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(ident("singer_id"), "singer_id");
        assert_eq!(ident("Order"), "\"Order\"");
        assert_eq!(ident("first name"), "\"first name\"");
        assert_eq!(
            literal(&Cell::Text("O'Brien".into())).as_deref(),
            Some("'O''Brien'")
        );
        assert_eq!(literal(&Cell::Real(2.5)).as_deref(), Some("2.5"));
        assert_eq!(literal(&Cell::Null), None);
    }
}
