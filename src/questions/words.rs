//! Natural-language names for schema identifiers: `student_course_registrations` reads as
//! "student course registrations", `HeadOfDepartment` as "head of department".

/// Splits an identifier at underscores, spaces, hyphens and lower-to-upper case changes
/// (`CamelCase`, `camelCase`, `HTTPServer` -> "http server") and lower-cases the words.
pub fn words(ident: &str) -> String {
    let chars: Vec<char> = ident.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if matches!(c, '_' | ' ' | '-' | '.') {
            flush(&mut out, &mut current);
            continue;
        }
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    // The last capital of an acronym starts the next word: "HTTPServer".
                    || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if boundary {
            flush(&mut out, &mut current);
        }
        current.extend(c.to_lowercase());
    }
    flush(&mut out, &mut current);
    out.join(" ")
}

fn flush(out: &mut Vec<String>, current: &mut String) {
    if !current.is_empty() {
        out.push(std::mem::take(current));
    }
}

/// An English plural of the last word of a phrase, good enough for table names.
pub fn plural(phrase: &str) -> String {
    let (head, last) = match phrase.rsplit_once(' ') {
        Some((head, last)) => (format!("{head} "), last),
        None => (String::new(), phrase),
    };
    let lower = last.to_ascii_lowercase();
    let plural = if lower.ends_with("ss")
        || lower.ends_with("sh")
        || lower.ends_with("ch")
        || lower.ends_with('x')
        || lower.ends_with('z')
    {
        format!("{last}es")
    } else if lower.ends_with('s') {
        // Already plural ("courses", "people" excepted) or a mass noun: keep it.
        last.to_owned()
    } else if lower.ends_with('y')
        && !lower.ends_with("ay")
        && !lower.ends_with("ey")
        && !lower.ends_with("oy")
        && !lower.ends_with("uy")
    {
        format!("{}ies", &last[..last.len() - 1])
    } else if lower == "person" {
        "people".to_owned()
    } else if lower == "people" || lower == "staff" || lower == "info" || lower == "data" {
        last.to_owned()
    } else {
        format!("{last}s")
    };
    format!("{head}{plural}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_split_into_words() {
        assert_eq!(
            words("student_course_registrations"),
            "student course registrations"
        );
        assert_eq!(words("HeadOfDepartment"), "head of department");
        assert_eq!(words("Ref_Document_Types"), "ref document types");
        assert_eq!(words("camelCase"), "camel case");
        assert_eq!(words("HTTPServer"), "http server");
        assert_eq!(words("Age"), "age");
        assert_eq!(words("cell_mobile_number"), "cell mobile number");
        assert_eq!(words("Year2020Sales"), "year2020 sales");
    }

    #[test]
    fn plurals() {
        assert_eq!(plural("singer"), "singers");
        assert_eq!(plural("country"), "countries");
        assert_eq!(plural("battle"), "battles");
        assert_eq!(plural("courses"), "courses");
        assert_eq!(plural("match"), "matches");
        assert_eq!(plural("tv series"), "tv series");
        assert_eq!(plural("survey"), "surveys");
        assert_eq!(plural("person"), "people");
    }
}
