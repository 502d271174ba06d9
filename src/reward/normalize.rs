//! Normalisation shared by the progress potential and answer verification: how text and numbers
//! are compared, the hashable key of a cell, and how a free-text ANSWER is unwrapped and read as
//! the rows it may denote.

use crate::database::value::Cell;

/// Integers up to this magnitude are represented exactly by an `f64`, so a whole float within it
/// can be compared with an integer without rounding surprises.
pub const MAX_EXACT_FLOAT_INT: f64 = 9_007_199_254_740_992.0;

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
    s.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// True for digits grouped by commas in threes (`1,234` or `-12,345.5`): the only form in which a
/// comma is read as a thousands separator rather than a value separator.
fn has_thousands_grouping(s: &str) -> bool {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let int_part = unsigned.split('.').next().unwrap_or("");
    let mut groups = int_part.split(',');
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
    let mut rest = groups.peekable();
    first_ok
        && rest.peek().is_some()
        && rest.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// Removes thousands separators when the text is a properly grouped number; leaves it otherwise.
fn strip_thousands(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(',') && has_thousands_grouping(s) {
        std::borrow::Cow::Owned(s.replace(',', ""))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The finite number a text denotes: plain decimal or scientific notation, optional sign,
/// thousands separators in correct groups of three. `inf`, `NaN` and anything with other
/// characters (units, currency, percent) are not numbers.
pub fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    // Rust accepts "inf", "infinity" and "nan"; a number must contain a digit.
    if !s.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    strip_thousands(s)
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
}

/// The integer a text denotes exactly: `3`, `3.0`, `3.00`, `+3`, `1,234`, or a float notation of
/// a whole number small enough to be exact (`3e2`). `3.5` is not an integer.
pub fn parse_exact_integer(s: &str) -> Option<i64> {
    let text = strip_thousands(s.trim());
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_ref(), None),
    };
    let digits = int_part.strip_prefix(['-', '+']).unwrap_or(int_part);
    let plain_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let zero_fraction = frac_part.is_none_or(|f| f.bytes().all(|b| b == b'0'));
    if plain_digits && zero_fraction {
        return int_part
            .strip_prefix('+')
            .unwrap_or(int_part)
            .parse::<i64>()
            .ok();
    }
    let f = parse_number(&text)?;
    (f.fract() == 0.0 && f.abs() <= MAX_EXACT_FLOAT_INT).then_some(f as i64)
}

/// A cell reduced to what value comparison cares about, hashable for multiset counting: numbers by
/// value (3 == 3.0 == "3"), text normalised, NULL as itself.
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
            Cell::Text(s) => match parse_number(s) {
                Some(f) => Self::of_float(f),
                None => ValueKey::Text(normalize_text(s)),
            },
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

/// Rows of a table written one row per line, cells split by `|` (markdown or plain), else by tab,
/// else by comma. In a markdown table the line before the `---` separator is its header and is
/// dropped: the markdown itself says it is not data.
fn table_reading(text: &str) -> Reading {
    let mut lines = non_blank_lines(text);
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

/// Every value, one per non-blank line (commas kept inside values).
fn line_values(text: &str) -> Vec<AnswerCell> {
    non_blank_lines(text).into_iter().map(token).collect()
}

fn json_cell(value: &serde_json::Value) -> Option<AnswerCell> {
    match value {
        serde_json::Value::Null => Some(AnswerCell::Null),
        serde_json::Value::String(s) => Some(AnswerCell::Text(s.trim().to_owned())),
        serde_json::Value::Number(n) => Some(AnswerCell::Text(n.to_string())),
        serde_json::Value::Bool(b) => Some(AnswerCell::Text(b.to_string())),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => None,
    }
}

/// Readings of a JSON answer: an array of arrays is rows; an array of scalars is a column or a
/// single row; a scalar is one value. Objects and deeper nesting are not read.
fn json_readings(text: &str) -> Vec<Reading> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    match &value {
        serde_json::Value::Array(items) if items.iter().all(|i| i.is_array()) => {
            let rows: Option<Reading> = items
                .iter()
                .map(|row| match row {
                    serde_json::Value::Array(cells) => cells.iter().map(json_cell).collect(),
                    _ => None,
                })
                .collect();
            rows.into_iter().collect()
        }
        serde_json::Value::Array(items) => {
            let Some(cells) = items.iter().map(json_cell).collect::<Option<Vec<_>>>() else {
                return Vec::new();
            };
            let column = cells.iter().cloned().map(|c| vec![c]).collect();
            vec![column, vec![cells]]
        }
        scalar => json_cell(scalar)
            .map(|c| vec![vec![c]])
            .into_iter()
            .collect(),
    }
}

/// Every plausible reading of an unwrapped answer, the most natural first. Each reading is a
/// faithful interpretation of the text, so an answer is right when any of them equals the gold.
/// `gold_one_row` allows a flat list of values to be read as the cells of a single row.
pub fn readings(unwrapped: &str, gold_one_row: bool) -> Vec<Reading> {
    let mut out = Vec::new();
    // A sentence-final period ("The answer is Paris.") is a wrapping too; the text is also read
    // with it in case the value itself ends with one ("Inc.").
    let mut variants = vec![unwrapped];
    if let Some(stripped) = unwrapped.strip_suffix('.') {
        variants.push(stripped.trim_end());
    }
    for text in variants {
        out.extend(json_readings(text));
        out.push(table_reading(text));
        let flat = flat_values(text);
        if gold_one_row {
            out.push(vec![flat.clone()]);
        }
        out.push(flat.into_iter().map(|c| vec![c]).collect());
        out.push(line_values(text).into_iter().map(|c| vec![c]).collect());
        // The whole answer as one value, so "Smith, John" can match a single gold string.
        out.push(vec![vec![token(text)]]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_rows(reading: &Reading) -> Vec<Vec<String>> {
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

    #[test]
    fn text_normalisation() {
        assert_eq!(normalize_text("  New   York\tCity "), "new york city");
        assert_eq!(normalize_text("ÉCOLE"), "école");
        assert_eq!(normalize_text(""), "");
    }

    #[test]
    fn numbers_parse_strictly() {
        assert_eq!(parse_number("3"), Some(3.0));
        assert_eq!(parse_number(" -2.5e1 "), Some(-25.0));
        assert_eq!(parse_number("1,234.5"), Some(1234.5));
        assert_eq!(parse_number("1,234,567"), Some(1_234_567.0));
        for bad in [
            "1,23", "12,3456", ",123", "1,,234", "inf", "NaN", "infinity", "3%", "$3", "3 m", "",
            "1e999",
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn integers_parse_exactly() {
        assert_eq!(parse_exact_integer("3"), Some(3));
        assert_eq!(parse_exact_integer("3.0"), Some(3));
        assert_eq!(parse_exact_integer("3.00"), Some(3));
        assert_eq!(parse_exact_integer("+3"), Some(3));
        assert_eq!(parse_exact_integer("-1,000"), Some(-1000));
        assert_eq!(parse_exact_integer("3e2"), Some(300));
        assert_eq!(parse_exact_integer("9223372036854775807"), Some(i64::MAX));
        for bad in [
            "3.5",
            "3.01",
            "abc",
            "",
            "-",
            "1e30",
            "99999999999999999999",
        ] {
            assert_eq!(parse_exact_integer(bad), None, "{bad}");
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
        assert_ne!(
            ValueKey::of_cell(&Cell::Null),
            ValueKey::of_cell(&Cell::Text("NULL".into()))
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
        for full in ["0", "null", "[1]", "no"] {
            assert!(!is_empty_answer(full), "{full}");
        }
    }

    #[test]
    fn table_readings_split_rows_and_cells() {
        let t = text_rows(&table_reading("Alice | 30\nBob | 25"));
        assert_eq!(t, vec![vec!["Alice", "30"], vec!["Bob", "25"]]);
        let md = "| name | age |\n|---|---|\n| Alice | 30 |\n| Bob | 25 |";
        assert_eq!(
            text_rows(&table_reading(md)),
            vec![vec!["Alice", "30"], vec!["Bob", "25"]]
        );
        assert_eq!(
            text_rows(&table_reading("a\t1\nb\t2")),
            vec![vec!["a", "1"], vec!["b", "2"]]
        );
        assert_eq!(
            text_rows(&table_reading("a, 1\nb, 2")),
            vec![vec!["a", "1"], vec!["b", "2"]]
        );
    }

    #[test]
    fn json_readings_shapes() {
        let r = json_readings(r#"[["a", 1], ["b", null]]"#);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0][1][1], AnswerCell::Null);
        let r = json_readings(r#"["a", "b"]"#);
        assert_eq!(r.len(), 2);
        assert_eq!(text_rows(&r[0]), vec![vec!["a"], vec!["b"]]);
        assert_eq!(text_rows(&r[1]), vec![vec!["a", "b"]]);
        assert_eq!(text_rows(&json_readings("3.5")[0]), vec![vec!["3.5"]]);
        assert!(json_readings(r#"{"a": 1}"#).is_empty());
        assert!(json_readings("[[1, [2]]]").is_empty());
        assert!(json_readings("not json").is_empty());
        assert!(json_readings(&"[".repeat(10_000)).is_empty());
    }

    #[test]
    fn readings_include_whole_value_and_lists() {
        let all: Vec<_> = readings("Smith, John", false)
            .iter()
            .map(text_rows)
            .collect();
        assert!(all.contains(&vec![vec!["Smith, John".to_owned()]]));
        assert!(all.contains(&vec![vec!["Smith".to_owned()], vec!["John".to_owned()]]));
        let all: Vec<_> = readings("- a\n- b", false).iter().map(text_rows).collect();
        assert!(all.contains(&vec![vec!["a".to_owned()], vec!["b".to_owned()]]));
        let all: Vec<_> = readings("Paris.", false).iter().map(text_rows).collect();
        assert!(all.contains(&vec![vec!["Paris".to_owned()]]));
        assert!(all.contains(&vec![vec!["Paris.".to_owned()]]));
        let all: Vec<_> = readings("Alice, 30", true).iter().map(text_rows).collect();
        assert!(all.contains(&vec![vec!["Alice".to_owned(), "30".to_owned()]]));
    }
}
