//! Whether an answer's rows fit an ordered gold's tie groups: position by position, each run of
//! rows the gold's sort keys cannot tell apart may come in any order, and where a LIMIT cuts a
//! tie, any of the tied rows may fill the remaining places. Rows are compared with the one cell
//! equality ([`cell_matches`]).

use crate::catalog::ties::TieGroups;
use crate::database::value::Cell;
use crate::reward::equality::cell_matches;
use crate::reward::normalize::{AnswerCell, Reading};

/// True when the reading has exactly the rows the tie groups allow, in their order.
pub fn fits_ties(reading: &Reading, ties: &TieGroups) -> bool {
    let mut rows = reading.iter();
    for segment in &ties.segments {
        let mut used = vec![false; segment.pool.len()];
        for _ in 0..segment.take {
            let Some(row) = rows.next() else {
                return false;
            };
            let found = segment
                .pool
                .iter()
                .zip(used.iter_mut())
                .find(|(gold, used)| !**used && row_matches(gold, row));
            match found {
                Some((_, slot)) => *slot = true,
                None => return false,
            }
        }
    }
    rows.next().is_none()
}

fn row_matches(gold: &[Cell], answer: &[AnswerCell]) -> bool {
    gold.len() == answer.len() && gold.iter().zip(answer).all(|(g, a)| cell_matches(g, a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ties::Segment;

    fn row(s: &str) -> Vec<AnswerCell> {
        vec![AnswerCell::Text(s.to_owned())]
    }
    fn gold(s: &str) -> Vec<Cell> {
        vec![Cell::Text(s.to_owned())]
    }

    #[test]
    fn any_order_within_a_tie_and_any_tied_row_at_a_cut() {
        // Ordered keys: a (alone), then b and c tied, then d, e, f tied, cut after one of them.
        let ties = TieGroups {
            segments: vec![
                Segment {
                    take: 1,
                    pool: vec![gold("a")],
                },
                Segment {
                    take: 2,
                    pool: vec![gold("b"), gold("c")],
                },
                Segment {
                    take: 1,
                    pool: vec![gold("d"), gold("e"), gold("f")],
                },
            ],
        };
        for ok in [
            ["a", "b", "c", "d"],
            ["a", "c", "b", "f"],
            ["a", "b", "c", "e"],
        ] {
            let reading: Reading = ok.iter().map(|s| row(s)).collect();
            assert!(fits_ties(&reading, &ties), "{ok:?}");
        }
        for bad in [
            vec!["b", "a", "c", "d"],
            vec!["a", "b", "b", "d"],
            vec!["a", "b", "c", "x"],
            vec!["a", "b", "c"],
            vec!["a", "b", "c", "d", "e"],
        ] {
            let reading: Reading = bad.iter().map(|s| row(s)).collect();
            assert!(!fits_ties(&reading, &ties), "{bad:?}");
        }
    }
}
