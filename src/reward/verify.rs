//! Layer 3: decides whether a free-text ANSWER states exactly the gold result, typed by the gold's
//! answer type. Matching is whole-value and multiset-exact after normalisation: never substring,
//! never "contains", and an empty answer is always wrong.

use std::cmp::Ordering;
use std::ops::ControlFlow;

use crate::catalog::question::{AnswerType, Question};
use crate::catalog::ties::TieGroups;
use crate::database::value::Cell;
use crate::reward::config::RewardConfig;
use crate::reward::equality::cell_matches;
use crate::reward::formats::GoldShape;
use crate::reward::normalize::{
    for_each_reading, is_empty_answer, unwrap_answer, AnswerCell, Reading, ValueKey,
};
use crate::reward::numbers::GoldNumber;
use crate::reward::tie_match::fits_ties;

/// Answers longer than this are wrong without being read, so verification stays cheap whatever
/// the agent sends. Far above any honest answer to a Spider question.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Up to this many rows, an unordered comparison that fails by sorted pairing is retried by
/// greedy matching (quadratic); beyond it sorted pairing decides alone.
const GREEDY_MATCH_LIMIT: usize = 256;

/// The gold result an answer is checked against.
pub struct Gold<'a> {
    pub rows: &'a [Vec<Cell>],
    /// Kept for callers and reports; cells are compared by their own values whatever the type.
    pub answer_type: AnswerType,
    /// Whether the order of the rows matters (the gold SQL sorts its result).
    pub ordered: bool,
}

/// What the catalog proved about a gold besides its rows: its column names (for headers and
/// object keys) and, for an ordered gold with ties, the rows each position may hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct GoldFacts<'a> {
    pub columns: &'a [String],
    pub ties: Option<&'a TieGroups>,
}

/// Checks an ANSWER against a loaded question's gold, with everything the catalog proved about it.
pub fn verify_question(cfg: &RewardConfig, answer: &str, question: &Question) -> Verdict {
    let gold = Gold {
        rows: &question.gold_answer,
        answer_type: question.answer_type,
        ordered: question.is_ordered(),
    };
    let facts = GoldFacts {
        columns: &question.proven.columns,
        ties: question.proven.ties.as_ref(),
    };
    verify_with_facts(cfg, answer, &gold, &facts)
}

/// The outcome of verification. `reason` is short text for logs and the agent; it never contains
/// a gold value.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub correct: bool,
    pub reason: String,
}

impl Verdict {
    fn wrong(reason: impl Into<String>) -> Self {
        Self {
            correct: false,
            reason: reason.into(),
        }
    }
}

/// How one reading of the answer compares with the gold rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    WrongShape,
    Mismatch,
    WrongOrder,
    Match,
}

/// Checks an ANSWER against the gold result alone (no column names, no ties).
pub fn verify_answer(cfg: &RewardConfig, answer: &str, gold: &Gold<'_>) -> Verdict {
    verify_with_facts(cfg, answer, gold, &GoldFacts::default())
}

/// Checks an ANSWER against the gold result and what is known about it. No setting of `_cfg`
/// bears on verification any more: number tolerance follows from how the answer is written.
pub fn verify_with_facts(
    _cfg: &RewardConfig,
    answer: &str,
    gold: &Gold<'_>,
    facts: &GoldFacts<'_>,
) -> Verdict {
    if answer.len() > MAX_ANSWER_BYTES {
        return Verdict::wrong(format!(
            "answer too long ({} bytes, limit {MAX_ANSWER_BYTES})",
            answer.len()
        ));
    }
    let unwrapped = unwrap_answer(answer);
    if is_empty_answer(unwrapped) {
        return Verdict::wrong("empty answer");
    }
    if gold.rows.is_empty() {
        return Verdict::wrong("question has no verifiable answer");
    }
    let shape = GoldShape {
        one_row: gold.rows.len() == 1,
        columns: facts.columns,
        all_numeric: all_numeric(gold.rows),
    };
    let mut best = Comparison::WrongShape;
    let mut first: Option<Reading> = None;
    let mut judge = |reading: Reading| {
        let outcome = compare(&reading, gold, facts.ties);
        best = best.max_by_rank(outcome);
        first.get_or_insert(reading);
        if outcome == Comparison::Match {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    // Also read the answer as sent, in case a value itself begins like a wrapping ("Answer Inc").
    let raw = answer.trim();
    let matched = for_each_reading(unwrapped, &shape, &mut judge).is_break()
        || (raw != unwrapped && for_each_reading(raw, &shape, &mut judge).is_break());
    if matched {
        return Verdict {
            correct: true,
            reason: match_reason(gold),
        };
    }
    let reason = match best {
        Comparison::WrongOrder => "right values in the wrong order".to_owned(),
        Comparison::Mismatch => "values do not match gold".to_owned(),
        _ => shape_reason(gold, first.as_ref()),
    };
    Verdict::wrong(reason)
}

impl Comparison {
    /// The most informative of two failures: wrong order beats mismatch beats wrong shape.
    fn max_by_rank(self, other: Self) -> Self {
        let rank = |c: Self| match c {
            Comparison::WrongShape => 0,
            Comparison::Mismatch => 1,
            Comparison::WrongOrder => 2,
            Comparison::Match => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// Every non-NULL gold cell is a number (and there is one): a header of words cannot be its data.
fn all_numeric(rows: &[Vec<Cell>]) -> bool {
    let mut any = false;
    for cell in rows.iter().flatten() {
        let numeric = match cell {
            Cell::Null => continue,
            Cell::Integer(_) | Cell::Real(_) => true,
            Cell::Text(t) => GoldNumber::of_text(t).is_some(),
        };
        if !numeric {
            return false;
        }
        any = true;
    }
    any
}

fn columns(gold: &Gold<'_>) -> usize {
    gold.rows.iter().map(Vec::len).max().unwrap_or(0)
}

fn match_reason(gold: &Gold<'_>) -> String {
    let order = if gold.ordered { "ordered" } else { "unordered" };
    let (rows, cols) = (gold.rows.len(), columns(gold));
    if cols == 1 {
        format!("matches gold ({rows} {}, {order})", plural(rows, "value"))
    } else {
        format!(
            "matches gold ({rows} {} of {cols} columns, {order})",
            plural(rows, "row")
        )
    }
}

/// Says how the answer's size differs from the gold's, reading the answer the most natural way.
fn shape_reason(gold: &Gold<'_>, primary: Option<&Reading>) -> String {
    let (rows, cols) = (gold.rows.len(), columns(gold));
    let got_rows = primary.map_or(0, Vec::len);
    if cols == 1 {
        let got: usize = primary.map_or(0, |r| r.iter().map(Vec::len).sum());
        format!("expected {rows} {}, got {got}", plural(rows, "value"))
    } else {
        let got_cols = primary.and_then(|r| r.first()).map_or(0, Vec::len);
        format!(
            "expected {rows} {} of {cols} columns, got {got_rows} {} of {got_cols}",
            plural(rows, "row"),
            plural(got_rows, "row")
        )
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// Compares one reading with gold: same number of rows and cells per row first, then the rows in
/// order when gold is ordered (any order within a tie, any tied row at a LIMIT that cuts a tie),
/// as a multiset otherwise.
fn compare(reading: &Reading, gold: &Gold<'_>, ties: Option<&TieGroups>) -> Comparison {
    let same_shape = reading.len() == gold.rows.len()
        && reading
            .iter()
            .zip(gold.rows)
            .all(|(a, g)| a.len() == g.len());
    // Ragged gold rows are compared row by row, so the shape check must not depend on order.
    let same_widths = || {
        let mut a: Vec<usize> = reading.iter().map(Vec::len).collect();
        let mut g: Vec<usize> = gold.rows.iter().map(Vec::len).collect();
        a.sort_unstable();
        g.sort_unstable();
        a == g
    };
    if !(same_shape || same_widths()) {
        return Comparison::WrongShape;
    }
    let ctx = Ctx;
    // Rows in the gold's own order (as a query printed them) match without sorting either side.
    let in_order = same_shape
        && reading
            .iter()
            .zip(gold.rows)
            .all(|(a, g)| ctx.row_matches(g, a));
    if gold.ordered {
        if let Some(ties) = ties {
            if same_shape && fits_ties(reading, ties) {
                return Comparison::Match;
            }
        }
        if in_order {
            return Comparison::Match;
        }
        return if ctx.multiset_matches(reading, gold.rows) {
            Comparison::WrongOrder
        } else {
            Comparison::Mismatch
        };
    }
    if in_order || ctx.multiset_matches(reading, gold.rows) {
        Comparison::Match
    } else {
        Comparison::Mismatch
    }
}

/// Row and multiset comparison built on the one cell equality.
struct Ctx;

impl Ctx {
    fn row_matches(&self, gold: &[Cell], answer: &[AnswerCell]) -> bool {
        gold.len() == answer.len()
            && gold
                .iter()
                .zip(answer)
                .all(|(g, a)| self.cell_matches(g, a))
    }

    /// Rows as multisets: sort both sides by value and pair them up; when that fails on a small
    /// result, retry by greedy matching (tolerant floats or text that looks numeric can sort
    /// differently on the two sides).
    fn multiset_matches(&self, answer: &Reading, gold: &[Vec<Cell>]) -> bool {
        let mut gold_sorted: Vec<(Vec<ValueKey>, &Vec<Cell>)> = gold
            .iter()
            .map(|r| (r.iter().map(ValueKey::of_cell).collect(), r))
            .collect();
        let mut answer_sorted: Vec<(Vec<ValueKey>, &Vec<AnswerCell>)> = answer
            .iter()
            .map(|r| (r.iter().map(answer_key).collect(), r))
            .collect();
        gold_sorted.sort_by(|a, b| cmp_rows(&a.0, &b.0));
        answer_sorted.sort_by(|a, b| cmp_rows(&a.0, &b.0));
        if gold_sorted.len() == answer_sorted.len()
            && gold_sorted
                .iter()
                .zip(&answer_sorted)
                .all(|(g, a)| self.row_matches(g.1, a.1))
        {
            return true;
        }
        gold.len() <= GREEDY_MATCH_LIMIT && self.greedy_matches(answer, gold)
    }

    fn greedy_matches(&self, answer: &Reading, gold: &[Vec<Cell>]) -> bool {
        let mut used = vec![false; answer.len()];
        gold.iter().all(|g| {
            let found = answer
                .iter()
                .enumerate()
                .find(|(i, a)| !used.get(*i).copied().unwrap_or(true) && self.row_matches(g, a));
            match found {
                Some((i, _)) => {
                    if let Some(slot) = used.get_mut(i) {
                        *slot = true;
                    }
                    true
                }
                None => false,
            }
        })
    }

    fn cell_matches(&self, gold: &Cell, answer: &AnswerCell) -> bool {
        cell_matches(gold, answer)
    }
}

/// The sort key of an answer cell, built like a gold cell's so that equal values sort alike.
fn answer_key(cell: &AnswerCell) -> ValueKey {
    match cell {
        AnswerCell::Null => ValueKey::Null,
        AnswerCell::Text(t) => ValueKey::of_answer_text(t),
    }
}

fn cmp_rows(a: &[ValueKey], b: &[ValueKey]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| cmp_keys(x, y))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.len().cmp(&b.len()))
}

/// NULL first, then numbers by value, then text.
fn cmp_keys(a: &ValueKey, b: &ValueKey) -> Ordering {
    fn rank(k: &ValueKey) -> u8 {
        match k {
            ValueKey::Null => 0,
            ValueKey::Int(_) | ValueKey::Float(_) => 1,
            ValueKey::Text(_) => 2,
        }
    }
    fn number(k: &ValueKey) -> f64 {
        match k {
            ValueKey::Int(i) => *i as f64,
            ValueKey::Float(bits) => f64::from_bits(*bits),
            ValueKey::Null | ValueKey::Text(_) => 0.0,
        }
    }
    match (a, b) {
        (ValueKey::Text(x), ValueKey::Text(y)) => x.cmp(y),
        (ValueKey::Int(x), ValueKey::Int(y)) => x.cmp(y),
        _ if rank(a) == 1 && rank(b) == 1 => number(a).total_cmp(&number(b)),
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn int(i: i64) -> Cell {
        Cell::Integer(i)
    }
    fn real(f: f64) -> Cell {
        Cell::Real(f)
    }
    fn text(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    fn check(answer: &str, rows: &[Vec<Cell>], answer_type: AnswerType, ordered: bool) -> Verdict {
        let gold = Gold {
            rows,
            answer_type,
            ordered,
        };
        verify_answer(&RewardConfig::default(), answer, &gold)
    }

    fn ok(answer: &str, rows: &[Vec<Cell>], t: AnswerType, ordered: bool) {
        let v = check(answer, rows, t, ordered);
        assert!(v.correct, "{answer:?} should match {rows:?}: {}", v.reason);
    }

    fn bad(answer: &str, rows: &[Vec<Cell>], t: AnswerType, ordered: bool) {
        let v = check(answer, rows, t, ordered);
        assert!(!v.correct, "{answer:?} should not match {rows:?}");
    }

    fn column(cells: Vec<Cell>) -> Vec<Vec<Cell>> {
        cells.into_iter().map(|c| vec![c]).collect()
    }

    use AnswerType::{Float, Integer, List, Table};

    #[test]
    fn wrappings_are_stripped() {
        let g = [vec![int(42)]];
        for a in [
            "42",
            " 42\n",
            "```\n42\n```",
            "```sql\n42\n```",
            "```text\n42\n```",
            "Answer: 42",
            "answer is 42",
            "The answer is 42.",
            "ANSWER: \"42\"",
            "'42'",
            "`42`",
            "**42**",
            "Final answer: 42",
        ] {
            ok(a, &g, Integer, false);
        }
        let s = [vec![text("Paris")]];
        for a in [
            "Paris",
            "\"Paris\"",
            "The answer is Paris.",
            "```\nParis\n```",
            "paris",
        ] {
            ok(a, &s, AnswerType::String, false);
        }
        for a in ["42 apples", "Answer: 43", "\"42", "answer42", "about 42"] {
            bad(a, &g, Integer, false);
        }
    }

    #[test]
    fn integers_compare_exactly() {
        let g = [vec![int(3)]];
        for a in ["3", "3.0", "3.00", "+3", "[3]", "[[3]]"] {
            ok(a, &g, Integer, false);
        }
        for a in ["3.5", "3.01", "2.999", "4", "three", "30", "03x", "3, 3"] {
            bad(a, &g, Integer, false);
        }
        ok("1,234", &[vec![int(1234)]], Integer, false);
        ok("1234", &[vec![int(1234)]], Integer, false);
        bad("1,23,4", &[vec![int(1234)]], Integer, false);
        ok(
            "9223372036854775807",
            &[vec![int(i64::MAX)]],
            Integer,
            false,
        );
        bad(
            "9223372036854775806",
            &[vec![int(i64::MAX)]],
            Integer,
            false,
        );
        // A whole REAL gold of an integer question is compared exactly too.
        ok("5", &[vec![real(5.0)]], Integer, false);
        bad("5.2", &[vec![real(5.0)]], Integer, false);
    }

    #[test]
    fn whole_golds_compare_exactly_whatever_the_type() {
        // The issue's wrong answers, once "correct" by a 1% tolerance.
        for (gold, wrong) in [
            (real(1962.0), "1943"),
            (int(154), "153"),
            (real(207.0), "205"),
            (int(6_209_222_712), "6150000000"),
            (real(6_209_222_712.0), "6150000000"),
        ] {
            let g = [vec![gold.clone()]];
            bad(wrong, &g, Float, false);
            bad(wrong, &g, Integer, false);
            ok(&gold.display(), &g, Float, false);
        }
        ok("1962", &[vec![real(1962.0)]], Float, false);
        ok("3.0", &[vec![int(3)]], Float, false);
        bad("3.02", &[vec![int(3)]], Float, false);
        ok("0", &[vec![real(0.0)]], Float, false);
        ok("-0.0", &[vec![real(0.0)]], Float, false);
        bad("0.0000001", &[vec![real(0.0)]], Float, false);
    }

    #[test]
    fn fractional_golds_compare_at_the_written_precision() {
        let g = [vec![real(12.3456)]];
        for a in ["12.35", "12.346", "12.3456", "1.23456e1", "Answer: 12.35"] {
            ok(a, &g, Float, false);
        }
        for a in [
            "12.3", "12", "12.34", "12.5", "-12.3456", "12.35%", "nan", "1.2345e1",
        ] {
            bad(a, &g, Float, false);
        }
        let g = [vec![real(2.5)]];
        ok("2.5", &g, Float, false);
        ok("2.50", &g, Float, false);
        bad("3", &g, Float, false);
        ok("43.33", &[vec![real(43.333333333333336)]], Float, false);
        bad("43.3", &[vec![real(43.333333333333336)]], Float, false);
    }

    #[test]
    fn a_grouped_number_is_not_a_pair() {
        ok("989,201", &[vec![int(989_201)]], Integer, false);
        bad("989,201", &column(vec![int(989), int(201)]), List, false);
        ok("989, 201", &column(vec![int(989), int(201)]), List, false);
        bad("989,201", &[vec![int(989), int(201)]], Table, false);
    }

    #[test]
    fn number_like_gold_text_is_a_number() {
        // spider-dev-0155: the gold is the text '71'; `SELECT 71.0` reaches Φ = 1, so 71.0 is right.
        let g = [vec![text("71")]];
        for a in ["71", "71.0", "71.00"] {
            ok(a, &g, AnswerType::String, false);
        }
        bad("71.5", &g, AnswerType::String, false);
        bad("72", &g, AnswerType::String, false);
        let result = crate::database::value::ResultSet {
            columns: vec!["x".into()],
            rows: vec![vec![real(71.0)]],
            total_rows: 1,
        };
        let phi = crate::reward::potential::potential(&RewardConfig::default(), &result, &g);
        assert_eq!(phi, 1.0);
    }

    fn with_columns(answer: &str, rows: &[Vec<Cell>], columns: &[&str], ordered: bool) -> bool {
        let columns: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
        let gold = Gold {
            rows,
            answer_type: Table,
            ordered,
        };
        let facts = GoldFacts {
            columns: &columns,
            ties: None,
        };
        verify_with_facts(&RewardConfig::default(), answer, &gold, &facts).correct
    }

    #[test]
    fn json_objects_and_python_reprs() {
        let names = column(vec![text("Alice"), text("Bob")]);
        assert!(with_columns(
            r#"[{"name": "Alice"}, {"name": "Bob"}]"#,
            &names,
            &["name"],
            false
        ));
        assert!(with_columns("['Alice', 'Bob']", &names, &["name"], false));
        assert!(with_columns(
            r#"{"count": 6}"#,
            &[vec![int(6)]],
            &["count(*)"],
            false
        ));
        assert!(with_columns(
            "{'count': 6}",
            &[vec![int(6)]],
            &["count(*)"],
            false
        ));
        assert!(!with_columns(
            r#"{"count": 7}"#,
            &[vec![int(6)]],
            &["count(*)"],
            false
        ));
        let people = vec![vec![text("Alice"), int(30)], vec![text("Bob"), int(25)]];
        let cols = ["name", "age"];
        for a in [
            "[('Alice', 30), ('Bob', 25)]",
            r#"[{"name": "Alice", "age": 30}, {"name": "Bob", "age": 25}]"#,
            // Keys in another order are read by the gold's column names.
            r#"[{"age": 30, "name": "Alice"}, {"age": 25, "name": "Bob"}]"#,
        ] {
            assert!(with_columns(a, &people, &cols, false), "{a}");
        }
        assert!(with_columns("('Alice', 30)", &people[..1], &cols, false));
        assert!(with_columns(
            "('Alice', None)",
            &[vec![text("Alice"), Cell::Null]],
            &cols,
            false
        ));
        for a in [
            "[('Alice', 30)]",
            "[('Alice', 30), ('Bob', 26)]",
            r#"[{"name": "Alice", "years": 30, "x": 1}, {"name": "Bob", "years": 25, "x": 1}]"#,
            "[('Alice', '30'), ('Bob', 25), ('Carol', 20)]",
        ] {
            assert!(!with_columns(a, &people, &cols, false), "{a}");
        }
    }

    #[test]
    fn csv_and_tsv_headers_only_when_they_are_headers() {
        let people = vec![vec![text("Alice"), int(30)], vec![text("Bob"), int(25)]];
        let cols = ["T1.name", "age"];
        for a in [
            "name,age\nAlice,30\nBob,25",
            "Name\tAge\nAlice\t30\nBob\t25",
            "```csv\nNAME, AGE\nAlice, 30\nBob, 25\n```",
        ] {
            assert!(with_columns(a, &people, &cols, false), "{a}");
        }
        // A first line that names no column is data: an extra row stays an extra row.
        assert!(!with_columns(
            "Carol,20\nAlice,30\nBob,25",
            &people,
            &cols,
            false
        ));
        assert!(!with_columns(
            "who,years\nAlice,30\nBob,25",
            &people,
            &cols,
            false
        ));
        assert!(!with_columns("name,age\nAlice,30", &people, &cols, false));
        // Words over an all-numeric gold are a header whatever they say.
        let counts = column(vec![int(6), int(2)]);
        assert!(with_columns("count\n6\n2", &counts, &["count(*)"], false));
        assert!(with_columns("total\n6\n2", &counts, &["count(*)"], false));
        assert!(!with_columns("5\n6\n2", &counts, &["count(*)"], false));
        assert!(!with_columns("null\n6\n2", &counts, &["count(*)"], false));
    }

    #[test]
    fn numbered_lists() {
        let g = column(vec![text("Alice"), text("Bob")]);
        ok("1. Alice\n2. Bob", &g, List, true);
        ok("1) Alice\n2) Bob", &g, List, true);
        bad("1. Bob\n2. Alice", &g, List, true);
        bad("2. Alice\n3. Bob", &g, List, false);
        let t = vec![vec![text("Alice"), int(30)], vec![text("Bob"), int(25)]];
        ok("1. Alice | 30\n2. Bob | 25", &t, Table, true);
        // A number list whose values are numbers is not mistaken for numbering.
        ok("1.5\n2.5", &column(vec![real(1.5), real(2.5)]), List, true);
    }

    #[test]
    fn free_prose_stays_refused() {
        let g = column(vec![text("Alice"), text("Bob")]);
        for a in [
            "The singers are Alice and Bob.",
            "Alice and Bob",
            "Alice (30) and Bob (25)",
        ] {
            bad(a, &g, List, false);
        }
    }

    #[test]
    fn tie_groups_accept_any_tied_row_and_nothing_else() {
        use crate::catalog::ties::{Segment, TieGroups};
        // spider-dev-0229 in small: three airlines tie at the top, the gold names one.
        let gold_rows = vec![vec![text("Delta")]];
        let ties = TieGroups {
            segments: vec![Segment {
                take: 1,
                pool: vec![
                    vec![text("Delta")],
                    vec![text("United Airlines")],
                    vec![text("JetBlue")],
                ],
            }],
        };
        let gold = Gold {
            rows: &gold_rows,
            answer_type: AnswerType::String,
            ordered: true,
        };
        let facts = GoldFacts {
            columns: &[],
            ties: Some(&ties),
        };
        let v = |a: &str| verify_with_facts(&RewardConfig::default(), a, &gold, &facts).correct;
        assert!(v("United Airlines"));
        assert!(v("Delta"));
        assert!(v("jetblue"));
        assert!(!v("Small Air"));
        assert!(!v("Delta, United Airlines"));
        // Without the groups only the gold's pick is right.
        assert!(!verify_answer(&RewardConfig::default(), "United Airlines", &gold).correct);
    }

    #[test]
    fn strings_compare_normalised() {
        let g = [vec![text("New  York City")]];
        for a in [
            "New York City",
            "new york city",
            "  NEW\tYORK   CITY ",
            "'new york city'",
        ] {
            ok(a, &g, AnswerType::String, false);
        }
        for a in ["New York", "New York City, USA", "NewYorkCity", "York"] {
            bad(a, &g, AnswerType::String, false);
        }
    }

    #[test]
    fn lists_compare_as_multisets() {
        let g = column(vec![text("a"), text("b"), text("b")]);
        for a in [
            "a, b, b",
            "b, a, b",
            "a\nb\nb",
            "[\"b\",\"a\",\"b\"]",
            "- a\n- b\n- b",
            "a,b,b",
            "'a', 'b', 'b'",
        ] {
            ok(a, &g, List, false);
        }
        for a in [
            "a, b",
            "a, a, b",
            "a, b, b, c",
            "a b b",
            "[\"a\",\"b\"]",
            "a, b, bb",
        ] {
            bad(a, &g, List, false);
        }
        let nums = column(vec![int(1), int(2)]);
        ok("[2, 1]", &nums, List, false);
        ok("2\n1", &nums, List, false);
        bad("[1, 2, 3]", &nums, List, false);
    }

    #[test]
    fn ordered_lists_need_order() {
        let g = column(vec![int(3), int(1), int(2)]);
        ok("3, 1, 2", &g, List, true);
        let v = check("1, 2, 3", &g, List, true);
        assert!(!v.correct);
        assert_eq!(v.reason, "right values in the wrong order");
        ok("1, 2, 3", &g, List, false);
    }

    #[test]
    fn a_single_string_with_a_comma_verifies_whole() {
        let g = [vec![text("Smith, John")]];
        ok("Smith, John", &g, AnswerType::String, false);
        ok("\"Smith, John\"", &g, AnswerType::String, false);
        bad("Smith", &g, AnswerType::String, false);
        bad("John, Smith", &g, AnswerType::String, false);
        // ...while a two-value list still needs both values.
        let two = column(vec![text("Smith"), text("John")]);
        ok("Smith, John", &two, List, false);
        bad("Smith John", &two, List, false);
    }

    #[test]
    fn tables_as_pipes_json_and_markdown() {
        let g = vec![vec![text("Alice"), int(30)], vec![text("Bob"), int(25)]];
        for a in [
            "Alice | 30\nBob | 25",
            "Bob | 25\nAlice | 30",
            "[[\"Alice\", 30], [\"Bob\", 25]]",
            "| name | age |\n|------|-----|\n| Alice | 30 |\n| Bob | 25 |",
            "| Alice | 30 |\n| Bob | 25 |",
            "Alice\t30\nBob\t25",
            "Alice, 30\nBob, 25",
            "```\nAlice | 30\nBob | 25\n```",
        ] {
            ok(a, &g, Table, false);
        }
        for a in [
            "Alice | 30",
            "30 | Alice\n25 | Bob",
            "Alice | 30\nBob | 26",
            "Alice | 30\nBob | 25\nCarol | 20",
            "Alice, 30, Bob, 25",
            "[[\"Alice\", 30, 1], [\"Bob\", 25, 1]]",
            "| name | age |\n|---|---|\n| Alice | 30 |",
        ] {
            bad(a, &g, Table, false);
        }
        // One gold row of several columns may be written as a flat list.
        let one = [vec![text("Alice"), int(30)]];
        ok("Alice, 30", &one, Table, false);
        ok("[\"Alice\", 30]", &one, Table, false);
        ok("Alice | 30", &one, Table, false);
        bad("30, Alice", &one, Table, false);
    }

    #[test]
    fn null_is_strict() {
        let g = [vec![Cell::Null]];
        ok("NULL", &g, AnswerType::String, false);
        ok("null", &g, AnswerType::String, false);
        ok("[null]", &g, AnswerType::String, false);
        for a in ["None", "", "nil", "0", "N/A", "\"\""] {
            bad(a, &g, AnswerType::String, false);
        }
        let row = [vec![text("Alice"), Cell::Null]];
        ok("Alice | NULL", &row, Table, false);
        ok("[\"Alice\", null]", &row, Table, false);
        bad("Alice |", &row, Table, false);
        bad("Alice | None", &row, Table, false);
        // A NULL answer is not a value of a non-NULL gold.
        bad("null", &[vec![int(0)]], Integer, false);
        bad("null", &[vec![text("x")]], AnswerType::String, false);
    }

    #[test]
    fn empty_answers_are_always_wrong() {
        let empty_gold: Vec<Vec<Cell>> = vec![];
        for a in [
            "",
            "   ",
            "[]",
            "[[]]",
            "none",
            "None",
            "No results",
            "```\n```",
            "\"\"",
            "Answer:",
        ] {
            let v = check(a, &empty_gold, List, false);
            assert!(!v.correct);
            assert_eq!(v.reason, "empty answer", "{a:?}");
            bad(a, &[vec![text("")]], AnswerType::String, false);
            bad(a, &[vec![int(0)]], Integer, false);
        }
        bad("0", &empty_gold, List, false);
        bad("anything", &empty_gold, List, false);
    }

    #[test]
    fn never_substring_or_superset() {
        bad("10", &[vec![int(1)]], Integer, false);
        bad("1", &[vec![int(10)]], Integer, false);
        bad("x = 10", &[vec![text("x = 1")]], AnswerType::String, false);
        bad("x = 1", &[vec![text("x = 10")]], AnswerType::String, false);
        let every: String = (1..=100)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        bad(&every, &[vec![int(7)]], Integer, false);
        bad("1, 2, 3, ..., 100", &[vec![int(7)]], Integer, false);
        bad("7, 7", &[vec![int(7)]], Integer, false);
        bad(
            "Alice or Bob",
            &[vec![text("Alice")]],
            AnswerType::String,
            false,
        );
    }

    #[test]
    fn injection_is_just_a_wrong_string() {
        for a in [
            "' OR 1=1 --",
            "\"; DROP TABLE singer; --",
            "1 OR 1=1",
            "*",
            "SELECT * FROM t",
        ] {
            bad(a, &[vec![int(1)]], Integer, false);
            bad(a, &[vec![text("Alice")]], AnswerType::String, false);
        }
        ok(
            "' OR 1=1 --",
            &[vec![text("' OR 1=1 --")]],
            AnswerType::String,
            false,
        );
    }

    #[test]
    fn huge_answers_are_refused_cheaply() {
        let huge = "7, ".repeat(MAX_ANSWER_BYTES);
        let v = check(&huge, &[vec![int(7)]], Integer, false);
        assert!(
            !v.correct && v.reason.starts_with("answer too long"),
            "{}",
            v.reason
        );
        let big_but_allowed = "x".repeat(MAX_ANSWER_BYTES);
        bad(&big_but_allowed, &[vec![int(7)]], Integer, false);
    }

    #[test]
    fn reasons_never_leak_gold() {
        let g = column(vec![text("Zanzibar"), text("Quux")]);
        for a in [
            "Zanzibar",
            "Zanzibar, Other",
            "Quux, Zanzibar, Extra",
            "Quux, Zanzibar",
        ] {
            let v = check(a, &g, List, true);
            assert!(!v.reason.to_lowercase().contains("zanzibar"));
            assert!(!v.reason.to_lowercase().contains("quux"));
        }
        assert_eq!(
            check("Zanzibar", &g, List, false).reason,
            "expected 2 values, got 1"
        );
        assert_eq!(
            check("Zanzibar, Quux", &g, List, false).reason,
            "matches gold (2 values, unordered)"
        );
        let t = vec![vec![text("a"), int(1)], vec![text("b"), int(2)]];
        assert_eq!(
            check("a | 1", &t, Table, false).reason,
            "expected 2 rows of 2 columns, got 1 row of 2"
        );
        assert_eq!(
            check("b | 2\na | 1", &t, Table, true).reason,
            "right values in the wrong order"
        );
        assert_eq!(
            check("a | 1\nb | 3", &t, Table, false).reason,
            "values do not match gold"
        );
    }

    #[test]
    fn raw_answer_is_read_when_unwrapping_eats_a_value() {
        ok(
            "Answer Inc",
            &[vec![text("Answer Inc")]],
            AnswerType::String,
            false,
        );
        ok("Jr.", &[vec![text("Jr.")]], AnswerType::String, false);
        ok("Jr.", &[vec![text("Jr")]], AnswerType::String, false);
        bad("Jr", &[vec![text("Jr.")]], AnswerType::String, false);
    }

    #[test]
    fn tolerant_multiset_falls_back_to_matching() {
        // Text that looks numeric sorts as a number on one side only.
        let g = column(vec![text("null"), int(1)]);
        ok("1, null", &g, List, false);
        let g = column(vec![real(1.0), real(1.009)]);
        ok("1.01, 1.0", &g, Float, false);
        bad("1.0, 1.0", &g, Float, false);
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(answer in ".{0,200}") {
            for gold in [vec![vec![int(1)]], vec![vec![text("a"), Cell::Null]], vec![]] {
                for t in [Integer, Float, List, Table, AnswerType::String] {
                    let _ = check(&answer, &gold, t, true);
                    let _ = check(&answer, &gold, t, false);
                }
            }
        }

        #[test]
        fn never_panics_on_structured_text(answer in "[\\[\\]\",| \\n`'*:a-c0-9.eE+-]{0,60}") {
            let gold = vec![vec![int(1), real(2.5)], vec![text("a"), Cell::Null]];
            let _ = check(&answer, &gold, Table, false);
            let _ = check(&answer, &column(vec![int(1), int(2)]), List, true);
        }

        #[test]
        fn gold_written_as_json_always_verifies(
            rows in proptest::collection::vec(
                proptest::collection::vec(prop_oneof![
                    (-1000i64..1000).prop_map(Cell::Integer),
                    "[a-z]{1,5}( [a-z]{1,5})?".prop_map(Cell::Text),
                    Just(Cell::Null),
                ], 2),
                1..6),
            ordered in any::<bool>(),
        ) {
            let json = serde_json::to_string(&rows).unwrap();
            prop_assert!(check(&json, &rows, Table, ordered).correct);
            let pipes: Vec<String> = rows
                .iter()
                .map(|r| r.iter().map(Cell::display).collect::<Vec<_>>().join(" | "))
                .collect();
            prop_assert!(check(&pipes.join("\n"), &rows, Table, ordered).correct);
        }

        #[test]
        fn gold_in_every_format_verifies_and_a_changed_cell_never_does(
            rows in proptest::collection::vec(
                proptest::collection::vec(prop_oneof![
                    (-1000i64..1000).prop_map(Cell::Integer),
                    (-1000i64..1000, 1i64..100).prop_map(|(w, f)| Cell::Real(w as f64 + f as f64 / 100.0)),
                    "[a-z]{1,5}( [a-z]{1,5})?".prop_map(Cell::Text),
                    Just(Cell::Null),
                ], 2),
                1..6),
            ordered in any::<bool>(),
            target in 0usize..12,
        ) {
            let columns = vec!["name".to_owned(), "count(*)".to_owned()];
            let py = |c: &Cell| match c {
                Cell::Null => "None".to_owned(),
                Cell::Text(t) => format!("'{t}'"),
                other => other.display(),
            };
            let python: Vec<String> = rows
                .iter()
                .map(|r| format!("({})", r.iter().map(py).collect::<Vec<_>>().join(", ")))
                .collect();
            let objects: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| serde_json::json!({"name": r[0], "count": r[1]}))
                .collect();
            let csv: Vec<String> = std::iter::once("name,count".to_owned())
                .chain(rows.iter().map(|r| format!("{},{}", r[0].display(), r[1].display())))
                .collect();
            let formats = [
                format!("[{}]", python.join(", ")),
                serde_json::to_string(&objects).unwrap(),
                csv.join("\n"),
            ];
            let gold = Gold { rows: &rows, answer_type: Table, ordered };
            let facts = GoldFacts { columns: &columns, ties: None };
            let cfg = RewardConfig::default();
            for answer in &formats {
                prop_assert!(verify_with_facts(&cfg, answer, &gold, &facts).correct, "{}", answer);
            }
            let mut wrong = rows.clone();
            let cells = wrong.len() * 2;
            if let Some(cell) = wrong.iter_mut().flatten().nth(target % cells) {
                *cell = match cell {
                    Cell::Null => Cell::Integer(7),
                    Cell::Integer(i) => Cell::Integer(*i + 1),
                    Cell::Real(f) => Cell::Real(*f + 0.5),
                    Cell::Text(t) => Cell::Text(format!("{t}x")),
                };
            }
            let answer = serde_json::to_string(&wrong).unwrap();
            prop_assert!(!verify_with_facts(&cfg, &answer, &gold, &facts).correct, "{}", answer);
        }
    }
}
