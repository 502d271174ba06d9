//! Structured answer formats beyond plain lines and cells: JSON (arrays, lists of objects, an
//! object for a one-row gold), Python list/tuple/dict reprs (`None` is NULL), header lines of CSV
//! and TSV answers, and numbered lists. Each yields readings ([`Reading`]) that the verifier
//! compares with the gold like any other; none of them can add or drop a value of the answer
//! except a header line that is demonstrably a header ([`is_header`]).

use serde_json::{Map, Value};

use crate::reward::normalize::{AnswerCell, Reading};
use crate::reward::numbers::parse_number;

/// Nesting deeper than this is not an answer; refusing it bounds the recursion.
const MAX_DEPTH: usize = 8;

/// What readings may depend on besides the answer: the shape and column names of the gold.
#[derive(Debug, Clone, Copy)]
pub struct GoldShape<'a> {
    /// The gold result has exactly one row.
    pub one_row: bool,
    /// The gold result's column names (empty when unknown).
    pub columns: &'a [String],
    /// Every gold cell that is not NULL is a number, and there is at least one.
    pub all_numeric: bool,
}

/// Readings of a JSON answer, or of a Python literal when the text is not JSON.
pub fn structured_readings(text: &str, shape: &GoldShape<'_>) -> Vec<Reading> {
    let value = serde_json::from_str::<Value>(text)
        .ok()
        .or_else(|| python_literal(text));
    value.map_or_else(Vec::new, |v| value_readings(&v, shape))
}

fn value_readings(value: &Value, shape: &GoldShape<'_>) -> Vec<Reading> {
    match value {
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_array) => {
            let rows: Option<Reading> = items
                .iter()
                .map(|row| match row {
                    Value::Array(cells) => cells.iter().map(scalar).collect(),
                    _ => None,
                })
                .collect();
            rows.into_iter().collect()
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            let objects: Vec<&Map<String, Value>> =
                items.iter().filter_map(Value::as_object).collect();
            object_rows(&objects, shape)
        }
        Value::Array(items) => {
            let Some(cells) = items.iter().map(scalar).collect::<Option<Vec<_>>>() else {
                return Vec::new();
            };
            let column = cells.iter().cloned().map(|c| vec![c]).collect();
            vec![column, vec![cells]]
        }
        Value::Object(object) => object_rows(&[object], shape),
        other => scalar(other).map(|c| vec![vec![c]]).into_iter().collect(),
    }
}

/// Rows of objects: their values in key order, and, when every object's keys name the gold's
/// columns, their values in the gold's column order.
fn object_rows(objects: &[&Map<String, Value>], shape: &GoldShape<'_>) -> Vec<Reading> {
    let in_key_order: Option<Reading> = objects
        .iter()
        .map(|o| o.values().map(scalar).collect())
        .collect();
    let by_column: Option<Reading> = objects
        .iter()
        .map(|o| by_gold_columns(o, shape.columns))
        .collect();
    in_key_order.into_iter().chain(by_column).collect()
}

/// The object's values in gold column order, when its keys and the columns pair up one to one.
fn by_gold_columns(object: &Map<String, Value>, columns: &[String]) -> Option<Vec<AnswerCell>> {
    if columns.is_empty() || object.len() != columns.len() {
        return None;
    }
    let mut used = vec![false; object.len()];
    columns
        .iter()
        .map(|column| {
            let (i, (_, v)) = object
                .iter()
                .enumerate()
                .find(|(i, (k, _))| !used[*i] && names_match(k, column))?;
            used[i] = true;
            scalar(v)
        })
        .collect()
}

fn scalar(value: &Value) -> Option<AnswerCell> {
    match value {
        Value::Null => Some(AnswerCell::Null),
        Value::String(s) => Some(AnswerCell::Text(s.trim().to_owned())),
        Value::Number(n) => Some(AnswerCell::Text(n.to_string())),
        Value::Bool(b) => Some(AnswerCell::Text(b.to_string())),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Whether a header cell names a gold column, loosely: case, quotes, a `T1.` prefix, `_` versus
/// space, and `count(*)` versus `count` (or `avg(age)` versus `avg_age`) are not differences.
pub fn names_match(header: &str, column: &str) -> bool {
    let h = loose_name(header);
    !h.is_empty() && column_spellings(column).contains(&h)
}

fn loose_name(name: &str) -> String {
    let name = name.trim().trim_matches(['"', '\'', '`', '[', ']']);
    let unprefixed = match name.find('(') {
        // Inside a function call the prefix is the argument's: `count(T1.id)`.
        Some(_) => name.to_owned(),
        None => name.rsplit('.').next().unwrap_or(name).to_owned(),
    };
    unprefixed
        .to_lowercase()
        .replace('_', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ways a header may spell a column: the name itself, and for `fn(arg)` the function name
/// alone and `fn arg` (so `count(*)` is also `count`, `avg(T1.age)` also `avg age`).
fn column_spellings(column: &str) -> Vec<String> {
    let mut out = vec![loose_name(column)];
    if let Some((func, rest)) = column.split_once('(') {
        let arg = rest.trim_end().strip_suffix(')').unwrap_or(rest);
        let arg = loose_name(
            arg.trim_start_matches("DISTINCT ")
                .trim_start_matches("distinct "),
        );
        out.push(loose_name(func));
        if arg != "*" && !arg.is_empty() {
            out.push(format!("{} {arg}", loose_name(func)));
        }
        out.push(loose_name(&column.replace(' ', "")));
    }
    out
}

/// Whether the first line of a table answer is a header and not data: its cells name the gold's
/// columns one for one, or every cell is non-numeric text while the gold's values are all numbers
/// (so no data row of the gold can look like it).
pub fn is_header(cells: &[AnswerCell], shape: &GoldShape<'_>) -> bool {
    let texts: Option<Vec<&str>> = cells
        .iter()
        .map(|c| match c {
            AnswerCell::Text(t) if !t.trim().is_empty() => Some(t.as_str()),
            _ => None,
        })
        .collect();
    let Some(texts) = texts else {
        return false;
    };
    let named = texts.len() == shape.columns.len()
        && texts
            .iter()
            .zip(shape.columns)
            .all(|(t, c)| names_match(t, c));
    let wordy = shape.all_numeric
        && texts
            .iter()
            .all(|t| parse_number(t).is_none() && !t.trim().eq_ignore_ascii_case("null"));
    named || wordy
}

/// The text without its numbering when every non-blank line starts `1.` / `1)`, `2.` / `2)`, ...
/// in order, followed by a space.
pub fn strip_numbering(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return None;
    }
    let stripped: Option<Vec<&str>> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let rest = line.strip_prefix(&(i + 1).to_string())?;
            let rest = rest.strip_prefix(['.', ')'])?;
            rest.starts_with([' ', '\t']).then(|| rest.trim())
        })
        .collect();
    stripped.map(|l| l.join("\n"))
}

/// A Python literal (`['a', 'b']`, `('Alice', 30)`, `[('Alice', 30)]`, `{'count': 6}`) as the
/// JSON value it denotes; numbers keep their written text, `None` is null.
pub fn python_literal(text: &str) -> Option<Value> {
    let mut parser = PyParser {
        s: text.trim(),
        pos: 0,
    };
    let value = parser.value(0)?;
    parser.skip_space();
    (parser.pos == parser.s.len()).then_some(value)
}

struct PyParser<'a> {
    s: &'a str,
    pos: usize,
}

impl PyParser<'_> {
    fn rest(&self) -> &str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_space();
        match self.peek()? {
            '[' => self.sequence(']', depth).map(Value::Array),
            '(' => self.sequence(')', depth).map(Value::Array),
            '{' => self.dict(depth),
            q @ ('\'' | '"') => self.string(q).map(Value::String),
            _ => self.word(),
        }
    }

    /// Items up to `close`, a trailing comma allowed (`('a',)`).
    fn sequence(&mut self, close: char, depth: usize) -> Option<Vec<Value>> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.value(depth + 1)?);
            if !self.eat(',') {
                return self.eat(close).then_some(items);
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Option<Value> {
        self.pos += 1;
        let mut map = Map::new();
        loop {
            if self.eat('}') {
                return Some(Value::Object(map));
            }
            let key = match self.value(depth + 1)? {
                Value::String(s) => s,
                _ => return None,
            };
            if !self.eat(':') {
                return None;
            }
            map.insert(key, self.value(depth + 1)?);
            if !self.eat(',') {
                return self.eat('}').then_some(Value::Object(map));
            }
        }
    }

    fn string(&mut self, quote: char) -> Option<String> {
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    let (_, escaped) = chars.next()?;
                    out.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
                c if c == quote => {
                    self.pos += i + 1;
                    return Some(out);
                }
                c => out.push(c),
            }
        }
        None
    }

    /// `None`, `True`, `False` or a number, up to the next delimiter.
    fn word(&mut self) -> Option<Value> {
        let rest = self.rest();
        let end = rest
            .find(|c: char| matches!(c, ',' | ')' | ']' | '}' | ':') || c.is_whitespace())
            .unwrap_or(rest.len());
        let word = rest.get(..end)?;
        let value = match word {
            "None" => Value::Null,
            "True" | "False" => Value::String(word.to_owned()),
            w if parse_number(w).is_some() => Value::String(w.to_owned()),
            _ => return None,
        };
        self.pos += end;
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reward::normalize::tests::text_rows as rows;

    fn shape(columns: &[String]) -> GoldShape<'_> {
        GoldShape {
            one_row: false,
            columns,
            all_numeric: false,
        }
    }

    fn all(text: &str, columns: &[&str]) -> Vec<Vec<Vec<String>>> {
        let columns: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
        structured_readings(text, &shape(&columns))
            .iter()
            .map(rows)
            .collect()
    }

    #[test]
    fn json_objects_read_in_key_or_column_order() {
        let r = all(r#"[{"name": "Alice"}, {"name": "Bob"}]"#, &["name"]);
        assert!(r.contains(&vec![vec!["Alice".to_owned()], vec!["Bob".to_owned()]]));
        let r = all(r#"[{"age": 30, "name": "Alice"}]"#, &["name", "age"]);
        assert!(r.contains(&vec![vec!["30".to_owned(), "Alice".to_owned()]]));
        assert!(r.contains(&vec![vec!["Alice".to_owned(), "30".to_owned()]]));
        let r = all(r#"{"count": 6}"#, &["count(*)"]);
        assert_eq!(
            r,
            vec![vec![vec!["6".to_owned()]], vec![vec!["6".to_owned()]]]
        );
        assert!(all(r#"[{"a": [1]}]"#, &["a"]).is_empty());
    }

    #[test]
    fn python_reprs_are_literals() {
        assert_eq!(
            all("['a', 'b']", &[])[0],
            vec![vec!["a".to_owned()], vec!["b".to_owned()]]
        );
        assert!(all("('Alice', 30)", &[]).contains(&vec![vec!["Alice".into(), "30".into()]]));
        assert_eq!(
            all("[('Alice', 30), ('Bob', None)]", &[])[0],
            vec![
                vec!["Alice".to_owned(), "30".to_owned()],
                vec!["Bob".to_owned(), "<null>".to_owned()]
            ]
        );
        assert_eq!(all("('a',)", &[])[0], vec![vec!["a".to_owned()]]);
        assert_eq!(
            all(r"['O\'Brien']", &[])[0],
            vec![vec!["O'Brien".to_owned()]]
        );
        assert!(all("{'count': 6}", &["count"]).contains(&vec![vec!["6".to_owned()]]));
        for bad in [
            "['a', b]",
            "('a'",
            "[1 2]",
            "print('a')",
            "['a'] x",
            "[[[[[[[[[[1]]]]]]]]]]",
        ] {
            assert!(python_literal(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn header_names_match_loosely() {
        assert!(names_match("Name", "name"));
        assert!(names_match("name", "T1.Name"));
        assert!(names_match("count", "count(*)"));
        assert!(names_match("COUNT(*)", "count(*)"));
        assert!(names_match("avg_age", "avg(T1.age)"));
        assert!(names_match("first name", "first_name"));
        assert!(!names_match("age", "name"));
        assert!(!names_match("", "name"));
    }

    #[test]
    fn headers_are_recognised_only_as_headers() {
        let cols = vec!["name".to_owned(), "age".to_owned()];
        let text = |v: &[&str]| {
            v.iter()
                .map(|s| AnswerCell::Text((*s).into()))
                .collect::<Vec<_>>()
        };
        assert!(is_header(&text(&["Name", "Age"]), &shape(&cols)));
        assert!(!is_header(&text(&["Alice", "30"]), &shape(&cols)));
        assert!(!is_header(&text(&["name"]), &shape(&cols)));
        let numeric = GoldShape {
            one_row: false,
            columns: &[],
            all_numeric: true,
        };
        assert!(is_header(&text(&["total"]), &numeric));
        assert!(!is_header(&text(&["12"]), &numeric));
        assert!(!is_header(&text(&["total"]), &shape(&[])));
    }

    #[test]
    fn numbering_is_stripped_only_when_it_counts_from_one() {
        assert_eq!(
            strip_numbering("1. Alice\n2) Bob").as_deref(),
            Some("Alice\nBob")
        );
        assert_eq!(strip_numbering("1. Alice"), Some("Alice".to_owned()));
        assert_eq!(strip_numbering("2. Alice\n3. Bob"), None);
        assert_eq!(strip_numbering("1. Alice\n3. Bob"), None);
        assert_eq!(strip_numbering("1.5\n2.5"), None);
        assert_eq!(strip_numbering("Alice"), None);
    }
}
