//! The difficulty of a question, computed from the structure of its gold SQL in the spirit of
//! Spider's hardness levels, so generated questions are graded like Spider's own.
//!
//! The SQL is counted on three axes:
//! - `components`: clauses of the outermost query: WHERE, GROUP BY, ORDER BY, LIMIT, each JOIN,
//!   each OR and each LIKE;
//! - `nesting`: every SELECT beyond the first (sub-queries and the branches of UNION, INTERSECT
//!   and EXCEPT);
//! - `others`: one each for more than one aggregate, more than one selected column, more than
//!   one WHERE condition, more than one GROUP BY column.
//!
//! and graded:
//! - easy: `components <= 1`, `others == 0`, no nesting;
//! - medium: no nesting and either `components <= 1, others <= 2` or `components <= 2, others <= 1`;
//! - hard: no nesting and either `others > 2, components <= 2` or `components == 3, others <= 2`;
//!   or one level of nesting with `components <= 1, others == 0`;
//! - extra: anything else.

use crate::catalog::question::Difficulty;
use crate::catalog::sql_tokens::{tokenize, Token};

/// What the grading counts; see the module documentation.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SqlShape {
    pub components: usize,
    pub nesting: usize,
    pub others: usize,
}

/// The difficulty of `sql`.
pub fn difficulty_of(sql: &str) -> Difficulty {
    grade(shape_of(sql))
}

/// The grading rule on counted structure.
pub fn grade(s: SqlShape) -> Difficulty {
    let SqlShape {
        components: c,
        nesting: n,
        others: o,
    } = s;
    if c <= 1 && o == 0 && n == 0 {
        Difficulty::Easy
    } else if n == 0 && ((c <= 1 && o <= 2) || (c <= 2 && o <= 1)) {
        Difficulty::Medium
    } else if (n == 0 && ((o > 2 && c <= 2) || (c == 3 && o <= 2))) || (n == 1 && c <= 1 && o == 0)
    {
        Difficulty::Hard
    } else {
        Difficulty::Extra
    }
}

/// Which clause of the outermost query a token is in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Clause {
    Select,
    From,
    Where,
    GroupBy,
    Having,
    OrderBy,
    Limit,
}

/// Counts the structure of `sql` (see the module documentation).
pub fn shape_of(sql: &str) -> SqlShape {
    let tokens = tokenize(sql);
    let is_word = |i: usize, w: &str| matches!(tokens.get(i), Some(Token::Word(x)) if x == w);
    let selects = tokens
        .iter()
        .filter(|t| matches!(t, Token::Word(w) if w == "select"))
        .count();
    let mut components = 0;
    let mut aggregates = 0;
    let mut select_columns = 1;
    let mut where_conditions = 1;
    let mut group_columns = 1;
    let mut clause = Clause::Select;
    let mut depth = 0usize;
    let mut in_between = false;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            Token::Comma if depth == 0 => match clause {
                Clause::Select => select_columns += 1,
                Clause::GroupBy => group_columns += 1,
                _ => {}
            },
            Token::Word(w) if depth == 0 => {
                // The outermost query ends where a set operation starts its second branch.
                if matches!(w.as_str(), "union" | "intersect" | "except") {
                    break;
                }
                match w.as_str() {
                    "from" => clause = Clause::From,
                    "where" => {
                        clause = Clause::Where;
                        components += 1;
                    }
                    "group" if is_word(i + 1, "by") => {
                        clause = Clause::GroupBy;
                        components += 1;
                    }
                    "having" => clause = Clause::Having,
                    "order" if is_word(i + 1, "by") => {
                        clause = Clause::OrderBy;
                        components += 1;
                    }
                    "limit" => {
                        clause = Clause::Limit;
                        components += 1;
                    }
                    "join" => components += 1,
                    "or" if matches!(clause, Clause::Where | Clause::Having) => {
                        components += 1;
                        if clause == Clause::Where {
                            where_conditions += 1;
                        }
                    }
                    "like" if matches!(clause, Clause::Where | Clause::Having) => components += 1,
                    "between" => in_between = true,
                    "and" if in_between => in_between = false,
                    "and" if clause == Clause::Where => where_conditions += 1,
                    "count" | "sum" | "avg" | "min" | "max"
                        if matches!(tokens.get(i + 1), Some(Token::Open)) =>
                    {
                        aggregates += 1;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let others = usize::from(aggregates > 1)
        + usize::from(select_columns > 1)
        + usize::from(where_conditions > 1)
        + usize::from(group_columns > 1);
    SqlShape {
        components,
        nesting: selects.saturating_sub(1),
        others,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Difficulty::*;

    #[test]
    fn counts_structure() {
        assert_eq!(shape_of("SELECT count(*) FROM singer"), SqlShape::default());
        assert_eq!(
            shape_of("SELECT name, age FROM singer WHERE age > 20 AND country = 'France'"),
            SqlShape {
                components: 1,
                nesting: 0,
                others: 2
            }
        );
        assert_eq!(
            shape_of("SELECT a FROM t WHERE b IN (SELECT b FROM u WHERE c = 1 OR d = 2)"),
            SqlShape {
                components: 1,
                nesting: 1,
                others: 0
            }
        );
        // Keywords inside literals do not count.
        assert_eq!(
            shape_of("SELECT a FROM t WHERE b = 'x or y order by z'"),
            SqlShape {
                components: 1,
                nesting: 0,
                others: 0
            }
        );
        // BETWEEN's AND is not a second condition.
        assert_eq!(
            shape_of("SELECT a FROM t WHERE b BETWEEN 1 AND 3").others,
            0
        );
    }

    #[test]
    fn grades_like_spider() {
        assert_eq!(difficulty_of("SELECT count(*) FROM singer"), Easy);
        assert_eq!(
            difficulty_of("SELECT name FROM singer WHERE age > 30"),
            Easy
        );
        assert_eq!(
            difficulty_of("SELECT name, country, age FROM singer ORDER BY age DESC"),
            Medium
        );
        assert_eq!(
            difficulty_of("SELECT country, count(*) FROM singer GROUP BY country"),
            Medium
        );
        assert_eq!(
            difficulty_of(
                "SELECT T1.name FROM a AS T1 JOIN b AS T2 ON T1.id = T2.id WHERE T2.x = 1 ORDER BY T1.y"
            ),
            Hard
        );
        assert_eq!(
            difficulty_of(
                "SELECT name FROM stadium WHERE id NOT IN (SELECT stadium_id FROM concert)"
            ),
            Hard
        );
        assert_eq!(
            difficulty_of(
                "SELECT T1.name FROM a AS T1 JOIN b AS T2 ON T1.id = T2.a GROUP BY T1.id ORDER BY count(*) DESC LIMIT 1"
            ),
            Extra
        );
        assert_eq!(
            difficulty_of("SELECT a FROM t WHERE x = 1 INTERSECT SELECT a FROM t WHERE y = 2"),
            Hard
        );
        assert_eq!(
            difficulty_of(
                "SELECT a, b FROM t WHERE x = 1 AND y = 2 EXCEPT SELECT a, b FROM t WHERE z = 3"
            ),
            Extra
        );
    }

    #[test]
    fn grade_boundaries() {
        let s = |components, nesting, others| SqlShape {
            components,
            nesting,
            others,
        };
        assert_eq!(grade(s(1, 0, 0)), Easy);
        assert_eq!(grade(s(0, 0, 2)), Medium);
        assert_eq!(grade(s(2, 0, 1)), Medium);
        assert_eq!(grade(s(2, 0, 2)), Extra);
        assert_eq!(grade(s(1, 0, 3)), Hard);
        assert_eq!(grade(s(3, 0, 2)), Hard);
        assert_eq!(grade(s(4, 0, 0)), Extra);
        assert_eq!(grade(s(1, 1, 0)), Hard);
        assert_eq!(grade(s(1, 1, 1)), Extra);
        assert_eq!(grade(s(0, 2, 0)), Extra);
    }
}
