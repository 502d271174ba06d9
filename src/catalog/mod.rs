//! The catalog: the databases and questions the server serves, loaded and proven once at
//! start-up. Layout under the data directory:
//!
//! - `tables.json` — Spider's schema file; it lists the databases to load.
//! - `databases/<db_id>/<db_id>.sqlite` — one read-only SQLite file per database.
//! - `questions/*.json` — question files (see [`question::Question`]); `questions/db_list.json`
//!   names the databases questions may use.
//!
//! Anything missing or inconsistent is an error naming the file, and the server does not start.

pub mod error;
pub mod exclusions;
pub mod numbers;
pub mod proof_cache;
pub mod proven;
pub mod question;
pub mod questions;
pub mod schema;
pub mod sets;
pub mod spider_import;
pub mod sql_tokens;
pub mod suspects;
pub mod ties;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Deserialize;

use crate::database::connection::{self, open_read_only};
use crate::database::{DatabasePool, OpenError, Pools};
pub use error::CatalogError;
use proof_cache::ProofCache;
use questions::QuestionBank;
use schema::Database;

/// The part of a Spider `tables.json` entry the catalog checks against each database file.
#[derive(Debug, Deserialize)]
struct SpiderSchema {
    db_id: String,
    table_names_original: Vec<String>,
}

#[derive(Debug)]
pub struct Catalog {
    databases: BTreeMap<String, Arc<Database>>,
    questions: QuestionBank,
}

impl Catalog {
    /// Loads and checks everything under `data_dir`.
    pub fn load(data_dir: &Path) -> Result<Catalog, CatalogError> {
        Self::load_with(data_dir, None)
    }

    /// [`Catalog::load`], skipping the gold SQL runs when `cache` records that the proof passed
    /// on exactly these files (and recording it when it passes).
    pub fn load_with(data_dir: &Path, cache: Option<&ProofCache>) -> Result<Catalog, CatalogError> {
        let started = Instant::now();
        let databases = load_databases(data_dir)?;
        let opened = started.elapsed();
        let dir = data_dir.join("questions");
        let listed = questions::read_db_list(&dir, &databases)?;
        let paths = questions::question_paths(&dir)?;
        let files = questions::read_files(&paths)?;
        let read = started.elapsed();
        let key = match cache {
            Some(_) => proof_cache::proof_key(data_dir, &paths, databases.values())
                .map_err(|source| CatalogError::Read {
                    path: data_dir.to_owned(),
                    source,
                })
                .map(Some)?,
            None => None,
        };
        let hashed = started.elapsed();
        let cached = match (cache, &key) {
            (Some(cache), Some(key)) => cache.load(key),
            _ => None,
        };
        let golds_run = cached.is_none();
        let mut proofs = match cached {
            Some(proofs) => {
                questions::validate_records(&files, &databases, &listed, false)?;
                proofs
            }
            None => {
                let proofs = questions::validate_records(&files, &databases, &listed, true)?;
                if let (Some(cache), Some(key)) = (cache, &key) {
                    cache.record(key, &proofs);
                }
                proofs
            }
        };
        tracing::info!(
            databases_ms = opened.as_millis() as u64,
            read_questions_ms = (read - opened).as_millis() as u64,
            hash_ms = (hashed - read).as_millis() as u64,
            prove_ms = (started.elapsed() - hashed).as_millis() as u64,
            golds_run,
            "catalog loaded and proven"
        );
        let known = files
            .iter()
            .flat_map(|(_, r)| r.iter().map(|q| q.id.as_str()))
            .collect();
        let excluded = exclusions::Exclusions::read(&dir, &known)?;
        let records = files
            .into_iter()
            .flat_map(|(_, records)| records)
            .map(|mut q| {
                if let Some(proven) = proofs.remove(&q.id) {
                    q.proven = proven;
                }
                q
            });
        let questions = QuestionBank::with_exclusions(records, excluded);
        Ok(Catalog {
            databases,
            questions,
        })
    }

    pub fn databases(&self) -> impl Iterator<Item = &Arc<Database>> {
        self.databases.values()
    }

    /// Opens the agents' connection pools, one per database of the catalog. A database worker
    /// holds one connection at a time, so `workers` connections per database is all that can
    /// ever be in use. It lives here, not in `database`, because the catalog is what knows the
    /// databases; `database` knows only pools.
    pub fn open_pools(&self, workers: usize) -> Result<Pools, (String, OpenError)> {
        let helpers = connection::pool_helpers();
        self.databases()
            .map(|db| {
                DatabasePool::open(&db.path, workers as u32, helpers.clone())
                    .map(|pool| (db.db_id.clone(), pool))
                    .map_err(|e| (db.path.display().to_string(), e))
            })
            .collect()
    }

    pub fn database(&self, db_id: &str) -> Option<&Arc<Database>> {
        self.databases.get(db_id)
    }

    pub fn questions(&self) -> &QuestionBank {
        &self.questions
    }
}

/// The path of a database file in the data directory layout.
pub fn database_path(data_dir: &Path, db_id: &str) -> PathBuf {
    data_dir
        .join("databases")
        .join(db_id)
        .join(format!("{db_id}.sqlite"))
}

/// Opens and introspects every database `tables.json` lists, checking its tables match.
pub fn load_databases(data_dir: &Path) -> Result<BTreeMap<String, Arc<Database>>, CatalogError> {
    let manifest = data_dir.join("tables.json");
    let schemas: Vec<SpiderSchema> = error::read_json(&manifest)?;
    if schemas.is_empty() {
        return Err(CatalogError::Invalid {
            path: manifest,
            message: "lists no databases".into(),
        });
    }
    let mut databases = BTreeMap::new();
    for spec in schemas {
        if spec.db_id.is_empty() || spec.db_id.contains(['/', '\\', '.']) {
            return Err(CatalogError::Invalid {
                path: manifest.clone(),
                message: format!("invalid db_id '{}'", spec.db_id),
            });
        }
        let path = database_path(data_dir, &spec.db_id);
        if !path.is_file() {
            return Err(CatalogError::Invalid {
                path,
                message: format!(
                    "missing database file for '{}' (listed in tables.json)",
                    spec.db_id
                ),
            });
        }
        let conn = open_read_only(&path).map_err(|e| CatalogError::Database {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let db = schema::introspect(&spec.db_id, &path, &conn)?;
        check_tables(&db, &spec.table_names_original)?;
        databases.insert(spec.db_id, Arc::new(db));
    }
    Ok(databases)
}

fn check_tables(db: &Database, expected: &[String]) -> Result<(), CatalogError> {
    let mut have: Vec<String> = db.tables.iter().map(|t| t.name.to_lowercase()).collect();
    // SQLite's own bookkeeping tables (`sqlite_sequence`) are not the agent's business.
    let mut want: Vec<String> = expected
        .iter()
        .map(|t| t.to_lowercase())
        .filter(|t| !t.starts_with("sqlite_"))
        .collect();
    have.sort();
    want.sort();
    if have != want {
        return Err(CatalogError::Invalid {
            path: db.path.clone(),
            message: format!("tables {have:?} differ from those tables.json lists: {want:?}"),
        });
    }
    Ok(())
}
