//! The gate on the potential: a QUERY's result earns a potential only if the query reads the
//! data the question is about. Φ compares results, so without a gate a constant
//! (`SELECT 1943`, `SELECT 2*m UNION ALL SELECT NULL`, `SELECT 'a', 'b'`) could be scored against
//! the gold and reveal it; with the gate a result that reads none of the gold's tables and
//! columns scores 0, whatever its values.

use crate::database::reads::ReadSet;

/// Whether a query reading `reads` may earn a potential against a gold that reads `gold`: it
/// must read at least one table the gold reads, and at least one column the gold reads, or,
/// when the gold takes no column value at all (`SELECT count(*) FROM t`), that table's rows.
/// A gold that reads nothing (a constant question) admits nothing: there is no data to prove.
pub fn admits(reads: &ReadSet, gold: &ReadSet) -> bool {
    let mut gold_columns = gold.iter().filter(|(_, c)| !c.is_empty()).peekable();
    if gold_columns.peek().is_none() {
        return gold.iter().any(|(t, _)| reads.reads_table(t));
    }
    gold_columns.any(|(t, c)| reads.reads_column(t, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_must_read_a_gold_column() {
        let gold: ReadSet = [("singer", "age"), ("singer", "name")]
            .into_iter()
            .collect();
        let same: ReadSet = [("singer", "name")].into_iter().collect();
        assert!(admits(&same, &gold));
        let other_column: ReadSet = [("singer", "country")].into_iter().collect();
        assert!(!admits(&other_column, &gold));
        let rows_only: ReadSet = [("singer", "")].into_iter().collect();
        assert!(!admits(&rows_only, &gold));
        let other_table: ReadSet = [("concert", "name")].into_iter().collect();
        assert!(!admits(&other_table, &gold));
        assert!(
            !admits(&ReadSet::default(), &gold),
            "a constant reads nothing"
        );
    }

    #[test]
    fn a_count_gold_asks_for_its_table() {
        let gold: ReadSet = [("singer", "")].into_iter().collect();
        assert!(admits(&[("singer", "")].into_iter().collect(), &gold));
        assert!(admits(&[("singer", "age")].into_iter().collect(), &gold));
        assert!(!admits(&[("concert", "")].into_iter().collect(), &gold));
        assert!(!admits(&ReadSet::default(), &gold));
        assert!(
            !admits(&gold, &ReadSet::default()),
            "a constant gold admits nothing"
        );
    }
}
