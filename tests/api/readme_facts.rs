//! Facts the README states that have a source elsewhere, checked against it. The data counts
//! are generated from the catalog the server loads, not typed: the text between
//! `<!-- data-counts -->` and `<!-- /data-counts -->` must be exactly what [`counts_text`]
//! renders; when the data changes, `SQLENV_UPDATE_README=1 cargo test --test api readme_facts`
//! writes the new text into README.md. The Rust version of the prerequisites and the license
//! are the manifest's.

use crate::helpers::{catalog, data_dir};

const START: &str = "<!-- data-counts -->";
const END: &str = "<!-- /data-counts -->";

/// 1086 as "1,086".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn counts_text() -> String {
    let catalog = catalog();
    let databases = catalog.databases().count();
    let files = sqlenv::catalog::questions::read_question_files(&data_dir().join("questions"))
        .expect("question files load");
    let questions: usize = files.iter().map(|(_, records)| records.len()).sum();
    format!(
        "{databases} real Spider SQLite databases and {} questions ({} served)",
        thousands(questions),
        thousands(catalog.questions().served().len()),
    )
}

#[test]
fn thousands_groups_digits() {
    assert_eq!(thousands(7), "7");
    assert_eq!(thousands(972), "972");
    assert_eq!(thousands(1086), "1,086");
    assert_eq!(thousands(1234567), "1,234,567");
}

#[test]
fn readme_counts_are_the_catalogs() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (before, rest) = readme
        .split_once(START)
        .expect("README.md marks its data counts with <!-- data-counts -->");
    let (written, after) = rest
        .split_once(END)
        .expect("<!-- /data-counts --> closes them");
    let expected = counts_text();
    if written == expected {
        return;
    }
    if std::env::var("SQLENV_UPDATE_README").as_deref() == Ok("1") {
        std::fs::write(&path, format!("{before}{START}{expected}{END}{after}")).unwrap();
        return;
    }
    panic!(
        "README.md's data counts are not the catalog's.\n  written:  {written}\n  catalog:  \
         {expected}\nSQLENV_UPDATE_README=1 cargo test --test api readme_facts writes them."
    );
}

fn manifest_value(key: &str) -> String {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    manifest
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("Cargo.toml has no {key}"))
        .trim_matches('"')
        .to_owned()
}

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn prerequisites_name_the_manifests_rust_version() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let version = manifest_value("rust-version");
    assert!(
        readme.contains(&format!("**Rust >= {version}**")),
        "README.md's prerequisites do not say Rust >= {version}"
    );
}

#[test]
fn the_license_file_is_the_license_the_manifest_declares() {
    assert_eq!(manifest_value("license"), "MIT");
    let license = std::fs::read_to_string(root().join("LICENSE")).expect("a LICENSE file");
    assert!(license.starts_with("MIT License\n"), "{license}");
    assert!(license.contains("Permission is hereby granted, free of charge"));
}
