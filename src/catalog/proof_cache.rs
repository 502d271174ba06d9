//! A record that the gold proof passed on exactly these files, so a restart on unchanged data
//! need not run every gold SQL again (about 10,000 of them take seconds on two cores; hashing
//! the files takes a fraction of that).
//!
//! The key is a SHA-256 over the program's version, `tables.json`, `db_list.json`, every
//! question file and every database file, names and bytes. A proof that passes leaves an empty
//! marker file named by the key in the cache directory; any change to any file (or a new
//! version of the program) gives a new key, and the golds run again. The cache only ever skips
//! work that passed: nothing read from it can make bad data load.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::schema::Database;

/// Bumped when what the proof checks changes, so an older marker cannot vouch for it.
const PROOF_FORMAT: &str = "sqlenv-gold-proof-1";

/// Where the markers of passed proofs are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofCache {
    dir: PathBuf,
}

impl ProofCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ProofCache { dir: dir.into() }
    }

    /// The per-user cache directory (`$XDG_CACHE_HOME/sqlenv`, else `$HOME/.cache/sqlenv`),
    /// if the environment names one.
    pub fn default_dir() -> Option<PathBuf> {
        let from = |var: &str| std::env::var_os(var).filter(|v| !v.is_empty());
        from("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| from("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .map(|base| base.join("sqlenv"))
    }

    fn marker(&self, key: &str) -> PathBuf {
        self.dir.join(format!("proof-{key}"))
    }

    /// Whether a proof with this key has passed before.
    pub fn has_passed(&self, key: &str) -> bool {
        self.marker(key).is_file()
    }

    /// Records that the proof with this key passed. Best effort: a cache that cannot be written
    /// only means the next start proves again.
    pub fn record_pass(&self, key: &str) {
        let written =
            std::fs::create_dir_all(&self.dir).and_then(|()| std::fs::write(self.marker(key), b""));
        if let Err(e) = written {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot record the gold proof");
        }
    }
}

/// Hashes the files the proof depends on. Question files and databases are taken in name order,
/// so the key does not depend on directory order.
pub fn proof_key<'a>(
    data_dir: &Path,
    question_files: &[PathBuf],
    databases: impl IntoIterator<Item = &'a Arc<Database>>,
) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(PROOF_FORMAT);
    hasher.update(env!("CARGO_PKG_VERSION"));
    let mut files: Vec<(String, PathBuf)> = vec![
        ("tables.json".into(), data_dir.join("tables.json")),
        (
            "db_list.json".into(),
            data_dir
                .join("questions")
                .join(super::questions::DB_LIST_FILE),
        ),
    ];
    let mut questions: Vec<&PathBuf> = question_files.iter().collect();
    questions.sort();
    files.extend(questions.into_iter().map(|p| {
        let name = p
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        (format!("questions/{name}"), p.clone())
    }));
    let mut dbs: Vec<&Arc<Database>> = databases.into_iter().collect();
    dbs.sort_by(|a, b| a.db_id.cmp(&b.db_id));
    files.extend(
        dbs.into_iter()
            .map(|db| (format!("databases/{}", db.db_id), db.path.clone())),
    );
    let mut buffer = vec![0u8; 1 << 16];
    for (name, path) in files {
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        let mut file = std::fs::File::open(&path)?;
        let size = file.metadata()?.len();
        hasher.update(size.to_le_bytes());
        loop {
            let n = file.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_is_found_only_for_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ProofCache::new(dir.path().join("nested"));
        assert!(!cache.has_passed("abc"));
        cache.record_pass("abc");
        assert!(cache.has_passed("abc"));
        assert!(!cache.has_passed("abd"));
    }

    #[test]
    fn the_key_changes_with_any_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("questions")).unwrap();
        std::fs::write(dir.path().join("tables.json"), "[]").unwrap();
        std::fs::write(dir.path().join("questions/db_list.json"), "{}").unwrap();
        let q = dir.path().join("questions/a.json");
        std::fs::write(&q, "[]").unwrap();
        let files = vec![q.clone()];
        let none: Vec<Arc<Database>> = Vec::new();
        let first = proof_key(dir.path(), &files, &none).unwrap();
        assert_eq!(first, proof_key(dir.path(), &files, &none).unwrap());
        std::fs::write(&q, "[ ]").unwrap();
        assert_ne!(first, proof_key(dir.path(), &files, &none).unwrap());
    }
}
