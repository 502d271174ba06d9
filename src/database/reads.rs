//! Which table data a query reads, as the SQLite authorizer reports it while the statement is
//! prepared: the (table, column) pairs of every SQLITE_READ. A query that reads a table without
//! taking any column value from it (`SELECT count(*) FROM t`) reports the table with an empty
//! column name. The reward gates the potential on this (`crate::reward::gate`): a result that
//! reads none of the gold's data, such as a constant, earns nothing.

/// The distinct (table, column) pairs a statement reads, names case-folded (SQLite's identifiers
/// are case-insensitive). Small: one entry per distinct column, not per row.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadSet {
    reads: Vec<(String, String)>,
}

impl ReadSet {
    /// Records one read; `column` is empty for a read of the table's rows only.
    pub fn insert(&mut self, table: &str, column: &str) {
        let table = table.to_ascii_lowercase();
        let column = column.to_ascii_lowercase();
        if !self.contains(&table, &column) {
            self.reads.push((table, column));
        }
    }

    fn contains(&self, table: &str, column: &str) -> bool {
        self.reads.iter().any(|(t, c)| t == table && c == column)
    }

    pub fn is_empty(&self) -> bool {
        self.reads.is_empty()
    }

    /// Every (table, column) pair, in the order first read.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.reads.iter().map(|(t, c)| (t.as_str(), c.as_str()))
    }

    /// Whether any column (or, with `column` empty, the rows) of `table` is read.
    pub fn reads_table(&self, table: &str) -> bool {
        self.reads.iter().any(|(t, _)| t == table)
    }

    /// Whether this exact column of `table` is read.
    pub fn reads_column(&self, table: &str, column: &str) -> bool {
        !column.is_empty() && self.contains(table, column)
    }
}

impl FromIterator<(&'static str, &'static str)> for ReadSet {
    fn from_iter<I: IntoIterator<Item = (&'static str, &'static str)>>(iter: I) -> Self {
        let mut set = ReadSet::default();
        for (t, c) in iter {
            set.insert(t, c);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_distinct_and_case_folded() {
        let mut set = ReadSet::default();
        set.insert("Singer", "Name");
        set.insert("singer", "name");
        set.insert("singer", "");
        assert_eq!(set.iter().count(), 2);
        assert!(set.reads_table("singer") && !set.reads_table("concert"));
        assert!(set.reads_column("singer", "name"));
        assert!(!set.reads_column("singer", ""), "a row read is no column");
        assert!(ReadSet::default().is_empty());
    }
}
