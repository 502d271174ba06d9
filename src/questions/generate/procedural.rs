//! Procedural questions: random compositions of a table (optionally joined along a foreign
//! key), filters on values sampled from the data, and an output (columns, a count, an
//! aggregate, an ordering), rendered to English. Deterministic for a seed; the caller keeps only
//! compositions whose result is non-empty and unambiguous.

use rand::seq::SliceRandom;
use rand::Rng;

use super::profile::{ColumnProfile, DbProfile, TableProfile};
use super::sample::Sampler;
use super::sql::{ident, literal, spoken};
use super::Draft;
use crate::database::value::Cell;

/// Random drafts for one database: `attempts` compositions, some of which fail to compose.
pub fn drafts(
    profile: &DbProfile,
    sampler: &mut Sampler,
    rng: &mut impl Rng,
    attempts: usize,
) -> Vec<Draft> {
    (0..attempts)
        .filter_map(|_| compose(profile, sampler, rng))
        .collect()
}

/// Where the rows come from: one table, or a child table joined to its parent.
struct Scope<'a> {
    /// The table the output columns come from.
    main: &'a TableProfile,
    /// `T2` when joined (main) and `T1` (the parent); empty prefixes otherwise.
    main_prefix: &'static str,
    from: String,
    /// The parent table a join brings in, with its prefix.
    joined: Option<&'a TableProfile>,
}

impl Scope<'_> {
    fn col(&self, c: &ColumnProfile) -> String {
        format!("{}{}", self.main_prefix, ident(&c.name))
    }
}

fn compose(profile: &DbProfile, sampler: &mut Sampler, rng: &mut impl Rng) -> Option<Draft> {
    let scope = pick_scope(profile, rng)?;
    let filters = pick_filters(&scope, sampler, rng)?;
    let (where_sql, where_text) = (
        filters
            .iter()
            .map(|f| f.sql.as_str())
            .collect::<Vec<_>>()
            .join(" AND "),
        filters
            .iter()
            .map(|f| f.text.as_str())
            .collect::<Vec<_>>()
            .join(" and "),
    );
    let t = scope.main;
    let tw = &t.words;
    let from = &scope.from;
    // Output columns never repeat a filter: "the name of singers whose name is X" says nothing.
    let filtered = |c: &ColumnProfile| {
        filters
            .iter()
            .any(|f| f.table == t.name && f.column == c.name)
    };
    let shown: Vec<&ColumnProfile> = t
        .columns
        .iter()
        .filter(|c| !c.key_like && c.non_null > 0 && !filtered(c))
        .collect();
    let measures: Vec<&ColumnProfile> = t
        .columns
        .iter()
        .filter(|c| c.is_measure() && !filtered(c))
        .collect();
    let output = t
        .label()
        .filter(|l| !filtered(l))
        .or_else(|| shown.choose(rng).copied())?;
    let o = scope.col(output);
    // Ordering by the column shown answers nothing new.
    let sort_keys: Vec<&ColumnProfile> = measures
        .iter()
        .copied()
        .filter(|m| m.name != output.name)
        .collect();
    // Adding up years or dates means nothing.
    let summable: Vec<&ColumnProfile> = measures
        .iter()
        .copied()
        .filter(|m| !m.words.contains("year") && !m.words.contains("date"))
        .collect();
    let ow = &output.words;
    let records = format!("{tw} records {where_text}");
    let draft = match rng.gen_range(0..7) {
        0 => Draft::new(
            format!("List the {ow} of {records}."),
            format!("SELECT {o} FROM {from} WHERE {where_sql}"),
        ),
        1 => Draft::new(
            format!("How many {tw} records are there {where_text}?"),
            format!("SELECT count(*) FROM {from} WHERE {where_sql}"),
        ),
        2 => {
            let m = measures.choose(rng)?;
            let (agg, words) = if summable.iter().any(|s| s.name == m.name) {
                *[
                    ("max", "highest"),
                    ("min", "lowest"),
                    ("avg", "average"),
                    ("sum", "total"),
                ]
                .choose(rng)?
            } else {
                *[("max", "highest"), ("min", "lowest")].choose(rng)?
            };
            Draft::new(
                format!("What is the {words} {} of {records}?", m.words),
                format!(
                    "SELECT {agg}({}) FROM {from} WHERE {where_sql}",
                    scope.col(m)
                ),
            )
        }
        3 => {
            let m = sort_keys.choose(rng)?;
            let mc = scope.col(m);
            let (dir, words) = *[("DESC", "highest"), ("ASC", "lowest")].choose(rng)?;
            let order = format!("WHERE {where_sql} AND {mc} IS NOT NULL ORDER BY {mc} {dir}");
            Draft::new(
                format!(
                    "Among {records}, which one has the {words} {}? Give its {ow}.",
                    m.words
                ),
                format!("SELECT {o} FROM {from} {order} LIMIT 1"),
            )
            .with_tie(format!("SELECT {mc} FROM {from} {order} LIMIT 2"), 1)
        }
        4 => {
            let second = shown.iter().copied().find(|c| c.name != output.name)?;
            Draft::new(
                format!("List the {ow} and {} of {records}.", second.words),
                format!(
                    "SELECT {o}, {} FROM {from} WHERE {where_sql}",
                    scope.col(second)
                ),
            )
        }
        5 => {
            let m = sort_keys.choose(rng)?;
            let mc = scope.col(m);
            let order = format!("WHERE {where_sql} AND {mc} IS NOT NULL ORDER BY {mc} DESC");
            Draft::new(
                format!(
                    "List the {ow} of {records}, from the highest {} to the lowest.",
                    m.words
                ),
                format!("SELECT {o} FROM {from} {order}"),
            )
            .with_total_order(format!("SELECT {mc} FROM {from} {order}"))
        }
        _ => {
            let k = t
                .columns
                .iter()
                .filter(|c| c.is_category() && !filtered(c))
                .collect::<Vec<_>>();
            let k = k.choose(rng)?;
            let kc = scope.col(k);
            Draft::new(
                format!("For each {} of {records}, how many are there?", k.words),
                format!("SELECT {kc}, count(*) FROM {from} WHERE {where_sql} GROUP BY {kc}"),
            )
        }
    };
    Some(draft)
}

fn pick_scope<'a>(profile: &'a DbProfile, rng: &mut impl Rng) -> Option<Scope<'a>> {
    let tables: Vec<usize> = (0..profile.tables.len())
        .filter(|&i| profile.tables[i].rows > 0)
        .collect();
    let main = *tables.choose(rng)?;
    let links: Vec<_> = profile
        .links
        .iter()
        .filter(|l| l.child == main && profile.tables.get(l.parent).is_some_and(|p| p.rows > 0))
        .collect();
    let t = profile.tables.get(main)?;
    if !links.is_empty() && rng.gen_bool(0.4) {
        let link = links.choose(rng)?;
        let parent = profile.tables.get(link.parent)?;
        return Some(Scope {
            main: t,
            main_prefix: "T2.",
            from: format!(
                "{} AS T2 JOIN {} AS T1 ON T2.{} = T1.{}",
                ident(&t.name),
                ident(&parent.name),
                ident(&link.child_col),
                ident(&link.parent_col)
            ),
            joined: Some(parent),
        });
    }
    Some(Scope {
        main: t,
        main_prefix: "",
        from: ident(&t.name),
        joined: None,
    })
}

struct Filter {
    table: String,
    column: String,
    sql: String,
    text: String,
}

/// One or two filters on real values: at least one on the joined parent when there is a join,
/// since otherwise the join adds nothing.
fn pick_filters(
    scope: &Scope<'_>,
    sampler: &mut Sampler,
    rng: &mut impl Rng,
) -> Option<Vec<Filter>> {
    let mut filters = Vec::new();
    if let Some(parent) = scope.joined {
        filters.push(filter_on(parent, "T1.", Some(&parent.words), sampler, rng)?);
    }
    if filters.is_empty() || rng.gen_bool(0.3) {
        filters.push(filter_on(
            scope.main,
            scope.main_prefix,
            None,
            sampler,
            rng,
        )?);
    }
    if filters.len() == 1 && scope.joined.is_none() && rng.gen_bool(0.3) {
        let second = filter_on(scope.main, scope.main_prefix, None, sampler, rng)?;
        if second.sql != filters[0].sql {
            filters.push(second);
        }
    }
    Some(filters)
}

fn filter_on(
    t: &TableProfile,
    prefix: &str,
    parent_words: Option<&str>,
    sampler: &mut Sampler,
    rng: &mut impl Rng,
) -> Option<Filter> {
    let candidates: Vec<&ColumnProfile> = t
        .columns
        .iter()
        .filter(|c| !c.key_like && c.non_null > 0 && (c.is_measure() || c.max_len <= 40))
        .collect();
    let column = candidates.choose(rng)?;
    let value = sampler.pick(&t.name, &column.name, rng)?;
    let lit = literal(&value)?;
    let (op, op_words) = if column.is_measure() && !matches!(value, Cell::Text(_)) {
        *[("=", "is"), (">", "is greater than"), ("<", "is less than")].choose(rng)?
    } else {
        ("=", "is")
    };
    let whose = match parent_words {
        Some(pw) => format!("linked to a {pw} record whose {}", column.words),
        None => format!("whose {}", column.words),
    };
    Some(Filter {
        table: t.name.clone(),
        column: column.name.clone(),
        sql: format!("{prefix}{} {op} {lit}", ident(&column.name)),
        text: format!("{whose} {op_words} {}", spoken(&value)),
    })
}
