//! Normalisation shared by the progress potential and answer verification: how text and numbers
//! are compared, the hashable key of a cell, and how a free-text ANSWER is unwrapped and read as
//! the rows it may denote.

use std::borrow::Cow;
use std::ops::ControlFlow;

use crate::database::value::Cell;

use crate::reward::formats::{is_header, strip_numbering, structured_readings, GoldShape};
use crate::reward::numbers::{is_grouped_number, is_number_text};
pub use crate::reward::numbers::{parse_exact_integer, parse_number, MAX_EXACT_FLOAT_INT};

/// Answers whose only content says "there is nothing": an empty answer is always wrong.
const EMPTY_ANSWERS: &[&str] = &[
    "",
    "[]",
    "[[]]",
    "{}",
    "()",
    "none",
    "nil",
    "n/a",
    "na",
    "nothing",
    "empty",
    "no result",
    "no results",
    "no rows",
    "no answer",
    "empty set",
    "(empty)",
];

/// Prefixes a model puts before its answer, matched case-insensitively, longest first so that
/// "the answer is" wins over "answer".
const ANSWER_PREFIXES: &[&str] = &[
    "the final answer is",
    "final answer is",
    "the answer is",
    "final answer",
    "answer is",
    "answer",
];

/// Markdown emphasis characters that may surround an "Answer:" label.
const EMPHASIS_MARKS: [char; 2] = ['*', '_'];

/// Language tags a model writes after an opening code fence.
const FENCE_TAGS: &[&str] = &[
    "sql",
    "sqlite",
    "text",
    "txt",
    "plaintext",
    "json",
    "csv",
    "tsv",
    "markdown",
    "md",
    "output",
    "result",
    "answer",
];

/// Enough rounds to peel nested wrappings (a fence around a quoted value after a prefix) while
/// bounding the work on adversarial input.
const MAX_UNWRAP_ROUNDS: usize = 8;

/// Text as compared: trimmed, case-folded and with every run of whitespace collapsed to one space.
pub fn normalize_text(s: &str) -> String {
    // Built in one buffer: this runs for every text cell of every reading of every answer.
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if word.is_ascii() {
            out.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            // `str::to_lowercase`, not per char: it knows a word-final capital sigma.
            out.push_str(&word.to_lowercase());
        }
    }
    out
}

/// `normalize_text(a) == normalize_text(b)`, without building either when both are ASCII: the
/// verifier compares every text cell of every reading this way.
pub fn same_normalized(a: &str, b: &str) -> bool {
    if !(a.is_ascii() && b.is_ascii()) {
        return normalize_text(a) == normalize_text(b);
    }
    let (mut x, mut y) = (a.split_whitespace(), b.split_whitespace());
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.eq_ignore_ascii_case(q) => {}
            _ => return false,
        }
    }
}

/// A cell reduced to what value comparison cares about, hashable for multiset counting: numbers by
/// value (3 == 3.0 == "3"), text normalised, NULL and the text `null` as NULL. Equal keys are
/// always equal cells by [`crate::reward::equality::cell_matches`]; fractional numbers written at a coarser precision are equal cells with other
/// keys, which the potential pairs up after counting keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ValueKey {
    Null,
    Int(i64),
    /// Bit pattern of a finite, non-whole (or very large) float.
    Float(u64),
    Text(String),
}

impl ValueKey {
    pub fn of_cell(cell: &Cell) -> Self {
        match cell {
            Cell::Null => ValueKey::Null,
            Cell::Integer(i) => ValueKey::Int(*i),
            Cell::Real(f) => Self::of_float(*f),
            Cell::Text(s) if s.trim().eq_ignore_ascii_case("null") => ValueKey::Null,
            Cell::Text(s) => match parse_number(s).filter(|_| is_number_text(s)) {
                Some(f) => Self::of_float(f),
                None => ValueKey::Text(normalize_text(s)),
            },
        }
    }

    /// The key of a value an answer writes: any number notation counts as that number.
    pub fn of_answer_text(s: &str) -> Self {
        if s.trim().eq_ignore_ascii_case("null") {
            return ValueKey::Null;
        }
        match parse_number(s) {
            Some(f) => Self::of_float(f),
            None => ValueKey::Text(normalize_text(s)),
        }
    }

    fn of_float(f: f64) -> Self {
        if f.fract() == 0.0 && f.abs() <= MAX_EXACT_FLOAT_INT {
            ValueKey::Int(f as i64)
        } else if f.is_nan() {
            ValueKey::Float(f64::NAN.to_bits())
        } else {
            ValueKey::Float(f.to_bits())
        }
    }

    /// The finite number the key stands for, if it is a number.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            ValueKey::Int(i) => Some(*i as f64),
            ValueKey::Float(bits) => Some(f64::from_bits(*bits)).filter(|f| f.is_finite()),
            ValueKey::Null | ValueKey::Text(_) => None,
        }
    }
}

/// One cell of an answer as written: the text of a token, or an explicit JSON null.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerCell {
    Text(String),
    Null,
}

/// One way of reading an answer: its rows of cells.
pub type Reading = Vec<Vec<AnswerCell>>;

/// Peels what a model wraps around an answer, repeatedly: surrounding whitespace, a code fence,
/// markdown emphasis, an "Answer:"-style prefix and quotes around the whole value.
pub fn unwrap_answer(answer: &str) -> &str {
    let mut text = answer.trim();
    for _ in 0..MAX_UNWRAP_ROUNDS {
        let next = strip_quotes(strip_prefix(strip_emphasis(strip_fence(text)))).trim();
        if next == text {
            break;
        }
        text = next;
    }
    text
}

/// "```sql\n...\n```" -> "...": the first line (fence and language tag) and the closing fence go.
fn strip_fence(text: &str) -> &str {
    let Some(inner) = text.strip_prefix("```") else {
        return text;
    };
    let Some(inner) = inner.strip_suffix("```") else {
        return text;
    };
    match inner.split_once('\n') {
        // The first line is dropped only when it is empty or a known language tag, never a value.
        Some((tag, body)) if is_fence_tag(tag) => body.trim(),
        _ => inner.trim(),
    }
}

fn is_fence_tag(tag: &str) -> bool {
    let tag = tag.trim();
    tag.is_empty() || FENCE_TAGS.iter().any(|t| t.eq_ignore_ascii_case(tag))
}

fn strip_emphasis(text: &str) -> &str {
    for mark in ["**", "__"] {
        if let Some(inner) = text.strip_prefix(mark).and_then(|t| t.strip_suffix(mark)) {
            if !inner.contains(mark) {
                return inner.trim();
            }
        }
    }
    text
}

/// "Answer: 3", "The answer is 3", "**Answer:** 3", "final answer = 3" -> "3". The prefix must
/// end at a word boundary so that "answers" or "answering" are left alone.
fn strip_prefix(text: &str) -> &str {
    let body = text.trim_start_matches(EMPHASIS_MARKS).trim_start();
    for prefix in ANSWER_PREFIXES {
        let (Some(head), Some(rest)) = (body.get(..prefix.len()), body.get(prefix.len()..)) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(prefix)
            || rest.starts_with(|c: char| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let rest = rest.trim_start_matches(EMPHASIS_MARKS).trim_start();
        // A dash separates only when spaced ("answer - 5"), so "answer -5" keeps its sign.
        let rest = rest
            .strip_prefix([':', '='])
            .or_else(|| rest.strip_prefix("- "))
            .unwrap_or(rest);
        return rest
            .trim_start()
            .trim_start_matches(EMPHASIS_MARKS)
            .trim_start();
    }
    text
}

/// Removes one pair of matching quotes around the whole value only: `"a", "b"` keeps its quotes
/// because the inner text contains the quote character.
pub fn strip_quotes(text: &str) -> &str {
    for quote in ['"', '\'', '`'] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            if !inner.contains(quote) {
                return inner;
            }
        }
    }
    text
}

/// An answer that denotes "no rows": empty after unwrapping, or a phrase meaning nothing.
pub fn is_empty_answer(unwrapped: &str) -> bool {
    // Every phrase for nothing is at most two words: a longer answer is not normalised to see.
    if unwrapped.split_whitespace().nth(2).is_some() {
        return false;
    }
    let norm = normalize_text(unwrapped);
    let norm = norm.trim_end_matches('.');
    EMPTY_ANSWERS.contains(&norm)
}

/// A token of a text-format answer: trimmed, without a list bullet and without quotes around it.
fn token(raw: &str) -> AnswerCell {
    let t = raw.trim();
    let t = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .unwrap_or(t);
    AnswerCell::Text(strip_quotes(t.trim()).trim().to_owned())
}

fn non_blank_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// A markdown table separator line such as `|---|:---:|`.
fn is_table_separator(line: &str) -> bool {
    line.contains('-')
        && line
            .chars()
            .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '+'))
}

/// Rows of a table written one row per line (`lines`, the non-blank ones), cells split by `|`
/// (markdown or plain), else by tab, else by comma. In a markdown table the line before the
/// `---` separator is its header and is dropped: the markdown itself says it is not data.
fn table_reading(mut lines: Vec<&str>) -> Reading {
    if let Some(sep) = lines.iter().position(|l| is_table_separator(l)) {
        if sep == 1 {
            lines.drain(..2);
        } else {
            lines.remove(sep);
        }
    }
    let delimiter = if lines.iter().any(|l| l.contains('|')) {
        '|'
    } else if lines.iter().any(|l| l.contains('\t')) {
        '\t'
    } else {
        ','
    };
    lines
        .iter()
        .map(|line| {
            let line = if delimiter == '|' {
                let l = line.strip_prefix('|').unwrap_or(line);
                l.strip_suffix('|').unwrap_or(l)
            } else {
                line
            };
            line.split(delimiter).map(token).collect()
        })
        .collect()
}

/// Every value of the answer, split at newlines and commas.
fn flat_values(text: &str) -> Vec<AnswerCell> {
    text.split(['\n', ','])
        .filter(|t| !t.trim().is_empty())
        .map(token)
        .collect()
}

/// Every value, one per non-blank line (commas kept inside values), each a row of its own.
fn line_rows(lines: &[&str]) -> Reading {
    lines.iter().map(|line| vec![token(line)]).collect()
}

/// Every plausible reading of an unwrapped answer, the most natural first, each handed to
/// `visit` as soon as it is made; a `Break` stops there. Each reading is a faithful
/// interpretation of the text, so an answer is right when any of them equals the gold, and
/// verification stops at the first that does: a right answer costs only the readings before it.
/// For a one-row gold a flat list of values is also read as the cells of that row. A text that is
/// exactly a thousands-grouped number (`989,201`) is that number only, never a list.
pub fn for_each_reading(
    unwrapped: &str,
    shape: &GoldShape<'_>,
    visit: &mut dyn FnMut(Reading) -> ControlFlow<()>,
) -> ControlFlow<()> {
    // A sentence-final period ("The answer is Paris.") is a wrapping too; the text is also read
    // with it in case the value itself ends with one ("Inc.").
    let stripped = unwrapped.strip_suffix('.').map(str::trim_end);
    // Without its numbering only if the text as it is was not right.
    let plain = std::iter::once_with(|| strip_numbering(unwrapped).map(Cow::Owned)).flatten();
    let variants = std::iter::once(Cow::Borrowed(unwrapped))
        .chain(stripped.map(Cow::Borrowed))
        .chain(plain);
    for text in variants {
        let text = text.as_ref();
        if is_grouped_number(text) {
            visit(vec![vec![token(text)]])?;
            continue;
        }
        for reading in structured_readings(text, shape) {
            visit(reading)?;
        }
        let lines = non_blank_lines(text);
        let table = table_reading(lines.clone());
        if table.len() > 1 && table.first().is_some_and(|h| is_header(h, shape)) {
            visit(table.iter().skip(1).cloned().collect())?;
        }
        // The lines are made values only when read: on a right answer the table usually matches.
        if let [first, rest @ ..] = lines.as_slice() {
            if !rest.is_empty() && is_header(&[token(first)], shape) {
                visit(line_rows(rest))?;
            }
        }
        visit(table)?;
        let flat = flat_values(text);
        if shape.one_row {
            visit(vec![flat.clone()])?;
        }
        visit(flat.into_iter().map(|c| vec![c]).collect())?;
        visit(line_rows(&lines))?;
        // The whole answer as one value, so "Smith, John" can match a single gold string.
        visit(vec![vec![token(text)]])?;
    }
    ControlFlow::Continue(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A reading's cells as text (`<null>` for NULL), for comparing readings in tests.
    pub(crate) fn text_rows(reading: &Reading) -> Vec<Vec<String>> {
        reading
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        AnswerCell::Text(t) => t.clone(),
                        AnswerCell::Null => "<null>".into(),
                    })
                    .collect()
            })
            .collect()
    }

    /// Every reading [`for_each_reading`] makes, in order.
    fn readings(unwrapped: &str, shape: &GoldShape<'_>) -> Vec<Reading> {
        let mut out = Vec::new();
        let _ = for_each_reading(unwrapped, shape, &mut |reading| {
            out.push(reading);
            ControlFlow::Continue(())
        });
        out
    }

    proptest::proptest! {
        /// The allocation-free comparison agrees with comparing the normalised texts, over
        /// whitespace runs of every kind (vertical tab included), case and non-ASCII letters.
        #[test]
        fn same_normalized_is_equality_of_normalized_texts(
            a in "[aAbB \\t\\n\\x0b\\r\u{a0}Éé]{0,8}",
            b in "[aAbB \\t\\n\\x0b\\r\u{a0}Éé]{0,8}",
        ) {
            let expected = normalize_text(&a) == normalize_text(&b);
            proptest::prop_assert_eq!(same_normalized(&a, &b), expected);
            proptest::prop_assert!(same_normalized(&a, &a.to_uppercase()) || !a.is_ascii());
        }
    }

    #[test]
    fn text_normalisation() {
        assert_eq!(normalize_text("  New   York\tCity "), "new york city");
        assert_eq!(normalize_text("ÉCOLE"), "école");
        assert_eq!(normalize_text(""), "");
        // Word-final capital sigma lowers to ς, as `str::to_lowercase` does for a whole word.
        assert_eq!(normalize_text("ΟΔΟΣ  Α"), "οδο\u{3c2} α");
        for text in ["ΟΔΟΣ", "  Mixed ÀB  cd\n", "İstanbul", "a\u{a0}b", "ǅemal"] {
            let by_words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
            assert_eq!(normalize_text(text), by_words.join(" "), "{text:?}");
        }
    }

    #[test]
    fn value_keys_compare_numbers_as_numbers() {
        assert_eq!(
            ValueKey::of_cell(&Cell::Integer(3)),
            ValueKey::of_cell(&Cell::Real(3.0))
        );
        assert_eq!(
            ValueKey::of_cell(&Cell::Integer(3)),
            ValueKey::of_cell(&Cell::Text(" 3 ".into()))
        );
        assert_ne!(
            ValueKey::of_cell(&Cell::Integer(3)),
            ValueKey::of_cell(&Cell::Real(3.5))
        );
        assert_eq!(
            ValueKey::of_cell(&Cell::Text(" Alice  Smith".into())),
            ValueKey::of_cell(&Cell::Text("alice smith".into()))
        );
        assert_eq!(
            ValueKey::of_cell(&Cell::Null),
            ValueKey::of_cell(&Cell::Text("NULL".into()))
        );
        assert_ne!(
            ValueKey::of_cell(&Cell::Integer(7)),
            ValueKey::of_cell(&Cell::Text("007".into()))
        );
        assert_eq!(ValueKey::of_cell(&Cell::Real(-0.0)), ValueKey::Int(0));
    }

    #[test]
    fn unwrapping_peels_model_wrappings() {
        assert_eq!(unwrap_answer("  42 \n"), "42");
        assert_eq!(unwrap_answer("```\n42\n```"), "42");
        assert_eq!(unwrap_answer("```sql\nAlice\n```"), "Alice");
        assert_eq!(unwrap_answer("```text\n1\n2\n```"), "1\n2");
        assert_eq!(unwrap_answer("Answer: 42"), "42");
        assert_eq!(unwrap_answer("the ANSWER is 42"), "42");
        assert_eq!(unwrap_answer("Final answer = \"Paris\""), "Paris");
        assert_eq!(unwrap_answer("**Answer:** `Bob`"), "Bob");
        assert_eq!(unwrap_answer("'Bob'"), "Bob");
        assert_eq!(unwrap_answer("`Bob`"), "Bob");
    }

    #[test]
    fn unwrapping_leaves_values_alone() {
        assert_eq!(unwrap_answer("\"a\", \"b\""), "\"a\", \"b\"");
        assert_eq!(unwrap_answer("answers"), "answers");
        assert_eq!(unwrap_answer("O'Brien"), "O'Brien");
        assert_eq!(unwrap_answer("\"unbalanced"), "\"unbalanced");
        assert_eq!(unwrap_answer("```"), "```");
        assert_eq!(unwrap_answer("```one line```"), "one line");
        assert_eq!(unwrap_answer("```Alice\nBob\n```"), "Alice\nBob");
        assert_eq!(unwrap_answer("Answer -5"), "-5");
        assert_eq!(unwrap_answer("Answer - 5"), "5");
        assert_eq!(unwrap_answer("**Answer: Bob**"), "Bob");
    }

    #[test]
    fn empty_answers_are_recognised() {
        for empty in [
            "",
            "[]",
            "[[]]",
            "None",
            "none.",
            "N/A",
            "No results",
            "  {} ",
        ] {
            assert!(is_empty_answer(unwrap_answer(empty)), "{empty}");
        }
        for full in ["0", "null", "[1]", "no", "no result at all"] {
            assert!(!is_empty_answer(full), "{full}");
        }
        // Every phrase, however it is spaced, cased or stopped: the two-word shortcut holds.
        for phrase in EMPTY_ANSWERS {
            let spaced = format!("  {}..", phrase.to_uppercase().replace(' ', " \t\n "));
            assert!(is_empty_answer(&spaced), "{spaced:?}");
        }
    }

    #[test]
    fn table_readings_split_rows_and_cells() {
        let t = text_rows(&table_reading(non_blank_lines("Alice | 30\nBob | 25")));
        assert_eq!(t, vec![vec!["Alice", "30"], vec!["Bob", "25"]]);
        let md = "| name | age |\n|---|---|\n| Alice | 30 |\n| Bob | 25 |";
        assert_eq!(
            text_rows(&table_reading(non_blank_lines(md))),
            vec![vec!["Alice", "30"], vec!["Bob", "25"]]
        );
        assert_eq!(
            text_rows(&table_reading(non_blank_lines("a\t1\nb\t2"))),
            vec![vec!["a", "1"], vec!["b", "2"]]
        );
        assert_eq!(
            text_rows(&table_reading(non_blank_lines("a, 1\nb, 2"))),
            vec![vec!["a", "1"], vec!["b", "2"]]
        );
    }

    fn shape(one_row: bool) -> GoldShape<'static> {
        GoldShape {
            one_row,
            columns: &[],
            all_numeric: false,
        }
    }

    #[test]
    fn readings_include_whole_value_and_lists() {
        let all: Vec<_> = readings("Smith, John", &shape(false))
            .iter()
            .map(text_rows)
            .collect();
        assert!(all.contains(&vec![vec!["Smith, John".to_owned()]]));
        assert!(all.contains(&vec![vec!["Smith".to_owned()], vec!["John".to_owned()]]));
        let all: Vec<_> = readings("- a\n- b", &shape(false))
            .iter()
            .map(text_rows)
            .collect();
        assert!(all.contains(&vec![vec!["a".to_owned()], vec!["b".to_owned()]]));
        let all: Vec<_> = readings("Paris.", &shape(false))
            .iter()
            .map(text_rows)
            .collect();
        assert!(all.contains(&vec![vec!["Paris".to_owned()]]));
        assert!(all.contains(&vec![vec!["Paris.".to_owned()]]));
        let all: Vec<_> = readings("Alice, 30", &shape(true))
            .iter()
            .map(text_rows)
            .collect();
        assert!(all.contains(&vec![vec!["Alice".to_owned(), "30".to_owned()]]));
    }

    #[test]
    fn a_grouped_number_is_one_number_only() {
        for text in ["989,201", "1,234.5"] {
            let all: Vec<_> = readings(text, &shape(false))
                .iter()
                .map(text_rows)
                .collect();
            assert!(
                all.iter().all(|r| r == &vec![vec![text.to_owned()]]),
                "{all:?}"
            );
        }
        let all: Vec<_> = readings("989, 201", &shape(false))
            .iter()
            .map(text_rows)
            .collect();
        assert!(all.contains(&vec![vec!["989".to_owned()], vec!["201".to_owned()]]));
    }
}
