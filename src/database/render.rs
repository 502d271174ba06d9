//! Rendering a result as the compact text table an agent reads: a header, `|`-separated rows,
//! and a footer that says how many rows there were and how many are shown.

use std::fmt::Write;

use super::limits::QueryLimits;
use super::value::{Cell, ResultSet};

/// Renders `result`, showing at most `max_rows` rows and `limits.max_result_bytes` bytes.
pub fn render_result(result: &ResultSet, max_rows: usize, limits: &QueryLimits) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(&result.columns.join(" | "));
    out.push('\n');
    let mut shown = 0usize;
    let mut cut_for_size = false;
    // One buffer reused for every row: a result renders with a handful of allocations.
    let mut line = String::new();
    for row in result.rows.iter().take(max_rows) {
        line.clear();
        render_row(&mut line, row, limits.max_cell_chars);
        if out.len() + line.len() + 1 > limits.max_result_bytes {
            cut_for_size = true;
            break;
        }
        out.push_str(&line);
        out.push('\n');
        shown += 1;
    }
    let total = result.total_rows;
    let noun = if total == 1 { "row" } else { "rows" };
    if (shown as u64) < total {
        let why = if cut_for_size {
            "; output size limit"
        } else {
            ""
        };
        let _ = write!(out, "({total} {noun}; showing the first {shown}{why})");
    } else {
        let _ = write!(out, "({total} {noun})");
    }
    out
}

fn render_row(line: &mut String, row: &[Cell], max_cell_chars: usize) {
    for (i, cell) in row.iter().enumerate() {
        if i > 0 {
            line.push_str(" | ");
        }
        clip_into(line, &cell.shown(), max_cell_chars);
    }
}

/// Appends a cell cut to `max` characters, line breaks turned into spaces, so one row stays one
/// line.
fn clip_into(out: &mut String, text: &str, max: usize) {
    let mut chars = text.chars();
    for c in chars.by_ref().take(max) {
        out.push(if c == '\n' || c == '\r' { ' ' } else { c });
    }
    if chars.next().is_some() {
        out.push('…');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rows: usize) -> ResultSet {
        ResultSet {
            columns: vec!["id".into(), "name".into()],
            rows: (0..rows)
                .map(|i| vec![Cell::Integer(i as i64), Cell::Text(format!("n{i}"))])
                .collect(),
            total_rows: rows as u64,
        }
    }

    #[test]
    fn small_result_is_complete() {
        let text = render_result(&result(2), 20, &QueryLimits::default());
        assert_eq!(text, "id | name\n0 | n0\n1 | n1\n(2 rows)");
    }

    #[test]
    fn long_result_says_how_many_were_hidden() {
        let mut r = result(30);
        r.total_rows = 1_000_000;
        let text = render_result(&r, 20, &QueryLimits::default());
        assert!(
            text.ends_with("(1000000 rows; showing the first 20)"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 22);
    }

    #[test]
    fn size_limit_cuts_rows() {
        let limits = QueryLimits {
            max_result_bytes: 40,
            ..QueryLimits::default()
        };
        let text = render_result(&result(20), 20, &limits);
        assert!(text.contains("output size limit"), "{text}");
    }

    #[test]
    fn cells_are_clipped_to_one_line() {
        let clip = |text: &str, max| {
            let mut out = String::new();
            clip_into(&mut out, text, max);
            out
        };
        assert_eq!(clip("ab\ncd", 10), "ab cd");
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip("abc", 3), "abc");
    }
}
