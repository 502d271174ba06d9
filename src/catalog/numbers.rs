//! How numbers are read and compared, for answer verification and the progress potential alike,
//! and for the gold audit (`suspects`). It sits in the catalog, with the answer contract, so
//! the catalog's audit and the reward read a number the same way without the catalog depending
//! on the reward; `reward::numbers` re-exports it.
//!
//! A whole-valued gold (an INTEGER, or a REAL with no fractional part such as `1962.0`) is
//! compared exactly. A fractional gold is compared at the precision the answer is written at: an
//! answer with `d` decimals is right when it is the gold rounded to `d` decimals (within half a
//! unit of the last written digit, plus float epsilon), and `d` must be at least
//! `min(2, decimals of the gold's shortest representation)`. So for gold 12.3456, `12.35` and
//! `12.346` are right while `12.3` and `12` are wrong; for gold 2.5, `2.5` and `2.50` are right and
//! `3` is wrong.
//!
//! Scientific notation is a number too; the decimals it is written at are those of its mantissa
//! minus its exponent (`1.2345e1` is written at 3 decimals, `6.15e9` at 0), so it obeys the same
//! rule and can never make a wrong number right.

/// Integers up to this magnitude are represented exactly by an `f64`, so a whole float within it
/// can be compared with an integer without rounding surprises.
pub const MAX_EXACT_FLOAT_INT: f64 = 9_007_199_254_740_992.0;

/// The decimals a fractional gold must at least be answered to (fewer if the gold has fewer).
pub const MIN_ANSWER_DECIMALS: u32 = 2;

/// Float error allowed on top of the half-unit, relative to the gold's magnitude (at least 1):
/// enough for decimal text that does not round-trip through binary exactly.
const FLOAT_SLACK: f64 = 16.0 * f64::EPSILON;

/// Exponents beyond this are not numbers an answer writes; refusing them keeps the precision
/// arithmetic finite.
const MAX_EXPONENT_DIGITS: usize = 3;

/// A number as written in text: its value and the decimals it is written at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Written {
    pub value: f64,
    pub decimals: u32,
}

/// A gold cell seen as a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GoldNumber {
    /// An integer, or a whole REAL small enough to be one exactly.
    Int(i64),
    /// A whole REAL too large for an exact integer: compared as that exact float.
    Whole(f64),
    /// A finite REAL with a fractional part: compared at the precision of the answer.
    Fraction(f64),
}

impl GoldNumber {
    pub fn of_float(f: f64) -> Option<Self> {
        if !f.is_finite() {
            None
        } else if f.fract() != 0.0 {
            Some(GoldNumber::Fraction(f))
        } else if f.abs() <= MAX_EXACT_FLOAT_INT {
            Some(GoldNumber::Int(f as i64))
        } else {
            Some(GoldNumber::Whole(f))
        }
    }

    /// The number a gold text stands for when it is written as a plain number ([`is_number_text`]).
    pub fn of_text(s: &str) -> Option<Self> {
        if !is_number_text(s) {
            return None;
        }
        match parse_exact_integer(s) {
            Some(i) => Some(GoldNumber::Int(i)),
            None => Self::of_float(parse_written(s)?.value),
        }
    }

    /// Whether the answer text states this number.
    pub fn matches(self, answer: &str) -> bool {
        match self {
            GoldNumber::Int(g) => parse_exact_integer(answer) == Some(g),
            GoldNumber::Whole(g) => parse_written(answer).is_some_and(|w| w.value == g),
            GoldNumber::Fraction(g) => {
                parse_written(answer).is_some_and(|w| fraction_matches(g, w))
            }
        }
    }
}

/// The answer is the gold rounded to the decimals it is written at, and written at enough of them.
fn fraction_matches(gold: f64, answer: Written) -> bool {
    if answer.decimals < MIN_ANSWER_DECIMALS.min(gold_decimals(gold)) {
        return false;
    }
    // Far more decimals than an f64 holds: the half unit vanishes and the slack decides.
    let exponent = i32::try_from(answer.decimals.min(400)).unwrap_or(400);
    let half_unit = 0.5 * 10f64.powi(-exponent);
    let slack = FLOAT_SLACK * gold.abs().max(1.0);
    (answer.value - gold).abs() <= half_unit + slack
}

/// Decimals of the shortest representation that reads back as `f` (`43.333333333333336` has 15).
pub fn gold_decimals(f: f64) -> u32 {
    // Rust's `Display` for f64 is the shortest round-trip form and never uses an exponent.
    let shown = f.to_string();
    shown
        .split_once('.')
        .map_or(0, |(_, frac)| u32::try_from(frac.len()).unwrap_or(u32::MAX))
}

/// `^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$`: a number with thousands separators, which is that number
/// only and never a list of numbers.
pub fn is_grouped_number(s: &str) -> bool {
    let s = s.trim();
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int_part, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && all_digits(f));
    let mut groups = int_part.split(',');
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && all_digits(g));
    let rest: Vec<&str> = groups.collect();
    frac_ok && first_ok && !rest.is_empty() && rest.iter().all(|g| g.len() == 3 && all_digits(g))
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Text a gold stores that is a plain decimal number: optional sign, digits (or thousands groups),
/// optional fraction, and no leading zero (`007` and `02134` are codes, compared as text).
pub fn is_number_text(s: &str) -> bool {
    let s = s.trim();
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int_part, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let int_ok = all_digits(int_part) || is_grouped_number(int_part);
    let leading_zero = int_part.len() > 1 && int_part.starts_with('0');
    int_ok && !leading_zero && frac.is_none_or(all_digits)
}

/// Reads a number as written: optional sign, digits (or thousands groups), optional fraction,
/// optional exponent. Units, `%`, currency, `inf` and `NaN` are not numbers.
pub fn parse_written(s: &str) -> Option<Written> {
    let s = s.trim();
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let unsigned = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
    let (int_part, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, f),
        None => (unsigned, ""),
    };
    let int_ok = int_part.is_empty() || all_digits(int_part) || is_grouped_number(int_part);
    let frac_ok = frac.is_empty() || all_digits(frac);
    if !int_ok || !frac_ok || (int_part.is_empty() && frac.is_empty()) {
        return None;
    }
    let exp: i64 = match exponent {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
            if !all_digits(digits) || digits.len() > MAX_EXPONENT_DIGITS {
                return None;
            }
            e.parse().ok()?
        }
    };
    let value = s
        .replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())?;
    let decimals = (frac.len() as i64 - exp).max(0);
    Some(Written {
        value,
        decimals: u32::try_from(decimals).unwrap_or(u32::MAX),
    })
}

/// The finite number a text denotes ([`parse_written`]'s value).
pub fn parse_number(s: &str) -> Option<f64> {
    parse_written(s).map(|w| w.value)
}

/// The integer a text denotes exactly: `3`, `3.0`, `3.00`, `+3`, `1,234`, or a float notation of
/// a whole number small enough to be exact (`3e2`). `3.5` is not an integer.
pub fn parse_exact_integer(s: &str) -> Option<i64> {
    let s = s.trim();
    let (int_part, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = int_part.strip_prefix(['-', '+']).unwrap_or(int_part);
    let plain = all_digits(digits) || is_grouped_number(digits);
    if plain && frac.is_none_or(|f| f.bytes().all(|b| b == b'0')) {
        // Plain digits are parsed as an integer, so values beyond 2^53 stay exact.
        let cleaned = int_part
            .strip_prefix('+')
            .unwrap_or(int_part)
            .replace(',', "");
        return cleaned.parse::<i64>().ok();
    }
    let f = parse_number(s)?;
    (f.fract() == 0.0 && f.abs() <= MAX_EXACT_FLOAT_INT).then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn real(g: f64, answer: &str) -> bool {
        GoldNumber::of_float(g).is_some_and(|n| n.matches(answer))
    }

    #[test]
    fn whole_golds_are_exact() {
        for (gold, wrong) in [
            (1962.0, "1943"),
            (154.0, "153"),
            (207.0, "205"),
            (6_209_222_712.0, "6150000000"),
            (6_209_222_712.0, "6.21e9"),
        ] {
            assert!(!real(gold, wrong), "{wrong} for {gold}");
        }
        assert!(real(1962.0, "1962"));
        assert!(real(1962.0, "1962.0"));
        assert!(real(1962.0, "1.962e3"));
        assert!(real(6_209_222_712.0, "6,209,222,712"));
        assert!(!real(1962.0, "1962.01"));
        let big = GoldNumber::Whole(1e20);
        assert!(big.matches("100000000000000000000"));
        assert!(!big.matches("99999999999999990000"));
    }

    #[test]
    fn fractional_golds_use_the_written_precision() {
        for ok in ["12.35", "12.346", "12.3456", "12.34560", "1.23456e1"] {
            assert!(real(12.3456, ok), "{ok}");
        }
        for bad in [
            "12.3", "12", "12.34", "12.345", "12.3457", "1.2345e1", "12.35%",
        ] {
            assert!(!real(12.3456, bad), "{bad}");
        }
        for ok in ["2.5", "2.50", "+2.5"] {
            assert!(real(2.5, ok), "{ok}");
        }
        for bad in ["3", "2", "2.4", "2.6", "-2.5"] {
            assert!(!real(2.5, bad), "{bad}");
        }
        assert!(real(43.333333333333336, "43.33"));
        assert!(real(43.333333333333336, "43.333"));
        assert!(!real(43.333333333333336, "43.3"));
        assert!(!real(43.333333333333336, "43"));
        // Half-way values round either way.
        assert!(real(2.675, "2.68"));
        assert!(real(2.675, "2.67"));
        assert!(real(0.001, "0.001"));
        // Two decimals are always enough: 0.001 rounded to two is 0.00 (but not 0).
        assert!(real(0.001, "0.00"));
        assert!(!real(0.001, "0"));
        assert!(!real(0.001, "0.01"));
    }

    #[test]
    fn gold_decimals_are_of_the_shortest_form() {
        assert_eq!(gold_decimals(12.3456), 4);
        assert_eq!(gold_decimals(2.5), 1);
        assert_eq!(gold_decimals(43.333333333333336), 15);
        assert_eq!(gold_decimals(1962.0), 0);
        assert_eq!(gold_decimals(1e-7), 7);
    }

    #[test]
    fn grouped_numbers() {
        for ok in ["989,201", "1,234", "-12,345.5", "+1,000,000"] {
            assert!(is_grouped_number(ok), "{ok}");
        }
        for bad in [
            "989201", "1,23", "12,3456", ",123", "1,,234", "1,234.", "1,234.5x",
        ] {
            assert!(!is_grouped_number(bad), "{bad}");
        }
    }

    #[test]
    fn numbers_parse_strictly() {
        assert_eq!(parse_number("3"), Some(3.0));
        assert_eq!(parse_number(" -2.5e1 "), Some(-25.0));
        assert_eq!(parse_number("1,234.5"), Some(1234.5));
        assert_eq!(parse_number("1,234,567"), Some(1_234_567.0));
        assert_eq!(parse_number(".5"), Some(0.5));
        for bad in [
            "1,23", "12,3456", ",123", "1,,234", "inf", "NaN", "infinity", "3%", "$3", "3 m", "",
            "1e999", "1e", "e5", ".", "-", "0x10", "1_000",
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
        assert_eq!(parse_written("1.2345e1").map(|w| w.decimals), Some(3));
        assert_eq!(parse_written("6.15e9").map(|w| w.decimals), Some(0));
        assert_eq!(parse_written("1e-3").map(|w| w.decimals), Some(3));
        assert_eq!(parse_written("2.50").map(|w| w.decimals), Some(2));
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
            "1,23,4",
        ] {
            assert_eq!(parse_exact_integer(bad), None, "{bad}");
        }
    }

    #[test]
    fn number_text_excludes_codes() {
        for ok in ["71", "-3", "2.5", "1,234", "0", "0.25"] {
            assert!(is_number_text(ok), "{ok}");
        }
        for bad in ["007", "02134", "1e5", "3 m", "", "abc", "1.2.3", "00.5"] {
            assert!(!is_number_text(bad), "{bad}");
        }
        assert_eq!(GoldNumber::of_text("71"), Some(GoldNumber::Int(71)));
        assert_eq!(GoldNumber::of_text("007"), None);
    }

    proptest! {
        #[test]
        fn a_fractional_gold_written_at_any_precision_from_two_is_right(
            gold in -1.0e6f64..1.0e6,
            decimals in 2usize..10,
        ) {
            prop_assume!(gold.fract() != 0.0);
            let written = format!("{gold:.decimals$}");
            prop_assert!(real(gold, &written), "{} for {}", written, gold);
            prop_assert!(real(gold, &gold.to_string()));
        }

        #[test]
        fn a_changed_last_digit_is_wrong(gold in -1.0e6f64..1.0e6, decimals in 2usize..8) {
            prop_assume!(gold.fract() != 0.0);
            let unit = 10f64.powi(-(decimals as i32));
            let off = format!("{:.decimals$}", gold + 2.0 * unit);
            prop_assert!(!real(gold, &off), "{} for {}", off, gold);
        }

        #[test]
        fn integers_accept_only_themselves(g in any::<i64>(), delta in 1i64..1000) {
            let n = GoldNumber::Int(g);
            prop_assert!(n.matches(&g.to_string()));
            if let Some(other) = g.checked_add(delta) {
                prop_assert!(!n.matches(&other.to_string()));
            }
        }
    }
}
