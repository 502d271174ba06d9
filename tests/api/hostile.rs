//! What every hostile suite checks at its end: the server still answers and the database files
//! are exactly as they were.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::helpers::{data_dir, TestApp};

/// The SHA-256 of every bundled database file, by path.
pub fn database_digests() -> BTreeMap<String, String> {
    let mut digests = BTreeMap::new();
    for entry in std::fs::read_dir(data_dir().join("databases")).unwrap() {
        let dir = entry.unwrap().path();
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "sqlite") {
                let digest = format!("{:x}", Sha256::digest(std::fs::read(&path).unwrap()));
                digests.insert(path.display().to_string(), digest);
            }
        }
    }
    assert!(digests.len() >= 159, "every bundled database was read");
    digests
}

/// The server is healthy, holds `sessions` sessions, and no database file changed since
/// `before` was taken.
pub async fn assert_unharmed(app: &TestApp, before: &BTreeMap<String, String>, sessions: usize) {
    assert!(app.healthy().await, "the server stays healthy");
    app.wait_for_sessions(sessions).await;
    assert_eq!(&database_digests(), before, "no database file changed");
}
