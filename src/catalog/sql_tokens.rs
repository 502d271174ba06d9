//! The one SQL scanner of the text-level checks: whether a gold's outermost query sorts its
//! result (`question::sql_orders_result`) and how hard a gold is (`questions::difficulty`). Both
//! need the same few things from the text (words outside literals and quoted names, parentheses,
//! commas), and two hand scanners had disagreed about which quotes hide a keyword; this one knows
//! every quoting SQLite accepts and skips comments.
//!
//! It is not sqlparser's tokenizer, which the tie groups use to rewrite a gold: that one stops at
//! the first text it cannot lex, and these checks must give an answer for any text, the partly
//! written SQL of a question being drafted included.

/// A piece of SQL as the checks see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// A bare word, lower-cased; a dotted name (`t.col`) is one word, so is a number.
    Word(String),
    Open,
    Close,
    Comma,
    /// A literal, a quoted name or any other punctuation: never a keyword.
    Other,
}

/// Splits SQL into [`Token`]s. String literals (`'...'`) and quoted names (`"..."`, `` `...` ``,
/// `[...]`) become one opaque token each, so their contents never count as keywords; comments
/// (`-- ...` to the end of the line, `/* ... */`) are left out.
pub fn tokenize(sql: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' | '`' | '[' => {
                let close = if c == '[' { ']' } else { c };
                // A doubled quote inside is an escaped one: the literal goes on, and the
                // scanner sees it as a literal closed and a new one opened, both opaque.
                for d in chars.by_ref() {
                    if d == close {
                        break;
                    }
                }
                tokens.push(Token::Other);
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for d in chars.by_ref() {
                    if previous == '*' && d == '/' {
                        break;
                    }
                    previous = d;
                }
            }
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            ',' => tokens.push(Token::Comma),
            c if c.is_alphanumeric() || c == '_' => {
                let mut word = c.to_lowercase().collect::<String>();
                while let Some(&d) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' || d == '.' {
                        word.extend(d.to_lowercase());
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Word(word));
            }
            c if c.is_whitespace() => {}
            _ => tokens.push(Token::Other),
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sql: &str) -> Vec<String> {
        tokenize(sql)
            .into_iter()
            .filter_map(|t| match t {
                Token::Word(w) => Some(w),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn quotes_and_comments_hide_keywords() {
        assert_eq!(
            words("SELECT 'order by', \"order\", `by`, [order by] FROM t -- ORDER BY x"),
            ["select", "from", "t"]
        );
        assert_eq!(
            words("SELECT a /* ORDER BY */ FROM t"),
            ["select", "a", "from", "t"]
        );
        assert_eq!(
            words("SELECT T1.Name, 2.5 FROM t AS T1"),
            ["select", "t1.name", "2.5", "from", "t", "as", "t1"]
        );
        assert_eq!(
            tokenize("count(a, b)"),
            [
                Token::Word("count".into()),
                Token::Open,
                Token::Word("a".into()),
                Token::Comma,
                Token::Word("b".into()),
                Token::Close
            ]
        );
    }

    #[test]
    fn a_minus_is_not_a_comment() {
        assert_eq!(
            words("SELECT a - b FROM t"),
            ["select", "a", "b", "from", "t"]
        );
    }
}
