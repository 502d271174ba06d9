//! The module graph of `src/` goes one way: no import cycle between top-level modules, no two
//! modules that import each other, and no server module that imports a tool. Built from the
//! `crate::` and `super::` paths of every source file (comments and string literals left out),
//! so it sees `use` lines and paths written inline alike.
//!
//! `cargo test --test api module_graph -- --nocapture` prints the graph (one line per module,
//! with what it imports), which is what docs/architecture.md draws.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The command-line tools: they may use the server's modules, never the other way round.
const TOOLS: [&str; 5] = ["agent", "cli", "healthcheck", "load", "questions"];

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn module_graph_is_one_way() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    for (module, imports) in &graph {
        let list: Vec<&str> = imports.iter().map(String::as_str).collect();
        println!("{module} -> {}", list.join(", "));
    }
    let ties: Vec<String> = graph
        .iter()
        .flat_map(|(a, imports)| imports.iter().map(move |b| (a, b)))
        .filter(|(a, b)| a < b && graph.get(*b).is_some_and(|i| i.contains(*a)))
        .map(|(a, b)| format!("{a} <-> {b}"))
        .collect();
    assert!(ties.is_empty(), "modules that import each other: {ties:?}");
    let cycles = cycles(&graph);
    assert!(cycles.is_empty(), "import cycles: {cycles:?}");
    let upward: Vec<String> = graph
        .iter()
        .filter(|(module, _)| !TOOLS.contains(&module.as_str()))
        .flat_map(|(a, imports)| imports.iter().map(move |b| (a, b)))
        .filter(|(_, b)| TOOLS.contains(&b.as_str()))
        .map(|(a, b)| format!("{a} -> {b}"))
        .collect();
    assert!(
        upward.is_empty(),
        "server modules importing tools: {upward:?}"
    );
}

#[test]
fn the_scanner_finds_every_kind_of_path() {
    let code = r#"
        use crate::alpha::X;
        use crate::{beta::Y, gamma};
        // crate::commented
        let s = "crate::quoted";
        let c = '"'; fn f<'a>(x: &'a str) {}
        fn g() -> crate::delta::Z { super::super::epsilon::W }
        /* crate::blocked */
        macro_rules! m { () => { $crate::zeta } }
    "#;
    let found = imports_of(code, 2);
    let expected: BTreeSet<String> = ["alpha", "beta", "delta", "epsilon", "gamma"]
        .map(String::from)
        .into();
    assert_eq!(found, expected);
    // One level down, `super::super` is still inside the file's own top-level module.
    assert!(!imports_of(code, 3).contains("epsilon"));
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let mut graph = Graph::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        graph.entry(from.into()).or_default().insert(to.into());
    }
    let expected: BTreeSet<Vec<String>> = [vec!["a".into(), "b".into(), "c".into()]].into();
    assert_eq!(cycles(&graph), expected);
    graph.get_mut("c").unwrap().remove("a");
    assert!(cycles(&graph).is_empty());
}

/// Every top-level module of `src` (a `name.rs` or a `name/` directory) and the other
/// top-level modules its files name.
fn module_graph(src: &Path) -> Graph {
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).unwrap();
        let mut parts: Vec<String> = relative
            .with_extension("")
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        if matches!(parts.as_slice(), [p] if p == "lib" || p == "main") {
            continue;
        }
        let top = parts[0].clone();
        let code = std::fs::read_to_string(&file).unwrap();
        let imports = graph.entry(top.clone()).or_default();
        imports.extend(
            imports_of(&code, parts.len())
                .into_iter()
                .filter(|m| *m != top),
        );
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for imports in graph.values_mut() {
        imports.retain(|m| modules.contains(m));
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The top-level module names that `code`, a file `depth` modules below the crate root, reaches
/// through `crate::` or enough `super::`s. Names that are no top-level module (items of the
/// crate root, or the file's own items seen from an inline `mod tests`) are dropped by the caller.
fn imports_of(code: &str, depth: usize) -> BTreeSet<String> {
    let code = strip_comments_and_strings(code);
    let mut found = BTreeSet::new();
    let bytes = code.as_bytes();
    let next = |from: usize| {
        ["crate::", "super::"]
            .iter()
            .filter_map(|p| code[from..].find(p))
            .min()
            .map(|o| from + o)
    };
    let mut at = 0;
    while let Some(start) = next(at) {
        at = start + "crate::".len();
        let preceded = start > 0 && (bytes[start - 1] == b'$' || is_ident(bytes[start - 1]));
        if preceded {
            continue;
        }
        let rest = if code[start..].starts_with("crate::") {
            &code[at..]
        } else {
            let mut rest = &code[start..];
            let mut supers = 0;
            while let Some(r) = rest.strip_prefix("super::") {
                supers += 1;
                rest = r.trim_start();
            }
            if supers < depth {
                continue;
            }
            rest
        };
        match rest.strip_prefix('{') {
            Some(group) => found.extend(group_heads(group)),
            None => found.extend(ident(rest)),
        }
    }
    found
}

/// The first segment of every path in a `{a::b, c, d::{e, f}}` group (after its `{`).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expect_head = true,
            c if expect_head && !c.is_whitespace() => {
                expect_head = false;
                heads.extend(ident(&group[i..]));
            }
            _ => {}
        }
    }
    heads
}

fn ident(text: &str) -> Option<String> {
    let end = text
        .bytes()
        .position(|b| !is_ident(b))
        .unwrap_or(text.len());
    (end > 0).then(|| text[..end].to_owned())
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `code` with comments removed and string and character literals emptied, so a path in a doc
/// comment or a message is not an import. Raw strings with up to a few `#`s are handled.
fn strip_comments_and_strings(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('"') | Some('#')) && !prev_is_ident(&chars, i) {
            let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"')
                .chain("#".repeat(hashes).chars())
                .collect();
            let body_start = i + 2 + hashes;
            let body: String = chars[body_start..].iter().collect();
            let end = body.find(&close).map_or(chars.len(), |e| {
                body_start + body[..e].chars().count() + close.chars().count()
            });
            out.push_str("\"\"");
            i = end;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A character literal (a lifetime has no closing quote two characters on).
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            out.push_str("' '");
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The strongly connected groups of more than one module (each is a cycle), by checking which
/// modules reach each other.
fn cycles(graph: &Graph) -> BTreeSet<Vec<String>> {
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(m) = stack.pop() {
            for next in graph.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    reaches
        .iter()
        .filter(|(m, r)| r.contains(**m))
        .map(|(m, r)| {
            r.iter()
                .filter(|other| reaches.get(other).is_some_and(|back| back.contains(*m)))
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect()
}
