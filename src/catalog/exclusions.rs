//! `questions/exclusions.json`: golds kept in the question files but never served, each with the
//! reason (`{"spider-dev-0133": "mpg is text; 'null' sorts first"}`). A gold whose answer a strict
//! grader could not sign (see [`super::suspects`]) is excluded here rather than edited, so the
//! question files stay what their source produced. Excluded questions count like those with an
//! empty gold: loaded, proven, not served.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::error::{read_json, CatalogError};

/// The exclusion list's file name in the questions directory; not a question file.
pub const EXCLUSIONS_FILE: &str = "exclusions.json";

/// Question ids that are not served, with the reason for each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exclusions {
    reasons: BTreeMap<String, String>,
}

impl Exclusions {
    /// Reads the list in `dir` (none when the file does not exist), refusing a blank reason and
    /// an id no question file has (`known`), which would be a typo excluding nothing.
    pub fn read(dir: &Path, known: &HashSet<&str>) -> Result<Self, CatalogError> {
        let path = dir.join(EXCLUSIONS_FILE);
        if !path.exists() {
            return Ok(Self::default());
        }
        let reasons: BTreeMap<String, String> = read_json(&path)?;
        let errors: Vec<CatalogError> = reasons
            .iter()
            .filter_map(|(id, reason)| {
                let message = if !known.contains(id.as_str()) {
                    format!("excludes '{id}', which no question file has")
                } else if reason.trim().is_empty() {
                    format!("excludes '{id}' without a reason")
                } else {
                    return None;
                };
                Some(CatalogError::Invalid {
                    path: path.clone(),
                    message,
                })
            })
            .collect();
        match CatalogError::from_list(errors) {
            Some(e) => Err(e),
            None => Ok(Self { reasons }),
        }
    }

    pub fn from_reasons(reasons: BTreeMap<String, String>) -> Self {
        Self { reasons }
    }

    /// Why `id` is not served, if it is excluded.
    pub fn reason(&self, id: &str) -> Option<&str> {
        self.reasons.get(id).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.reasons.len()
    }

    pub fn is_empty(&self) -> bool {
        self.reasons.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_ids_and_blank_reasons_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let known: HashSet<&str> = ["q1", "q2"].into_iter().collect();
        assert!(Exclusions::read(dir.path(), &known).unwrap().is_empty());
        let file = dir.path().join(EXCLUSIONS_FILE);
        std::fs::write(&file, r#"{"q1": "text sorted as numbers"}"#).unwrap();
        let ex = Exclusions::read(dir.path(), &known).unwrap();
        assert_eq!(ex.reason("q1"), Some("text sorted as numbers"));
        assert_eq!(ex.reason("q2"), None);
        std::fs::write(&file, r#"{"q3": "typo", "q2": " "}"#).unwrap();
        let err = Exclusions::read(dir.path(), &known)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'q3'") && err.contains("without a reason"),
            "{err}"
        );
    }
}
