//! Schema-driven templates: for every table, column and foreign key of a database, the questions
//! its shape supports (row counts, extremes and averages of measures, counts per category or
//! along a foreign key, existence, top-k), phrased from the table and column names.

use rand::Rng;

use super::profile::{ColumnProfile, DbProfile, Link, TableProfile};
use super::sample::Sampler;
use super::sql::{ident, literal, spoken};
use super::Draft;

/// Every template draft for one database. Lookups pick their values with `rng`, so the drafts
/// are deterministic for a seed.
pub fn drafts(profile: &DbProfile, sampler: &mut Sampler, rng: &mut impl Rng) -> Vec<Draft> {
    let mut out = Vec::new();
    for table in profile.tables.iter().filter(|t| t.rows > 0) {
        table_drafts(table, sampler, rng, &mut out);
    }
    for link in &profile.links {
        let (Some(parent), Some(child)) = (
            profile.tables.get(link.parent),
            profile.tables.get(link.child),
        ) else {
            continue;
        };
        if parent.rows > 0 && child.rows > 0 {
            link_drafts(parent, child, link, &mut out);
        }
    }
    out
}

fn table_drafts(t: &TableProfile, sampler: &mut Sampler, rng: &mut impl Rng, out: &mut Vec<Draft>) {
    let table = ident(&t.name);
    let tw = &t.words;
    out.push(Draft::new(
        format!("How many records does the {tw} table have?"),
        format!("SELECT count(*) FROM {table}"),
    ));
    let measures: Vec<&ColumnProfile> = t.columns.iter().filter(|c| c.is_measure()).collect();
    let categories: Vec<&ColumnProfile> = t.columns.iter().filter(|c| c.is_category()).collect();
    for m in &measures {
        let (c, cw) = (ident(&m.name), &m.words);
        out.push(Draft::new(
            format!("What is the highest {cw} in the {tw} table?"),
            format!("SELECT max({c}) FROM {table}"),
        ));
        out.push(Draft::new(
            format!("What is the lowest {cw} in the {tw} table?"),
            format!("SELECT min({c}) FROM {table}"),
        ));
        out.push(Draft::new(
            format!("What is the average {cw} over all records of the {tw} table?"),
            format!("SELECT avg({c}) FROM {table}"),
        ));
    }
    for k in &categories {
        let (c, cw) = (ident(&k.name), &k.words);
        out.push(Draft::new(
            format!("How many different {cw} values appear in the {tw} table?"),
            format!("SELECT count(DISTINCT {c}) FROM {table}"),
        ));
        out.push(Draft::new(
            format!("How many records of the {tw} table are there for each {cw}?"),
            format!("SELECT {c}, count(*) FROM {table} GROUP BY {c}"),
        ));
        for m in measures.iter().take(2) {
            out.push(Draft::new(
                format!(
                    "For each {cw} in the {tw} table, what is the average {}?",
                    m.words
                ),
                format!(
                    "SELECT {c}, avg({}) FROM {table} GROUP BY {c}",
                    ident(&m.name)
                ),
            ));
        }
    }
    let Some(label) = t.label() else {
        return;
    };
    let (l, lw) = (ident(&label.name), &label.words);
    for m in &measures {
        let (c, cw) = (ident(&m.name), &m.words);
        if t.rows > 3 {
            out.push(
                Draft::new(
                    format!(
                        "Which 3 records of the {tw} table have the highest {cw}? Give their {lw}."
                    ),
                    format!("SELECT {l} FROM {table} ORDER BY {c} DESC LIMIT 3"),
                )
                .with_tie(
                    format!("SELECT {c} FROM {table} ORDER BY {c} DESC LIMIT 4"),
                    3,
                ),
            );
            out.push(
                Draft::new(
                    format!(
                        "What is the {lw} of the record of the {tw} table with the lowest {cw}?"
                    ),
                    format!(
                        "SELECT {l} FROM {table} WHERE {c} IS NOT NULL ORDER BY {c} ASC LIMIT 1"
                    ),
                )
                .with_tie(
                    format!(
                        "SELECT {c} FROM {table} WHERE {c} IS NOT NULL ORDER BY {c} ASC LIMIT 2"
                    ),
                    1,
                ),
            );
        }
        out.push(Draft::new(
            format!(
                "Which records of the {tw} table have a {cw} above the average? Give their {lw}."
            ),
            format!("SELECT {l} FROM {table} WHERE {c} > (SELECT avg({c}) FROM {table})"),
        ));
    }
    // Lookups: a column's value for a named row, only when the name picks out one row.
    if label.distinct == t.rows {
        let others: Vec<&ColumnProfile> = t
            .columns
            .iter()
            .filter(|c| !c.key_like && c.name != label.name && c.non_null > 0)
            .collect();
        for _ in 0..2 {
            if others.is_empty() {
                break;
            }
            let other = others[rng.gen_range(0..others.len())];
            let Some(value) = sampler.pick(&t.name, &label.name, rng) else {
                break;
            };
            let Some(lit) = literal(&value) else {
                continue;
            };
            out.push(Draft::new(
                format!(
                    "What is the {} of the {tw} record whose {lw} is {}?",
                    other.words,
                    spoken(&value)
                ),
                format!(
                    "SELECT {} FROM {table} WHERE {l} = {lit}",
                    ident(&other.name)
                ),
            ));
        }
    }
}

fn link_drafts(parent: &TableProfile, child: &TableProfile, link: &Link, out: &mut Vec<Draft>) {
    let (p, c) = (ident(&parent.name), ident(&child.name));
    let (pk, fk) = (ident(&link.parent_col), ident(&link.child_col));
    let (pw, cw) = (&parent.words, &child.words);
    let join = format!("FROM {p} AS T1 JOIN {c} AS T2 ON T1.{pk} = T2.{fk}");
    let Some(label) = parent.label() else {
        out.push(Draft::new(
            format!("How many {cw} records refer to a record of the {pw} table?"),
            format!("SELECT count(*) {join}"),
        ));
        return;
    };
    let (l, lw) = (ident(&label.name), &label.words);
    out.push(Draft::new(
        format!("For each record of the {pw} table, how many {cw} records refer to it? Give the {lw} and the count."),
        format!("SELECT T1.{l}, count(*) {join} GROUP BY T1.{pk}"),
    ));
    out.push(Draft::new(
        format!("Which records of the {pw} table have no {cw} records? Give their {lw}."),
        format!(
            "SELECT {l} FROM {p} WHERE {pk} NOT IN (SELECT {fk} FROM {c} WHERE {fk} IS NOT NULL)"
        ),
    ));
    out.push(Draft::new(
        format!("Which records of the {pw} table have at least one {cw} record? Give their {lw}."),
        format!("SELECT {l} FROM {p} WHERE {pk} IN (SELECT {fk} FROM {c})"),
    ));
    out.push(
        Draft::new(
            format!("Which record of the {pw} table has the most {cw} records? Give its {lw}."),
            format!("SELECT T1.{l} {join} GROUP BY T1.{pk} ORDER BY count(*) DESC LIMIT 1"),
        )
        .with_tie(
            format!("SELECT count(*) {join} GROUP BY T1.{pk} ORDER BY count(*) DESC LIMIT 2"),
            1,
        ),
    );
    for m in child.columns.iter().filter(|m| m.is_measure()).take(2) {
        let (mc, mw) = (ident(&m.name), &m.words);
        out.push(Draft::new(
            format!("For each record of the {pw} table, what is the average {mw} of its {cw} records? Give the {lw} and the average."),
            format!("SELECT T1.{l}, avg(T2.{mc}) {join} GROUP BY T1.{pk}"),
        ));
        out.push(
            Draft::new(
                format!("Which record of the {pw} table has the highest total {mw} over its {cw} records? Give its {lw}."),
                format!("SELECT T1.{l} {join} GROUP BY T1.{pk} ORDER BY sum(T2.{mc}) DESC LIMIT 1"),
            )
            .with_tie(
                format!("SELECT sum(T2.{mc}) {join} GROUP BY T1.{pk} ORDER BY sum(T2.{mc}) DESC LIMIT 2"),
                1,
            ),
        );
    }
}
