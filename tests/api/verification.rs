//! Answer verification over the bundled questions: every served gold, written in each format a
//! reasonable answer uses, is right; a gold with one cell changed is wrong; tied golds accept any
//! tied row and order and nothing else; every suspect gold the audit finds is excluded.

use std::collections::HashSet;

use serde_json::{Map, Value};
use sqlenv::catalog::question::Question;
use sqlenv::database::value::Cell;
use sqlenv::questions::audit::audit;
use sqlenv::reward::config::RewardConfig;
use sqlenv::reward::verify::verify_question;

use crate::helpers::{catalog, data_dir};

fn right(answer: &str, q: &Question) -> bool {
    verify_question(&RewardConfig::default(), answer, q).correct
}

fn json_cell(cell: &Cell) -> Value {
    serde_json::to_value(cell).unwrap_or(Value::Null)
}

fn python_cell(cell: &Cell) -> String {
    match cell {
        Cell::Null => "None".into(),
        Cell::Text(t) => format!("'{}'", t.replace('\\', "\\\\").replace('\'', "\\'")),
        other => other.display(),
    }
}

fn python_repr(rows: &[Vec<Cell>]) -> String {
    let one_column = rows.iter().all(|r| r.len() == 1);
    let items: Vec<String> = rows
        .iter()
        .map(|r| {
            if one_column {
                r.iter().map(python_cell).collect::<String>()
            } else {
                let cells: Vec<String> = r.iter().map(python_cell).collect();
                format!("({})", cells.join(", "))
            }
        })
        .collect();
    format!("[{}]", items.join(", "))
}

fn objects(columns: &[String], rows: &[Vec<Cell>]) -> Vec<Value> {
    rows.iter()
        .map(|r| {
            let map: Map<String, Value> = columns
                .iter()
                .cloned()
                .zip(r.iter().map(json_cell))
                .collect();
            Value::Object(map)
        })
        .collect()
}

fn delimited(columns: &[String], rows: &[Vec<Cell>], sep: &str) -> String {
    let mut lines = vec![columns.join(sep)];
    lines.extend(
        rows.iter()
            .map(|r| r.iter().map(Cell::display).collect::<Vec<_>>().join(sep)),
    );
    lines.join("\n")
}

fn numbered(rows: &[Vec<Cell>]) -> String {
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let cells: Vec<String> = r.iter().map(Cell::display).collect();
            format!("{}. {}", i + 1, cells.join(" | "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text cells a line-and-delimiter format can carry without quoting.
fn plain_text(rows: &[Vec<Cell>]) -> bool {
    rows.iter().flatten().all(|c| match c {
        Cell::Text(t) => {
            !t.trim().is_empty()
                && t.trim() == t
                && !t.contains(['\n', '\r', ',', '\t', '|', '"', '\''])
        }
        _ => true,
    })
}

fn distinct_columns(columns: &[String]) -> bool {
    let set: HashSet<String> = columns.iter().map(|c| c.to_lowercase()).collect();
    !columns.is_empty() && set.len() == columns.len()
}

/// The gold written in every format that applies to it, each with the format's name.
fn renderings(q: &Question) -> Vec<(&'static str, String)> {
    let rows = &q.gold_answer;
    let columns = &q.proven.columns;
    let mut out = vec![
        ("json rows", serde_json::to_string(rows).unwrap_or_default()),
        ("python repr", python_repr(rows)),
    ];
    if distinct_columns(columns) {
        let objs = objects(columns, rows);
        out.push((
            "json objects",
            serde_json::to_string(&objs).unwrap_or_default(),
        ));
        if let [one] = objs.as_slice() {
            out.push(("json object", one.to_string()));
        }
    }
    if plain_text(rows) && distinct_columns(columns) {
        out.push(("csv with header", delimited(columns, rows, ",")));
        out.push(("tsv with header", delimited(columns, rows, "\t")));
    }
    if plain_text(rows) {
        out.push(("numbered list", numbered(rows)));
    }
    out
}

#[test]
fn every_served_gold_is_right_in_every_format_that_applies() {
    let catalog = catalog();
    let mut failures = Vec::new();
    let mut checked = 0;
    for q in catalog.questions().served() {
        for (format, answer) in renderings(q) {
            // Past the cap every answer is refused unread (checked in the unit tests).
            if answer.len() > sqlenv::reward::verify::MAX_ANSWER_BYTES {
                continue;
            }
            checked += 1;
            if !right(&answer, q) {
                failures.push(format!("{} ({format}): {answer:.120}", q.id));
            }
        }
    }
    assert!(
        checked > 5 * catalog.questions().served().len(),
        "{checked}"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} refused:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn changed(cell: &Cell) -> Cell {
    match cell {
        Cell::Null => Cell::Text("zz-not-null".into()),
        Cell::Integer(i) => Cell::Integer(i.wrapping_add(1)),
        Cell::Real(f) => Cell::Real(f + 1.0),
        Cell::Text(t) => Cell::Text(format!("{t} zz")),
    }
}

#[test]
fn a_gold_with_one_cell_changed_is_never_right() {
    let catalog = catalog();
    let mut accepted = Vec::new();
    for q in catalog.questions().served() {
        // The first and the last cell: a change anywhere must be seen.
        let cells = q.gold_answer.iter().map(Vec::len).sum::<usize>();
        for target in [0, cells.saturating_sub(1)] {
            let mut rows = q.gold_answer.clone();
            if let Some(cell) = rows.iter_mut().flatten().nth(target) {
                *cell = changed(cell);
            }
            let answer = serde_json::to_string(&rows).unwrap_or_default();
            if right(&answer, q) {
                accepted.push(q.id.clone());
            }
        }
    }
    assert!(accepted.is_empty(), "accepted a changed gold: {accepted:?}");
}

#[test]
fn tied_golds_accept_every_tied_row_and_order_and_no_other() {
    let catalog = catalog();
    let mut tied = 0;
    for q in catalog.questions().served() {
        let Some(ties) = &q.proven.ties else {
            continue;
        };
        tied += 1;
        // Each group's rows taken from the other end: another order, other rows at a cut.
        let alternative: Vec<Vec<Cell>> = ties
            .segments
            .iter()
            .flat_map(|s| s.pool.iter().rev().take(s.take).cloned())
            .collect();
        let answer = serde_json::to_string(&alternative).unwrap_or_default();
        assert!(
            right(&answer, q),
            "{} refused the tied answer {answer:.200}",
            q.id
        );
        // Rows of two different groups swapped: the order between groups is the gold's.
        if let [first, second, ..] = ties.segments.as_slice() {
            let mut swapped = alternative.clone();
            let last_of_first = first.take - 1;
            swapped.swap(last_of_first, last_of_first + 1);
            let distinct = !second.pool.iter().any(|r| first.pool.contains(r));
            let answer = serde_json::to_string(&swapped).unwrap_or_default();
            if distinct && swapped != alternative {
                assert!(!right(&answer, q), "{} accepted rows across groups", q.id);
            }
        }
    }
    assert!(tied > 10, "only {tied} tied golds");
}

#[test]
fn spider_dev_0229_accepts_any_airline_of_the_tie() {
    let catalog = catalog();
    let q = catalog.questions().get("spider-dev-0229").expect("served");
    let ties = q.proven.ties.as_ref().expect("a tie");
    let pool = &ties.segments[0].pool;
    assert_eq!(pool.len(), 12, "all 12 airlines have 100 flights");
    assert!(right("United Airlines", &q));
    for airline in pool {
        assert!(right(&airline[0].display(), &q));
    }
    assert!(!right("United Airlines, Delta Airlines", &q));
    assert!(!right("Air France", &q));
}

#[test]
fn every_suspect_gold_is_excluded() {
    let catalog = catalog();
    let found = audit(&catalog);
    assert!(
        !found.suspects.is_empty(),
        "the audit finds the known suspects"
    );
    let open: Vec<&str> = found.unresolved().map(|s| s.id.as_str()).collect();
    assert!(open.is_empty(), "suspect golds still served: {open:?}");
    let bank = catalog.questions();
    for suspect in &found.suspects {
        assert!(bank.get(&suspect.id).is_err(), "{} is served", suspect.id);
        assert!(!bank.served().iter().any(|q| q.id == suspect.id));
    }
    assert!(bank.exclusion("spider-dev-0133").is_some());
    assert_eq!(bank.excluded(), found.suspects.len());
}

#[test]
fn the_audit_command_passes_strict_on_the_bundled_data() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sqlenv"))
        .args(["questions", "audit", "--strict", "--data-dir"])
        .arg(data_dir())
        .output()
        .expect("sqlenv runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("spider-dev-0229: a LIMIT cuts a tie"),
        "{text}"
    );
    assert!(text.contains("0 not excluded"), "{text}");
}
