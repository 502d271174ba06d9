//! The one cell equality of the reward: whether a value (an answer's cell, or a query result's)
//! states a gold cell. Answer verification compares every cell with it, and the progress
//! potential counts a result value as shared with gold exactly when it says so, so Φ = 1 and a
//! right answer never disagree about what equal means.
//!
//! - Numbers (an INTEGER or REAL gold, or gold text written as a plain number such as `'71'`)
//!   compare as numbers by [`GoldNumber::matches`]: whole values exactly, fractional ones at the
//!   precision the value is written at. Gold text `'71'` is therefore stated by `71`, `71.0` and
//!   `SELECT 71.0` alike.
//! - Text compares trimmed, case-folded and with whitespace collapsed, as a whole.
//! - NULL is stated by NULL or the word `null` (any case); a gold text `'null'` (which Spider
//!   databases use for missing data) is the same value.
//! - A blank value states only a blank gold text (an answer that is blank as a whole is refused
//!   before any cell is compared).

use crate::database::value::Cell;
use crate::reward::normalize::{same_normalized, AnswerCell};
use crate::reward::numbers::GoldNumber;

/// Whether `answer` states the gold cell.
pub fn cell_matches(gold: &Cell, answer: &AnswerCell) -> bool {
    let text = match answer {
        AnswerCell::Null => return is_null_like(gold),
        AnswerCell::Text(t) => t.trim(),
    };
    if is_null_like(gold) {
        return text.eq_ignore_ascii_case("null");
    }
    match gold {
        Cell::Null => false,
        Cell::Integer(g) => GoldNumber::Int(*g).matches(text),
        Cell::Real(g) => GoldNumber::of_float(*g).is_some_and(|n| n.matches(text)),
        Cell::Text(g) => {
            same_normalized(g, text) || GoldNumber::of_text(g).is_some_and(|n| n.matches(text))
        }
    }
}

/// Whether a query result's cell states the gold cell: the result cell read as an agent would
/// write it ([`Cell::display`]; NULL as NULL).
pub fn result_cell_matches(gold: &Cell, got: &Cell) -> bool {
    match got {
        Cell::Null => cell_matches(gold, &AnswerCell::Null),
        other => cell_matches(gold, &AnswerCell::Text(other.display())),
    }
}

/// NULL, or text that is the word null.
pub fn is_null_like(cell: &Cell) -> bool {
    match cell {
        Cell::Null => true,
        Cell::Text(t) => t.trim().eq_ignore_ascii_case("null"),
        Cell::Integer(_) | Cell::Real(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reward::normalize::ValueKey;
    use proptest::prelude::*;

    fn text(s: &str) -> AnswerCell {
        AnswerCell::Text(s.to_owned())
    }

    #[test]
    fn number_like_gold_text_compares_as_a_number() {
        // spider-dev-0155: gold text '71'; `SELECT 71.0` and the answer `71.0` agree.
        let gold = Cell::Text("71".into());
        assert!(cell_matches(&gold, &text("71.0")));
        assert!(cell_matches(&gold, &text("71")));
        assert!(result_cell_matches(&gold, &Cell::Real(71.0)));
        assert!(result_cell_matches(&gold, &Cell::Integer(71)));
        assert!(!cell_matches(&gold, &text("71.5")));
        // Codes with leading zeros stay text.
        let code = Cell::Text("007".into());
        assert!(cell_matches(&code, &text("007")));
        assert!(!cell_matches(&code, &text("7")));
        assert!(!result_cell_matches(&code, &Cell::Integer(7)));
    }

    #[test]
    fn null_and_the_word_null_are_one_value() {
        for gold in [
            Cell::Null,
            Cell::Text("null".into()),
            Cell::Text("NULL".into()),
        ] {
            assert!(cell_matches(&gold, &AnswerCell::Null));
            assert!(cell_matches(&gold, &text("NULL")));
            assert!(result_cell_matches(&gold, &Cell::Null));
            assert!(!cell_matches(&gold, &text("None")));
            assert!(!cell_matches(&gold, &text("0")));
        }
        assert!(!cell_matches(&Cell::Integer(0), &AnswerCell::Null));
    }

    #[test]
    fn blank_states_only_blank_text() {
        assert!(cell_matches(&Cell::Text(String::new()), &text(" ")));
        assert!(result_cell_matches(
            &Cell::Text(" ".into()),
            &Cell::Text(String::new())
        ));
        assert!(!cell_matches(&Cell::Null, &text("")));
        assert!(!cell_matches(&Cell::Integer(0), &text("")));
        assert!(!cell_matches(&Cell::Text("a".into()), &text("")));
    }

    #[test]
    fn fractional_result_cells_match_at_their_precision() {
        let gold = Cell::Real(43.333333333333336);
        assert!(result_cell_matches(&gold, &Cell::Real(43.33)));
        assert!(result_cell_matches(&gold, &Cell::Real(43.333333333333336)));
        assert!(!result_cell_matches(&gold, &Cell::Real(43.3)));
        assert!(!result_cell_matches(
            &Cell::Real(1962.0),
            &Cell::Integer(1943)
        ));
    }

    fn cell() -> impl Strategy<Value = Cell> {
        prop_oneof![
            Just(Cell::Null),
            (-50i64..50).prop_map(Cell::Integer),
            (-50i64..50).prop_map(|i| Cell::Real(i as f64)),
            (-500i64..500).prop_map(|i| Cell::Real(i as f64 / 8.0)),
            (-50i64..50).prop_map(|i| Cell::Text(i.to_string())),
            prop_oneof![
                Just("null"),
                Just(" A b"),
                Just("a  B"),
                Just(""),
                Just("007"),
                Just("2.5")
            ]
            .prop_map(|t| Cell::Text(t.to_owned())),
        ]
    }

    proptest! {
        /// The potential counts equal keys as shared values: equal keys must be equal cells.
        #[test]
        fn equal_keys_are_equal_cells(a in cell(), b in cell()) {
            if ValueKey::of_cell(&a) == ValueKey::of_cell(&b) {
                prop_assert!(result_cell_matches(&a, &b), "{:?} vs {:?}", a, b);
                prop_assert!(result_cell_matches(&b, &a), "{:?} vs {:?}", b, a);
            }
        }

        #[test]
        fn every_cell_states_itself(a in cell()) {
            prop_assert!(result_cell_matches(&a, &a));
        }
    }
}
