//! A record of the gold proof that passed on exactly these files, so a restart on unchanged data
//! need not run every gold SQL again (about 10,000 of them take seconds on two cores; hashing
//! the files takes a fraction of that).
//!
//! The key is a SHA-256 over the program (its version, and the size and modification time of
//! the running executable, so a rebuild proves again), `tables.json`, `db_list.json`, every
//! question file and every database file, names and bytes. A proof that passes leaves a JSON
//! file named by the key in the cache directory holding what each proof established (column
//! names, tie groups, suspects, the tables and columns each gold reads); any change to any
//! file, or another build of the program, gives a new key, and the golds run again. A record
//! that cannot be read is no record. The directory is the server's own: whoever can write it
//! could change what the verifier accepts, like whoever can write the data.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::proven::ProvenGold;

use super::schema::Database;

/// Bumped when what the proof checks or records changes, so an older record cannot vouch for it.
const PROOF_FORMAT: &str = "sqlenv-gold-proof-2";

/// Where the records of passed proofs are kept.
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

    fn file(&self, key: &str) -> PathBuf {
        self.dir.join(format!("proof-{key}.json"))
    }

    /// Whether a proof with this key has passed before.
    /// The proofs recorded for `key`, if a proof passed on exactly these files; a missing,
    /// unreadable or damaged record is no record (the golds then run again).
    pub fn load(&self, key: &str) -> Option<HashMap<String, ProvenGold>> {
        let text = std::fs::read(self.file(key)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Records the proofs that passed for `key`. A cache that cannot be written only costs the
    /// next start the proof, so it is a warning, not an error.
    pub fn record(&self, key: &str, proofs: &HashMap<String, ProvenGold>) {
        let written = serde_json::to_vec(proofs)
            .map_err(std::io::Error::other)
            .and_then(|bytes| {
                std::fs::create_dir_all(&self.dir)?;
                // Written whole, then renamed: a reader never sees half a record.
                let partial = self.dir.join(format!("proof-{key}.partial"));
                std::fs::write(&partial, bytes)?;
                std::fs::rename(partial, self.file(key))
            });
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
    if let Some(exe) = std::env::current_exe().ok().and_then(|p| p.metadata().ok()) {
        hasher.update(exe.len().to_le_bytes());
        if let Ok(modified) = exe.modified() {
            hasher.update(format!("{modified:?}"));
        }
    }
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
    fn a_record_is_found_only_for_its_key_and_keeps_the_proofs() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ProofCache::new(dir.path().join("nested"));
        assert!(cache.load("abc").is_none());
        let mut proven = ProvenGold {
            columns: vec!["name".into()],
            ..Default::default()
        };
        proven.reads.insert("singer", "name");
        let proofs = HashMap::from([("q1".to_string(), proven)]);
        cache.record("abc", &proofs);
        assert_eq!(cache.load("abc"), Some(proofs));
        assert!(cache.load("abd").is_none());
        std::fs::write(dir.path().join("nested/proof-abc.json"), "not json").unwrap();
        assert!(cache.load("abc").is_none(), "a damaged record is no record");
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
