//! Golds whose answer a strict grader would not trust as it stands: text compared as text where
//! it means numbers, and NULL-like text (`'null'`, `'None'`, `''`, `'N/A'`) that sorts, or is
//! answered, as if it were a value. Found when the catalog proves each gold; `sqlenv questions
//! audit` lists them and `data/questions/exclusions.json` keeps such golds from being served.

use serde::{Deserialize, Serialize};

use crate::catalog::numbers::{is_number_text, parse_number};
use crate::database::value::Cell;

/// Text that stands for a missing value (compared case-insensitively, trimmed).
pub const NULL_LIKE: [&str; 4] = ["null", "none", "n/a", ""];

/// One reason to distrust a gold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Suspect {
    /// A sort key is text holding numbers, and as text it sorts them out of numeric order.
    TextSortedAsNumbers { key: usize },
    /// A sort key of a row at or before the gold's last row is NULL-like text, which sorts as
    /// a value instead of as NULL.
    NullLikeSortKey { key: usize, value: String },
    /// A cell of the gold result is NULL-like text: an honest answer cannot tell it from NULL.
    NullLikeResult { value: String },
}

impl Suspect {
    pub fn describe(&self) -> String {
        match self {
            Suspect::TextSortedAsNumbers { key } => {
                format!(
                    "sort key {} is text holding numbers, sorted as text",
                    key + 1
                )
            }
            Suspect::NullLikeSortKey { key, value } => {
                format!("sort key {} holds the NULL-like text {value:?}", key + 1)
            }
            Suspect::NullLikeResult { value } => {
                format!("the result holds the NULL-like text {value:?}")
            }
        }
    }
}

pub fn is_null_like_text(s: &str) -> bool {
    let t = s.trim();
    NULL_LIKE.iter().any(|n| t.eq_ignore_ascii_case(n))
}

/// NULL-like text among the gold's cells (each distinct value once).
pub fn result_suspects(gold: &[Vec<Cell>]) -> Vec<Suspect> {
    let mut found: Vec<Suspect> = Vec::new();
    for cell in gold.iter().flatten() {
        if let Cell::Text(t) = cell {
            let s = Suspect::NullLikeResult { value: t.clone() };
            if is_null_like_text(t) && !found.contains(&s) {
                found.push(s);
            }
        }
    }
    found
}

/// Suspect sort keys of a rewritten ordered gold: `rows` carry the gold's `columns` cells, then
/// one cell per sort key; the gold's window is `n` rows from `offset`.
pub fn order_suspects(
    rows: &[Vec<Cell>],
    columns: usize,
    offset: usize,
    n: usize,
    descending: &[bool],
) -> Vec<Suspect> {
    let mut found = Vec::new();
    let upto = rows.get(..(offset + n).min(rows.len())).unwrap_or_default();
    for (key, desc) in descending.iter().enumerate() {
        let column: Vec<&Cell> = rows.iter().filter_map(|r| r.get(columns + key)).collect();
        // Later keys are sorted only within ties of the earlier ones, so only the first is
        // checked for numeric order.
        if key == 0 && text_sorted_as_numbers(&column, *desc) {
            found.push(Suspect::TextSortedAsNumbers { key });
        }
        let null_like = upto.iter().find_map(|r| match r.get(columns + key) {
            Some(Cell::Text(t)) if is_null_like_text(t) => Some(t.clone()),
            _ => None,
        });
        if let Some(value) = null_like {
            found.push(Suspect::NullLikeSortKey { key, value });
        }
    }
    found
}

/// Every value of the key is text (NULL-like text aside) written as a plain number, and taken as
/// numbers the values are out of the order the query asked for.
fn text_sorted_as_numbers(column: &[&Cell], descending: bool) -> bool {
    let mut numbers = Vec::with_capacity(column.len());
    for cell in column {
        match cell {
            Cell::Null => {}
            Cell::Text(t) if is_null_like_text(t) => {}
            Cell::Text(t) if is_number_text(t) => match parse_number(t) {
                Some(v) => numbers.push(v),
                None => return false,
            },
            _ => return false,
        }
    }
    numbers.windows(2).any(|w| match w {
        [a, b] if descending => a < b,
        [a, b] => a > b,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    #[test]
    fn text_holding_numbers_sorted_as_text_is_suspect() {
        // ORDER BY mpg DESC over text: 'null' > '9' > '10' as text.
        let rows = vec![
            vec![t("mazda"), t("null")],
            vec![t("ford"), t("9")],
            vec![t("fiat"), t("10")],
        ];
        let found = order_suspects(&rows, 1, 0, 1, &[true]);
        assert!(found.contains(&Suspect::TextSortedAsNumbers { key: 0 }));
        assert!(found.contains(&Suspect::NullLikeSortKey {
            key: 0,
            value: "null".into()
        }));
        // Same texts in numeric order are fine.
        let rows = vec![vec![t("a"), t("10")], vec![t("b"), t("9")]];
        assert!(order_suspects(&rows, 1, 0, 2, &[true]).is_empty());
        // Integers are never suspect.
        let rows = vec![
            vec![t("a"), Cell::Integer(1)],
            vec![t("b"), Cell::Integer(2)],
        ];
        assert!(order_suspects(&rows, 1, 0, 2, &[false]).is_empty());
    }

    #[test]
    fn null_like_keys_past_the_window_do_not_matter() {
        let rows = vec![vec![t("a"), t("x")], vec![t("b"), t("null")]];
        assert!(order_suspects(&rows, 1, 0, 1, &[false]).is_empty());
    }

    #[test]
    fn null_like_results() {
        let gold = vec![vec![t("None"), t("a")], vec![t(""), t("None")]];
        assert_eq!(
            result_suspects(&gold),
            vec![
                Suspect::NullLikeResult {
                    value: "None".into()
                },
                Suspect::NullLikeResult { value: "".into() }
            ]
        );
        assert!(result_suspects(&[vec![t("Nonesuch"), Cell::Null]]).is_empty());
    }
}
