//! Layer 2's potential: how close a QUERY's result is to the gold result, as one of a few coarse
//! levels in [0, 1]. Exactly 1 for the gold result itself; degenerate results (nothing, a NULL, a
//! constant, a whole table) score at or near 0.

use std::collections::HashMap;

use crate::database::value::{Cell, ResultSet};
use crate::reward::config::{RewardConfig, MAX_PROGRESS_LEVELS};
use crate::reward::equality::result_cell_matches;
use crate::reward::normalize::ValueKey;
use crate::reward::numbers::GoldNumber;

/// Weight of the row-count similarity.
pub const CARDINALITY_WEIGHT: f64 = 0.25;
/// Weight of the shared cell values, the most telling signal.
pub const OVERLAP_WEIGHT: f64 = 0.50;
/// Weight of how close the numbers are.
pub const NUMERIC_WEIGHT: f64 = 0.25;

/// Absorbs rounding in the weighted sum so that a score sitting on a level boundary (0.75 computed
/// as 0.7499999...) is not floored to the level below.
const LEVEL_EPSILON: f64 = 1e-9;

/// Relative errors are measured against at least this magnitude, so a gold 0 is not infinitely
/// far from a result of 0.001.
const NUMERIC_SCALE_FLOOR: f64 = 1.0;

/// Leftover fractional gold values times leftover fractional result values up to which they are
/// paired by the cell equality; beyond it only equal keys count as shared (a lower Φ, never a
/// higher one).
const TOLERANT_PAIRING_LIMIT: usize = 1 << 16;

/// The coarsened potential of `result` against the gold rows.
pub fn potential(cfg: &RewardConfig, result: &ResultSet, gold: &[Vec<Cell>]) -> f64 {
    coarsen(raw_potential(result, gold), cfg.progress_levels)
}

/// The uncoarsened weighted score in [0, 1].
pub fn raw_potential(result: &ResultSet, gold: &[Vec<Cell>]) -> f64 {
    let result_cells = keyed(&result.rows);
    let gold_cells = keyed(gold);
    let overlap = value_overlap(&result_cells, &gold_cells);
    let result_keys: Vec<ValueKey> = result_cells.into_iter().map(|(k, _)| k).collect();
    let gold_keys: Vec<ValueKey> = gold_cells.into_iter().map(|(k, _)| k).collect();
    let numeric = numeric_proximity(&result_keys, &gold_keys).unwrap_or(overlap);
    // The row count alone says nothing about content: a one-row NULL has the "right" count for
    // every one-row gold. It counts only once the result shares a value or a number with gold.
    let cardinality = if overlap > 0.0 || numeric > 0.0 {
        cardinality(result.total_rows, gold.len() as u64)
    } else {
        0.0
    };
    let score =
        CARDINALITY_WEIGHT * cardinality + OVERLAP_WEIGHT * overlap + NUMERIC_WEIGHT * numeric;
    score.clamp(0.0, 1.0)
}

/// Floors `score` to one of `levels` evenly spaced values 0, 1/(levels-1), ..., 1.
pub fn coarsen(score: f64, levels: u32) -> f64 {
    let steps = f64::from(levels.clamp(2, MAX_PROGRESS_LEVELS) - 1);
    let score = if score.is_nan() {
        0.0
    } else {
        score.clamp(0.0, 1.0)
    };
    ((score * steps + LEVEL_EPSILON).floor() / steps).min(1.0)
}

fn keyed(rows: &[Vec<Cell>]) -> Vec<(ValueKey, &Cell)> {
    rows.iter()
        .flatten()
        .map(|c| (ValueKey::of_cell(c), c))
        .collect()
}

/// 1 - |rows - gold_rows| / max(rows, gold_rows, 1): 1 when both are empty, 0 when only one is.
fn cardinality(rows: u64, gold_rows: u64) -> f64 {
    let larger = rows.max(gold_rows).max(1);
    1.0 - rows.abs_diff(gold_rows) as f64 / larger as f64
}

/// Multiset Jaccard similarity of the cell values, |A ∩ B| / |A ∪ B|: values in common over
/// values in either, so extra values (a dumped table) dilute it as much as missing ones. Both
/// empty is an exact match (1); one empty shares nothing (0). A result value and a gold value are
/// shared exactly when the verifier's cell equality says so: equal keys, then fractional gold numbers paired with result numbers that state them at a
/// coarser precision (`ROUND(x, 2)`).
fn value_overlap(result: &[(ValueKey, &Cell)], gold: &[(ValueKey, &Cell)]) -> f64 {
    if result.is_empty() && gold.is_empty() {
        return 1.0;
    }
    let mut counts: HashMap<&ValueKey, KeyCount<'_>> = HashMap::new();
    for (key, cell) in result {
        let e = counts.entry(key).or_default();
        e.0 += 1;
        e.2 = Some(cell);
    }
    for (key, cell) in gold {
        let e = counts.entry(key).or_default();
        e.1 += 1;
        e.3 = Some(cell);
    }
    let mut shared = 0usize;
    let mut left_gold: Vec<&Cell> = Vec::new();
    let mut left_result: Vec<&Cell> = Vec::new();
    for (key, (r, g, r_cell, g_cell)) in &counts {
        shared += r.min(g);
        if let ValueKey::Float(_) = key {
            left_gold.extend(g_cell.iter().copied().cycle().take(g.saturating_sub(*r)));
            left_result.extend(r_cell.iter().copied().cycle().take(r.saturating_sub(*g)));
        }
    }
    shared += tolerant_pairs(&left_gold, &left_result);
    let union = (result.len() + gold.len()).saturating_sub(shared);
    if union == 0 {
        return 0.0;
    }
    shared as f64 / union as f64
}

/// Per key: how often the result and the gold hold it, and one cell of each that does.
type KeyCount<'a> = (usize, usize, Option<&'a Cell>, Option<&'a Cell>);

/// How many leftover fractional gold values a distinct leftover result value states.
fn tolerant_pairs(gold: &[&Cell], result: &[&Cell]) -> usize {
    if gold.is_empty() || result.is_empty() || gold.len() * result.len() > TOLERANT_PAIRING_LIMIT {
        return 0;
    }
    let mut used = vec![false; result.len()];
    gold.iter()
        .filter(|g| {
            let found = result
                .iter()
                .zip(used.iter_mut())
                .find(|(r, u)| !**u && result_cell_matches(g, r));
            found.map(|(_, u)| *u = true).is_some()
        })
        .count()
}

/// How close the result's numbers are to gold's: each gold number is scored against the nearest
/// result number by 1 / (1 + relative error), and the sum is divided by the larger of the two
/// counts, so surplus numbers (a dump that contains every value) cost as much as missing ones.
/// `None` when gold has no numbers (the caller then reuses the value overlap, which hands out no
/// free points); 0 when gold has numbers and the result none.
fn numeric_proximity(result: &[ValueKey], gold: &[ValueKey]) -> Option<f64> {
    let gold_numbers: Vec<f64> = gold.iter().filter_map(ValueKey::as_number).collect();
    if gold_numbers.is_empty() {
        return None;
    }
    let mut result_numbers: Vec<f64> = result.iter().filter_map(ValueKey::as_number).collect();
    if result_numbers.is_empty() {
        return Some(0.0);
    }
    result_numbers.sort_by(f64::total_cmp);
    let closeness: f64 = gold_numbers
        .iter()
        .map(|g| closeness(*g, nearest(&result_numbers, *g)))
        .sum();
    let count = gold_numbers.len().max(result_numbers.len()) as f64;
    Some((closeness / count).min(1.0))
}

/// The element of the sorted, non-empty `sorted` nearest to `x`.
fn nearest(sorted: &[f64], x: f64) -> f64 {
    let i = sorted.partition_point(|v| *v < x);
    let above = sorted.get(i).copied();
    let below = i.checked_sub(1).and_then(|j| sorted.get(j)).copied();
    match (below, above) {
        (Some(b), Some(a)) => {
            if x - b <= a - x {
                b
            } else {
                a
            }
        }
        (Some(v), None) | (None, Some(v)) => v,
        (None, None) => x,
    }
}

/// 1 for equal numbers (or one stating the other), falling smoothly with the error relative to the gold value.
fn closeness(gold: f64, got: f64) -> f64 {
    // A number that states the gold (the verifier's rule: 43.33 for 43.333...) is the gold. Only
    // a fractional gold can be stated by another number.
    let states = |g: f64| match GoldNumber::of_float(g) {
        Some(n @ GoldNumber::Fraction(_)) => n.matches(&got.to_string()),
        _ => false,
    };
    if gold == got || states(gold) {
        return 1.0;
    }
    let relative = (gold - got).abs() / gold.abs().max(NUMERIC_SCALE_FLOOR);
    let score = 1.0 / (1.0 + relative);
    if score.is_finite() {
        score
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn int(i: i64) -> Cell {
        Cell::Integer(i)
    }
    fn text(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
    fn result(rows: Vec<Vec<Cell>>) -> ResultSet {
        let total_rows = rows.len() as u64;
        ResultSet {
            columns: vec!["c".into()],
            rows,
            total_rows,
        }
    }
    fn pot(rows: Vec<Vec<Cell>>, gold: &[Vec<Cell>]) -> f64 {
        potential(&RewardConfig::default(), &result(rows), gold)
    }

    fn names_gold() -> Vec<Vec<Cell>> {
        vec![vec![text("Alice")], vec![text("Bob")], vec![text("Carol")]]
    }

    #[test]
    fn gold_result_scores_exactly_one() {
        let gold = names_gold();
        assert_eq!(pot(gold.clone(), &gold), 1.0);
        let mixed = vec![
            vec![int(1), Cell::Real(2.5), text("x"), Cell::Null],
            vec![int(-7), Cell::Null, text("y"), Cell::Real(0.1)],
        ];
        assert_eq!(pot(mixed.clone(), &mixed), 1.0);
        // Same multiset, other order and other spelling of the same values.
        let reordered = vec![
            vec![int(-7), Cell::Null, text(" Y "), Cell::Real(0.1)],
            vec![Cell::Real(1.0), Cell::Real(2.5), text("X"), Cell::Null],
        ];
        assert_eq!(pot(reordered, &mixed), 1.0);
        assert_eq!(pot(vec![vec![Cell::Null]], &[vec![Cell::Null]]), 1.0);
        assert_eq!(pot(vec![], &[]), 1.0);
    }

    #[test]
    fn degenerate_results_score_zero() {
        let names = names_gold();
        let count = vec![vec![int(7)]];
        let rows = |n: i64| {
            (0..n)
                .map(|i| vec![int(i), text(&format!("name{i}"))])
                .collect::<Vec<_>>()
        };
        for gold in [&names, &count] {
            assert_eq!(pot(vec![], gold), 0.0, "no rows");
            assert_eq!(pot(vec![vec![Cell::Null]], gold), 0.0, "one NULL");
            assert_eq!(pot(vec![vec![text("")]], gold), 0.0, "one empty string");
        }
        assert_eq!(pot(vec![vec![int(1)]], &names), 0.0, "SELECT 1 vs names");
        // A dumped table that contains the gold value somewhere.
        let mut dump = rows(500);
        dump.push(vec![int(7), text("Alice")]);
        assert_eq!(pot(dump.clone(), &count), 0.0, "dump vs count");
        assert_eq!(pot(dump, &names), 0.0, "dump vs names");
    }

    #[test]
    fn constant_guess_is_low_unless_exact() {
        let gold = vec![vec![int(7)]];
        // Right shape, wrong number: the lowest non-zero level at most.
        assert!(pot(vec![vec![int(1)]], &gold) <= 0.25);
        assert!(pot(vec![vec![int(6)]], &gold) <= 0.25);
        assert_eq!(pot(vec![vec![int(7)]], &gold), 1.0);
    }

    #[test]
    fn partial_results_score_in_between() {
        let gold = names_gold();
        let two = vec![vec![text("alice")], vec![text("BOB")]];
        let p = pot(two, &gold);
        assert!(p > 0.0 && p < 1.0, "{p}");
        let with_extra = vec![
            vec![text("Alice")],
            vec![text("Bob")],
            vec![text("Carol")],
            vec![text("Dan")],
        ];
        let p = pot(with_extra, &gold);
        assert!(p > 0.0 && p < 1.0, "{p}");
    }

    #[test]
    fn numbers_compare_as_numbers() {
        let gold = vec![vec![int(3)], vec![Cell::Real(2.5)]];
        let spelled = vec![vec![Cell::Real(3.0)], vec![text("2.5")]];
        assert_eq!(pot(spelled, &gold), 1.0);
    }

    #[test]
    fn values_are_shared_by_the_verifiers_equality() {
        // A fractional gold is stated by a result at a coarser precision, as by an answer.
        let gold = vec![vec![Cell::Real(43.333333333333336)], vec![Cell::Real(2.5)]];
        let rounded = vec![vec![Cell::Real(43.33)], vec![Cell::Real(2.5)]];
        assert_eq!(pot(rounded, &gold), 1.0);
        let too_coarse = vec![vec![Cell::Real(43.3)], vec![Cell::Real(2.5)]];
        assert!(pot(too_coarse, &gold) < 1.0);
        // Whole golds are exact: 1943 is not 1962.
        assert!(pot(vec![vec![int(1943)]], &[vec![Cell::Real(1962.0)]]) < 1.0);
        // Gold text '71' and `SELECT 71.0` (spider-dev-0155).
        assert_eq!(pot(vec![vec![Cell::Real(71.0)]], &[vec![text("71")]]), 1.0);
        // Codes with leading zeros are text.
        assert!(pot(vec![vec![int(7)]], &[vec![text("007")]]) < 1.0);
    }

    #[test]
    fn truncated_result_uses_total_rows_for_cardinality() {
        let gold: Vec<Vec<Cell>> = (0..4).map(|i| vec![int(i)]).collect();
        let mut r = result(gold.clone());
        r.total_rows = 400;
        assert!(potential(&RewardConfig::default(), &r, &gold) < 1.0);
    }

    #[test]
    fn components_behave() {
        assert_eq!(cardinality(0, 0), 1.0);
        assert_eq!(cardinality(0, 3), 0.0);
        assert_eq!(cardinality(3, 0), 0.0);
        assert_eq!(cardinality(2, 4), 0.5);
        let k = |v: &[i64]| v.iter().map(|i| ValueKey::Int(*i)).collect::<Vec<_>>();
        let cells = |v: &[i64]| v.iter().map(|i| vec![int(*i)]).collect::<Vec<_>>();
        let overlap = |a: &[i64], b: &[i64]| value_overlap(&keyed(&cells(a)), &keyed(&cells(b)));
        assert_eq!(overlap(&[1, 2], &[2, 3]), 1.0 / 3.0);
        assert_eq!(overlap(&[1, 1], &[1]), 0.5);
        assert_eq!(overlap(&[], &[1]), 0.0);
        assert_eq!(numeric_proximity(&k(&[7]), &k(&[7])), Some(1.0));
        assert_eq!(numeric_proximity(&k(&[7, 7, 7]), &k(&[7])), Some(1.0 / 3.0));
        assert_eq!(numeric_proximity(&[], &k(&[7])), Some(0.0));
        assert_eq!(
            numeric_proximity(&k(&[7]), &[ValueKey::Text("a".into())]),
            None
        );
        assert_eq!(nearest(&[1.0, 5.0, 9.0], 6.0), 5.0);
        assert_eq!(nearest(&[1.0, 5.0, 9.0], 100.0), 9.0);
        assert_eq!(closeness(0.0, 0.5), 1.0 / 1.5);
        assert_eq!(closeness(f64::MAX, -f64::MAX), 0.0);
    }

    #[test]
    fn coarsening_floors_to_levels() {
        assert_eq!(coarsen(0.74, 5), 0.5);
        assert_eq!(coarsen(0.75, 5), 0.75);
        assert_eq!(coarsen(0.7499999999999, 5), 0.75);
        assert_eq!(coarsen(0.99, 5), 0.75);
        assert_eq!(coarsen(1.0, 5), 1.0);
        assert_eq!(coarsen(f64::NAN, 5), 0.0);
        assert_eq!(coarsen(0.6, 2), 0.0);
        assert_eq!(coarsen(5.0, 0), 1.0);
    }

    fn cell_strategy() -> impl Strategy<Value = Cell> {
        prop_oneof![
            Just(Cell::Null),
            (-5i64..5).prop_map(Cell::Integer),
            (-5.0f64..5.0).prop_map(Cell::Real),
            "[a-c ]{0,3}".prop_map(Cell::Text),
            any::<f64>().prop_map(Cell::Real),
        ]
    }

    fn rows_strategy() -> impl Strategy<Value = Vec<Vec<Cell>>> {
        (1usize..4).prop_flat_map(|cols| {
            proptest::collection::vec(proptest::collection::vec(cell_strategy(), cols), 0..8)
        })
    }

    proptest! {
        #[test]
        fn potential_is_a_level_in_unit_range(
            rows in rows_strategy(),
            gold in rows_strategy(),
            extra in 0u64..5,
            levels in 2u32..12,
        ) {
            let cfg = RewardConfig { progress_levels: levels, ..Default::default() };
            let total_rows = rows.len() as u64 + extra;
            let r = ResultSet { columns: vec![], rows, total_rows };
            let p = potential(&cfg, &r, &gold);
            prop_assert!((0.0..=1.0).contains(&p));
            let scaled = p * f64::from(levels - 1);
            prop_assert!((scaled - scaled.round()).abs() < 1e-9, "{} not on a level", p);
        }

        #[test]
        fn gold_itself_is_one(gold in rows_strategy()) {
            let r = ResultSet { columns: vec![], rows: gold.clone(), total_rows: gold.len() as u64 };
            prop_assert_eq!(potential(&RewardConfig::default(), &r, &gold), 1.0);
        }
    }
}
